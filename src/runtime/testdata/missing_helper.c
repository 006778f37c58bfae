/* Calls bpf_get_current_task (helper 35), which the runtime core does not implement: loading must fail naming it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp") int uses_task(struct xdp_md *ctx) { return bpf_get_current_task() != 0; }

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

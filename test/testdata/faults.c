/* A program that reads past the end of its packet: Linux's verifier (and ours) refuse it, and run unverified (the
 * interpreter) it faults on its first run. test/exit-codes.test.ts uses it for exit status 3. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int read_past_end(struct xdp_md *ctx)
{
  unsigned char *end = (unsigned char *)(long)ctx->data_end;
  return end[64] == 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

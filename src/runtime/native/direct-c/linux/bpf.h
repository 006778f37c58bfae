/* Direct-C baseline: Linux's UAPI bpf.h with a host struct xdp_md (64-bit packet pointers).
 * Author: Claude.
 */
#ifndef BPFSHIP_DIRECT_LINUX_BPF_H
#define BPFSHIP_DIRECT_LINUX_BPF_H
#define xdp_md bpfship_uapi_xdp_md
#include_next <linux/bpf.h>
#undef xdp_md
struct xdp_md {
  __u64 data;
  __u64 data_end;
  __u64 data_meta;
  __u32 ingress_ifindex;
  __u32 rx_queue_index;
  __u32 egress_ifindex;
};
#endif

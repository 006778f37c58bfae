/* bpf_fib_lookup as XDP forwarders use it (fib.test.ts): look the destination up through the ingress device; on
 * success rewrite the MAC addresses and return 1000 + the egress ifindex, else the lookup's code (2000 + errno for
 * a negative one). Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

SEC("xdp") int fwd(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = data + sizeof(*eth);
  if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  struct bpf_fib_lookup p = {};
  p.family = AF_INET;
  p.tos = ip->tos;
  p.l4_protocol = ip->protocol;
  p.tot_len = bpf_ntohs(ip->tot_len);
  p.ipv4_src = ip->saddr;
  p.ipv4_dst = ip->daddr;
  p.ifindex = ctx->ingress_ifindex;
  long rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
  if (rc < 0)
    return 2000 - rc;
  if (rc != BPF_FIB_LKUP_RET_SUCCESS)
    return rc;
  __builtin_memcpy(eth->h_dest, p.dmac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, p.smac, ETH_ALEN);
  return 1000 + p.ifindex;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

/* An XDP firewall: drops traffic from blocked IPv4 source networks (an LPM trie of prefixes) and to blocked TCP or
 * UDP destination ports (a hash map), over IPv4 and IPv6, and counts each verdict.
 *
 * Fill the block lists with `bpfship run ... --map` (keys as stored, little-endian), e.g. port 22:
 *   --map blocked_ports:1600:01
 * and the network 192.168.0.0/16 (prefix length 16, then the address in network byte order):
 *   --map blocked_networks:10000000c0a80000:01
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* What happened to a frame: the index of its counter in `verdicts`. */
enum verdict {
  VERDICT_PASSED,
  VERDICT_BLOCKED_NETWORK,
  VERDICT_BLOCKED_PORT,
  VERDICT_MALFORMED,
  VERDICT_COUNT,
};

struct network_key {
  __u32 prefixlen;
  __u32 addr; /* network byte order */
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 256);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct network_key);
  __type(value, __u8);
} blocked_networks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u16); /* host byte order */
  __type(value, __u8);
} blocked_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, VERDICT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int decide(enum verdict v, int action)
{
  __u32 key = v;
  __u64 *n = bpf_map_lookup_elem(&verdicts, &key);
  if (!n) /* NULL check: the verifier refuses the program without it */
    return action;
  __sync_fetch_and_add(n, 1);
  return action;
}

/* The destination port of the TCP or UDP header at l4, 0 for other protocols, -1 when the header is cut short. */
static __always_inline int destination_port(__u8 protocol, void *l4, void *data_end)
{
  if (protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > data_end)
      return -1;
    return bpf_ntohs(tcp->dest);
  }
  if (protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end)
      return -1;
    return bpf_ntohs(udp->dest);
  }
  return 0;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  int port;

  if ((void *)(eth + 1) > data_end)
    return decide(VERDICT_MALFORMED, XDP_DROP);

  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || ip->ihl < 5)
      return decide(VERDICT_MALFORMED, XDP_DROP);
    struct network_key source = { .prefixlen = 32, .addr = ip->saddr };
    if (bpf_map_lookup_elem(&blocked_networks, &source))
      return decide(VERDICT_BLOCKED_NETWORK, XDP_DROP);
    port = destination_port(ip->protocol, (void *)ip + ip->ihl * 4, data_end);
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > data_end)
      return decide(VERDICT_MALFORMED, XDP_DROP);
    port = destination_port(ip6->nexthdr, ip6 + 1, data_end);
  } else {
    return decide(VERDICT_PASSED, XDP_PASS);
  }

  if (port < 0)
    return decide(VERDICT_MALFORMED, XDP_DROP);
  __u16 key = port;
  if (port > 0 && bpf_map_lookup_elem(&blocked_ports, &key))
    return decide(VERDICT_BLOCKED_PORT, XDP_DROP);
  return decide(VERDICT_PASSED, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

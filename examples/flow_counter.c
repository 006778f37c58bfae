/* Counts packets and bytes per flow (IPv4 5-tuple) in an LRU hash map, with the time of the first and the last
 * packet, and lets every frame pass. Dump the table after a run with `bpfship run ... --show-maps`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct flow {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u8 protocol;
  __u8 pad[3];
};

struct flow_stats {
  __u64 packets;
  __u64 bytes;
  __u64 first_seen_ns;
  __u64 last_seen_ns;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, struct flow);
  __type(value, struct flow_stats);
} flows SEC(".maps");

SEC("xdp")
int flow_counter(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end || ip->ihl < 5)
    return XDP_PASS;

  struct flow key = { .saddr = ip->saddr, .daddr = ip->daddr, .protocol = ip->protocol };
  void *l4 = (void *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > data_end)
      return XDP_PASS;
    key.sport = bpf_ntohs(tcp->source);
    key.dport = bpf_ntohs(tcp->dest);
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end)
      return XDP_PASS;
    key.sport = bpf_ntohs(udp->source);
    key.dport = bpf_ntohs(udp->dest);
  }

  __u64 now = bpf_ktime_get_ns();
  __u64 len = data_end - data;
  struct flow_stats *stats = bpf_map_lookup_elem(&flows, &key);
  if (stats) {
    __sync_fetch_and_add(&stats->packets, 1);
    __sync_fetch_and_add(&stats->bytes, len);
    stats->last_seen_ns = now;
  } else {
    struct flow_stats fresh = { .packets = 1, .bytes = len, .first_seen_ns = now, .last_seen_ns = now };
    bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

/* Reports every new TCP connection attempt (a SYN without ACK, IPv4) to user space through a ring buffer: source and
 * destination address and port, the frame's length and the time. Frames go on unchanged. A full ring buffer is not
 * an error: the event is counted in `lost_events` (global data, .bss) instead. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct connection_event {
  __u64 time_ns;
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u32 frame_len;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} connection_events SEC(".maps");

__u64 lost_events = 0;

SEC("xdp")
int connection_events_xdp(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end || ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
    return XDP_PASS;
  struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
  if ((void *)(tcp + 1) > data_end || !tcp->syn || tcp->ack)
    return XDP_PASS;

  struct connection_event *e = bpf_ringbuf_reserve(&connection_events, sizeof(*e), 0);
  if (!e) {
    __sync_fetch_and_add(&lost_events, 1);
    return XDP_PASS;
  }
  e->time_ns = bpf_ktime_get_ns();
  e->saddr = ip->saddr;
  e->daddr = ip->daddr;
  e->sport = bpf_ntohs(tcp->source);
  e->dport = bpf_ntohs(tcp->dest);
  e->frame_len = data_end - data;
  bpf_ringbuf_submit(e, 0);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

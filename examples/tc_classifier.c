/* A tc (sched_cls) classifier for egress traffic: sets skb->priority by destination port (interactive SSH and DNS
 * first, bulk HTTP(S) last), marks what it classified, drops Telnet, and counts frames per class in a per-CPU
 * array. Attach with `tc filter add dev DEV egress bpf direct-action obj tc_classifier.o sec tc`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum traffic_class {
  CLASS_DEFAULT,
  CLASS_INTERACTIVE,
  CLASS_BULK,
  CLASS_DROPPED,
  CLASS_COUNT,
};

/* The priority (TC_PRIO_*) each class gets. */
static const __u32 class_priority[CLASS_COUNT] = { 0, 6, 2, 0 };

/* A mark for the firewall or routing rules that follow: 0x100 + the class. */
const volatile __u32 mark_base = 0x100;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CLASS_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} class_frames SEC(".maps");

static __always_inline enum traffic_class classify(__u16 port)
{
  switch (port) {
  case 22:
  case 53:
    return CLASS_INTERACTIVE;
  case 80:
  case 443:
    return CLASS_BULK;
  case 23:
    return CLASS_DROPPED;
  default:
    return CLASS_DEFAULT;
  }
}

SEC("tc")
int tc_classifier(struct __sk_buff *skb)
{
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  enum traffic_class cls = CLASS_DEFAULT;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) <= data_end && ip->ihl >= 5) {
      void *l4 = (void *)ip + ip->ihl * 4;
      if (ip->protocol == IPPROTO_TCP) {
        struct tcphdr *tcp = l4;
        if ((void *)(tcp + 1) <= data_end)
          cls = classify(bpf_ntohs(tcp->dest));
      } else if (ip->protocol == IPPROTO_UDP) {
        struct udphdr *udp = l4;
        if ((void *)(udp + 1) <= data_end)
          cls = classify(bpf_ntohs(udp->dest));
      }
    }
  }

  __u32 key = cls;
  __u64 *frames = bpf_map_lookup_elem(&class_frames, &key);
  if (frames)
    *frames += 1; /* per-CPU: no other CPU writes this slot */
  if (cls == CLASS_DROPPED)
    return TC_ACT_SHOT;
  skb->priority = class_priority[cls];
  skb->mark = mark_base + cls;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

/* Counts the packets and bytes a tc hook sees, and lets them all through. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} tc_counts SEC(".maps");

SEC("tc")
int tc_count(struct __sk_buff *skb) {
  __u32 packets = 0, bytes = 1;
  __u64 *n = bpf_map_lookup_elem(&tc_counts, &packets);
  if (n)
    __sync_fetch_and_add(n, 1);
  __u64 *b = bpf_map_lookup_elem(&tc_counts, &bytes);
  if (b)
    __sync_fetch_and_add(b, skb->len);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

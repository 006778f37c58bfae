/* Programs for the tests of repeated runs (BPF_PROG_TEST_RUN's repeat): Linux runs a test run's repetitions on the
 * same packet and context, restoring nothing in between, and these programs make that visible in their return
 * value: the packet's bytes and bounds, the context, maps and globals, tail calls and trace output. The tests run
 * them in the kernel too (repeat_cases in kernel-oracle.test.ts). Build: ./build.sh. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} runs SEC(".maps");

/* Adds one to the byte after the Ethernet header and returns it: after N runs it has grown by N. */
SEC("xdp") int bump_byte(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data;
  if ((void *)(d + ETH_HLEN + 1) > (void *)(long)ctx->data_end)
    return 0;
  d[ETH_HLEN] += 1;
  return d[ETH_HLEN];
}

/* Moves the packet's start on by one byte and returns the length left: the start moves on run after run. */
SEC("xdp") int shrink_head(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_head(ctx, 1))
    return 0;
  return ctx->data_end - ctx->data;
}

/* Counts runs in a map: map side effects accumulate. */
SEC("xdp") int count_runs(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&runs, &zero);
  if (!n)
    return 0;
  *n += 1;
  return *n;
}

/* Adds one to the sk_buff's mark: the context carries over too. */
SEC("tc") int mark_runs(struct __sk_buff *skb) {
  skb->mark += 1;
  return skb->mark;
}

/* Tail-calls itself until Linux's limit (33 tail calls per run) stops it: each run starts with a fresh count. */
__u32 tail_hops;
SEC("xdp") int tail_self(struct xdp_md *ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __array(values, int(void *));
} self SEC(".maps") = {
  .values = { [0] = (void *)&tail_self },
};

SEC("xdp") int tail_self(struct xdp_md *ctx) {
  tail_hops++;
  bpf_tail_call(ctx, &self, 0);
  return tail_hops;
}

/* One trace line per run. */
__u32 printed;
SEC("xdp") int print_run(struct xdp_md *ctx) {
  printed++;
  bpf_printk("run %u", printed);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

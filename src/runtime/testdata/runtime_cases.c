/* Programs for the runtime's tests: global data, BPF-to-BPF calls, callbacks, tail calls, packet helpers, every
 * context type. All of them load in Linux (the kernel runs them as an oracle); faults.c holds the ones that must fail.
 * Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The legacy packet loads (LD_ABS), as LLVM spells them. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

__u64 counter = 5;
__u32 zeroed;
const volatile __u32 limit = 7;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} arr SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
} jump SEC(".maps");

SEC("xdp") int globals(struct xdp_md *ctx) {
  counter += limit;
  zeroed++;
  return counter;
}

static __noinline int add3(int a, int b, int c) { return a + b + c; }

SEC("xdp") int calls(struct xdp_md *ctx) { return add3(1, 2, 3) + add3(10, 20, 30); }

static __noinline int d8(volatile int x) { return x + 1; }
static __noinline int d7(volatile int x) { return d8(x) + 1; }
static __noinline int d6(volatile int x) { return d7(x) + 1; }
static __noinline int d5(volatile int x) { return d6(x) + 1; }
static __noinline int d4(volatile int x) { return d5(x) + 1; }
static __noinline int d3(volatile int x) { return d4(x) + 1; }
static __noinline int d2(volatile int x) { return d3(x) + 1; }

/* 8 frames: the entry and d2..d8. */
SEC("xdp") int deep_ok(struct xdp_md *ctx) { return d2(0); }

static long loop_cb(__u64 i, void *c) {
  *(__u64 *)c += i;
  return 0;
}

SEC("xdp") int loop_sum(struct xdp_md *ctx) {
  __u64 sum = 0;
  bpf_loop(10, loop_cb, &sum, 0);
  return sum;
}

static long each_cb(void *map, __u32 *key, __u64 *val, void *c) {
  *(__u64 *)c += *val * (*key + 1);
  *val += 1;
  return 0;
}

SEC("xdp") int each_sum(struct xdp_md *ctx) {
  __u64 sum = 0;
  bpf_for_each_map_elem(&arr, each_cb, &sum, 0);
  return sum;
}

SEC("xdp") int tail_empty(struct xdp_md *ctx) {
  bpf_tail_call(ctx, &jump, 1);
  return 42;
}

SEC("xdp") int tail_target(struct xdp_md *ctx) { return 7; }

/* Tail-calls itself through jump[0] until Linux's limit (33 tail calls) makes bpf_tail_call fail. */
__u32 tail_count;
SEC("xdp") int tail_loop(struct xdp_md *ctx) {
  tail_count++;
  bpf_tail_call(ctx, &jump, 0);
  return tail_count;
}

SEC("xdp") int redirect_to(struct xdp_md *ctx) { return bpf_redirect(7, 0); }

SEC("xdp") int adjust_head(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_head(ctx, ETH_HLEN))
    return 0;
  unsigned char *d = (void *)(long)ctx->data;
  if ((void *)(d + 1) > (void *)(long)ctx->data_end)
    return 1;
  return d[0];
}

SEC("xdp") int printk_len(struct xdp_md *ctx) {
  bpf_printk("len %d", ctx->data_end - ctx->data);
  return XDP_PASS;
}

SEC("socket") int ld_abs(struct __sk_buff *skb) { return load_byte(skb, 9) * 1000 + load_half(skb, 2); }

SEC("socket") int ld_abs_out(struct __sk_buff *skb) { return load_byte(skb, 5000) + 1; }

SEC("tc") int tc_mark(struct __sk_buff *skb) {
  skb->mark = 0x1234;
  skb->cb[0] = skb->len;
  return TC_ACT_SHOT;
}

SEC("cgroup/connect4") int connect_rewrite(struct bpf_sock_addr *ctx) {
  ctx->user_ip4 = bpf_htonl(0x7f000001);
  ctx->user_port = bpf_htons(8080);
  return 1;
}



/* Context fields the kernel derives from the packet (compared with BPF_PROG_TEST_RUN by the oracle test). */
SEC("socket") int sf_fields(struct __sk_buff *s) {
  return s->len + (s->pkt_type << 12) + (s->ifindex << 16) + (s->ingress_ifindex << 20) + (s->protocol << 24);
}

SEC("tc") int tc_fields(struct __sk_buff *s) {
  return s->len + (s->pkt_type << 12) + (s->ifindex << 16) + (s->ingress_ifindex << 20) + ((s->data_meta == s->data) << 24) +
         (s->wire_len << 25) + (s->vlan_present << 26);
}

SEC("xdp") int xdp_fields(struct xdp_md *x) {
  return x->ingress_ifindex * 100 + x->rx_queue_index * 10 + (x->data_meta == x->data) + ((x->data_end - x->data) << 16);
}
char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

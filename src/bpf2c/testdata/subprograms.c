/* bpf2c test program: BPF-to-BPF calls (static and global functions, each with its own stack), a bpf_loop
 * callback, a tail call from a subprogram into a program array initialised with `values`, and global data in
 * .data, .rodata and .bss. Rebuild with ./build.sh. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} results SEC(".maps");

int tail_target(struct xdp_md *ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, int(struct xdp_md *));
} jump_table SEC(".maps") = {
  .values = { [1] = (void *)&tail_target },
};

__u64 calls = 0;                   /* .bss */
__u32 weight = 3;                  /* .data */
const volatile __u32 limit = 10;   /* .rodata */

/* A frame of its own: writes 64 bytes of stack the caller must not see. */
static __attribute__((noinline)) __u64 mix(__u64 a, __u64 b) {
  volatile __u8 scratch[64];
  for (int i = 0; i < 64; i++) scratch[i] = (__u8)(a + i);
  return (a * 31) ^ b ^ scratch[b & 63];
}

__attribute__((noinline)) int global_sum(__u32 n) {
  __u64 s = 0;
  for (__u32 i = 0; i < n && i < 16; i++) s += mix(i, weight);
  return (int)s;
}

struct loop_ctx { __u64 acc; __u32 step; };

static long add_step(__u32 index, void *data) {
  struct loop_ctx *c = data;
  c->acc += index * c->step;
  return 0;
}

static __attribute__((noinline)) int maybe_jump(struct xdp_md *ctx, __u32 slot) {
  bpf_tail_call(ctx, &jump_table, slot);
  return 7;
}

SEC("xdp")
int entry(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u8 first = data + 1 <= data_end ? *(__u8 *)data : 0;
  volatile __u64 keep[4] = {1, 2, 3, 4};
  struct loop_ctx lc = { .acc = 0, .step = weight };
  __u32 key = 0;
  __u64 *slot;

  __sync_fetch_and_add(&calls, 1);
  bpf_loop(limit, add_step, &lc, 0);
  __u64 v = mix(first, lc.acc) + global_sum(first & 7) + keep[0] + keep[3];
  slot = bpf_map_lookup_elem(&results, &key);
  if (slot)
    *slot = v;
  if (first == 0xff)
    return maybe_jump(ctx, 1);
  return XDP_PASS;
}

SEC("xdp")
int tail_target(struct xdp_md *ctx) {
  __u32 key = 1;
  __u64 *slot = bpf_map_lookup_elem(&results, &key);
  if (slot)
    *slot = 0xdead;
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

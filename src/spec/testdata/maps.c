/* Map definitions of every shape the spec reader knows: map-in-map and prog arrays with initial values, pinning,
 * flags, global data in .data, .rodata and .bss, and a BPF-to-BPF call into .text. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps") = {
  .values = { [1] = &inner_a, [5] = &inner_b },
};

int tail0(struct xdp_md *ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, int(void *));
} jumps SEC(".maps") = {
  .values = { [2] = (void *)&tail0 },
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u32);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} pinned SEC(".maps");

int counter = 1;
const volatile int limit = 3;
char scratch[16];

static __attribute__((noinline)) int bump(int x) {
  counter += x;
  return counter < limit;
}

SEC("xdp") int tail0(struct xdp_md *ctx) { return XDP_PASS; }

SEC("xdp") int entry(struct xdp_md *ctx) {
  scratch[0] = 1;
  if (bump(1))
    bpf_tail_call(ctx, &jumps, 2);
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

/* Programs for the jit mode's tests (jit-program.test.ts): a tail call made from a BPF-to-BPF function (Linux runs
 * the target in that function's place and hands its r0 to the caller), one from the entry function, and a
 * subprogram chain around them; map lookups the JIT writes without the helper. Build: ./build.sh (clang -target
 * bpf -O2 -g). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 hits;

SEC("xdp") int target(struct xdp_md *ctx) {
  hits++;
  return 7;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, int(struct xdp_md *));
} hops SEC(".maps") = {
  .values = { [0] = (void *)&target },
};

static __attribute__((noinline)) int hop_from_sub(struct xdp_md *ctx, __u32 slot) {
  bpf_tail_call(ctx, &hops, slot);
  return ctx->rx_queue_index + 5; /* only when the slot is empty */
}

/* 100 + 7 through slot 0 (the target's r0 comes back from hop_from_sub); 100 + 5 when the slot (1) is empty. */
SEC("xdp") int tail_in_sub(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __u32 slot = data + 15 <= end && ((unsigned char *)data)[14] == 1;
  return hop_from_sub(ctx, slot) + 100;
}

/* 7: the entry function's tail call never returns. */
SEC("xdp") int tail_in_entry(struct xdp_md *ctx) {
  bpf_tail_call(ctx, &hops, 0);
  return 1;
}

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u32);
} per_cpu SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u32);
} recent SEC(".maps");

/* Lookups the JIT makes without bpf_map_lookup_elem: array values in place, in range and past max_entries,
 * per-CPU values for the run's CPU, hash and LRU lookups (which mark the element) through the map's own lookup. */
SEC("xdp") int lookups(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  if (data + 16 > end)
    return 0;
  __u32 k = ((unsigned char *)data)[14];
  __u32 j = ((unsigned char *)data)[15];
  __u64 r = 0;
  __u64 *c = bpf_map_lookup_elem(&counts, &k);
  if (c) {
    *c += 1;
    r += *c;
  } else {
    r += 1000;
  }
  __u32 *p = bpf_map_lookup_elem(&per_cpu, &j);
  if (p) {
    *p += k + 1;
    r += *p * 10;
  } else {
    r += 2000;
  }
  __u64 *s = bpf_map_lookup_elem(&seen, &k);
  if (s) {
    r += *s;
  } else {
    __u64 one = 1;
    bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
    r += 3000;
  }
  __u32 *l = bpf_map_lookup_elem(&recent, &j);
  if (l) {
    r += *l;
  } else {
    __u32 v = j + 7;
    bpf_map_update_elem(&recent, &j, &v, BPF_ANY);
  }
  return r;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

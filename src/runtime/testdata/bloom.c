/*
 * Bloom filter maps (BPF_MAP_TYPE_BLOOM_FILTER) driven by XDP programs, for the runtime's tests in every mode and the
 * kernel comparison. A frame's first 4 bytes are `base`:
 *   bloom_add    pushes base .. base+31 into both maps; returns the number of pushes that failed
 *   bloom_count  low 16 bits: how many of base .. base+31 `seen` holds (always 32 once added: no false negatives);
 *                high 16 bits: how many of base .. base+63 `crowded` holds (a small zero-seed filter: its false
 *                positives are the same wherever the hashing is Linux's)
 *   bloom_errors the errors: push with BPF_EXIST (-EINVAL), peek of a value never pushed (-ENOENT); pop is
 *                refused by the verifier ("cannot pass map_type 30 into func bpf_map_pop_elem"), so it is not here
 *
 * Author: Claude.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __type(value, __u32);
  __uint(max_entries, 1000);
  __uint(map_extra, 3);
} seen SEC(".maps");

/* 16 entries, 5 hash functions (map_extra 0): 16 * 5 / 5 * 7 = 112 bits, 128 once rounded up. */
struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __type(value, __u32);
  __uint(max_entries, 16);
  __uint(map_flags, BPF_F_ZERO_SEED);
} crowded SEC(".maps");

static __always_inline int frame_base(struct xdp_md *ctx, __u32 *base) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (data + 4 > end) return -1;
  *base = *(__u32 *)data;
  return 0;
}

SEC("xdp")
int bloom_add(struct xdp_md *ctx) {
  __u32 base, failed = 0;
  if (frame_base(ctx, &base)) return 0xffff;
  for (__u32 i = 0; i < 32; i++) {
    __u32 v = base + i;
    failed += bpf_map_push_elem(&seen, &v, BPF_ANY) != 0;
    failed += bpf_map_push_elem(&crowded, &v, BPF_ANY) != 0;
  }
  return failed;
}

SEC("xdp")
int bloom_count(struct xdp_md *ctx) {
  __u32 base, in_seen = 0, in_crowded = 0;
  if (frame_base(ctx, &base)) return 0xffff;
  for (__u32 i = 0; i < 64; i++) {
    __u32 v = base + i;
    if (i < 32 && bpf_map_peek_elem(&seen, &v) == 0) in_seen++;
    if (bpf_map_peek_elem(&crowded, &v) == 0) in_crowded++;
  }
  return in_crowded << 16 | in_seen;
}

SEC("xdp")
int bloom_errors(struct xdp_md *ctx) {
  __u32 v = 0xfeedf00d;
  long exist = bpf_map_push_elem(&seen, &v, BPF_EXIST);
  long absent = bpf_map_peek_elem(&seen, &v);
  /* -22 and -2 as one number: 22 | 2 << 8 */
  return (__u32)(-exist) | (__u32)(-absent) << 8;
}

char LICENSE[] SEC("license") = "GPL";

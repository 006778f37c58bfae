/* Programs for the jit mode's tests (jit-program.test.ts): a tail call made from a BPF-to-BPF function (Linux runs
 * the target in that function's place and hands its r0 to the caller), one from the entry function, and a
 * subprogram chain around them. Build: ./build.sh (clang -target bpf -O2 -g). */
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

char LICENSE[] SEC("license") = "GPL";

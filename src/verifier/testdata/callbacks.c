/* Programs for the verifier's callback tests (callbacks.test.ts): helpers that call a function of the program
 * (bpf_loop, bpf_for_each_map_elem). Programs named ok_* are safe and Linux 6.18 loads them; bad_* are unsafe and
 * Linux refuses them, except where a comment says otherwise. Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} arr SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
  __uint(map_flags, BPF_F_RDONLY_PROG);
} frozen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
} jump SEC(".maps");

/* The program's context and packet, handed to callbacks through the stack. */
struct holder {
  struct xdp_md *ctx;
  void *data;
  void *data_end;
};

/* The sum of the indexes: the caller's stack, seen through the context, changes on every iteration. */
static long add_index(__u32 i, void *c) {
  *(__u64 *)c += i;
  return 0;
}

SEC("xdp") int ok_loop_sum(struct xdp_md *ctx) {
  __u64 sum = 0;
  bpf_loop(10, add_index, &sum, 0);
  return sum & 3;
}

/* Each element's key and value: the value is written in place, the key only read. */
static long scale(struct bpf_map *map, __u32 *key, __u64 *val, void *c) {
  *val = *val * 2 + *key;
  *(__u64 *)c += *val;
  return *val > 1000;
}

SEC("xdp") int ok_each_scale(struct xdp_md *ctx) {
  __u64 total = 0;
  bpf_for_each_map_elem(&counts, scale, &total, 0);
  bpf_for_each_map_elem(&arr, scale, &total, 0);
  return total & 1;
}

/* A context holding a map value pointer, and an index the callback moves on and checks before use. */
struct cursor {
  __u64 *value;
  __u32 pos;
  __u8 bytes[8];
};

static long fill(__u32 i, void *c) {
  struct cursor *cur = c;
  if (cur->pos >= sizeof(cur->bytes))
    return 1;
  cur->bytes[cur->pos] = (__u8)i;
  cur->pos++;
  *cur->value += i;
  return 0;
}

SEC("xdp") int ok_cursor(struct xdp_md *ctx) {
  __u32 key = 0;
  struct cursor cur = {};
  cur.value = bpf_map_lookup_elem(&arr, &key);
  if (!cur.value)
    return 0;
  bpf_loop(100, fill, &cur, 0);
  return cur.bytes[0] + *cur.value;
}

/* Loops in loops: the callback calls bpf_loop too. */
static long inner(__u32 j, void *c) {
  *(__u64 *)c += j;
  return 0;
}

static long outer(__u32 i, void *c) {
  bpf_loop(i & 7, inner, c, 0);
  return 0;
}

SEC("xdp") int ok_nested(struct xdp_md *ctx) {
  __u64 sum = 0;
  bpf_loop(4, outer, &sum, 0);
  return sum & 1;
}

/* No context: the callback must check it against NULL. */
static long maybe_ctx(__u32 i, void *c) {
  if (c)
    *(__u64 *)c = i;
  return 0;
}

SEC("xdp") int ok_null_ctx(struct xdp_md *ctx) {
  bpf_loop(3, maybe_ctx, (void *)0, 0);
  return 2;
}

/* A reference taken and released in the callback. */
static long emit(__u32 i, void *c) {
  __u64 *rec = bpf_ringbuf_reserve(&events, 8, 0);
  if (!rec)
    return 1;
  *rec = i;
  bpf_ringbuf_submit(rec, 0);
  return 0;
}

SEC("xdp") int ok_ringbuf(struct xdp_md *ctx) {
  bpf_loop(4, emit, (void *)0, 0);
  return 2;
}

/* The callback overwrites the caller's map value pointer with a number; the caller then dereferences it. */
static long clobber(__u32 i, void *c) {
  ((struct cursor *)c)->value = (__u64 *)(unsigned long)i;
  return 0;
}

SEC("xdp") int bad_clobbered_pointer(struct xdp_md *ctx) {
  __u32 key = 0;
  struct cursor cur = {};
  cur.value = bpf_map_lookup_elem(&arr, &key);
  if (!cur.value)
    return 0;
  bpf_loop(2, clobber, &cur, 0);
  return *cur.value;
}

/* The first iteration uses the pointer and replaces it with a number, which the second dereferences. */
static long use_then_clobber(__u32 i, void *c) {
  struct cursor *cur = c;
  *cur->value += 1;
  cur->value = (__u64 *)(unsigned long)i;
  return 0;
}

SEC("xdp") int bad_second_iteration(struct xdp_md *ctx) {
  __u32 key = 0;
  struct cursor cur = {};
  cur.value = bpf_map_lookup_elem(&arr, &key);
  if (!cur.value)
    return 0;
  bpf_loop(2, use_then_clobber, &cur, 0);
  return 2;
}

/* A count in the context, used unchecked as an index into an 8-byte value: safe for 8 iterations, not for 9.
 * bpf_loop's count bounds the iterations simulated. */
static long step(__u32 i, void *c) {
  __u32 key = 0;
  __u8 *v = bpf_map_lookup_elem(&arr, &key);
  if (!v)
    return 1;
  __u64 n = *(volatile __u64 *)c;
  v[n] = 1;
  *(volatile __u64 *)c = n + 1;
  return 0;
}

SEC("xdp") int ok_counted(struct xdp_md *ctx) {
  __u64 n = 0;
  bpf_loop(8, step, &n, 0);
  return 2;
}

SEC("xdp") int bad_counted(struct xdp_md *ctx) {
  __u64 n = 0;
  bpf_loop(9, step, &n, 0);
  return 2;
}

/* Callbacks return 0 (go on) or 1 (stop), nothing else. */
static long two(__u32 i, void *c) {
  return 2;
}

SEC("xdp") int bad_return_two(struct xdp_md *ctx) {
  bpf_loop(2, two, (void *)0, 0);
  return 0;
}

/* The key of `counts` is 4 bytes: reading 8 goes past it. */
static long wide_key(struct bpf_map *map, __u32 *key, __u64 *val, void *c) {
  *(__u64 *)c += *(__u64 *)key;
  return 0;
}

SEC("xdp") int bad_key_overrun(struct xdp_md *ctx) {
  __u64 total = 0;
  bpf_for_each_map_elem(&counts, wide_key, &total, 0);
  return total & 1;
}

/* A lookup inside the callback, used without a NULL check. */
static long unchecked(__u32 i, void *c) {
  __u32 key = i & 3;
  __u64 *v = bpf_map_lookup_elem(&arr, &key);
  *v += 1;
  return 0;
}

SEC("xdp") int bad_unchecked_lookup(struct xdp_md *ctx) {
  bpf_loop(4, unchecked, (void *)0, 0);
  return 2;
}

/* The index into the context's array moves on each iteration and is never checked: the ninth one overflows. */
static long unbounded_fill(__u32 i, void *c) {
  struct cursor *cur = c;
  cur->bytes[cur->pos & 15] = (__u8)i;
  cur->pos++;
  return 0;
}

SEC("xdp") int bad_cursor_overrun(struct xdp_md *ctx) {
  struct cursor cur = {};
  bpf_loop(16, unbounded_fill, &cur, 0);
  return cur.bytes[0];
}

/* The callback may run no times: then the caller reads stack it never wrote. Linux (as root) loads this one,
 * reading unknown bytes; reading stack never written is refused here (DESIGN.md, departure 1). */
static long init_slot(__u32 i, void *c) {
  *(__u64 *)c = i;
  return 0;
}

SEC("xdp") int bad_maybe_uninit(struct xdp_md *ctx) {
  __u64 v;
  bpf_loop(ctx->data_end - ctx->data, init_slot, &v, 0);
  return v & 1;
}

/* A reference taken in the callback and handed to the caller, which releases it. */
static long keep(__u32 i, void *c) {
  __u64 *rec = bpf_ringbuf_reserve(&events, 8, 0);
  if (rec)
    *(__u64 **)c = rec;
  return 0;
}

SEC("xdp") int ok_reference_to_caller(struct xdp_md *ctx) {
  __u64 *rec = 0;
  bpf_loop(1, keep, &rec, 0);
  if (rec)
    bpf_ringbuf_submit(rec, 0);
  return 2;
}

/* The caller's reference, released by the callback. */
static long drop(__u32 i, void *c) {
  void **rec = c;
  if (*rec) {
    bpf_ringbuf_discard(*rec, 0);
    *rec = 0;
  }
  return 0;
}

SEC("xdp") int ok_reference_from_caller(struct xdp_md *ctx) {
  void *rec = bpf_ringbuf_reserve(&events, 8, 0);
  bpf_loop(3, drop, &rec, 0);
  if (rec)
    bpf_ringbuf_discard(rec, 0);
  return 2;
}

/* Packet pointers the caller checked, used by the callback. */
static long first_word(__u32 i, void *c) {
  struct holder *h = c;
  if (h->data + 4 > h->data_end)
    return 1;
  return *(__u32 *)h->data & 1;
}

SEC("xdp") int ok_packet(struct xdp_md *ctx) {
  struct holder h = { ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end };
  bpf_loop(3, first_word, &h, 0);
  return 2;
}

/* The callback moves the packet: the caller's checked packet pointer is stale afterwards. */
static long move_head(__u32 i, void *c) {
  bpf_xdp_adjust_head(((struct holder *)c)->ctx, 0);
  return 0;
}

SEC("xdp") int bad_stale_packet(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct holder h = { ctx };
  if (data + 4 > data_end)
    return 0;
  bpf_loop(1, move_head, &h, 0);
  return *(volatile __u32 *)data;
}

/* Callbacks cannot tail-call. */
static long tail(__u32 i, void *c) {
  bpf_tail_call(((struct holder *)c)->ctx, &jump, 0);
  return 0;
}

SEC("xdp") int bad_tail_call(struct xdp_md *ctx) {
  struct holder h = { ctx };
  bpf_loop(2, tail, &h, 0);
  return 2;
}

/* The values of a map the program may only read. */
static long write_value(struct bpf_map *map, __u32 *key, __u64 *val, void *c) {
  *val = 1;
  return 0;
}

SEC("xdp") int bad_read_only_value(struct xdp_md *ctx) {
  bpf_for_each_map_elem(&frozen, write_value, (void *)0, 0);
  return 2;
}

/* The context must be a stack pointer (or NULL), not a map value. */
static long nothing(__u32 i, void *c) {
  return 0;
}

SEC("xdp") int bad_map_value_context(struct xdp_md *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&arr, &key);
  if (!v)
    return 0;
  bpf_loop(2, nothing, v, 0);
  return 2;
}
/* Author: Claude. */

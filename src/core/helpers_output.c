/*
 * Output helpers: bpf_trace_printk / bpf_trace_vprintk / bpf_snprintf (formatting in printk.c, messages to the
 * host's trace hook), bpf_perf_event_output (records to the host's perf hook), and the ring buffer producer
 * helpers (records into a BPF_MAP_TYPE_RINGBUF map, read by bpfship_ringbuf_peek/advance).
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))
#define MAX_TRACE_PRINTK_VARARGS 3u
#define MAX_BPRINTF_VARARGS 12u
#define MAX_BPRINTF_BUF 1024u
#define F_INDEX_MASK 0xffffffffull
#define F_CURRENT_CPU 0xffffffffull
#define F_CTXLEN_MASK (0xfffffull << 32)
#define RB_NO_WAKEUP 1ull
#define RB_FORCE_WAKEUP 2ull

static uint64_t emit_trace(bpfship_run_ctx *ctx, const char *fmt, uint32_t fmt_size, const uint64_t *args,
                           uint32_t nargs) {
  char buf[MAX_BPRINTF_BUF];
  int n = bpfship_bprintf(buf, sizeof buf, fmt, fmt_size, args, nargs);
  if (n < 0) return RET(n);
  bs_host_trace(ctx, buf, (uint32_t)n < sizeof buf ? (uint32_t)n : (uint32_t)sizeof buf - 1);
  ctx->trace_count++;
  return (uint64_t)n;
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): up to three conversions; returns the message length. */
uint64_t bpfship_helper_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                     bpfship_run_ctx *ctx) {
  uint64_t args[MAX_TRACE_PRINTK_VARARGS] = {r3, r4, r5};
  return emit_trace(ctx, (const char *)BS_PTR(r1), (uint32_t)r2, args, MAX_TRACE_PRINTK_VARARGS);
}

/* Copies data_len bytes of u64 arguments (data_len a multiple of 8, at most 12 of them). */
static int load_varargs(uint64_t *args, uint64_t ptr, uint32_t data_len) {
  if ((data_len & 7u) || data_len > MAX_BPRINTF_VARARGS * 8 || (data_len && !ptr)) return -BPFSHIP_EINVAL;
  if (data_len) bs_memcpy(args, BS_PTR(ptr), data_len);
  return (int)(data_len / 8);
}

/* bpf_trace_vprintk(fmt, fmt_size, args, data_len): bpf_printk with more than three arguments. */
uint64_t bpfship_helper_trace_vprintk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r5;
  uint64_t args[MAX_BPRINTF_VARARGS];
  int n = load_varargs(args, r3, (uint32_t)r4);
  if (n < 0) return RET(n);
  return emit_trace(ctx, (const char *)BS_PTR(r1), (uint32_t)r2, args, (uint32_t)n);
}

/* bpf_snprintf(str, str_size, fmt, args, data_len): returns the formatted length plus the NUL. */
uint64_t bpfship_helper_snprintf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 bpfship_run_ctx *ctx) {
  (void)ctx;
  uint64_t args[MAX_BPRINTF_VARARGS];
  int n = load_varargs(args, r4, (uint32_t)r5);
  if (n < 0) return RET(n);
  int len = bpfship_bprintf((char *)BS_PTR(r1), (uint32_t)r2, (const char *)BS_PTR(r3), 0xffffffffu, args,
                            (uint32_t)n);
  if (len < 0) return RET(len);
  return (uint64_t)len + 1;
}

static bool is_packet_prog(uint32_t t) {
  return t == BPFSHIP_PROG_TYPE_SOCKET_FILTER || t == BPFSHIP_PROG_TYPE_SCHED_CLS ||
         t == BPFSHIP_PROG_TYPE_SCHED_ACT || t == BPFSHIP_PROG_TYPE_XDP || t == BPFSHIP_PROG_TYPE_CGROUP_SKB ||
         t == BPFSHIP_PROG_TYPE_LWT_IN || t == BPFSHIP_PROG_TYPE_LWT_OUT || t == BPFSHIP_PROG_TYPE_LWT_XMIT ||
         t == BPFSHIP_PROG_TYPE_SK_SKB;
}

/*
 * bpf_perf_event_output(ctx, map, flags, data, size). The low 32 flag bits pick the perf_event_array slot
 * (BPF_F_CURRENT_CPU: the running CPU's); a slot must have been opened from user space, and, as with real perf
 * buffers, can only be written from its own CPU. Packet programs may append the first (flags >> 32) bytes of
 * the packet (bpf_skb_output / bpf_xdp_output semantics).
 */
uint64_t bpfship_helper_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  (void)r1;
  bpfship_map *m = (bpfship_map *)BS_PTR(r2);
  uint64_t flags = r3;
  uint32_t ctx_size = 0;
  if (is_packet_prog(ctx->prog_type)) {
    if (flags & ~(F_CTXLEN_MASK | F_INDEX_MASK)) return RET(-BPFSHIP_EINVAL);
    ctx_size = (uint32_t)((flags & F_CTXLEN_MASK) >> 32);
    if (ctx_size > ctx->data_end - ctx->data) return RET(-BPFSHIP_EFAULT);
  } else if (flags & ~F_INDEX_MASK) {
    return RET(-BPFSHIP_EINVAL);
  }
  if (m->map_type != BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY) return RET(-BPFSHIP_EINVAL);
  uint64_t index = flags & F_INDEX_MASK;
  if (index == F_CURRENT_CPU) index = ctx->cpu;
  uint32_t token;
  int err = bs_fd_array_slot(m, (uint32_t)index, &token);
  if (err) return RET(err);
  if (index != ctx->cpu) return RET(-BPFSHIP_EOPNOTSUPP);
  return RET(bs_host_perf_output(ctx, m->id, (uint32_t)index, BS_PTR(r4), (uint32_t)r5,
                                 ctx_size ? BS_PTR(ctx->data) : NULL, ctx_size));
}

static bool is_ringbuf(const bpfship_map *m) { return m && m->map_type == BPFSHIP_MAP_TYPE_RINGBUF; }

/* bpf_ringbuf_output(map, data, size, flags): reserve + copy + submit; -EAGAIN when the ring is full. */
uint64_t bpfship_helper_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  (void)r5, (void)ctx;
  bpfship_map *m = (bpfship_map *)BS_PTR(r1);
  if (r4 & ~(RB_NO_WAKEUP | RB_FORCE_WAKEUP)) return RET(-BPFSHIP_EINVAL);
  if (!is_ringbuf(m)) return RET(-BPFSHIP_EINVAL);
  void *rec = bs_ringbuf_reserve(m, r3);
  if (!rec) return RET(-BPFSHIP_EAGAIN);
  bs_memcpy(rec, BS_PTR(r2), (size_t)r3);
  bs_ringbuf_commit(rec, r4, false);
  return 0;
}

/* bpf_ringbuf_reserve(map, size, flags): a record to fill, or NULL (no room, or flags != 0). */
uint64_t bpfship_helper_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = (bpfship_map *)BS_PTR(r1);
  if (r3 != 0 || !is_ringbuf(m)) return 0;
  return BS_U64(bs_ringbuf_reserve(m, r2));
}

uint64_t bpfship_helper_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  bs_ringbuf_commit(BS_PTR(r1), r2, false);
  return 0;
}

uint64_t bpfship_helper_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  bs_ringbuf_commit(BS_PTR(r1), r2, true);
  return 0;
}

uint64_t bpfship_helper_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  return bpfship_ringbuf_query((bpfship_map *)BS_PTR(r1), r2);
}

/* Ring buffer: creation rules, reserve/submit/discard visibility, full ring, wrap-around, query, helpers.
 * Author: Claude.
 */
#include "test.h"

static int collect(void *cb_ctx, void *sample, uint32_t size) {
  uint32_t *got = cb_ctx;
  got[got[0] + 1] = size ? *(unsigned char *)sample : 0xffff;
  got[0]++;
  return 0;
}

void suite_ringbuf(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 4096, 0), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 4096 * 3, 0), -BPFSHIP_EINVAL); /* not a power of 2 */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 2048, 0), -BPFSHIP_EINVAL);     /* not a page multiple */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 4, 0, 4096, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 0, 8, 4096, 0), -BPFSHIP_EINVAL);
  /* a user ring buffer is created by the same rules (Linux's ringbuf_map_alloc); it is no ring buffer to consume */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_USER_RINGBUF, 0, 0, 4096, 0), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_USER_RINGBUF, 0, 0, 8, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_USER_RINGBUF, 4, 0, 4096, 0), -BPFSHIP_EINVAL);
  {
    bpfship_map *urb = make_map(BPFSHIP_MAP_TYPE_USER_RINGBUF, 0, 0, 4096, 0);
    void *sample;
    CHECK_EQ(bpfship_ringbuf_peek(urb, &sample), -BPFSHIP_EINVAL);
    CHECK_EQ(bpfship_ringbuf_query(urb, 1), 0);
    bpfship_map_release(urb);
  }
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 4096, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);

  bpfship_map *rb = make_map(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
  if (!rb) return;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  void *sample;
  CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), -BPFSHIP_EAGAIN);
  CHECK_EQ(bpfship_map_lookup(rb, NULL, &sample, 0), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(bpfship_map_update(rb, NULL, &sample, 0), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(bpfship_map_delete(rb, NULL), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(bpfship_map_get_next_key(rb, NULL, &sample), -BPFSHIP_ENOTSUPP);

  /* records are invisible until submitted, and a busy record blocks later ones */
  unsigned char *a = (unsigned char *)(uintptr_t)call_helper(131, P(rb), 10, 0, 0, 0, &ctx);
  unsigned char *b = (unsigned char *)(uintptr_t)call_helper(131, P(rb), 3, 0, 0, 0, &ctx);
  CHECK(a && b && b - a == 24); /* 8-byte header + 10 rounded to 16 */
  CHECK_EQ(call_helper(131, P(rb), 3, 1, 0, 0, &ctx), 0); /* flags must be 0 */
  memset(a, 'a', 10);
  memset(b, 'b', 3);
  call_helper(132, P(b), 0, 0, 0, 0, &ctx);
  CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), -BPFSHIP_EAGAIN);
  CHECK_EQ(call_helper(134, P(rb), 0, 0, 0, 0, &ctx), 40); /* BPF_RB_AVAIL_DATA */
  call_helper(132, P(a), 0, 0, 0, 0, &ctx);
  CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), 10);
  CHECK(sample == a);
  CHECK_EQ(bpfship_ringbuf_advance(rb), 0);
  CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), 3);
  CHECK_EQ(bpfship_ringbuf_advance(rb), 0);
  CHECK_EQ(bpfship_ringbuf_advance(rb), -BPFSHIP_EAGAIN);
  CHECK_EQ(call_helper(134, P(rb), 2, 0, 0, 0, &ctx), 40); /* BPF_RB_CONS_POS */
  CHECK_EQ(call_helper(134, P(rb), 3, 0, 0, 0, &ctx), 40); /* BPF_RB_PROD_POS */
  CHECK_EQ(call_helper(134, P(rb), 1, 0, 0, 0, &ctx), 4096);

  /* discarded records are skipped */
  unsigned char *c = (unsigned char *)(uintptr_t)call_helper(131, P(rb), 1, 0, 0, 0, &ctx);
  c[0] = 'c';
  call_helper(133, P(c), 0, 0, 0, 0, &ctx);
  unsigned char d = 'd';
  CHECK_EQ(call_helper(130, P(rb), P(&d), 1, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(130, P(rb), P(&d), 1, 4, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  uint32_t got[64] = {0};
  CHECK_EQ(bpfship_ringbuf_consume(rb, collect, got, 0), 1);
  CHECK_EQ(got[1], 'd');

  /* fill: at most size - 1 bytes may be outstanding */
  int n = 0;
  while (call_helper(131, P(rb), 120, 0, 0, 0, &ctx) != 0) n++; /* records of 128 bytes */
  CHECK_EQ(n, 31); /* 32 * 128 = 4096 would reach the consumer */
  unsigned char big[200] = {0};
  CHECK_EQ(call_helper(130, P(rb), P(big), sizeof big, 0, 0, &ctx), (uint64_t)-BPFSHIP_EAGAIN);
  CHECK_EQ(call_helper(131, P(rb), 5000, 0, 0, 0, &ctx), 0); /* larger than the ring */
  bpfship_map_release(rb);

  /* wrap-around: records crossing the end stay contiguous and readable, and keep their bytes */
  rb = make_map(BPFSHIP_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
  if (!rb) return;
  unsigned char buf[1000];
  int produced = 0, consumed = 0, bad = 0;
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < 3; i++) {
      uint32_t size = 100 + (uint32_t)((round * 7 + i * 13) % 900);
      memset(buf, (unsigned char)produced, size);
      if (call_helper(130, P(rb), P(buf), size, 0, 0, &ctx) == 0) produced++;
    }
    int64_t len;
    while ((len = bpfship_ringbuf_peek(rb, &sample)) >= 0) {
      unsigned char *s = sample;
      for (int64_t i = 0; i < len; i++)
        if (s[i] != (unsigned char)consumed) bad++;
      bpfship_ringbuf_advance(rb);
      consumed++;
    }
  }
  CHECK_EQ(produced, 120);
  CHECK_EQ(consumed, produced);
  CHECK_EQ(bad, 0);
  CHECK(call_helper(134, P(rb), 3, 0, 0, 0, &ctx) > 4096 * 5); /* positions grew past several laps */
  /* a reserved record that wraps, written through the returned pointer, survives the fold */
  uint64_t prod = call_helper(134, P(rb), 3, 0, 0, 0, &ctx);
  uint32_t gap = 4096 - (uint32_t)(prod & 4095);
  for (int tries = 0; (gap < 64 || gap > 2000) && tries < 20; tries++) { /* make the next record straddle */
    call_helper(130, P(rb), P(buf), 1000, 0, 0, &ctx);
    bpfship_ringbuf_consume(rb, NULL, NULL, 0);
    prod = call_helper(134, P(rb), 3, 0, 0, 0, &ctx);
    gap = 4096 - (uint32_t)(prod & 4095);
  }
  unsigned char *w = (unsigned char *)(uintptr_t)call_helper(131, P(rb), gap + 100, 0, 0, 0, &ctx);
  CHECK(w != NULL);
  if (w) {
    for (uint32_t i = 0; i < gap + 100; i++) w[i] = (unsigned char)(i * 3);
    call_helper(132, P(w), 0, 0, 0, 0, &ctx);
    CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), gap + 100);
    int ok = 1;
    for (uint32_t i = 0; i < gap + 100; i++) ok &= ((unsigned char *)sample)[i] == (unsigned char)(i * 3);
    CHECK(ok);
    bpfship_ringbuf_advance(rb);
    /* the next record lands right after the folded tail */
    unsigned char *x = (unsigned char *)(uintptr_t)call_helper(131, P(rb), 8, 0, 0, 0, &ctx);
    CHECK(x != NULL);
    if (x) {
      memset(x, 0x5a, 8);
      call_helper(132, P(x), 0, 0, 0, 0, &ctx);
      CHECK_EQ(bpfship_ringbuf_peek(rb, &sample), 8);
      CHECK_EQ(((unsigned char *)sample)[7], 0x5a);
    }
  }
  /* notifications: the consumer waits at the committed record, unless BPF_RB_NO_WAKEUP */
  bpfship_ringbuf_consume(rb, NULL, NULL, 0);
  int before = notify_calls;
  call_helper(130, P(rb), P(buf), 4, 1, 0, &ctx);
  CHECK_EQ(notify_calls, before);
  call_helper(130, P(rb), P(buf), 4, 2, 0, &ctx);
  CHECK_EQ(notify_calls, before + 1);
  bpfship_map_release(rb);
}

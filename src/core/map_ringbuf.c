/*
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c) and its user-space consumer (libbpf's ring_buffer__consume).
 *
 * Records: an 8-byte header {u32 len | BUSY | DISCARD, u32 offset back to the ring} then the sample, padded to 8.
 * Positions only grow; position & mask is the place in the data area. The producer may run at most size - 1
 * bytes ahead of the consumer and of the oldest uncommitted record (Linux's pending_pos rule), so a reservation
 * that does not fit fails with NULL.
 *
 * Linux maps the data area twice in a row so a record that crosses the end is contiguous. The core cannot do that
 * in WebAssembly, so the data area is allocated twice as large instead: a record is written contiguously past the
 * end into the mirror, and on commit the part past the end is copied to the start of the ring, where consumers and
 * later producers expect it. A consumer reading a wrapped record reads it contiguously from the mirror, which stays
 * intact until that record is consumed (no other record can wrap before the consumer passes it).
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct ringbuf {
  bpfship_map map;
  uint64_t mask;
  volatile uint64_t consumer_pos;
  volatile uint64_t producer_pos;
  uint64_t pending_pos;
  char *data; /* 2 * (mask + 1) bytes */
} ringbuf;

#define RINGBUF_MAX_RECORD_SZ (0xffffffffu / 4)

static inline ringbuf *as_rb(bpfship_map *m) { return (ringbuf *)m; }
static inline uint32_t round_rec(uint32_t len) { return (len + BPFSHIP_RINGBUF_HDR_SZ + 7u) & ~7u; }

/* ringbuf_map_alloc: no key, no value, a power-of-2 number of pages. */
static int ringbuf_check(const bpfship_map_attr *a) {
  if (a->map_flags & ~BPFSHIP_F_NUMA_NODE) return -BPFSHIP_EINVAL;
  if (a->key_size || a->value_size || !bs_is_pow2(a->max_entries) || (a->max_entries % BPFSHIP_PAGE_SIZE) != 0)
    return -BPFSHIP_EINVAL;
  return 0;
}

/* The ring struct and its data area are one allocation, so a record header can find its ring by a 32-bit
 * offset (Linux's pg_off plays the same part). */
static int ringbuf_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  size_t head = (sizeof(ringbuf) + 15u) & ~(size_t)15u;
  if ((uint64_t)a->max_entries * 2 + head > 0x7fffffffu) return -BPFSHIP_ENOMEM;
  ringbuf *rb = bs_zalloc(head + (size_t)a->max_entries * 2);
  if (!rb) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&rb->map, a);
  rb->map.user_value_size = 0;
  rb->mask = (uint64_t)a->max_entries - 1;
  rb->data = (char *)rb + head;
  *out = &rb->map;
  return 0;
}

static void ringbuf_free(bpfship_map *m) { bs_free(m); }

static inline uint32_t hdr_len(const char *hdr) { return __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE); }

/* __bpf_ringbuf_reserve */
void *bs_ringbuf_reserve(bpfship_map *m, uint64_t size) {
  ringbuf *rb = as_rb(m);
  if (size > RINGBUF_MAX_RECORD_SZ) return NULL;
  uint64_t len = round_rec((uint32_t)size);
  if (len > rb->mask + 1) return NULL;
  uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
  bs_lock(&m->lock);
  uint64_t prod = rb->producer_pos, pend = rb->pending_pos, new_prod = prod + len;
  /* advance past records committed since the last reservation */
  while (pend < prod) {
    uint32_t l = hdr_len(rb->data + (pend & rb->mask));
    if (l & BPFSHIP_RINGBUF_BUSY_BIT) break;
    pend += round_rec(l & ~BPFSHIP_RINGBUF_DISCARD_BIT);
  }
  rb->pending_pos = pend;
  if (new_prod - cons > rb->mask || new_prod - pend > rb->mask) {
    bs_unlock(&m->lock);
    return NULL;
  }
  char *hdr = rb->data + (prod & rb->mask);
  uint32_t h[2] = {(uint32_t)size | BPFSHIP_RINGBUF_BUSY_BIT, (uint32_t)(hdr - (char *)rb)};
  bs_memcpy(hdr, h, 8);
  __atomic_store_n(&rb->producer_pos, new_prod, __ATOMIC_RELEASE);
  bs_unlock(&m->lock);
  return hdr + BPFSHIP_RINGBUF_HDR_SZ;
}

/* bpf_ringbuf_commit: finalise the header (clearing BUSY, maybe setting DISCARD), fold a wrapped tail back. */
void bs_ringbuf_commit(void *sample, uint64_t flags, bool discard) {
  char *hdr = (char *)sample - BPFSHIP_RINGBUF_HDR_SZ;
  uint32_t back;
  bs_memcpy(&back, hdr + 4, 4);
  ringbuf *rb = (ringbuf *)(void *)(hdr - back);
  uint32_t len = hdr_len(hdr);
  uint64_t size = rb->mask + 1;
  uint64_t off = (uint64_t)(hdr - rb->data);
  uint64_t end = off + round_rec(len & ~BPFSHIP_RINGBUF_BUSY_BIT);
  if (end > size) bs_memcpy(rb->data, rb->data + size, (size_t)(end - size));
  uint32_t new_len = len ^ BPFSHIP_RINGBUF_BUSY_BIT;
  if (discard) new_len |= BPFSHIP_RINGBUF_DISCARD_BIT;
  __atomic_store_n((uint32_t *)hdr, new_len, __ATOMIC_RELEASE);
  /* wake the consumer if it waits for exactly this record, or when forced (BPF_RB_FORCE_WAKEUP) */
  uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE) & rb->mask;
  if ((flags & 2u) || (cons == off && !(flags & 1u))) bs_host_ringbuf_notify(rb->map.id);
}

uint64_t bpfship_ringbuf_query(bpfship_map *m, uint64_t flags) {
  if (!m || m->map_type != BPFSHIP_MAP_TYPE_RINGBUF) return 0;
  ringbuf *rb = as_rb(m);
  uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
  uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
  switch (flags) {
  case 0: return prod - cons; /* BPF_RB_AVAIL_DATA */
  case 1: return rb->mask + 1; /* BPF_RB_RING_SIZE */
  case 2: return cons;         /* BPF_RB_CONS_POS */
  case 3: return prod;         /* BPF_RB_PROD_POS */
  default: return 0;
  }
}

/* ---- consumer ---- */

int64_t bpfship_ringbuf_peek(bpfship_map *m, void **sample) {
  if (!m || m->map_type != BPFSHIP_MAP_TYPE_RINGBUF) return -BPFSHIP_EINVAL;
  ringbuf *rb = as_rb(m);
  uint64_t cons = rb->consumer_pos;
  for (;;) {
    uint64_t prod = __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
    if (cons >= prod) return -BPFSHIP_EAGAIN;
    char *hdr = rb->data + (cons & rb->mask);
    uint32_t len = hdr_len(hdr);
    if (len & BPFSHIP_RINGBUF_BUSY_BIT) return -BPFSHIP_EAGAIN;
    if (len & BPFSHIP_RINGBUF_DISCARD_BIT) {
      /* skip discarded records now: they are never delivered */
      cons += round_rec(len & ~BPFSHIP_RINGBUF_DISCARD_BIT);
      __atomic_store_n(&rb->consumer_pos, cons, __ATOMIC_RELEASE);
      continue;
    }
    if (sample) *sample = hdr + BPFSHIP_RINGBUF_HDR_SZ;
    return len;
  }
}

int bpfship_ringbuf_advance(bpfship_map *m) {
  int64_t len = bpfship_ringbuf_peek(m, NULL);
  if (len < 0) return (int)len;
  ringbuf *rb = as_rb(m);
  __atomic_store_n(&rb->consumer_pos, rb->consumer_pos + round_rec((uint32_t)len), __ATOMIC_RELEASE);
  return 0;
}

int bpfship_ringbuf_consume(bpfship_map *m, bpfship_ringbuf_sample_fn fn, void *cb_ctx, uint32_t max) {
  int n = 0;
  void *sample;
  int64_t len;
  while ((max == 0 || (uint32_t)n < max) && (len = bpfship_ringbuf_peek(m, &sample)) >= 0) {
    int r = fn ? fn(cb_ctx, sample, (uint32_t)len) : 0;
    bpfship_ringbuf_advance(m);
    if (r < 0) return r;
    n++;
  }
  return n;
}

/* The map operations user space may try on a ring buffer all fail as in Linux (-ENOTSUPP). */
static void *ringbuf_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)m, (void)key, (void)cpu, (void)mark;
  return NULL;
}
static int ringbuf_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)m, (void)key, (void)value, (void)flags;
  return -BPFSHIP_ENOTSUPP;
}
static int ringbuf_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  (void)m, (void)key, (void)value, (void)flags;
  return -BPFSHIP_ENOTSUPP;
}
static int ringbuf_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  (void)cpu;
  return ringbuf_sys_update(m, key, value, flags);
}
static int ringbuf_delete(bpfship_map *m, const void *key) {
  (void)m, (void)key;
  return -BPFSHIP_ENOTSUPP;
}
static int ringbuf_get_next_key(bpfship_map *m, const void *key, void *next) {
  (void)m, (void)key, (void)next;
  return -BPFSHIP_ENOTSUPP;
}

const map_ops bs_ringbuf_ops = {
    .check = ringbuf_check,
    .alloc = ringbuf_alloc,
    .free = ringbuf_free,
    .lookup = ringbuf_lookup,
    .update = ringbuf_update,
    .remove = ringbuf_delete,
    .get_next_key = ringbuf_get_next_key,
    .sys_lookup = ringbuf_sys_lookup,
    .sys_update = ringbuf_sys_update,
};

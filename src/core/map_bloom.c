/*
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a keyless set that answers "maybe present" or "certainly
 * absent". A push sets one bit per hash function; a peek answers 0 when all of the value's bits are set and -ENOENT
 * as soon as one is clear, so a value once pushed is always found (no false negatives) and nothing can be removed.
 *
 * Sizes and hashes follow Linux so that memory use and answers are comparable: map_extra's low 4 bits give the
 * number of hash functions (0 means 5); the bitmap holds max_entries * nr_hash_funcs / ln 2 bits (7/5 standing for
 * 1/ln 2), rounded up to a power of two and at least one 64-bit word, or 2^32 bits when that overflows; hash i of a
 * value is jhash(value, seed + i) masked to the bitmap. With BPF_F_ZERO_SEED the seed is 0 and the bits set are the
 * kernel's own on a little-endian machine (both builds are), so the same pushes give the same false positives as
 * Linux. Otherwise each map gets a random seed (bs_random_u32), as Linux does, so that nobody can pick values that
 * collide in a map they cannot see.
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct bloom_map {
  bpfship_map map;
  uint32_t bitset_mask; /* bits - 1 */
  uint32_t hash_seed;
  uint32_t nr_hash_funcs;
  uint32_t reserved;
  uint64_t *bitset; /* 64-bit words, as Linux's unsigned long bitmap on 64-bit machines */
} bloom_map;

#define KMALLOC_MAX_SIZE (1u << 22)
#define BLOOM_NR_HASH_MASK 0xfull
#define BLOOM_DEFAULT_NR_HASH 5u

static inline bloom_map *as_bloom(bpfship_map *m) { return (bloom_map *)m; }

/* ---- jhash (Bob Jenkins' lookup3, as include/linux/jhash.h uses it) ---- */

static inline uint32_t rol32(uint32_t x, unsigned r) { return (x << r) | (x >> (32u - r)); }

#define JHASH_MIX(a, b, c)                                                                                           \
  do {                                                                                                               \
    a -= c, a ^= rol32(c, 4), c += b;                                                                                \
    b -= a, b ^= rol32(a, 6), a += c;                                                                                \
    c -= b, c ^= rol32(b, 8), b += a;                                                                                \
    a -= c, a ^= rol32(c, 16), c += b;                                                                               \
    b -= a, b ^= rol32(a, 19), a += c;                                                                               \
    c -= b, c ^= rol32(b, 4), b += a;                                                                                \
  } while (0)

#define JHASH_FINAL(a, b, c)                                                                                         \
  do {                                                                                                               \
    c ^= b, c -= rol32(b, 14);                                                                                       \
    a ^= c, a -= rol32(c, 11);                                                                                       \
    b ^= a, b -= rol32(a, 25);                                                                                       \
    c ^= b, c -= rol32(b, 16);                                                                                       \
    a ^= c, a -= rol32(c, 4);                                                                                        \
    b ^= a, b -= rol32(a, 14);                                                                                       \
    c ^= b, c -= rol32(b, 24);                                                                                       \
  } while (0)

static inline uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * jhash over `len` bytes, words read little-endian. Linux hashes values whose size is a multiple of 4 with jhash2
 * (native u32 words) and the others with jhash (bytes); on a little-endian machine both give this same result,
 * because jhash2's initial length term (words << 2) is the byte length and its words are jhash's byte groups.
 */
static uint32_t bs_jhash(const uint8_t *k, uint32_t len, uint32_t initval) {
  uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + len + initval;
  /* 1. every 12-byte block but the last mixes into (a, b, c) */
  while (len > 12) {
    a += load_le32(k), b += load_le32(k + 4), c += load_le32(k + 8);
    JHASH_MIX(a, b, c);
    len -= 12, k += 12;
  }
  /* 2. the last 1..12 bytes are added byte by byte (little-endian places), then the final mix; none: c as is */
  if (len == 0) return c;
  uint32_t w[3] = {0, 0, 0};
  for (uint32_t i = 0; i < len; i++) w[i / 4] += (uint32_t)k[i] << (8 * (i % 4));
  a += w[0], b += w[1], c += w[2];
  JHASH_FINAL(a, b, c);
  return c;
}

/* ---- the map ---- */

/* bloom_map_alloc_check + the attribute checks of bloom_map_alloc, in Linux's order (E2BIG first). */
static int bloom_check(const bpfship_map_attr *a) {
  const uint32_t allowed = BPFSHIP_F_NUMA_NODE | BPFSHIP_F_ZERO_SEED | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY |
                           BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG;
  const uint32_t prog_access = BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG;
  if (a->value_size > KMALLOC_MAX_SIZE) return -BPFSHIP_E2BIG;
  if (a->key_size != 0 || a->value_size == 0 || a->max_entries == 0 || (a->map_flags & ~allowed) ||
      (a->map_flags & prog_access) == prog_access || (a->map_extra & ~BLOOM_NR_HASH_MASK))
    return -BPFSHIP_EINVAL;
  return 0;
}

/* Bitmap geometry as bloom_map_alloc computes it: *mask = bits - 1, *bytes = the bitmap's size in bytes. */
static void bloom_geometry(uint32_t max_entries, uint32_t nr_hash_funcs, uint32_t *mask, uint64_t *bytes) {
  uint64_t nr_bits = (uint64_t)max_entries * nr_hash_funcs;
  /* 1. n * k overflowing a u32, (n * k / 5) * 7 overflowing one, or more than 2^31 bits: 2^32 bits */
  if (nr_bits > 0xffffffffull || (nr_bits = nr_bits / 5 * 7) > 0xffffffffull || nr_bits > (1ull << 31)) {
    *mask = 0xffffffffu;
    *bytes = 1ull << 29;
    return;
  }
  /* 2. else at least one word, and a power of two so that a mask picks a bit */
  if (nr_bits <= 64) nr_bits = 64;
  else nr_bits = 1ull << (64 - __builtin_clzll(nr_bits - 1));
  *mask = (uint32_t)(nr_bits - 1);
  *bytes = nr_bits / 8;
}

static int bloom_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  uint32_t nr_hash = (uint32_t)(a->map_extra & BLOOM_NR_HASH_MASK);
  if (nr_hash == 0) nr_hash = BLOOM_DEFAULT_NR_HASH;
  uint32_t mask;
  uint64_t bytes;
  bloom_geometry(a->max_entries, nr_hash, &mask, &bytes);
  if (bytes > (uint64_t)SIZE_MAX / 2) return -BPFSHIP_ENOMEM; /* 512 MiB cannot be asked of a 32-bit build */
  bloom_map *b = bs_zalloc(sizeof *b);
  if (!b) return -BPFSHIP_ENOMEM;
  b->bitset = bs_zalloc((size_t)bytes);
  if (!b->bitset) {
    bs_free(b);
    return -BPFSHIP_ENOMEM;
  }
  bs_map_init_common(&b->map, a);
  b->nr_hash_funcs = nr_hash;
  b->bitset_mask = mask;
  b->hash_seed = (a->map_flags & BPFSHIP_F_ZERO_SEED) ? 0 : bs_random_u32();
  *out = &b->map;
  return 0;
}

static void bloom_free(bpfship_map *m) {
  bs_free(as_bloom(m)->bitset);
  bs_free(m);
}

static inline uint32_t bloom_bit(const bloom_map *b, const void *value, uint32_t i) {
  return bs_jhash(value, b->map.value_size, b->hash_seed + i) & b->bitset_mask;
}

/* Sets the value's bits. Atomic OR: native programs on several threads may push into one map at once. */
static int bloom_push(bpfship_map *m, const void *value, uint64_t flags) {
  bloom_map *b = as_bloom(m);
  if (flags != BPFSHIP_ANY) return -BPFSHIP_EINVAL;
  for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
    uint32_t h = bloom_bit(b, value, i);
    __atomic_fetch_or(&b->bitset[h / 64], 1ull << (h % 64), __ATOMIC_RELAXED);
  }
  return 0;
}

/* Peek (remove false): 0 when every bit of the value is set, else -ENOENT; `value` is read, never written.
 * Pop (remove true) has no meaning for a set that forgets nothing: -EOPNOTSUPP, as bloom_map_pop_elem. */
static int bloom_peek_or_pop(bpfship_map *m, void *value, bool remove) {
  bloom_map *b = as_bloom(m);
  if (remove) return -BPFSHIP_EOPNOTSUPP;
  for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
    uint32_t h = bloom_bit(b, value, i);
    if (!(__atomic_load_n(&b->bitset[h / 64], __ATOMIC_RELAXED) & (1ull << (h % 64)))) return -BPFSHIP_ENOENT;
  }
  return 0;
}

/* Keyed operations: programs must use push/peek (the verifier refuses the others); user space goes through
 * core.c, which sends lookup and update to peek and push. */
static void *bloom_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)m, (void)key, (void)cpu, (void)mark;
  return NULL;
}
static int bloom_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  (void)m, (void)key, (void)value, (void)flags, (void)cpu;
  return -BPFSHIP_EINVAL;
}
static int bloom_delete(bpfship_map *m, const void *key) {
  (void)m, (void)key;
  return -BPFSHIP_EOPNOTSUPP;
}
static int bloom_get_next_key(bpfship_map *m, const void *key, void *next) {
  (void)m, (void)key, (void)next;
  return -BPFSHIP_EOPNOTSUPP;
}

const map_ops bs_bloom_filter_ops = {
    .check = bloom_check,
    .alloc = bloom_alloc,
    .free = bloom_free,
    .lookup = bloom_lookup,
    .update = bloom_update,
    .remove = bloom_delete,
    .get_next_key = bloom_get_next_key,
    .push = bloom_push,
    .pop = bloom_peek_or_pop,
};

/* For the C tests: the bitmap's size in bits and the number of hash functions. */
int bpfship_bloom_geometry(const bpfship_map *map, uint64_t *bits, uint32_t *nr_hash_funcs) {
  if (!map || map->map_type != BPFSHIP_MAP_TYPE_BLOOM_FILTER) return -BPFSHIP_EINVAL;
  const bloom_map *b = (const bloom_map *)map;
  if (bits) *bits = (uint64_t)b->bitset_mask + 1;
  if (nr_hash_funcs) *nr_hash_funcs = b->nr_hash_funcs;
  return 0;
}

uint32_t bpfship_jhash(const void *data, uint32_t len, uint32_t initval) { return bs_jhash(data, len, initval); }

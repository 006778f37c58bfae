/* Bloom filter maps: creation rules (map_extra, flags), Linux's bitmap sizes, jhash against lookup3's published
 * values, no false negatives through the helpers and the user-space calls, and the operations a bloom filter
 * refuses.
 * Author: Claude.
 */
#include "test.h"

static int bloom_create(uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags,
                        uint64_t map_extra, bpfship_map **out) {
  bpfship_map_attr a = {BPFSHIP_MAP_TYPE_BLOOM_FILTER, key_size, value_size, max_entries, flags, 0, -1, 0,
                        map_extra, "bloom"};
  *out = NULL;
  return bpfship_map_create(&a, out);
}

static int bloom_err(uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags,
                     uint64_t map_extra) {
  bpfship_map *m;
  int err = bloom_create(key_size, value_size, max_entries, flags, map_extra, &m);
  if (m) bpfship_map_release(m);
  return err;
}

static void bloom_creation(void) {
  CHECK_EQ(bloom_err(0, 4, 100, 0, 0), 0);
  CHECK_EQ(bloom_err(0, 4, 100, 0, 15), 0);
  CHECK_EQ(bloom_err(4, 4, 100, 0, 3), -BPFSHIP_EINVAL);  /* keyless */
  CHECK_EQ(bloom_err(0, 0, 100, 0, 3), -BPFSHIP_EINVAL);  /* a value to hash */
  CHECK_EQ(bloom_err(0, 4, 0, 0, 3), -BPFSHIP_EINVAL);    /* max_entries > 0 */
  CHECK_EQ(bloom_err(0, 4, 100, 0, 16), -BPFSHIP_EINVAL); /* only the low 4 bits of map_extra mean something */
  CHECK_EQ(bloom_err(0, 4, 100, 0, 1ull << 40), -BPFSHIP_EINVAL);
  CHECK_EQ(bloom_err(0, (1u << 22) + 1, 100, 0, 3), -BPFSHIP_E2BIG); /* checked before the key size */
  CHECK_EQ(bloom_err(4, (1u << 22) + 1, 100, 0, 3), -BPFSHIP_E2BIG);
  CHECK_EQ(bloom_err(0, 4, 100, BPFSHIP_F_ZERO_SEED | BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY_PROG, 3), 0);
  CHECK_EQ(bloom_err(0, 4, 100, BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY, 3), -BPFSHIP_EINVAL);
  CHECK_EQ(bloom_err(0, 4, 100, BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG, 3), -BPFSHIP_EINVAL);
  CHECK_EQ(bloom_err(0, 4, 100, BPFSHIP_F_NO_PREALLOC, 3), -BPFSHIP_EINVAL);
  CHECK_EQ(bloom_err(0, 4, 100, BPFSHIP_F_MMAPABLE, 3), -BPFSHIP_EINVAL);
  /* map_extra stays refused for every other type */
  bpfship_map_attr q = {BPFSHIP_MAP_TYPE_QUEUE, 0, 4, 4, 0, 0, -1, 0, 3, "q"};
  bpfship_map *m = NULL;
  CHECK_EQ(bpfship_map_create(&q, &m), -BPFSHIP_EINVAL);
}

/* bitmap bits for (max_entries, map_extra): n * k * 7 / 5 up to a power of two, at least 64, 2^32 on overflow */
static void bloom_sizes(void) {
  static const struct {
    uint32_t max_entries;
    uint64_t map_extra;
    uint64_t bits;
    uint32_t nr_hash;
  } cases[] = {
      {1, 1, 64, 1},           /* 1 * 1 / 5 * 7 = 0: one word */
      {9, 5, 64, 5},           /* 45 / 5 * 7 = 63 */
      {10, 5, 128, 5},         /* 70 */
      {1000, 3, 8192, 3},      /* 3000 / 5 * 7 = 4200 */
      {1000, 0, 8192, 5},      /* 7000 */
      {1u << 20, 15, 1ull << 25, 15},
      {0xffffffffu, 1, 1ull << 32, 1}, /* n * k fits, / 5 * 7 does not */
      {0x80000000u, 2, 1ull << 32, 2}, /* n * k overflows */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bpfship_map *m;
    int err = bloom_create(0, 4, cases[i].max_entries, BPFSHIP_F_ZERO_SEED, cases[i].map_extra, &m);
    if (err == -BPFSHIP_ENOMEM && cases[i].bits > (1ull << 30)) continue; /* 512 MiB may not be there */
    CHECK_EQ(err, 0);
    if (err) continue;
    uint64_t bits = 0;
    uint32_t nr = 0;
    CHECK_EQ(bpfship_bloom_geometry(m, &bits, &nr), 0);
    CHECK_EQ(bits, cases[i].bits);
    CHECK_EQ(nr, cases[i].nr_hash);
    bpfship_map_release(m);
  }
}

/* lookup3.c's self-test values for hashlittle, which Linux's jhash is. */
static void bloom_jhash(void) {
  const char *s = "Four score and seven years ago";
  CHECK_EQ(bpfship_jhash("", 0, 0), 0xdeadbeefu);
  CHECK_EQ(bpfship_jhash("", 0, 0xdeadbeefu), 0xbd5b7ddeu);
  CHECK_EQ(bpfship_jhash(s, 30, 0), 0x17770551u);
  CHECK_EQ(bpfship_jhash(s, 30, 1), 0xcd628161u);
}

static void bloom_operations(void) {
  bpfship_map *b, *z1, *z2;
  if (bloom_create(0, 4, 1000, 0, 3, &b) || bloom_create(0, 6, 50, BPFSHIP_F_ZERO_SEED, 0, &z1) ||
      bloom_create(0, 6, 50, BPFSHIP_F_ZERO_SEED, 0, &z2)) {
    CHECK(0);
    return;
  }
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  uint32_t v;
  /* program side: push (87), peek (89); an empty filter holds nothing */
  v = 7;
  CHECK_EQ(call_helper(89, P(b), P(&v), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_ENOENT);
  int all_pushed = 1, none_missing = 1;
  for (v = 0; v < 1000; v += 2) all_pushed &= call_helper(87, P(b), P(&v), BPFSHIP_ANY, 0, 0, &ctx) == 0;
  for (v = 0; v < 1000; v += 2) none_missing &= call_helper(89, P(b), P(&v), 0, 0, 0, &ctx) == 0;
  CHECK(all_pushed);
  CHECK(none_missing);
  CHECK_EQ(v, 1000); /* peek leaves the value alone */
  /* odd values were never pushed: with 3 hashes over 8192 bits and 500 values, few false positives */
  int maybe = 0;
  for (v = 1; v < 1000; v += 2) maybe += call_helper(89, P(b), P(&v), 0, 0, 0, &ctx) == 0;
  CHECK(maybe < 100);
  v = 1;
  CHECK_EQ(call_helper(87, P(b), P(&v), BPFSHIP_EXIST, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(87, P(b), P(&v), BPFSHIP_NOEXIST, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(88, P(b), P(&v), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EOPNOTSUPP);
  CHECK_EQ(call_helper(1, P(b), P(&v), 0, 0, 0, &ctx), 0); /* a lookup finds no value pointer */

  /* user space: update adds, lookup tests (the value is an input), the rest is refused */
  v = 123457;
  CHECK_EQ(bpfship_map_update(b, NULL, &v, BPFSHIP_ANY), 0);
  CHECK_EQ(bpfship_map_lookup(b, NULL, &v, 0), 0);
  CHECK_EQ(v, 123457);
  CHECK_EQ(bpfship_map_update(b, NULL, &v, BPFSHIP_NOEXIST), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_update(b, NULL, &v, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_lookup(b, NULL, &v, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_delete(b, NULL), -BPFSHIP_EOPNOTSUPP);
  uint32_t next;
  CHECK_EQ(bpfship_map_get_next_key(b, NULL, &next), -BPFSHIP_EOPNOTSUPP);
  CHECK_EQ(bpfship_map_lookup_and_delete(b, NULL, &v, 0), -BPFSHIP_ENOTSUPP);
  uint32_t count = 4;
  CHECK_EQ(bpfship_map_lookup_batch(b, NULL, &next, &v, &v, &count, 0), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(bpfship_map_freeze(b), 0);
  CHECK_EQ(bpfship_map_update(b, NULL, &v, BPFSHIP_ANY), -BPFSHIP_EPERM);
  CHECK_EQ(call_helper(87, P(b), P(&v), BPFSHIP_ANY, 0, 0, &ctx), 0); /* programs still may */

  /* BPF_F_ZERO_SEED: two maps of one shape answer alike, false positives included (6-byte values: the byte path) */
  int same = 1, found = 1;
  unsigned char val[6] = {0};
  for (uint32_t i = 0; i < 60; i++) {
    memcpy(val, &i, 4);
    found &= bpfship_map_update(z1, NULL, val, 0) == 0 && bpfship_map_update(z2, NULL, val, 0) == 0;
  }
  int fp = 0;
  for (uint32_t i = 0; i < 2000; i++) {
    memcpy(val, &i, 4);
    val[5] = 0x5a;
    int a = bpfship_map_lookup(z1, NULL, val, 0), c = bpfship_map_lookup(z2, NULL, val, 0);
    same &= a == c;
    fp += a == 0;
  }
  CHECK(found);
  CHECK(same);
  CHECK(fp > 0); /* 60 values in a 512-bit, 5-hash filter: it is crowded */
  bpfship_map_info info;
  CHECK_EQ(bpfship_map_get_info(z1, &info), 0);
  CHECK_EQ(info.key_size, 0);
  CHECK_EQ(info.user_value_size, 6);
  bpfship_map_release(b);
  bpfship_map_release(z1);
  bpfship_map_release(z2);
}

/* Without BPF_F_ZERO_SEED each map draws its own seed: two maps of one shape given the same values disagree on
 * some values never added (their false positives fall on other values), and neither misses a value added. */
static void bloom_random_seeds(void) {
  bpfship_map *s1, *s2;
  if (bloom_create(0, 4, 50, 0, 0, &s1) || bloom_create(0, 4, 50, 0, 0, &s2)) {
    CHECK(0);
    return;
  }
  int found = 1, differ = 0;
  for (uint32_t v = 0; v < 60; v++) {
    found &= bpfship_map_update(s1, NULL, &v, 0) == 0 && bpfship_map_update(s2, NULL, &v, 0) == 0;
    found &= bpfship_map_lookup(s1, NULL, &v, 0) == 0 && bpfship_map_lookup(s2, NULL, &v, 0) == 0;
  }
  /* 60 values in a 512-bit, 5-hash filter: about a third of other values are false positives in each; with the
   * same seed the two sets would be equal, with different seeds they all but surely are not. */
  for (uint32_t v = 1000; v < 3000; v++) {
    uint32_t a = v, c = v;
    differ += (bpfship_map_lookup(s1, NULL, &a, 0) == 0) != (bpfship_map_lookup(s2, NULL, &c, 0) == 0);
  }
  CHECK(found);
  CHECK(differ > 0);
  bpfship_map_release(s1);
  bpfship_map_release(s2);
}

void suite_bloom(void) {
  bloom_creation();
  bloom_sizes();
  bloom_jhash();
  bloom_operations();
  bloom_random_seeds();
}

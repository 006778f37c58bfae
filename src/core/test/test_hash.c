/* Hash maps: creation checks, full maps, flags and errno cases, deletion during iteration, per-CPU values,
 * lookup_and_delete, for_each with deletion; and the LRU flavours' eviction order.
 *
 * Author: Claude.
 */
#include "test.h"

static void creation(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 8, 16, 0), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 0, 8, 16, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 0, 16, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 8, 0, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 8, 16, BPFSHIP_F_NO_PREALLOC), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 8, 16, BPFSHIP_F_MMAPABLE), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 8, 16, BPFSHIP_F_NO_COMMON_LRU), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LRU_HASH, 4, 8, 16, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LRU_HASH, 4, 8, 16, BPFSHIP_F_NO_COMMON_LRU), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PERCPU_HASH, 4, 8, 16, BPFSHIP_F_NUMA_NODE), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_HASH, 4, 1u << 22, 16, 0), -BPFSHIP_E2BIG);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PERCPU_HASH, 4, 40000, 16, 0), -BPFSHIP_E2BIG);
  /* BPF_F_NO_COMMON_LRU rounds max_entries up to a multiple of the CPU count (4 here) */
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_LRU_HASH, 4, 8, 5, BPFSHIP_F_NO_COMMON_LRU);
  if (m) {
    bpfship_map_info info;
    bpfship_map_get_info(m, &info);
    CHECK_EQ(info.max_entries, 8);
    bpfship_map_release(m);
  }
}

static void full_and_flags(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_HASH, 4, 8, 4, 0);
  if (!m) return;
  uint64_t v = 1, out;
  for (uint32_t k = 0; k < 4; k++) CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_NOEXIST), 0);
  uint32_t k = 100;
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_ANY), -BPFSHIP_E2BIG); /* full */
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_EXIST), -BPFSHIP_ENOENT);
  k = 2;
  v = 22;
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_ANY), 0); /* replacing in a full map works */
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_EXIST), 0);
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_update(m, &k, &v, 3), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), 0);
  CHECK_EQ(out, 22);
  CHECK_EQ(bpfship_map_delete(m, &k), 0);
  CHECK_EQ(bpfship_map_delete(m, &k), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  k = 100;
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_ANY), 0); /* room again */
  bpfship_map_info info;
  bpfship_map_get_info(m, &info);
  CHECK_EQ(info.entries, 4);
  CHECK_EQ(bpfship_map_lookup_and_delete(m, &k, &out, 0), 0);
  CHECK_EQ(out, 22);
  CHECK_EQ(bpfship_map_lookup_and_delete(m, &k, &out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_lookup_and_delete(m, &k, &out, 2), -BPFSHIP_EINVAL);
  /* helpers return the same codes */
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(call_helper(3, P(m), P(&k), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_ENOENT);
  CHECK_EQ(call_helper(2, P(m), P(&k), P(&v), BPFSHIP_EXIST, 0, &ctx), (uint64_t)-BPFSHIP_ENOENT);
  CHECK_EQ(call_helper(2, P(m), P(&k), P(&v), BPFSHIP_NOEXIST, 0, &ctx), 0);
  uint64_t *p = (uint64_t *)(uintptr_t)call_helper(1, P(m), P(&k), 0, 0, 0, &ctx);
  CHECK(p && *p == 22);
  bpfship_map_release(m);
}

static void iteration(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_HASH, 4, 4, 64, 0);
  if (!m) return;
  for (uint32_t k = 0; k < 50; k++) bpfship_map_update(m, &k, &k, 0);
  /* a full walk sees every key once */
  uint32_t key, next, seen = 0, sum = 0;
  int err = bpfship_map_get_next_key(m, NULL, &key);
  while (err == 0) {
    seen++;
    sum += key;
    err = bpfship_map_get_next_key(m, &key, &next);
    key = next;
  }
  CHECK_EQ(err, -BPFSHIP_ENOENT);
  CHECK_EQ(seen, 50);
  CHECK_EQ(sum, 49 * 50 / 2);
  /* an absent key restarts at the first key (Linux's behaviour) */
  uint32_t first, absent = 1000;
  bpfship_map_get_next_key(m, NULL, &first);
  CHECK_EQ(bpfship_map_get_next_key(m, &absent, &next), 0);
  CHECK_EQ(next, first);
  /* deleting while iterating: get the next key, then delete the current one */
  seen = 0;
  err = bpfship_map_get_next_key(m, NULL, &key);
  while (err == 0) {
    err = bpfship_map_get_next_key(m, &key, &next);
    CHECK_EQ(bpfship_map_delete(m, &key), 0);
    seen++;
    key = next;
  }
  CHECK_EQ(seen, 50);
  CHECK_EQ(bpfship_map_get_next_key(m, NULL, &key), -BPFSHIP_ENOENT);
  /* deleting the current key first restarts the walk each time, which still terminates */
  for (uint32_t k = 0; k < 10; k++) bpfship_map_update(m, &k, &k, 0);
  seen = 0;
  err = bpfship_map_get_next_key(m, NULL, &key);
  while (err == 0 && seen < 100) {
    bpfship_map_delete(m, &key);
    err = bpfship_map_get_next_key(m, &key, &next);
    key = next;
    seen++;
  }
  CHECK_EQ(seen, 10);
  bpfship_map_release(m);
}

static uint64_t delete_cb(uint64_t map, uint64_t key, uint64_t value, uint64_t cb_ctx, uint64_t r5,
                          bpfship_run_ctx *ctx) {
  (void)value, (void)r5;
  uint32_t *n = (uint32_t *)(uintptr_t)cb_ctx;
  (*n)++;
  /* delete every element as we see it */
  return call_helper(3, map, key, 0, 0, 0, ctx) != 0;
}

static void for_each_delete(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_HASH, 8, 8, 32, 0);
  if (!m) return;
  for (uint64_t k = 0; k < 20; k++) bpfship_map_update(m, &k, &k, 0);
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  uint32_t n = 0;
  CHECK_EQ(call_helper(164, P(m), P(delete_cb), P(&n), 0, 0, &ctx), 20);
  CHECK_EQ(n, 20);
  uint64_t key;
  CHECK_EQ(bpfship_map_get_next_key(m, NULL, &key), -BPFSHIP_ENOENT);
  bpfship_map_release(m);
}

static void percpu_hash(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_PERCPU_HASH, 4, 12, 8, 0);
  if (!m) return;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 1);
  uint32_t k = 5, v[3] = {7, 8, 9};
  /* a program's insert sets its CPU's value and zeroes the others */
  CHECK_EQ(call_helper(2, P(m), P(&k), P(v), 0, 0, &ctx), 0);
  uint32_t view[16]; /* 4 CPUs x round_up(12, 8) = 64 bytes */
  memset(view, 0xff, sizeof view);
  CHECK_EQ(bpfship_map_lookup(m, &k, view, 0), 0);
  CHECK_EQ(view[0], 0);
  CHECK_EQ(view[4], 7);
  CHECK_EQ(view[6], 9);
  CHECK_EQ(view[8], 0);
  uint32_t *p = (uint32_t *)(uintptr_t)call_helper(1, P(m), P(&k), 0, 0, 0, &ctx);
  CHECK(p && p[1] == 8);
  CHECK_EQ(call_helper(2, P(m), P(&k), P(v), BPFSHIP_F_LOCK, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  /* user space writes all CPUs */
  for (int i = 0; i < 16; i++) view[i] = (uint32_t)i;
  CHECK_EQ(bpfship_map_update(m, &k, view, BPFSHIP_EXIST), 0);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 3);
  p = (uint32_t *)(uintptr_t)call_helper(1, P(m), P(&k), 0, 0, 0, &ctx);
  CHECK(p && p[0] == 12);
  uint32_t out[16];
  CHECK_EQ(bpfship_map_lookup_and_delete(m, &k, out, 0), 0);
  CHECK_EQ(out[13], 13);
  CHECK_EQ(bpfship_map_lookup(m, &k, out, 0), -BPFSHIP_ENOENT);
  bpfship_map_release(m);
}

static void lru_order(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_LRU_HASH, 4, 4, 4, 0);
  if (!m) return;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  uint32_t out;
  for (uint32_t k = 1; k <= 4; k++) CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  /* a program touches key 1: it gets a second chance; key 2 is the least recently used untouched one */
  uint32_t k = 1;
  CHECK(call_helper(1, P(m), P(&k), 0, 0, 0, &ctx) != 0);
  k = 5;
  CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  k = 2;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  k = 1;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), 0);
  /* user-space lookups do not count as use: key 3 goes next even though we just read it */
  k = 3;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), 0);
  k = 6;
  CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  k = 3;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  /* then 4, then 1 (its reference was used up by the first scan), then 5 */
  k = 7;
  CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  k = 4;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  k = 8;
  CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  k = 1;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  bpfship_map_info info;
  bpfship_map_get_info(m, &info);
  CHECK_EQ(info.entries, 4);
  /* updating an existing key is a use too */
  k = 5;
  CHECK_EQ(bpfship_map_update(m, &k, &k, BPFSHIP_EXIST), 0);
  k = 9;
  CHECK_EQ(bpfship_map_update(m, &k, &k, 0), 0);
  k = 5;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), 0);
  k = 6;
  CHECK_EQ(bpfship_map_lookup(m, &k, &out, 0), -BPFSHIP_ENOENT);
  /* flags */
  CHECK_EQ(bpfship_map_update(m, &k, &k, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_update(m, &k, &k, BPFSHIP_EXIST), -BPFSHIP_ENOENT);
  bpfship_map_release(m);

  /* LRU per-CPU: same eviction, per-CPU values */
  m = make_map(BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2, 0);
  if (!m) return;
  uint64_t vals[4] = {1, 2, 3, 4};
  for (k = 1; k <= 3; k++) CHECK_EQ(bpfship_map_update(m, &k, vals, 0), 0);
  k = 1;
  CHECK_EQ(bpfship_map_lookup(m, &k, vals, 0), -BPFSHIP_ENOENT);
  k = 3;
  CHECK_EQ(bpfship_map_lookup(m, &k, vals, 0), 0);
  CHECK_EQ(vals[3], 4);
  bpfship_map_release(m);
}

void suite_hash(void) {
  creation();
  full_and_flags();
  iteration();
  for_each_delete();
  percpu_hash();
}

void suite_lru(void) { lru_order(); }

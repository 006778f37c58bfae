/* Array-shaped maps: array, percpu_array, prog_array, perf_event_array, devmap: creation checks, errno cases,
 * per-CPU views, iteration.
 *
 * Author: Claude.
 */
#include "test.h"

static void creation(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, 0), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 8, 8, 16, 0), -BPFSHIP_EINVAL);  /* key must be u32 */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 0, 16, 0), -BPFSHIP_EINVAL);  /* empty value */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 0, 0), -BPFSHIP_EINVAL);   /* no entries */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, BPFSHIP_F_MMAPABLE), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, BPFSHIP_F_MMAPABLE), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, BPFSHIP_F_PRESERVE_ELEMS), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG),
           -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 16, BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 4, 0), -BPFSHIP_E2BIG);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0), -BPFSHIP_EINVAL); /* fd arrays hold u32 */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PROG_ARRAY, 4, 4, 4, BPFSHIP_F_RDONLY_PROG), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, BPFSHIP_F_PRESERVE_ELEMS), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_DEVMAP, 4, 6, 4, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_DEVMAP, 4, 8, 4, 0), 0);
  CHECK_EQ(create_err(99, 4, 8, 4, 0), -BPFSHIP_EINVAL);
  bpfship_map_attr a = {BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 4, 0, 0, 2, 0, 0, ""};
  bpfship_map *m = NULL;
  CHECK_EQ(bpfship_map_create(&a, &m), -BPFSHIP_EINVAL); /* spin lock must be 4-aligned */
  a.spin_lock_off = 6;
  CHECK_EQ(bpfship_map_create(&a, &m), -BPFSHIP_EINVAL); /* and fit */
  a.map_type = BPFSHIP_MAP_TYPE_PERCPU_ARRAY;
  a.spin_lock_off = 0;
  CHECK_EQ(bpfship_map_create(&a, &m), -BPFSHIP_EOPNOTSUPP);
  a.spin_lock_off = -1;
  a.map_extra = 1;
  CHECK_EQ(bpfship_map_create(&a, &m), -BPFSHIP_EINVAL);
}

static void array_ops(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 12, 4, 0);
  if (!m) return;
  uint32_t k = 2, next;
  unsigned char v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, out[12];
  CHECK_EQ(bpfship_map_lookup(m, &k, out, 0), 0);
  CHECK_EQ(out[0], 0); /* arrays start zeroed */
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_ANY), 0);
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_EXIST), 0);
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_update(m, &k, v, 3), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL); /* no spin lock in the value */
  k = 4;
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_ANY), -BPFSHIP_E2BIG);
  CHECK_EQ(bpfship_map_lookup(m, &k, out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_lookup(m, &k, out, 8), -BPFSHIP_EINVAL);
  k = 2;
  CHECK_EQ(bpfship_map_lookup(m, &k, out, 0), 0);
  CHECK(memcmp(out, v, 12) == 0);
  CHECK_EQ(bpfship_map_delete(m, &k), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_lookup_and_delete(m, &k, out, 0), -BPFSHIP_ENOTSUPP);
  /* get_next_key: NULL and out-of-range keys restart at 0; the last key ends the walk */
  CHECK_EQ(bpfship_map_get_next_key(m, NULL, &next), 0);
  CHECK_EQ(next, 0);
  k = 1;
  CHECK_EQ(bpfship_map_get_next_key(m, &k, &next), 0);
  CHECK_EQ(next, 2);
  k = 3;
  CHECK_EQ(bpfship_map_get_next_key(m, &k, &next), -BPFSHIP_ENOENT);
  k = 77;
  CHECK_EQ(bpfship_map_get_next_key(m, &k, &next), 0);
  CHECK_EQ(next, 0);
  /* the program sees the same bytes, 8-aligned */
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  k = 2;
  unsigned char *p = bpfship_map_lookup_elem(m, &k, &ctx);
  CHECK(p != NULL && p[11] == 12 && ((uintptr_t)p & 7) == 0);
  CHECK(p == bpfship_map_value_addr(m, 2, 0));
  CHECK(bpfship_map_value_addr(m, 4, 0) == NULL);
  k = 9;
  CHECK(bpfship_map_lookup_elem(m, &k, &ctx) == NULL);
  /* freeze and access flags */
  CHECK_EQ(bpfship_map_freeze(m), 0);
  CHECK_EQ(bpfship_map_freeze(m), -BPFSHIP_EBUSY);
  CHECK_EQ(bpfship_map_update(m, &k, v, 0), -BPFSHIP_EPERM);
  CHECK_EQ(call_helper(2, P(m), P(&k), P(v), 0, 0, &ctx), (uint64_t)-BPFSHIP_E2BIG); /* programs still write */
  bpfship_map_release(m);
  m = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 4, 2, BPFSHIP_F_WRONLY);
  if (m) {
    CHECK_EQ(bpfship_map_lookup(m, &k, out, 0), -BPFSHIP_EPERM);
    CHECK_EQ(bpfship_map_get_next_key(m, NULL, &next), -BPFSHIP_EPERM);
    bpfship_map_release(m);
  }
}

static void spin_lock_values(void) {
  bpfship_map_attr a = {BPFSHIP_MAP_TYPE_ARRAY, 4, 16, 2, 0, 0, 4, 0, 0, "locked"};
  bpfship_map *m = NULL;
  CHECK_EQ(bpfship_map_create(&a, &m), 0);
  if (!m) return;
  uint32_t k = 0;
  uint32_t v[4] = {11, 0xdead, 33, 44}, out[4];
  CHECK_EQ(bpfship_map_update(m, &k, v, BPFSHIP_F_LOCK), 0);
  uint32_t *p = bpfship_map_value_addr(m, 0, 0);
  CHECK_EQ(p[1], 0); /* the lock word is never copied in */
  p[1] = 1;          /* pretend a program holds... no: released */
  p[1] = 0;
  CHECK_EQ(bpfship_map_lookup(m, &k, out, BPFSHIP_F_LOCK), 0);
  CHECK_EQ(out[0], 11);
  CHECK_EQ(out[1], 0);
  CHECK_EQ(out[3], 44);
  bpfship_map_release(m);
}

static void percpu(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
  if (!m) return;
  bpfship_map_info info;
  bpfship_map_get_info(m, &info);
  CHECK_EQ(info.user_value_size, 4 * 8); /* round_up(4, 8) per possible CPU */
  uint32_t k = 1;
  bpfship_run_ctx ctx;
  for (uint32_t cpu = 0; cpu < 4; cpu++) {
    init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, cpu);
    uint32_t *p = bpfship_map_lookup_elem(m, &k, &ctx);
    CHECK(p != NULL);
    if (p) *p = 100 + cpu;
  }
  uint32_t view[8];
  CHECK_EQ(bpfship_map_lookup(m, &k, view, 0), 0);
  CHECK_EQ(view[0], 100);
  CHECK_EQ(view[2], 101);
  CHECK_EQ(view[6], 103);
  /* user-space update writes every CPU's slot */
  uint32_t in[8] = {1, 0, 2, 0, 3, 0, 4, 0};
  CHECK_EQ(bpfship_map_update(m, &k, in, BPFSHIP_ANY), 0);
  CHECK_EQ(bpfship_map_update(m, &k, in, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_update(m, &k, in, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 2);
  uint32_t *p = bpfship_map_lookup_elem(m, &k, &ctx);
  CHECK(p && *p == 3);
  /* bpf_map_lookup_percpu_elem reaches another CPU; a CPU past ncpus gives NULL */
  uint32_t *q = (uint32_t *)(uintptr_t)call_helper(195, P(m), P(&k), 3, 0, 0, &ctx);
  CHECK(q && *q == 4);
  CHECK_EQ(call_helper(195, P(m), P(&k), 4, 0, 0, &ctx), 0);
  /* a program update touches only its CPU */
  uint32_t nv = 77;
  CHECK_EQ(call_helper(2, P(m), P(&k), P(&nv), 0, 0, &ctx), 0);
  CHECK_EQ(bpfship_map_lookup(m, &k, view, 0), 0);
  CHECK_EQ(view[0], 1);
  CHECK_EQ(view[4], 77);
  k = 2;
  CHECK_EQ(bpfship_map_lookup(m, &k, view, 0), -BPFSHIP_ENOENT);
  bpfship_map_release(m);
}

static void fd_arrays(void) {
  bpfship_map *pa = make_map(BPFSHIP_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
  if (!pa) return;
  uint32_t k = 1, id = 7, out;
  CHECK_EQ(bpfship_map_update(pa, &k, &id, BPFSHIP_NOEXIST), -BPFSHIP_EINVAL); /* BPF_ANY only */
  CHECK_EQ(bpfship_map_update(pa, &k, &id, BPFSHIP_ANY), 0);
  CHECK_EQ(bpfship_map_lookup(pa, &k, &out, 0), 0);
  CHECK_EQ(out, 7);
  k = 4;
  CHECK_EQ(bpfship_map_update(pa, &k, &id, BPFSHIP_ANY), -BPFSHIP_E2BIG);
  CHECK_EQ(bpfship_map_delete(pa, &k), -BPFSHIP_E2BIG);
  k = 2;
  CHECK_EQ(bpfship_map_delete(pa, &k), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_lookup(pa, &k, &out, 0), -BPFSHIP_ENOENT);
  k = 1;
  CHECK_EQ(bpfship_map_delete(pa, &k), 0);
  uint32_t keys[4], vals[4], cnt = 4;
  CHECK_EQ(bpfship_map_lookup_batch(pa, NULL, NULL, keys, vals, &cnt, 0), -BPFSHIP_ENOTSUPP);
  bpfship_map_release(pa);

  bpfship_map *pe = make_map(BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0);
  if (!pe) return;
  CHECK_EQ(bpfship_map_update(pe, &k, &id, 0), 0);
  CHECK_EQ(bpfship_map_lookup(pe, &k, &out, 0), -BPFSHIP_ENOTSUPP);
  bpfship_map_release(pe);

  bpfship_map *dm = make_map(BPFSHIP_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
  if (!dm) return;
  uint32_t ifindex = 3;
  CHECK_EQ(bpfship_map_lookup(dm, &k, &out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_update(dm, &k, &ifindex, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_update(dm, &k, &ifindex, 0), 0);
  CHECK_EQ(bpfship_map_lookup(dm, &k, &out, 0), 0);
  CHECK_EQ(out, 3);
  k = 9;
  CHECK_EQ(bpfship_map_delete(dm, &k), -BPFSHIP_EINVAL);
  k = 2;
  CHECK_EQ(bpfship_map_delete(dm, &k), 0); /* deleting an empty slot is fine for a devmap */
  bpfship_map_release(dm);
}

static uint64_t count_cb(uint64_t map, uint64_t key, uint64_t value, uint64_t cb_ctx, uint64_t r5,
                         bpfship_run_ctx *ctx) {
  (void)map, (void)value, (void)r5, (void)ctx;
  uint32_t *seen = (uint32_t *)(uintptr_t)cb_ctx;
  seen[0] += *(uint32_t *)(uintptr_t)key;
  seen[1]++;
  return *(uint32_t *)(uintptr_t)key == 2; /* stop after key 2 */
}

static void for_each(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 4, 5, 0);
  if (!m) return;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  uint32_t seen[2] = {0, 0};
  CHECK_EQ(call_helper(164, P(m), P(count_cb), P(seen), 0, 0, &ctx), 3);
  CHECK_EQ(seen[0], 0 + 1 + 2);
  CHECK_EQ(seen[1], 3);
  CHECK_EQ(call_helper(164, P(m), P(count_cb), P(seen), 1, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  bpfship_map_release(m);
}

void suite_array(void) {
  creation();
  array_ops();
  spin_lock_values();
  percpu();
  fd_arrays();
  for_each();
}

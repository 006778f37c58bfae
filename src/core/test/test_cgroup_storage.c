/* Cgroup storage maps: Linux's creation rules (key sizes 16 and 8, value size limits, max_entries 0, flags), the
 * empty user-space view a map with no attached cgroup has, and bpf_get_local_storage's storage per test run:
 * zeroed for each new run context, shared by the runs that keep one, one copy per CPU for the per-CPU type.
 * Author: Claude.
 */
#include "test.h"

#define CGS BPFSHIP_MAP_TYPE_CGROUP_STORAGE
#define PCGS BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE

/* The errnos Linux 6.18 gave for the same attributes (measured with BPF_MAP_CREATE). */
static void cgroup_storage_creation(void) {
  for (int percpu = 0; percpu < 2; percpu++) {
    uint32_t t = percpu ? PCGS : CGS;
    uint32_t max_value = percpu ? 32768 : 65407;
    CHECK_EQ(create_err(t, 16, 8, 0, 0), 0); /* struct bpf_cgroup_storage_key */
    CHECK_EQ(create_err(t, 8, 8, 0, 0), 0);  /* the cgroup id alone */
    CHECK_EQ(create_err(t, 12, 8, 0, 0), -BPFSHIP_EINVAL); /* the key struct unpadded is not its size */
    CHECK_EQ(create_err(t, 4, 8, 0, 0), -BPFSHIP_EINVAL);
    CHECK_EQ(create_err(t, 16, 0, 0, 0), -BPFSHIP_EINVAL);
    CHECK_EQ(create_err(t, 16, 8, 1, 0), -BPFSHIP_EINVAL); /* max_entries is per cgroup: must be 0 */
    CHECK_EQ(create_err(t, 16, max_value, 0, 0), 0);
    CHECK_EQ(create_err(t, 16, max_value + 1, 0, 0), -BPFSHIP_E2BIG);
    CHECK_EQ(create_err(t, 16, max_value + 1, 0, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_E2BIG); /* size before flags */
    CHECK_EQ(create_err(t, 4, max_value + 1, 0, 0), -BPFSHIP_EINVAL);                    /* key before size */
    CHECK_EQ(create_err(t, 16, 8, 0, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
    CHECK_EQ(create_err(t, 16, 8, 0, BPFSHIP_F_RDONLY), 0);
    CHECK_EQ(create_err(t, 16, 8, 0, BPFSHIP_F_RDONLY_PROG), 0);
    CHECK_EQ(create_err(t, 16, 8, 0, BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY), -BPFSHIP_EINVAL);
    CHECK_EQ(create_err(t, 16, 8, 0, BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG), -BPFSHIP_EINVAL);
  }
}

/* What user space sees: nothing (Linux links storages into the map only when a program is attached to a cgroup). */
static void cgroup_storage_user_view(void) {
  for (int percpu = 0; percpu < 2; percpu++) {
    bpfship_map *m = make_map(percpu ? PCGS : CGS, 16, 8, 0, 0);
    if (!m) return;
    uint8_t key[16] = {0}, next[16], value[8 * 1024] = {0};
    CHECK_EQ(bpfship_map_lookup(m, key, value, 0), -BPFSHIP_ENOENT);
    CHECK_EQ(bpfship_map_lookup(m, key, value, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL); /* no spin lock in the value */
    CHECK_EQ(bpfship_map_update(m, key, value, BPFSHIP_ANY), -BPFSHIP_ENOENT);
    CHECK_EQ(bpfship_map_update(m, key, value, BPFSHIP_EXIST), -BPFSHIP_ENOENT);
    CHECK_EQ(bpfship_map_update(m, key, value, BPFSHIP_NOEXIST), -BPFSHIP_EINVAL);
    CHECK_EQ(bpfship_map_update(m, key, value, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
    CHECK_EQ(bpfship_map_delete(m, key), -BPFSHIP_EINVAL);
    CHECK_EQ(bpfship_map_get_next_key(m, NULL, next), -BPFSHIP_ENOENT);
    CHECK_EQ(bpfship_map_get_next_key(m, key, next), -BPFSHIP_ENOENT);
    CHECK_EQ(bpfship_map_lookup_and_delete(m, key, value, 0), -BPFSHIP_ENOTSUPP);
    bpfship_map_info info;
    CHECK_EQ(bpfship_map_get_info(m, &info), 0);
    CHECK_EQ(info.user_value_size, percpu ? 8 * bpfship_core_ncpus() : 8);
    bpfship_map_release(m);
  }
}

/* The storage a run reaches: zeroed per run context (test run), kept across the runs sharing one. */
static void cgroup_storage_per_test_run(void) {
  bpfship_map *m = make_map(CGS, 16, 12, 0, 0);
  bpfship_map *pm = make_map(PCGS, 8, 4, 0, 0);
  if (!m || !pm) return;
  bpfship_run_ctx a, b, cpu1;
  init_ctx(&a, BPFSHIP_PROG_TYPE_CGROUP_SKB, 0);
  uint32_t *p = (uint32_t *)(uintptr_t)call_helper(81, P(m), 0, 0, 0, 0, &a);
  CHECK(p != NULL);
  CHECK_EQ(p[0] | p[1] | p[2], 0);
  p[0] = 7, p[2] = 9;
  /* a repeat of the same test run: the same storage, as it was left */
  uint32_t *again = (uint32_t *)(uintptr_t)call_helper(81, P(m), 0, 0, 0, 0, &a);
  CHECK(again == p);
  CHECK_EQ(again[0], 7);
  CHECK_EQ(again[2], 9);
  /* a new test run: zeroed */
  init_ctx(&b, BPFSHIP_PROG_TYPE_CGROUP_SKB, 0);
  CHECK(a.test_run != b.test_run);
  uint32_t *fresh = (uint32_t *)(uintptr_t)call_helper(81, P(m), 0, 0, 0, 0, &b);
  CHECK_EQ(fresh[0] | fresh[1] | fresh[2], 0);
  /* per-CPU: a run on CPU 1 gets another copy, 8 bytes (round_up(4, 8)) further */
  uint32_t *c0 = (uint32_t *)(uintptr_t)call_helper(81, P(pm), 0, 0, 0, 0, &b);
  *c0 = 5;
  if (bpfship_core_ncpus() > 1) {
    init_ctx(&cpu1, BPFSHIP_PROG_TYPE_CGROUP_SKB, 1);
    uint32_t *c1 = (uint32_t *)(uintptr_t)call_helper(81, P(pm), 0, 0, 0, 0, &cpu1);
    CHECK_EQ((uintptr_t)c1 - (uintptr_t)c0, 8);
    CHECK_EQ(*c1, 0);
  }
  /* the user-space view stays empty whatever the runs wrote */
  uint8_t key[16] = {0}, value[16];
  CHECK_EQ(bpfship_map_lookup(m, key, value, 0), -BPFSHIP_ENOENT);
  bpfship_map_release(m);
  bpfship_map_release(pm);
}

void suite_cgroup_storage(void) {
  cgroup_storage_creation();
  cgroup_storage_user_view();
  cgroup_storage_per_test_run();
}

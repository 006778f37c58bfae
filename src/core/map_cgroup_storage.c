/*
 * BPF_MAP_TYPE_CGROUP_STORAGE and BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE (kernel/bpf/local_storage.c) and the helper
 * that reaches them, bpf_get_local_storage.
 *
 * In Linux the map holds one storage per (cgroup, attach type) a program using it is attached to, keyed by struct
 * bpf_cgroup_storage_key (16 bytes) or the cgroup id alone (8), and a running program reaches its own cgroup's
 * storage through its run context, never by key. BPF_PROG_TEST_RUN, the only way Linux runs such a program outside
 * a cgroup, allocates a zeroed storage before its `repeat` runs, hands the same one to each of them and frees it
 * after (net/bpf/test_run.c, bpf_test_run), without linking it into the map.
 *
 * The runtime attaches nothing to cgroups, so it follows the test run: every run context bpfship_run_ctx_init
 * prepares gets a new test run number (ctx->test_run), and the first bpf_get_local_storage of a run whose number
 * differs from the one the map's storage was last zeroed for zeroes it (all CPUs' copies) and takes the number. The
 * repeats of one test run keep the run context, so they share the storage; the next test run finds it zeroed. The
 * storage lives in the map, not in the run context, because no executor has to set anything up that way. User
 * space sees what Linux shows after test runs: an empty map (lookups and get_next_key -ENOENT, updates -ENOENT,
 * deletes -EINVAL).
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct cgroup_storage_map {
  bpfship_map map;
  volatile uint32_t run; /* the test run the storage was last zeroed for; 0: none yet */
  uint32_t reserved;
  uint8_t *storage;      /* value_size bytes, or one elem_size slot per CPU */
} cgroup_storage_map;

/* sizeof(struct bpf_cgroup_storage_key): a u64 cgroup id and a u32 attach type, padded to 16. */
#define CGROUP_STORAGE_KEY_SIZE 16u
/* BPF_LOCAL_STORAGE_MAX_VALUE_SIZE on 64-bit Linux: U16_MAX less sizeof(struct bpf_local_storage_elem) (128). The
 * per-CPU type is also bound by PCPU_MIN_UNIT_SIZE (32 KiB). Both measured on Linux 6.18. */
#define LOCAL_STORAGE_MAX_VALUE_SIZE 65407u
#define PCPU_MIN_UNIT_SIZE 32768u

static inline cgroup_storage_map *as_storage(bpfship_map *m) { return (cgroup_storage_map *)m; }
static inline bool is_percpu(const bpfship_map *m) { return m->map_type == BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE; }
/* The storage's bytes: one value, or one elem_size slot per CPU. */
static inline size_t storage_bytes(const bpfship_map *m) {
  return is_percpu(m) ? (size_t)m->elem_size * bs_ncpus() : m->elem_size;
}

/* cgroup_storage_map_alloc's checks, in its order (so a too large value with bad flags is E2BIG, as in Linux). */
static int storage_check(const bpfship_map_attr *a) {
  const uint32_t allowed = BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY | BPFSHIP_F_RDONLY_PROG |
                           BPFSHIP_F_WRONLY_PROG;
  const uint32_t prog_access = BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG;
  uint32_t max_value = LOCAL_STORAGE_MAX_VALUE_SIZE;
  if (a->map_type == BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE && max_value > PCPU_MIN_UNIT_SIZE)
    max_value = PCPU_MIN_UNIT_SIZE;
  if (a->key_size != CGROUP_STORAGE_KEY_SIZE && a->key_size != sizeof(uint64_t)) return -BPFSHIP_EINVAL;
  if (a->value_size == 0) return -BPFSHIP_EINVAL;
  if (a->value_size > max_value) return -BPFSHIP_E2BIG;
  if ((a->map_flags & ~allowed) || (a->map_flags & prog_access) == prog_access) return -BPFSHIP_EINVAL;
  /* max_entries is per cgroup in Linux, and must be 0 */
  if (a->max_entries != 0) return -BPFSHIP_EINVAL;
  return 0;
}

static int storage_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  cgroup_storage_map *m = bs_zalloc(sizeof *m);
  if (!m) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&m->map, a);
  m->storage = bs_zalloc(storage_bytes(&m->map));
  if (!m->storage) {
    bs_free(m);
    return -BPFSHIP_ENOMEM;
  }
  *out = &m->map;
  return 0;
}

static void storage_free(bpfship_map *map) {
  bs_free(as_storage(map)->storage);
  bs_free(map);
}

/* User space: the map holds no storage (none is attached to a cgroup), so every key is absent. */
static int storage_sys_lookup(bpfship_map *map, const void *key, void *value, uint64_t flags) {
  (void)map, (void)key, (void)value, (void)flags;
  return -BPFSHIP_ENOENT;
}

/* cgroup_storage_update_elem / bpf_percpu_cgroup_storage_update: flags first (BPF_NOEXIST can never succeed: a
 * storage is created by attaching, not by an update), then the key, absent. */
static int storage_sys_update(bpfship_map *map, const void *key, const void *value, uint64_t flags) {
  (void)key, (void)value;
  if (is_percpu(map) ? (flags != BPFSHIP_ANY && flags != BPFSHIP_EXIST)
                     : (flags & ~(BPFSHIP_F_LOCK | BPFSHIP_EXIST)) != 0)
    return -BPFSHIP_EINVAL;
  return -BPFSHIP_ENOENT;
}

/* cgroup_storage_delete_elem: storages go away with their cgroup link only. */
static int storage_remove(bpfship_map *map, const void *key) {
  (void)map, (void)key;
  return -BPFSHIP_EINVAL;
}

/* cgroup_storage_get_next_key on an empty list: -ENOENT, with or without a key. */
static int storage_get_next_key(bpfship_map *map, const void *key, void *next_key) {
  (void)map, (void)key, (void)next_key;
  return -BPFSHIP_ENOENT;
}

const map_ops bs_cgroup_storage_ops = {
    .check = storage_check,
    .alloc = storage_alloc,
    .free = storage_free,
    .remove = storage_remove,
    .get_next_key = storage_get_next_key,
    .sys_lookup = storage_sys_lookup,
    .sys_update = storage_sys_update,
};

/* Test run numbers: 0 stands for "none", so the counter skips it when it wraps. */
static uint32_t g_test_runs;

uint32_t bs_next_test_run(void) {
  uint32_t n;
  do n = __atomic_add_fetch(&g_test_runs, 1u, __ATOMIC_RELAXED);
  while (n == 0);
  return n;
}

/*
 * bpf_get_local_storage(map, flags): the storage of the running test run (this CPU's copy for the per-CPU type),
 * zeroed on the run's first call. Never NULL, as the verifier assumes: it types the result PTR_TO_MAP_VALUE
 * without a NULL check, and refuses non-zero flags (so they are not looked at here, as in Linux).
 */
uint64_t bpfship_helper_get_local_storage(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  (void)r2, (void)r3, (void)r4, (void)r5;
  cgroup_storage_map *m = as_storage(BS_PTR(r1));
  uint32_t run = ctx->test_run;
  if (BS_UNLIKELY(__atomic_load_n(&m->run, __ATOMIC_ACQUIRE) != run)) {
    bs_lock(&m->map.lock);
    if (m->run != run) {
      bs_memset(m->storage, 0, storage_bytes(&m->map));
      __atomic_store_n(&m->run, run, __ATOMIC_RELEASE);
    }
    bs_unlock(&m->map.lock);
  }
  uint8_t *p = m->storage;
  if (is_percpu(&m->map)) p += (size_t)m->map.elem_size * ctx->cpu;
  return BS_U64(p);
}

/*
 * Array-shaped maps (kernel/bpf/arraymap.c, devmap.c, cpumap.c): array, percpu_array, and the "fd arrays" whose
 * slots hold references rather than data: prog_array (executor program ids), perf_event_array (open per-CPU
 * outputs), array_of_maps (inner maps), devmap (ifindexes for bpf_redirect_map) and cpumap (the queue size of each
 * CPU entry, for bpf_redirect_map).
 *
 * Storage: values are round_up(value_size, 8) bytes apart; a per-CPU array keeps the ncpus copies of one index
 * next to each other, which is exactly the user-space view. Slots of fd arrays are u64: bit 32 marks a present
 * id in prog/perf arrays or a present entry (its qsize) in a cpumap, a map pointer in array_of_maps, the raw 8-byte
 * value in a devmap.
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct array_map {
  bpfship_map map;
  char *values;    /* array, percpu_array */
  uint64_t *slots; /* fd arrays */
} array_map;

#define SLOT_PRESENT BPFSHIP_PROG_SLOT_PRESENT
#define PCPU_MIN_UNIT_SIZE 32768u /* the kernel's bound on one per-CPU value */
#define ARRAY_CREATE_FLAG_MASK                                                                                       \
  (BPFSHIP_F_NUMA_NODE | BPFSHIP_F_MMAPABLE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY | BPFSHIP_F_RDONLY_PROG |       \
   BPFSHIP_F_WRONLY_PROG | BPFSHIP_F_PRESERVE_ELEMS | BPFSHIP_F_INNER_MAP)

static inline array_map *as_array(bpfship_map *m) { return (array_map *)m; }
static inline uint32_t key_index(const void *key) {
  uint32_t k;
  bs_memcpy(&k, key, 4);
  return k;
}
static bool flags_access_ok(uint32_t f) {
  return (f & (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG)) != (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG);
}

/* array_map_alloc_check */
static int array_check(const bpfship_map_attr *a) {
  bool percpu = a->map_type == BPFSHIP_MAP_TYPE_PERCPU_ARRAY;
  if (a->max_entries == 0 || a->key_size != 4 || a->value_size == 0 || (a->map_flags & ~ARRAY_CREATE_FLAG_MASK) ||
      !flags_access_ok(a->map_flags) || (percpu && (a->map_flags & BPFSHIP_F_NUMA_NODE)))
    return -BPFSHIP_EINVAL;
  if (a->map_type != BPFSHIP_MAP_TYPE_ARRAY && (a->map_flags & (BPFSHIP_F_MMAPABLE | BPFSHIP_F_INNER_MAP)))
    return -BPFSHIP_EINVAL;
  if (a->map_type != BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY && (a->map_flags & BPFSHIP_F_PRESERVE_ELEMS))
    return -BPFSHIP_EINVAL;
  if (a->value_size > 0x7fffffffu) return -BPFSHIP_E2BIG;
  if (percpu && bs_round_up8(a->value_size) > PCPU_MIN_UNIT_SIZE) return -BPFSHIP_E2BIG;
  if (a->max_entries > (1u << 31)) return -BPFSHIP_E2BIG; /* the kernel's power-of-2 rounding would overflow */
  return 0;
}

/* fd_array_map_alloc_check: slots hold 4-byte ids from user space, and programs cannot be read-/write-only. */
static int fd_array_check(const bpfship_map_attr *a) {
  if (a->value_size != 4) return -BPFSHIP_EINVAL;
  if (a->map_flags & (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG)) return -BPFSHIP_EINVAL;
  return array_check(a);
}

/* dev_map_alloc: value is struct bpf_devmap_val up to ifindex (4) or up to bpf_prog.fd (8). */
static int devmap_check(const bpfship_map_attr *a) {
  if (a->max_entries == 0 || a->key_size != 4 || (a->value_size != 4 && a->value_size != 8) ||
      (a->map_flags & ~(BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY)))
    return -BPFSHIP_EINVAL;
  return 0;
}

static int array_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  array_map *am = bs_zalloc(sizeof *am);
  if (!am) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&am->map, a);
  uint64_t copies = a->map_type == BPFSHIP_MAP_TYPE_PERCPU_ARRAY ? bs_ncpus() : 1;
  uint64_t bytes = (uint64_t)a->max_entries * am->map.elem_size * copies;
  if (bytes > (uint64_t)SIZE_MAX / 2 || !(am->values = bs_zalloc((size_t)bytes))) {
    bs_free(am);
    return -BPFSHIP_ENOMEM;
  }
  am->map.entries = a->max_entries;
  *out = &am->map;
  return 0;
}

static int fd_array_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  array_map *am = bs_zalloc(sizeof *am);
  if (!am) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&am->map, a);
  if ((uint64_t)a->max_entries * 8 > (uint64_t)SIZE_MAX / 2 ||
      !(am->slots = bs_zalloc((size_t)a->max_entries * 8))) {
    bs_free(am);
    return -BPFSHIP_ENOMEM;
  }
  am->map.user_value_size = a->value_size;
  *out = &am->map;
  return 0;
}

static void array_free(bpfship_map *m) {
  array_map *am = as_array(m);
  if (m->map_type == BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS) {
    for (uint32_t i = 0; i < m->max_entries; i++)
      if (am->slots[i]) bs_map_put((bpfship_map *)(uintptr_t)am->slots[i]);
  }
  bs_free(am->values);
  bs_free(am->slots);
  bs_free(am);
}

static inline char *value_at(array_map *am, uint32_t index, uint32_t cpu) {
  uint64_t copies = am->map.map_type == BPFSHIP_MAP_TYPE_PERCPU_ARRAY ? bs_ncpus() : 1;
  return am->values + ((uint64_t)index * copies + (copies > 1 ? cpu : 0)) * am->map.elem_size;
}

void *bpfship_map_value_addr(bpfship_map *map, uint32_t index, uint32_t cpu) {
  if (!map || (map->map_type != BPFSHIP_MAP_TYPE_ARRAY && map->map_type != BPFSHIP_MAP_TYPE_PERCPU_ARRAY))
    return NULL;
  if (index >= map->max_entries || cpu >= bs_ncpus()) return NULL;
  return value_at(as_array(map), index, cpu);
}

static void *array_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)mark;
  uint32_t index = key_index(key);
  if (BS_UNLIKELY(index >= m->max_entries)) return NULL;
  return value_at(as_array(m), index, cpu);
}

/* array_map_update_elem: every element exists, so NOEXIST is -EEXIST and out of range is -E2BIG. */
static int array_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  uint32_t index = key_index(key);
  if ((flags & ~BPFSHIP_F_LOCK) > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  if (flags & BPFSHIP_NOEXIST) return -BPFSHIP_EEXIST;
  if ((flags & BPFSHIP_F_LOCK) && m->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  char *dst = value_at(as_array(m), index, cpu);
  if (flags & BPFSHIP_F_LOCK) bs_copy_value_locked(m, dst, value, false);
  else bs_copy_value(m, dst, value);
  return 0;
}

static int array_delete(bpfship_map *m, const void *key) {
  (void)m;
  (void)key;
  return -BPFSHIP_EINVAL;
}

/* bpf_array_get_next_key: an out-of-range (or absent) key restarts at 0. */
static int array_get_next_key(bpfship_map *m, const void *key, void *next_key) {
  uint32_t index = key ? key_index(key) : 0xffffffffu;
  uint32_t next;
  if (index >= m->max_entries) {
    next = 0;
  } else {
    if (index == m->max_entries - 1) return -BPFSHIP_ENOENT;
    next = index + 1;
  }
  bs_memcpy(next_key, &next, 4);
  return 0;
}

/* bpf_percpu_array_copy / bpf_percpu_array_update: all CPUs at once, round_up(value_size, 8) bytes each. */
static int percpu_array_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)flags;
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return -BPFSHIP_ENOENT;
  bs_memcpy(value, value_at(as_array(m), index, 0), (size_t)m->elem_size * bs_ncpus());
  return 0;
}

static int percpu_array_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  uint32_t index = key_index(key);
  if (flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  if (flags == BPFSHIP_NOEXIST) return -BPFSHIP_EEXIST;
  bs_memcpy(value_at(as_array(m), index, 0), value, (size_t)m->elem_size * bs_ncpus());
  return 0;
}

/* bpf_for_each_array_elem: callback(map, &key, value, callback_ctx, 0); a non-zero return stops the walk. */
static long array_for_each(bpfship_map *m, uint64_t fn, uint64_t cb_ctx, bpfship_run_ctx *ctx) {
  long n = 0;
  for (uint32_t i = 0; i < m->max_entries; i++) {
    uint32_t key = i;
    n++;
    uint64_t ret =
        bs_invoke_callback(ctx, fn, BS_U64(m), BS_U64(&key), BS_U64(value_at(as_array(m), i, ctx->cpu)), cb_ctx, 0);
    if (ret) break;
  }
  return n;
}

/* ---- fd arrays ---- */

int bs_fd_array_slot(bpfship_map *m, uint32_t index, uint32_t *value) {
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  uint64_t s = as_array(m)->slots[index];
  if (m->map_type == BPFSHIP_MAP_TYPE_DEVMAP) {
    if ((uint32_t)s == 0) return -BPFSHIP_ENOENT;
  } else if (!(s & SLOT_PRESENT)) {
    return -BPFSHIP_ENOENT;
  }
  *value = (uint32_t)s;
  return 0;
}

const uint64_t *bpfship_prog_array_slots(const bpfship_map *map) {
  if (!map || map->map_type != BPFSHIP_MAP_TYPE_PROG_ARRAY) return NULL;
  return ((const array_map *)map)->slots;
}

/* bpf_fd_array_map_lookup_elem: user space reads back the id (prog arrays, map-in-map). */
static int fd_array_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)flags;
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return -BPFSHIP_ENOENT;
  uint64_t s = as_array(m)->slots[index];
  uint32_t id;
  if (m->map_type == BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS) {
    if (!s) return -BPFSHIP_ENOENT;
    id = ((bpfship_map *)(uintptr_t)s)->id;
  } else {
    if (!(s & SLOT_PRESENT)) return -BPFSHIP_ENOENT;
    id = (uint32_t)s;
  }
  bs_memcpy(value, &id, 4);
  return 0;
}

/* perf_event_array has no map_fd_sys_lookup_elem in Linux. */
static int perf_array_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)m, (void)key, (void)value, (void)flags;
  return -BPFSHIP_ENOTSUPP;
}

/* bpf_fd_array_map_update_elem: BPF_ANY only, -E2BIG out of range. */
static int fd_array_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  uint32_t index = key_index(key), id;
  if (flags != BPFSHIP_ANY) return -BPFSHIP_EINVAL;
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  bs_memcpy(&id, value, 4);
  array_map *am = as_array(m);
  if (m->map_type == BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS) {
    int err;
    bpfship_map *inner = bs_inner_map_get(m, id, &err);
    if (!inner) return err;
    bs_map_get(inner);
    uint64_t old = __atomic_exchange_n(&am->slots[index], BS_U64(inner), __ATOMIC_ACQ_REL);
    if (old) bs_map_put((bpfship_map *)(uintptr_t)old);
    return 0;
  }
  __atomic_store_n(&am->slots[index], SLOT_PRESENT | id, __ATOMIC_RELEASE);
  return 0;
}

static int fd_array_delete(bpfship_map *m, const void *key) {
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  uint64_t old = __atomic_exchange_n(&as_array(m)->slots[index], 0ull, __ATOMIC_ACQ_REL);
  if (!old) return -BPFSHIP_ENOENT;
  if (m->map_type == BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS) bs_map_put((bpfship_map *)(uintptr_t)old);
  return 0;
}

/* array_of_map_lookup_elem: a program gets the inner map itself. */
static void *array_of_maps_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)cpu, (void)mark;
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return NULL;
  return (void *)(uintptr_t)__atomic_load_n(&as_array(m)->slots[index], __ATOMIC_ACQUIRE);
}

/* ---- devmap (dev_map_*_elem) ---- */

static void *devmap_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)cpu, (void)mark;
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return NULL;
  uint64_t *slot = &as_array(m)->slots[index];
  return (uint32_t)*slot ? (void *)slot : NULL;
}

static int devmap_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)flags;
  void *p = devmap_lookup(m, key, 0, false);
  if (!p) return -BPFSHIP_ENOENT;
  bs_memcpy(value, p, m->value_size);
  return 0;
}

static int devmap_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  uint32_t index = key_index(key);
  int32_t prog_fd = -1;
  uint32_t ifindex;
  if (flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (index >= m->max_entries) return -BPFSHIP_E2BIG;
  if (flags == BPFSHIP_NOEXIST) return -BPFSHIP_EEXIST;
  bs_memcpy(&ifindex, value, 4);
  if (m->value_size == 8) bs_memcpy(&prog_fd, (const char *)value + 4, 4);
  /* an empty slot cannot carry a program; devmap programs are not supported by the core */
  if (prog_fd > -1) return -BPFSHIP_EINVAL;
  uint64_t slot = ifindex | ((uint64_t)(uint32_t)prog_fd << 32);
  __atomic_store_n(&as_array(m)->slots[index], ifindex ? slot : 0ull, __ATOMIC_RELEASE);
  return 0;
}

static int devmap_delete(bpfship_map *m, const void *key) {
  uint32_t index = key_index(key);
  if (index >= m->max_entries) return -BPFSHIP_EINVAL;
  __atomic_store_n(&as_array(m)->slots[index], 0ull, __ATOMIC_RELEASE);
  return 0;
}

/* ---- cpumap (cpu_map_*_elem) ---- */

#define CPUMAP_QSIZE_MAX 16384u /* cpu_map_update_elem's sanity limit on a queue size */

/* cpu_map_alloc: value is struct bpf_cpumap_val up to qsize (4) or up to bpf_prog.fd (8); at most NR_CPUS entries. */
static int cpumap_check(const bpfship_map_attr *a) {
  if (a->max_entries == 0 || a->key_size != 4 || (a->value_size != 4 && a->value_size != 8) ||
      (a->map_flags & ~BPFSHIP_F_NUMA_NODE))
    return -BPFSHIP_EINVAL;
  if (a->max_entries > BPFSHIP_CPUMAP_MAX_ENTRIES) return -BPFSHIP_E2BIG;
  return 0;
}

/* cpu_map_lookup_elem: the entry's bpf_cpumap_val (the program id is always 0: entries run no program here). */
static int cpumap_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)flags;
  uint32_t qsize;
  if (bs_fd_array_slot(m, key_index(key), &qsize) != 0) return -BPFSHIP_ENOENT;
  bs_memset(value, 0, m->value_size);
  bs_memcpy(value, &qsize, 4);
  return 0;
}

/* cpu_map_update_elem, in its order of checks; a queue size of 0 deletes the entry. */
static int cpumap_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  uint32_t cpu = key_index(key), qsize;
  int32_t prog_fd = 0;
  if (flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (cpu >= m->max_entries) return -BPFSHIP_E2BIG;
  if (flags == BPFSHIP_NOEXIST) return -BPFSHIP_EEXIST;
  bs_memcpy(&qsize, value, 4);
  if (m->value_size == 8) bs_memcpy(&prog_fd, (const char *)value + 4, 4);
  if (qsize > CPUMAP_QSIZE_MAX) return -BPFSHIP_EOVERFLOW;
  if (cpu >= bs_ncpus()) return -BPFSHIP_ENODEV;
  /* the core runs no program on cpumap entries (Linux: BPF_XDP_CPUMAP programs) */
  if (qsize != 0 && prog_fd > 0) return -BPFSHIP_EINVAL;
  __atomic_store_n(&as_array(m)->slots[cpu], qsize ? SLOT_PRESENT | qsize : 0ull, __ATOMIC_RELEASE);
  return 0;
}

static int cpumap_delete(bpfship_map *m, const void *key) {
  uint32_t cpu = key_index(key);
  if (cpu >= m->max_entries) return -BPFSHIP_EINVAL;
  __atomic_store_n(&as_array(m)->slots[cpu], 0ull, __ATOMIC_RELEASE);
  return 0;
}

/* ---- xskmap (xsk_map_*_elem) ----
 * Slots hold AF_XDP sockets, which user space puts there by file descriptor. The runtime has no sockets, so the map
 * exists (programs that redirect to AF_XDP load and run) but every slot stays empty: lookups from programs give
 * NULL and bpf_redirect_map takes its fallback action, as on Linux with no socket bound to the queue. */

/* xsk_map_alloc */
static int xskmap_check(const bpfship_map_attr *a) {
  if (a->max_entries == 0 || a->key_size != 4 || a->value_size != 4 ||
      (a->map_flags & ~(BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY)))
    return -BPFSHIP_EINVAL;
  return 0;
}

/* __xsk_map_lookup_elem: the socket in the slot, and no slot holds one. */
static void *xskmap_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool for_program) {
  (void)m, (void)key, (void)cpu, (void)for_program;
  return NULL;
}

/* xsk_map_lookup_elem_sys_only: Linux does not hand sockets to user space. */
static int xskmap_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  (void)m, (void)key, (void)value, (void)flags;
  return -BPFSHIP_EOPNOTSUPP;
}

/* xsk_map_update_elem: the value must be an AF_XDP socket's descriptor; no descriptor names one here (Linux answers
 * -EOPNOTSUPP for a socket of another family). Its earlier checks come first, in its order. */
static int xskmap_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  (void)value;
  if (flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (key_index(key) >= m->max_entries) return -BPFSHIP_E2BIG;
  return -BPFSHIP_EOPNOTSUPP;
}

/* xsk_map_delete_elem: an index in range is fine (the slot is already empty). */
static int xskmap_delete(bpfship_map *m, const void *key) {
  return key_index(key) >= m->max_entries ? -BPFSHIP_EINVAL : 0;
}

const map_ops bs_array_ops = {
    .check = array_check,
    .alloc = array_alloc,
    .free = array_free,
    .lookup = array_lookup,
    .update = array_update,
    .remove = array_delete,
    .get_next_key = array_get_next_key,
    .for_each = array_for_each,
    .batch = true,
};

const map_ops bs_percpu_array_ops = {
    .check = array_check,
    .alloc = array_alloc,
    .free = array_free,
    .lookup = array_lookup,
    .update = array_update,
    .remove = array_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = percpu_array_sys_lookup,
    .sys_update = percpu_array_sys_update,
    .for_each = array_for_each,
    .batch = true,
};

const map_ops bs_prog_array_ops = {
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .remove = fd_array_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = fd_array_sys_lookup,
    .sys_update = fd_array_sys_update,
};

const map_ops bs_perf_event_array_ops = {
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .remove = fd_array_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = perf_array_sys_lookup,
    .sys_update = fd_array_sys_update,
};

const map_ops bs_array_of_maps_ops = {
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .lookup = array_of_maps_lookup,
    .remove = fd_array_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = fd_array_sys_lookup,
    .sys_update = fd_array_sys_update,
    .batch = true,
};

const map_ops bs_devmap_ops = {
    .check = devmap_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .lookup = devmap_lookup,
    .remove = devmap_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = devmap_sys_lookup,
    .sys_update = devmap_sys_update,
};

const map_ops bs_xskmap_ops = {
    .check = xskmap_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .lookup = xskmap_lookup,
    .remove = xskmap_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = xskmap_sys_lookup,
    .sys_update = xskmap_sys_update,
};

/* Programs cannot look into a cpumap (the verifier allows only bpf_redirect_map on it), so no .lookup. */
const map_ops bs_cpumap_ops = {
    .check = cpumap_check,
    .alloc = fd_array_alloc,
    .free = array_free,
    .remove = cpumap_delete,
    .get_next_key = array_get_next_key,
    .sys_lookup = cpumap_sys_lookup,
    .sys_update = cpumap_sys_update,
};

/*
 * Core services: initialisation, host hooks, the map registry, and the user-space map operations that dispatch to
 * each map type (the part of kernel/bpf/syscall.c that checks permissions and flags before calling map ops).
 *
 * Author: Claude.
 */
#ifndef __wasm__
#define _GNU_SOURCE /* process_vm_readv */
#endif
#include "internal.h"

/* The shared structs must have the same layout in both builds: executors and core-wasm.ts use these offsets. */
_Static_assert(sizeof(bpfship_map_attr) == 56, "bpfship_map_attr layout");
_Static_assert(__builtin_offsetof(bpfship_map_attr, map_extra) == 32, "bpfship_map_attr layout");
_Static_assert(__builtin_offsetof(bpfship_map_attr, name) == 40, "bpfship_map_attr layout");
_Static_assert(sizeof(bpfship_map_info) == 48, "bpfship_map_info layout");
_Static_assert(sizeof(bpfship_run_ctx) == BPFSHIP_RUN_CTX_SIZE, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, prog_type) == 48, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, ctx_off_data) == 64, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, tail_call_pending) == 72, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, redirect_flags) == 104, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, prandom_state) == 112, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, callback_invoker) == 128, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, executor_data) == 136, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, ctx_kind) == 71, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, skb_network_off) == 144, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, skb_flags) == 152, "bpfship_run_ctx layout");
_Static_assert(__builtin_offsetof(bpfship_run_ctx, test_run) == 156, "bpfship_run_ctx layout");
_Static_assert(sizeof(bpfship_tunnel_info) == 56, "bpfship_tunnel_info layout");
_Static_assert(sizeof(bpfship_fib_device) == 16, "bpfship_fib_device layout");
_Static_assert(sizeof(bpfship_fib_route) == 72, "bpfship_fib_route layout");
_Static_assert(sizeof(bpfship_fib_neighbour) == 28, "bpfship_fib_neighbour layout");

static uint32_t g_ncpus = 1;
static bs_task g_task = {0, 0, 0, 0, {0}};

/* ---- libc pieces ---- */

int bs_memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t bs_strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != 0) n++;
  return n;
}

/* ---- host hooks ---- */

#ifdef __wasm__
#define BS_IMPORT(name) __attribute__((import_module("bpfship_host"), import_name(#name)))
BS_IMPORT(ktime_ns) uint64_t bpfship_host_ktime_ns(int clock);
BS_IMPORT(trace) void bpfship_host_trace(bpfship_run_ctx *ctx, const char *msg, uint32_t len);
BS_IMPORT(perf_output)
int bpfship_host_perf_output(bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data, uint32_t size,
                             const void *ctx_data, uint32_t ctx_size);
BS_IMPORT(ringbuf_notify) void bpfship_host_ringbuf_notify(uint32_t map_id);
BS_IMPORT(invoke_callback)
uint64_t bpfship_host_invoke_callback(bpfship_run_ctx *ctx, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
                                      uint64_t a4, uint64_t a5);

void bpfship_core_set_hooks(const bpfship_host_hooks *hooks) { (void)hooks; }
uint64_t bs_host_ktime(int clock) { return bpfship_host_ktime_ns(clock); }
void bs_host_trace(bpfship_run_ctx *ctx, const char *msg, uint32_t len) { bpfship_host_trace(ctx, msg, len); }
int bs_host_perf_output(bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data, uint32_t size,
                        const void *ctx_data, uint32_t ctx_size) {
  return bpfship_host_perf_output(ctx, map_id, cpu, data, size, ctx_data, ctx_size);
}
void bs_host_ringbuf_notify(uint32_t map_id) { bpfship_host_ringbuf_notify(map_id); }
uint64_t bs_invoke_callback(bpfship_run_ctx *ctx, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                            uint64_t a5) {
  return bpfship_host_invoke_callback(ctx, fn, a1, a2, a3, a4, a5);
}
/* In wasm every address below the memory size is readable; nothing else is. */
bool bs_copy_nofault(void *dst, const void *src, size_t len) {
  uintptr_t a = (uintptr_t)src;
  uintptr_t size = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
  if (a == 0 || a > size || len > size - a) return false;
  bs_memcpy(dst, src, len);
  return true;
}
size_t bs_strncpy_nofault(char *dst, const char *src, size_t max) {
  uintptr_t a = (uintptr_t)src;
  uintptr_t size = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
  size_t n = 0;
  if (max == 0) return 0;
  if (a != 0) {
    while (n + 1 < max && a + n < size && src[n] != 0) {
      dst[n] = src[n];
      n++;
    }
  }
  dst[n] = 0;
  return n;
}
#else
#include <stdlib.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>
static bpfship_host_hooks g_hooks;

void bpfship_core_set_hooks(const bpfship_host_hooks *hooks) {
  if (hooks) g_hooks = *hooks;
  else bs_memset(&g_hooks, 0, sizeof g_hooks);
}
uint64_t bs_host_ktime(int clock) { return g_hooks.ktime_ns ? g_hooks.ktime_ns(g_hooks.user, clock) : 0; }
void bs_host_trace(bpfship_run_ctx *ctx, const char *msg, uint32_t len) {
  if (g_hooks.trace) g_hooks.trace(g_hooks.user, ctx, msg, len);
}
int bs_host_perf_output(bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data, uint32_t size,
                        const void *ctx_data, uint32_t ctx_size) {
  if (!g_hooks.perf_output) return 0;
  return g_hooks.perf_output(g_hooks.user, ctx, map_id, cpu, data, size, ctx_data, ctx_size);
}
void bs_host_ringbuf_notify(uint32_t map_id) {
  if (g_hooks.ringbuf_notify) g_hooks.ringbuf_notify(g_hooks.user, map_id);
}
uint64_t bs_invoke_callback(bpfship_run_ctx *ctx, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                            uint64_t a5) {
  if (ctx->callback_invoker != 0)
    return ((bpfship_callback_invoker)(uintptr_t)ctx->callback_invoker)(ctx, fn, a1, a2, a3, a4, a5);
  return ((bpfship_helper_fn)(uintptr_t)fn)(a1, a2, a3, a4, a5, ctx);
}
/* Natively an arbitrary number may point anywhere: read it with process_vm_readv on ourselves, which reports
 * EFAULT instead of faulting. Transfers are not split inside one iovec, so strings are read page by page. */
bool bs_copy_nofault(void *dst, const void *src, size_t len) {
  if (len == 0) return true;
  if ((uintptr_t)src < 4096u) return false;
  struct iovec local = {dst, len}, remote = {(void *)(uintptr_t)src, len};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}
size_t bs_strncpy_nofault(char *dst, const char *src, size_t max) {
  size_t n = 0;
  if (max == 0) return 0;
  while (n + 1 < max) {
    uintptr_t at = (uintptr_t)src + n;
    size_t chunk = 4096u - (at & 4095u);
    if (chunk > max - 1 - n) chunk = max - 1 - n;
    if (!bs_copy_nofault(dst + n, (const void *)at, chunk)) break;
    size_t len = bs_strnlen(dst + n, chunk);
    n += len;
    if (len < chunk) break;
  }
  dst[n] = 0;
  return n;
}
void *bs_zalloc(size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, 16, size ? size : 1) != 0) return NULL;
  bs_memset(p, 0, size);
  return p;
}
void bs_free(void *ptr) { free(ptr); }
#endif

void *bpfship_alloc(size_t size) { return bs_zalloc(size); }
void bpfship_free(void *ptr) { bs_free(ptr); }

/* ---- randomness for map hash seeds ---- */

/*
 * Per-map seeds (a bloom filter's, unless BPF_F_ZERO_SEED) are random as Linux's get_random_u32 makes them, so that
 * values colliding in a map cannot be chosen from outside. Natively they come from getrandom(); the wasm build has
 * no entropy of its own, so its host hands some over (bpfship_core_add_entropy) and seeds are drawn from it by
 * splitmix64. A host that gives none still gets distinct seeds per map, from a fixed start.
 */
static uint64_t g_entropy = 0x6a09e667f3bcc908ull;

void bpfship_core_add_entropy(uint64_t entropy) { g_entropy ^= entropy; }

uint32_t bs_random_u32(void) {
#ifndef __wasm__
  uint32_t r;
  if (getrandom(&r, sizeof r, 0) == (ssize_t)sizeof r) return r;
#endif
  uint64_t z = __atomic_add_fetch(&g_entropy, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* ---- lifecycle and identity ---- */

static bpfship_map **g_maps; /* index = id */
static uint32_t g_maps_cap;
static uint32_t g_next_id = 1;
static uint32_t g_live_maps;
static volatile uint32_t g_registry_lock;

int bpfship_core_init(uint32_t ncpus) {
  if (ncpus == 0 || ncpus > BPFSHIP_MAX_CPUS) return -BPFSHIP_EINVAL;
  if (ncpus == g_ncpus) return 0;
  if (g_live_maps != 0) return -BPFSHIP_EBUSY;
  g_ncpus = ncpus;
  return 0;
}

uint32_t bpfship_core_ncpus(void) { return g_ncpus; }
uint32_t bs_ncpus(void) { return g_ncpus; }
uint32_t bpfship_core_abi_version(void) { return BPFSHIP_CORE_ABI_VERSION; }

void bpfship_core_set_task(uint32_t pid, uint32_t tgid, uint32_t uid, uint32_t gid, const char *comm) {
  g_task.pid = pid;
  g_task.tgid = tgid;
  g_task.uid = uid;
  g_task.gid = gid;
  bs_memset(g_task.comm, 0, sizeof g_task.comm);
  if (comm) bs_memcpy(g_task.comm, comm, bs_strnlen(comm, sizeof g_task.comm - 1));
}

const bs_task *bs_current_task(void) { return &g_task; }

/* ---- map registry ---- */

static const map_ops *ops_for_type(uint32_t type) {
  switch (type) {
  case BPFSHIP_MAP_TYPE_HASH: return &bs_hash_ops;
  case BPFSHIP_MAP_TYPE_ARRAY: return &bs_array_ops;
  case BPFSHIP_MAP_TYPE_PROG_ARRAY: return &bs_prog_array_ops;
  case BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY: return &bs_perf_event_array_ops;
  case BPFSHIP_MAP_TYPE_PERCPU_HASH: return &bs_percpu_hash_ops;
  case BPFSHIP_MAP_TYPE_PERCPU_ARRAY: return &bs_percpu_array_ops;
  case BPFSHIP_MAP_TYPE_LRU_HASH: return &bs_lru_hash_ops;
  case BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH: return &bs_lru_percpu_hash_ops;
  case BPFSHIP_MAP_TYPE_LPM_TRIE: return &bs_lpm_trie_ops;
  case BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS: return &bs_array_of_maps_ops;
  case BPFSHIP_MAP_TYPE_HASH_OF_MAPS: return &bs_hash_of_maps_ops;
  case BPFSHIP_MAP_TYPE_DEVMAP: return &bs_devmap_ops;
  case BPFSHIP_MAP_TYPE_CPUMAP: return &bs_cpumap_ops;
  case BPFSHIP_MAP_TYPE_XSKMAP: return &bs_xskmap_ops;
  case BPFSHIP_MAP_TYPE_QUEUE: return &bs_queue_ops;
  case BPFSHIP_MAP_TYPE_STACK: return &bs_stack_ops;
  case BPFSHIP_MAP_TYPE_RINGBUF: return &bs_ringbuf_ops;
  case BPFSHIP_MAP_TYPE_USER_RINGBUF: return &bs_ringbuf_ops; /* ringbuf_map_alloc serves both in Linux */
  case BPFSHIP_MAP_TYPE_BLOOM_FILTER: return &bs_bloom_filter_ops;
  case BPFSHIP_MAP_TYPE_CGROUP_STORAGE:
  case BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE: return &bs_cgroup_storage_ops;
  default: return NULL;
  }
}

static bool is_percpu_type(uint32_t t) {
  return t == BPFSHIP_MAP_TYPE_PERCPU_ARRAY || t == BPFSHIP_MAP_TYPE_PERCPU_HASH ||
         t == BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH || t == BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool is_map_in_map(uint32_t t) {
  return t == BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS || t == BPFSHIP_MAP_TYPE_HASH_OF_MAPS;
}

void bs_map_init_common(bpfship_map *map, const bpfship_map_attr *attr) {
  map->map_type = attr->map_type;
  map->key_size = attr->key_size;
  map->value_size = attr->value_size;
  map->max_entries = attr->max_entries;
  map->map_flags = attr->map_flags;
  map->spin_lock_off = attr->spin_lock_off;
  map->elem_size = bs_round_up8(attr->value_size);
  map->refcnt = 1;
  map->user_value_size = is_percpu_type(attr->map_type) ? map->elem_size * g_ncpus : attr->value_size;
  bs_memcpy(map->name, attr->name, sizeof map->name);
  map->name[sizeof map->name - 1] = 0;
}

static int register_map(bpfship_map *map) {
  bs_lock(&g_registry_lock);
  if (g_next_id >= g_maps_cap) {
    uint32_t cap = g_maps_cap ? g_maps_cap * 2 : 64;
    bpfship_map **grown = bs_zalloc(sizeof(*grown) * cap);
    if (!grown) {
      bs_unlock(&g_registry_lock);
      return -BPFSHIP_ENOMEM;
    }
    if (g_maps) {
      bs_memcpy(grown, g_maps, sizeof(*grown) * g_maps_cap);
      bs_free(g_maps);
    }
    g_maps = grown;
    g_maps_cap = cap;
  }
  map->id = g_next_id++;
  g_maps[map->id] = map;
  g_live_maps++;
  bs_unlock(&g_registry_lock);
  return 0;
}

bpfship_map *bpfship_map_from_id(uint32_t id) {
  bpfship_map *m = NULL;
  bs_lock(&g_registry_lock);
  if (id != 0 && id < g_maps_cap) m = g_maps[id];
  bs_unlock(&g_registry_lock);
  return m;
}

uint32_t bpfship_map_id(const bpfship_map *map) { return map ? map->id : 0; }

void bs_map_get(bpfship_map *map) { __atomic_add_fetch(&map->refcnt, 1u, __ATOMIC_RELAXED); }

void bs_map_put(bpfship_map *map) {
  if (__atomic_sub_fetch(&map->refcnt, 1u, __ATOMIC_ACQ_REL) != 0) return;
  bs_lock(&g_registry_lock);
  if (map->id < g_maps_cap) g_maps[map->id] = NULL;
  g_live_maps--;
  bs_unlock(&g_registry_lock);
  map->ops->free(map);
}

void bpfship_map_release(bpfship_map *map) {
  if (map) bs_map_put(map);
}

int bpfship_map_create(const bpfship_map_attr *attr, bpfship_map **out) {
  if (!attr || !out) return -BPFSHIP_EINVAL;
  *out = NULL;
  const map_ops *ops = ops_for_type(attr->map_type);
  if (!ops) return -BPFSHIP_EINVAL;
  /* syscall.c map_create: unused fields must be zero (map_extra is used by bloom filters only: the core has no
   * arena), and read-only plus write-only is contradictory. */
  if (attr->reserved != 0 || (attr->map_extra != 0 && attr->map_type != BPFSHIP_MAP_TYPE_BLOOM_FILTER))
    return -BPFSHIP_EINVAL;
  if ((attr->map_flags & BPFSHIP_F_RDONLY) && (attr->map_flags & BPFSHIP_F_WRONLY)) return -BPFSHIP_EINVAL;
  int err = ops->check(attr);
  if (err) return err;
  /* map_check_btf: a spin lock must fit in the value, 4-aligned, and only hash and array maps may hold one. */
  if (attr->spin_lock_off >= 0) {
    if ((uint32_t)attr->spin_lock_off % 4 != 0 || (uint64_t)attr->spin_lock_off + 4 > attr->value_size)
      return -BPFSHIP_EINVAL;
    if (attr->map_type != BPFSHIP_MAP_TYPE_HASH && attr->map_type != BPFSHIP_MAP_TYPE_ARRAY)
      return -BPFSHIP_EOPNOTSUPP;
  } else if (attr->spin_lock_off != -1) {
    return -BPFSHIP_EINVAL;
  }
  bpfship_map *inner = NULL;
  if (is_map_in_map(attr->map_type)) {
    /* bpf_map_meta_alloc: the template must exist and be a map type that can be nested. */
    inner = bpfship_map_from_id(attr->inner_map_id);
    if (!inner) return -BPFSHIP_EBADF;
    uint32_t t = inner->map_type;
    if (is_map_in_map(t) || t == BPFSHIP_MAP_TYPE_PROG_ARRAY || t == BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY ||
        t == BPFSHIP_MAP_TYPE_DEVMAP)
      return -BPFSHIP_ENOTSUPP;
  } else if (attr->inner_map_id != 0) {
    return -BPFSHIP_EINVAL;
  }
  bpfship_map *map = NULL;
  err = ops->alloc(attr, &map);
  if (err) return err;
  map->ops = ops;
  if (inner) {
    map->inner.map_type = inner->map_type;
    map->inner.key_size = inner->key_size;
    map->inner.value_size = inner->value_size;
    map->inner.max_entries = inner->max_entries;
    map->inner.map_flags = inner->map_flags;
    map->inner.spin_lock_off = inner->spin_lock_off;
    map->inner_map_id = inner->id;
  }
  err = register_map(map);
  if (err) {
    ops->free(map);
    return err;
  }
  *out = map;
  return 0;
}

int bpfship_map_get_info(const bpfship_map *map, bpfship_map_info *info) {
  if (!map || !info) return -BPFSHIP_EINVAL;
  bs_memset(info, 0, sizeof *info);
  info->id = map->id;
  info->map_type = map->map_type;
  info->key_size = map->key_size;
  info->value_size = map->value_size;
  info->max_entries = map->max_entries;
  info->map_flags = map->map_flags;
  info->user_value_size = map->user_value_size;
  info->spin_lock_off = map->spin_lock_off;
  info->inner_map_id = map->inner_map_id;
  info->frozen = map->frozen;
  info->entries = map->entries;
  return 0;
}

int bpfship_map_freeze(bpfship_map *map) {
  if (!map) return -BPFSHIP_EINVAL;
  if (map->frozen) return -BPFSHIP_EBUSY;
  map->frozen = 1;
  return 0;
}

bpfship_map *bs_inner_map_get(const bpfship_map *outer, uint32_t id, int *err) {
  bpfship_map *inner = bpfship_map_from_id(id);
  if (!inner) {
    *err = -BPFSHIP_EBADF;
    return NULL;
  }
  /* bpf_map_meta_equal (+ array_map_meta_equal: max_entries must match unless the template has BPF_F_INNER_MAP). */
  bool same = inner->map_type == outer->inner.map_type && inner->key_size == outer->inner.key_size &&
              inner->value_size == outer->inner.value_size && inner->map_flags == outer->inner.map_flags &&
              inner->spin_lock_off == outer->inner.spin_lock_off;
  if (same && inner->map_type == BPFSHIP_MAP_TYPE_ARRAY && !(outer->inner.map_flags & BPFSHIP_F_INNER_MAP))
    same = inner->max_entries == outer->inner.max_entries;
  if (!same) {
    *err = -BPFSHIP_EINVAL;
    return NULL;
  }
  *err = 0;
  return inner;
}

/* ---- value copies that respect the spin lock field ---- */

void bs_copy_value(const bpfship_map *map, void *dst, const void *src) {
  if (map->spin_lock_off < 0) {
    bs_memcpy(dst, src, map->value_size);
    return;
  }
  uint32_t off = (uint32_t)map->spin_lock_off;
  bs_memcpy(dst, src, off);
  bs_memcpy((char *)dst + off + 4, (const char *)src + off + 4, map->value_size - off - 4);
}

void bs_copy_value_locked(const bpfship_map *map, void *dst, const void *src, bool lock_in_src) {
  volatile uint32_t *lock =
      (volatile uint32_t *)((char *)(lock_in_src ? (void *)(uintptr_t)src : dst) + map->spin_lock_off);
  bs_lock(lock);
  bs_copy_value(map, dst, src);
  bs_unlock(lock);
}

void bs_zero_special(const bpfship_map *map, void *value) {
  if (map->spin_lock_off >= 0) bs_memset((char *)value + map->spin_lock_off, 0, 4);
}

/* ---- user-space operations ---- */

static bool can_read(const bpfship_map *map) { return !(map->map_flags & BPFSHIP_F_WRONLY); }
static bool can_write(const bpfship_map *map) { return !(map->map_flags & BPFSHIP_F_RDONLY) && !map->frozen; }
static bool is_queue_stack(const bpfship_map *map) {
  return map->map_type == BPFSHIP_MAP_TYPE_QUEUE || map->map_type == BPFSHIP_MAP_TYPE_STACK;
}
/* Maps whose user-space lookup is a peek and update a push (bpf_map_copy_value, bpf_map_update_value). For a
 * bloom filter the lookup's value is an input: the value to test, left as it was. */
static bool is_peek_push(const bpfship_map *map) {
  return is_queue_stack(map) || map->map_type == BPFSHIP_MAP_TYPE_BLOOM_FILTER;
}

static int sys_lookup(bpfship_map *map, const void *key, void *value, uint64_t flags) {
  if (is_peek_push(map)) return map->ops->pop(map, value, false);
  if (map->ops->sys_lookup) return map->ops->sys_lookup(map, key, value, flags);
  if (!map->ops->lookup) return -BPFSHIP_ENOTSUPP;
  void *ptr = map->ops->lookup(map, key, 0, false);
  if (!ptr) return -BPFSHIP_ENOENT;
  if (flags & BPFSHIP_F_LOCK) bs_copy_value_locked(map, value, ptr, true);
  else bs_copy_value(map, value, ptr);
  bs_zero_special(map, value);
  return 0;
}

static int sys_update(bpfship_map *map, const void *key, const void *value, uint64_t flags) {
  if (is_peek_push(map)) return map->ops->push(map, value, flags);
  if (map->ops->sys_update) return map->ops->sys_update(map, key, value, flags);
  if (!map->ops->update) return -BPFSHIP_ENOTSUPP;
  return map->ops->update(map, key, value, flags, 0);
}

static int sys_delete(bpfship_map *map, const void *key) {
  if (!map->ops->remove) return -BPFSHIP_EINVAL;
  return map->ops->remove(map, key);
}

int bpfship_map_lookup(bpfship_map *map, const void *key, void *value, uint64_t flags) {
  if (!map || !value) return -BPFSHIP_EINVAL;
  if (flags & ~BPFSHIP_F_LOCK) return -BPFSHIP_EINVAL;
  if (!can_read(map)) return -BPFSHIP_EPERM;
  if ((flags & BPFSHIP_F_LOCK) && map->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  return sys_lookup(map, key, value, flags);
}

int bpfship_map_update(bpfship_map *map, const void *key, const void *value, uint64_t flags) {
  if (!map || !value) return -BPFSHIP_EINVAL;
  if (!can_write(map)) return -BPFSHIP_EPERM;
  if ((flags & BPFSHIP_F_LOCK) && map->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  return sys_update(map, key, value, flags);
}

int bpfship_map_delete(bpfship_map *map, const void *key) {
  if (!map) return -BPFSHIP_EINVAL;
  if (!can_write(map)) return -BPFSHIP_EPERM;
  return sys_delete(map, key);
}

int bpfship_map_lookup_and_delete(bpfship_map *map, const void *key, void *value, uint64_t flags) {
  if (!map || !value) return -BPFSHIP_EINVAL;
  if (flags & ~BPFSHIP_F_LOCK) return -BPFSHIP_EINVAL;
  if (!can_write(map)) return -BPFSHIP_EPERM;
  if (flags && is_queue_stack(map)) return -BPFSHIP_EINVAL;
  if ((flags & BPFSHIP_F_LOCK) && map->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  if (is_queue_stack(map)) return map->ops->pop(map, value, true);
  if (!map->ops->sys_lookup_and_delete) return -BPFSHIP_ENOTSUPP;
  return map->ops->sys_lookup_and_delete(map, key, value, flags);
}

int bpfship_map_get_next_key(bpfship_map *map, const void *key, void *next_key) {
  if (!map || !next_key) return -BPFSHIP_EINVAL;
  if (!can_read(map)) return -BPFSHIP_EPERM;
  if (!map->ops->get_next_key) return -BPFSHIP_EINVAL;
  return map->ops->get_next_key(map, key, next_key);
}

/* generic_map_lookup_batch, optionally deleting each element after copying it out. */
static int lookup_batch(bpfship_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
                        uint32_t *count, uint64_t elem_flags, bool and_delete) {
  if (!map || !count) return -BPFSHIP_EINVAL;
  if (!map->ops->batch || (and_delete && !map->ops->sys_lookup_and_delete)) return -BPFSHIP_ENOTSUPP;
  if (elem_flags & ~BPFSHIP_F_LOCK) return -BPFSHIP_EINVAL;
  if ((elem_flags & BPFSHIP_F_LOCK) && map->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  if (!can_read(map) || (and_delete && !can_write(map))) return -BPFSHIP_EPERM;
  uint32_t max = *count;
  *count = 0;
  if (max == 0) return 0;
  if (!keys || !values) return -BPFSHIP_EINVAL;
  uint32_t ks = map->key_size, vs = map->user_value_size;
  /* Two key buffers: the previous key (the token) and the next one. Keys are at most a few hundred bytes. */
  char *buf = bs_zalloc((size_t)ks * 2);
  if (!buf) return -BPFSHIP_ENOMEM;
  char *prev = NULL, *next = buf + ks;
  if (in_batch) {
    bs_memcpy(buf, in_batch, ks);
    prev = buf;
  }
  uint32_t cp = 0, retry = 3;
  int err = 0;
  while (cp < max) {
    err = map->ops->get_next_key(map, prev, next);
    if (err) break;
    char *kout = (char *)keys + (size_t)cp * ks;
    char *vout = (char *)values + (size_t)cp * vs;
    if (and_delete) err = map->ops->sys_lookup_and_delete(map, next, vout, elem_flags);
    else err = sys_lookup(map, next, vout, elem_flags);
    if (err == -BPFSHIP_ENOENT) { /* deleted meanwhile: Linux retries, then gives up with -EINTR */
      if (retry-- > 0) continue;
      err = -BPFSHIP_EINTR;
      break;
    }
    if (err) break;
    retry = 3;
    bs_memcpy(kout, next, ks);
    /* swap: the key just returned becomes the token */
    char *t = prev ? prev : buf;
    prev = next;
    next = t;
    cp++;
  }
  *count = cp;
  if (cp && out_batch) bs_memcpy(out_batch, prev, ks);
  bs_free(buf);
  return err;
}

int bpfship_map_lookup_batch(bpfship_map *map, const void *in_batch, void *out_batch, void *keys, void *values,
                             uint32_t *count, uint64_t elem_flags) {
  return lookup_batch(map, in_batch, out_batch, keys, values, count, elem_flags, false);
}

int bpfship_map_lookup_and_delete_batch(bpfship_map *map, const void *in_batch, void *out_batch, void *keys,
                                        void *values, uint32_t *count, uint64_t elem_flags) {
  return lookup_batch(map, in_batch, out_batch, keys, values, count, elem_flags, true);
}

int bpfship_map_update_batch(bpfship_map *map, const void *keys, const void *values, uint32_t *count,
                             uint64_t elem_flags) {
  if (!map || !count) return -BPFSHIP_EINVAL;
  if (!map->ops->batch) return -BPFSHIP_ENOTSUPP;
  if ((elem_flags & ~BPFSHIP_F_LOCK) > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if (!can_write(map)) return -BPFSHIP_EPERM;
  if ((elem_flags & BPFSHIP_F_LOCK) && map->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  uint32_t max = *count, cp = 0;
  *count = 0;
  if (max && (!keys || !values)) return -BPFSHIP_EINVAL;
  int err = 0;
  for (; cp < max; cp++) {
    err = sys_update(map, (const char *)keys + (size_t)cp * map->key_size,
                     (const char *)values + (size_t)cp * map->user_value_size, elem_flags);
    if (err) break;
  }
  *count = cp;
  return err;
}

int bpfship_map_delete_batch(bpfship_map *map, const void *keys, uint32_t *count) {
  if (!map || !count) return -BPFSHIP_EINVAL;
  if (!map->ops->batch) return -BPFSHIP_ENOTSUPP;
  if (!can_write(map)) return -BPFSHIP_EPERM;
  uint32_t max = *count, cp = 0;
  *count = 0;
  if (max && !keys) return -BPFSHIP_EINVAL;
  int err = 0;
  for (; cp < max; cp++) {
    err = sys_delete(map, (const char *)keys + (size_t)cp * map->key_size);
    if (err) break;
  }
  *count = cp;
  return err;
}

/* ---- program-side access ---- */

void *bpfship_map_lookup_elem(bpfship_map *map, const void *key, bpfship_run_ctx *ctx) {
  if (BS_UNLIKELY(!map || !map->ops->lookup)) return NULL;
  return map->ops->lookup(map, key, ctx ? ctx->cpu : 0, true);
}

uintptr_t bpfship_map_lookup_op(const bpfship_map *map) { return map && map->ops->lookup ? (uintptr_t)map->ops->lookup : 0; }

/* ---- run context ---- */

int bpfship_run_ctx_init(bpfship_run_ctx *ctx, uint32_t prog_type, uint32_t cpu, uint64_t seed) {
  if (!ctx || cpu >= g_ncpus) return -BPFSHIP_EINVAL;
  bs_memset(ctx, 0, sizeof *ctx);
  ctx->prog_type = prog_type;
  ctx->cpu = cpu;
  ctx->ctx_off_data = ctx->ctx_off_data_end = ctx->ctx_off_data_meta = BPFSHIP_CTX_OFF_NONE;
  ctx->ctx_ptr_size = (uint8_t)sizeof(void *);
  ctx->test_run = bs_next_test_run();
  switch (prog_type) {
  case BPFSHIP_PROG_TYPE_SOCKET_FILTER:
  case BPFSHIP_PROG_TYPE_SCHED_CLS:
  case BPFSHIP_PROG_TYPE_SCHED_ACT:
  case BPFSHIP_PROG_TYPE_CGROUP_SKB:
  case BPFSHIP_PROG_TYPE_LWT_IN:
  case BPFSHIP_PROG_TYPE_LWT_OUT:
  case BPFSHIP_PROG_TYPE_LWT_XMIT:
  case BPFSHIP_PROG_TYPE_SK_SKB: ctx->ctx_kind = BPFSHIP_CTX_KIND_SKB; break;
  default: ctx->ctx_kind = BPFSHIP_CTX_KIND_OTHER; break;
  }
  /* splitmix64 spreads any seed (0 included) into a non-zero xorshift128+ state */
  uint64_t z = seed;
  for (int i = 0; i < 2; i++) {
    z += 0x9e3779b97f4a7c15ull;
    uint64_t x = z;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    ctx->prandom_state[i] = x ^ (x >> 31);
  }
  if ((ctx->prandom_state[0] | ctx->prandom_state[1]) == 0) ctx->prandom_state[0] = 1;
  return 0;
}

uint32_t bpfship_run_ctx_size(void) { return (uint32_t)sizeof(bpfship_run_ctx); }

int bpfship_run_ctx_set_packet(bpfship_run_ctx *ctx, uint64_t hard_start, uint64_t data, uint64_t data_end,
                               uint64_t hard_end) {
  if (!ctx || !(hard_start <= data && data <= data_end && data_end <= hard_end)) return -BPFSHIP_EINVAL;
  ctx->data_hard_start = hard_start;
  ctx->data = data;
  ctx->data_end = data_end;
  ctx->data_meta = data;
  ctx->data_hard_end = hard_end;
  return 0;
}

static void put_ctx_ptr(bpfship_run_ctx *ctx, uint32_t off, uint64_t value) {
  if (off == BPFSHIP_CTX_OFF_NONE || ctx->ctx == 0) return;
  char *p = (char *)BS_PTR(ctx->ctx) + off;
  if (ctx->ctx_ptr_size == 8) {
    bs_memcpy(p, &value, 8);
  } else {
    uint32_t v = (uint32_t)value;
    bs_memcpy(p, &v, 4);
  }
}

void bs_sync_ctx_packet(bpfship_run_ctx *ctx) {
  put_ctx_ptr(ctx, ctx->ctx_off_data, ctx->data);
  put_ctx_ptr(ctx, ctx->ctx_off_data_end, ctx->data_end);
  put_ctx_ptr(ctx, ctx->ctx_off_data_meta, ctx->data_meta);
}

void bpfship_run_ctx_set_ctx(bpfship_run_ctx *ctx, uint64_t ctx_addr, uint32_t off_data, uint32_t off_data_end,
                             uint32_t off_data_meta, uint32_t ptr_size) {
  if (!ctx) return;
  ctx->ctx = ctx_addr;
  ctx->ctx_off_data = (uint16_t)(off_data > 0xffffu ? 0xffffu : off_data);
  ctx->ctx_off_data_end = (uint16_t)(off_data_end > 0xffffu ? 0xffffu : off_data_end);
  ctx->ctx_off_data_meta = (uint16_t)(off_data_meta > 0xffffu ? 0xffffu : off_data_meta);
  ctx->ctx_ptr_size = (uint8_t)(ptr_size == 8 ? 8 : 4);
  bs_sync_ctx_packet(ctx);
}

int bpfship_run_ctx_take_tail_call(bpfship_run_ctx *ctx, uint32_t *prog_id) {
  if (!ctx || !ctx->tail_call_pending) return 0;
  ctx->tail_call_pending = 0;
  if (prog_id) *prog_id = ctx->tail_call_target;
  return 1;
}

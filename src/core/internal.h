/*
 * Private to the core: the map object, the per-type operations table, and the few libc pieces both builds need.
 *
 * The wasm build has no libc (no WASI imports are wanted), so memory, string and lock primitives go through the
 * bs_* names below: builtins that clang lowers to bulk-memory instructions in wasm and to libc calls natively.
 *
 * Author: Claude.
 */
#ifndef BPFSHIP_INTERNAL_H
#define BPFSHIP_INTERNAL_H

#include "bpfship_core.h"

#include <stdbool.h>

#define BS_HIDDEN __attribute__((visibility("hidden")))
#define BS_UNUSED __attribute__((unused))
#define BS_LIKELY(x) __builtin_expect(!!(x), 1)
#define BS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define bs_memcpy __builtin_memcpy
#define bs_memmove __builtin_memmove
#define bs_memset __builtin_memset
BS_HIDDEN int bs_memcmp(const void *a, const void *b, size_t n);
BS_HIDDEN size_t bs_strnlen(const char *s, size_t max);

/* Allocation: zero-filled memory, 16-byte aligned (alloc_wasm.c in the wasm build, libc natively). */
BS_HIDDEN void *bs_zalloc(size_t size);
BS_HIDDEN void bs_free(void *ptr);

/* Pointers travel as u64 (eBPF registers); in wasm the upper half is ignored. */
#define BS_PTR(x) ((void *)(uintptr_t)(x))
#define BS_U64(p) ((uint64_t)(uintptr_t)(p))

static inline uint32_t bs_round_up8(uint32_t x) { return (x + 7u) & ~7u; }
static inline bool bs_is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* A test-and-set lock. Natively programs on several threads may share a map; in wasm (single-threaded) the
 * atomics compile to plain loads and stores. */
static inline void bs_lock(volatile uint32_t *l) {
  while (__atomic_exchange_n(l, 1u, __ATOMIC_ACQUIRE) != 0u) {
    while (__atomic_load_n(l, __ATOMIC_RELAXED) != 0u) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
}
static inline void bs_unlock(volatile uint32_t *l) { __atomic_store_n(l, 0u, __ATOMIC_RELEASE); }

/* ---- the map object ---- */

typedef struct map_ops map_ops;

struct bpfship_map {
  uint32_t map_type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t map_flags;
  uint32_t id;
  uint32_t refcnt;          /* user reference + one per outer map slot holding it */
  uint32_t frozen;
  int32_t spin_lock_off;    /* -1 when the value has no bpf_spin_lock */
  uint32_t elem_size;       /* round_up(value_size, 8): one value slot */
  uint32_t user_value_size; /* see bpfship_map_info */
  uint32_t entries;         /* elements present, for types that count them */
  volatile uint32_t lock;   /* guards the map's structure (not values) */
  const map_ops *ops;
  /* Map-in-map: the shape every inner map must have. */
  struct {
    uint32_t map_type, key_size, value_size, max_entries, map_flags;
    int32_t spin_lock_off;
  } inner;
  uint32_t inner_map_id;
  char name[16];
};

/* What each map type implements; NULL members mean "not supported" with the errno the core.c dispatcher gives. */
struct map_ops {
  /* Validates attributes (Linux's map_alloc_check + map_alloc checks); returns 0 or -errno. */
  int (*check)(const bpfship_map_attr *attr);
  /* Allocates the map (the struct embedding struct bpfship_map first); fills *out. */
  int (*alloc)(const bpfship_map_attr *attr, bpfship_map **out);
  void (*free)(bpfship_map *map);
  /* Program-side lookup: value pointer for `cpu`, or NULL. `mark` is true for lookups from programs (LRU ref). */
  void *(*lookup)(bpfship_map *map, const void *key, uint32_t cpu, bool mark);
  /* Program-side update (value_size bytes for `cpu`) and delete. */
  int (*update)(bpfship_map *map, const void *key, const void *value, uint64_t flags, uint32_t cpu);
  int (*remove)(bpfship_map *map, const void *key);
  int (*get_next_key)(bpfship_map *map, const void *key, void *next_key);
  /* User-space copies (user_value_size bytes). When NULL, core.c derives them from lookup/update. */
  int (*sys_lookup)(bpfship_map *map, const void *key, void *value, uint64_t flags);
  int (*sys_update)(bpfship_map *map, const void *key, const void *value, uint64_t flags);
  int (*sys_lookup_and_delete)(bpfship_map *map, const void *key, void *value, uint64_t flags);
  /* Queue, stack and bloom filter: push, and pop (remove) or peek (!remove). A bloom filter's peek reads `value`
   * (the value to test) instead of writing it. */
  int (*push)(bpfship_map *map, const void *value, uint64_t flags);
  int (*pop)(bpfship_map *map, void *value, bool remove);
  /* bpf_for_each_map_elem; returns the number of elements visited or -errno. */
  long (*for_each)(bpfship_map *map, uint64_t callback_fn, uint64_t callback_ctx, bpfship_run_ctx *ctx);
  bool batch; /* supports the generic batch operations */
};

/* Per-type operation tables (one concept per file). */
extern const map_ops bs_array_ops, bs_percpu_array_ops, bs_prog_array_ops, bs_perf_event_array_ops,
    bs_array_of_maps_ops, bs_devmap_ops, bs_cpumap_ops, bs_xskmap_ops;
extern const map_ops bs_hash_ops, bs_percpu_hash_ops, bs_lru_hash_ops, bs_lru_percpu_hash_ops,
    bs_hash_of_maps_ops;
extern const map_ops bs_ringbuf_ops;
extern const map_ops bs_queue_ops, bs_stack_ops;
extern const map_ops bs_lpm_trie_ops;
extern const map_ops bs_bloom_filter_ops;
extern const map_ops bs_cgroup_storage_ops; /* both cgroup storage types */

/* ---- core.c services for the map files ---- */

/* A new test run number for bpfship_run_ctx_init (map_cgroup_storage.c): never 0. */
BS_HIDDEN uint32_t bs_next_test_run(void);

BS_HIDDEN uint32_t bs_ncpus(void);
/* A random u32 for per-map hash seeds (getrandom natively; the host's entropy in wasm, see core.c). */
BS_HIDDEN uint32_t bs_random_u32(void);
/* Fills the common header from the attributes. */
BS_HIDDEN void bs_map_init_common(bpfship_map *map, const bpfship_map_attr *attr);
/* Copies a value without its special field (the spin lock), as Linux's copy_map_value. */
BS_HIDDEN void bs_copy_value(const bpfship_map *map, void *dst, const void *src);
/* Same, holding the value's spin lock (BPF_F_LOCK); `lock_in_src` says which side holds the lock. */
BS_HIDDEN void bs_copy_value_locked(const bpfship_map *map, void *dst, const void *src, bool lock_in_src);
/* Zeroes a value's special fields in a copy handed to user space. */
BS_HIDDEN void bs_zero_special(const bpfship_map *map, void *value);
/* Map-in-map: checks a candidate inner map against the outer map's template; returns the map or NULL with *err. */
BS_HIDDEN bpfship_map *bs_inner_map_get(const bpfship_map *outer, uint32_t id, int *err);
BS_HIDDEN void bs_map_get(bpfship_map *map); /* +1 reference */
BS_HIDDEN void bs_map_put(bpfship_map *map); /* -1 reference, frees at 0 */
/* Generic flag check shared by array-like maps (map_flags & ~BPF_F_LOCK) > BPF_EXIST etc. lives per file. */

/* Callbacks into the executor (bpf_loop, for_each_map_elem). */
BS_HIDDEN uint64_t bs_invoke_callback(bpfship_run_ctx *ctx, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
                                      uint64_t a4, uint64_t a5);

/* Host hooks as the helpers call them. */
BS_HIDDEN uint64_t bs_host_ktime(int clock);
BS_HIDDEN void bs_host_trace(bpfship_run_ctx *ctx, const char *msg, uint32_t len);
BS_HIDDEN int bs_host_perf_output(bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data,
                                  uint32_t size, const void *ctx_data, uint32_t ctx_size);
BS_HIDDEN void bs_host_ringbuf_notify(uint32_t map_id);

/* The host identity for get_current_*. */
typedef struct bs_task {
  uint32_t pid, tgid, uid, gid;
  char comm[16];
} bs_task;
BS_HIDDEN const bs_task *bs_current_task(void);

/*
 * Copies from an address a program passed as a plain number (%s, %pI4 arguments), never faulting, like the
 * kernel's copy_from_kernel_nofault: false (and nothing copied) when [src, src+len) is not readable.
 * bs_strncpy_nofault copies a NUL-terminated string of at most max - 1 bytes and returns its length.
 */
BS_HIDDEN bool bs_copy_nofault(void *dst, const void *src, size_t len);
BS_HIDDEN size_t bs_strncpy_nofault(char *dst, const char *src, size_t max);

/* Ring buffer internals the helpers use. */
BS_HIDDEN void *bs_ringbuf_reserve(bpfship_map *map, uint64_t size);
BS_HIDDEN void bs_ringbuf_commit(void *sample, uint64_t flags, bool discard);

/* Array internals the helpers use (prog_array slots, devmap and cpumap slots, perf_event_array slots). */
BS_HIDDEN int bs_fd_array_slot(bpfship_map *map, uint32_t index, uint32_t *value);

/* Writes the packet pointers back into the program's context struct (after a helper moved them). */
BS_HIDDEN void bs_sync_ctx_packet(bpfship_run_ctx *ctx);

/* skb_clear_hash: __sk_buff.hash becomes 0 and invalid (bpf_skb_store_bytes with BPF_F_INVALIDATE_HASH). */
BS_HIDDEN void bs_skb_clear_hash(bpfship_run_ctx *ctx);

/* Byte order: network (big-endian) 16/32-bit values from and to host integers. */
static inline uint16_t bs_be16(uint16_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_bswap16(v);
#else
  return v;
#endif
}
static inline uint32_t bs_be32(uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_bswap32(v);
#else
  return v;
#endif
}
static inline uint16_t bs_load_be16(const void *p) {
  const uint8_t *b = p;
  return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t bs_load_be32(const void *p) {
  const uint8_t *b = p;
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void bs_store_be32(void *p, uint32_t v) {
  uint8_t *b = p;
  b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* Checksum arithmetic shared by the csum helpers. */
BS_HIDDEN uint32_t bs_csum_partial(const void *buf, uint32_t len, uint32_t sum);

/* Whether the core's device table (fib.c: loopback, and the devices the host adds) has `ifindex`. */
bool bs_device_exists(uint32_t ifindex);

#endif /* BPFSHIP_INTERNAL_H */

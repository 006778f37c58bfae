/*
 * bpfship runtime core: the one implementation of eBPF maps and helpers that every execution mode shares.
 *
 * The same C sources are built twice (scripts/build-core.sh):
 *
 *   - build/core/libbpfship_core.so, a native shared library. Native images (bpf2c output) call helpers through a
 *     table of function pointers filled at load time from bpfship_helper_table[]; eBPF pointers are real addresses.
 *   - build/core/bpfship_core.wasm, a WebAssembly module that EXPORTS its linear memory ("memory", growable up to
 *     2 GiB) and its function table ("__indirect_function_table"). The interpreter runs eBPF over that memory and
 *     the JIT's module imports it, so the eBPF stack, context, packet and all map storage live inside it and eBPF
 *     pointers are byte offsets into it (0 is NULL: the C shadow stack sits at the bottom of memory, so no object
 *     is ever allocated at offset 0). Host services (time, trace output, perf output, callbacks into the executor)
 *     are WebAssembly imports of module "bpfship_host" (see "Host hooks" below).
 *
 * Every struct the executors share with the core (bpfship_map_attr, bpfship_map_info, bpfship_run_ctx) is made of
 * fixed-width fields only, so its layout is identical in both builds; the offsets are fixed by static assertions in
 * core.c and mirrored as constants in src/core/core-wasm.ts.
 *
 * Error convention: functions returning int return 0 (or a count) on success and a negative Linux errno on failure,
 * exactly as the kernel's map code returns it (kernel/bpf/{arraymap,hashtab,ringbuf,queue_stack_maps,lpm_trie}.c),
 * so that a program or a user-space caller sees the same codes whatever the mode.
 *
 * Author: Claude.
 */
#ifndef BPFSHIP_CORE_H
#define BPFSHIP_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported API: default visibility natively (the library is built with -fvisibility=hidden), and a
 * WebAssembly export in the wasm build (wasm-ld --export-dynamic exports default-visibility symbols). */
#define BPFSHIP_API __attribute__((visibility("default")))

/* Bumped whenever a shared struct layout or a function signature below changes. */
#define BPFSHIP_CORE_ABI_VERSION 1u

/* ---------------------------------------------------------------------------------------------------------------
 * Linux constants the core speaks in (values from /usr/include/linux/bpf.h and errno.h)
 * ------------------------------------------------------------------------------------------------------------ */

/* Error numbers, returned negated. ENOTSUPP (524) is the kernel-internal code the kernel does return to user space
 * for some map operations (ringbuf lookup, missing batch support); EOPNOTSUPP is the POSIX one. */
#define BPFSHIP_EPERM 1
#define BPFSHIP_ENOENT 2
#define BPFSHIP_EINTR 4
#define BPFSHIP_E2BIG 7
#define BPFSHIP_EBADF 9
#define BPFSHIP_EAGAIN 11
#define BPFSHIP_ENOMEM 12
#define BPFSHIP_EACCES 13
#define BPFSHIP_EFAULT 14
#define BPFSHIP_EBUSY 16
#define BPFSHIP_EEXIST 17
#define BPFSHIP_ENODEV 19
#define BPFSHIP_EINVAL 22
#define BPFSHIP_ENOSPC 28
#define BPFSHIP_ERANGE 34
#define BPFSHIP_EPROTO 71
#define BPFSHIP_EOVERFLOW 75
#define BPFSHIP_EOPNOTSUPP 95
#define BPFSHIP_EAFNOSUPPORT 97
#define BPFSHIP_EALREADY 114
#define BPFSHIP_ENOTSUPP 524

/* Map types (enum bpf_map_type). The core implements the ones marked +. */
#define BPFSHIP_MAP_TYPE_HASH 1             /* + */
#define BPFSHIP_MAP_TYPE_ARRAY 2            /* + */
#define BPFSHIP_MAP_TYPE_PROG_ARRAY 3       /* + slots hold executor program ids */
#define BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY 4 /* + slots mark open per-CPU outputs */
#define BPFSHIP_MAP_TYPE_PERCPU_HASH 5      /* + */
#define BPFSHIP_MAP_TYPE_PERCPU_ARRAY 6     /* + */
#define BPFSHIP_MAP_TYPE_LRU_HASH 9         /* + */
#define BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH 10 /* + */
#define BPFSHIP_MAP_TYPE_LPM_TRIE 11        /* + */
#define BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS 12   /* + */
#define BPFSHIP_MAP_TYPE_HASH_OF_MAPS 13    /* + */
#define BPFSHIP_MAP_TYPE_DEVMAP 14          /* + slots hold ifindexes, for bpf_redirect_map */
#define BPFSHIP_MAP_TYPE_CPUMAP 16          /* + slots hold queue sizes, for bpf_redirect_map */
#define BPFSHIP_MAP_TYPE_XSKMAP 17          /* + AF_XDP sockets: none exist here, so every slot stays empty */
#define BPFSHIP_MAP_TYPE_CGROUP_STORAGE 19  /* + one storage per test run, for bpf_get_local_storage; empty to user
                                               space (no cgroup is ever attached) */
#define BPFSHIP_MAP_TYPE_PERCPU_CGROUP_STORAGE 21 /* + the same, one copy per CPU */
#define BPFSHIP_MAP_TYPE_QUEUE 22           /* + */
#define BPFSHIP_MAP_TYPE_STACK 23           /* + */
#define BPFSHIP_MAP_TYPE_RINGBUF 27         /* + */
#define BPFSHIP_MAP_TYPE_BLOOM_FILTER 30    /* + */
#define BPFSHIP_MAP_TYPE_USER_RINGBUF 31    /* + created with a ring buffer's rules; no user-space producer and no
                                               bpf_user_ringbuf_drain yet, so no record ever reaches a program */

/* Update flags (BPF_MAP_UPDATE_ELEM). */
#define BPFSHIP_ANY 0ull
#define BPFSHIP_NOEXIST 1ull
#define BPFSHIP_EXIST 2ull
#define BPFSHIP_F_LOCK 4ull

/* Map creation flags (BPF_MAP_CREATE). */
#define BPFSHIP_F_NO_PREALLOC (1u << 0)
#define BPFSHIP_F_NO_COMMON_LRU (1u << 1)
#define BPFSHIP_F_NUMA_NODE (1u << 2)
#define BPFSHIP_F_RDONLY (1u << 3)
#define BPFSHIP_F_WRONLY (1u << 4)
#define BPFSHIP_F_STACK_BUILD_ID (1u << 5)
#define BPFSHIP_F_ZERO_SEED (1u << 6)
#define BPFSHIP_F_RDONLY_PROG (1u << 7)
#define BPFSHIP_F_WRONLY_PROG (1u << 8)
#define BPFSHIP_F_CLONE (1u << 9)
#define BPFSHIP_F_MMAPABLE (1u << 10)
#define BPFSHIP_F_PRESERVE_ELEMS (1u << 11)
#define BPFSHIP_F_INNER_MAP (1u << 12)

/* Program types the helpers distinguish (enum bpf_prog_type). */
#define BPFSHIP_PROG_TYPE_SOCKET_FILTER 1
#define BPFSHIP_PROG_TYPE_KPROBE 2
#define BPFSHIP_PROG_TYPE_SCHED_CLS 3
#define BPFSHIP_PROG_TYPE_SCHED_ACT 4
#define BPFSHIP_PROG_TYPE_TRACEPOINT 5
#define BPFSHIP_PROG_TYPE_XDP 6
#define BPFSHIP_PROG_TYPE_CGROUP_SKB 8
#define BPFSHIP_PROG_TYPE_LWT_IN 10
#define BPFSHIP_PROG_TYPE_LWT_OUT 11
#define BPFSHIP_PROG_TYPE_LWT_XMIT 12
#define BPFSHIP_PROG_TYPE_SK_SKB 14

/* Return codes the redirect helpers produce. */
#define BPFSHIP_XDP_ABORTED 0
#define BPFSHIP_XDP_DROP 1
#define BPFSHIP_XDP_PASS 2
#define BPFSHIP_XDP_TX 3
#define BPFSHIP_XDP_REDIRECT 4
#define BPFSHIP_TC_ACT_SHOT 2
#define BPFSHIP_TC_ACT_REDIRECT 7

/* What bpf_redirect_neigh / bpf_redirect_peer add to redirect_flags (Linux 6.18's internal BPF_F_NEIGH, BPF_F_PEER,
 * BPF_F_NEXTHOP), so a host can tell them from bpf_redirect. */
#define BPFSHIP_REDIRECT_F_NEIGH (1ull << 16)
#define BPFSHIP_REDIRECT_F_PEER (1ull << 17)
#define BPFSHIP_REDIRECT_F_NEXTHOP (1ull << 18)

/* Linux limits the runtime enforces the same way. */
#define BPFSHIP_MAX_TAIL_CALL_CNT 33u       /* kernel MAX_TAIL_CALL_CNT */
#define BPFSHIP_MAX_LOOPS (1u << 23)        /* kernel BPF_MAX_LOOPS, for bpf_loop */
#define BPFSHIP_MAX_CPUS 1024u              /* upper bound on bpfship_core_init(ncpus) */
#define BPFSHIP_RINGBUF_HDR_SZ 8u           /* struct bpf_ringbuf_hdr */
#define BPFSHIP_RINGBUF_BUSY_BIT (1u << 31) /* record reserved, not yet committed */
#define BPFSHIP_RINGBUF_DISCARD_BIT (1u << 30)
#define BPFSHIP_PAGE_SIZE 4096u /* ringbuf sizes must be power-of-2 multiples of it */
#define BPFSHIP_SKB_MAX_LEN 16064u /* SKB_MAX_ALLOC: the longest packet skb_change_head/tail, adjust_room make */
#define BPFSHIP_CPUMAP_MAX_ENTRIES BPFSHIP_MAX_CPUS /* the core's NR_CPUS (Linux: CONFIG_NR_CPUS) */

/* Helper ids (enum bpf_func_id): one past the last id the table knows (user_ringbuf_drain = 209). */
#define BPFSHIP_HELPER_COUNT 210u

/* ---------------------------------------------------------------------------------------------------------------
 * Core lifecycle, host identity, memory
 * ------------------------------------------------------------------------------------------------------------ */

/*
 * Initialises the core: `ncpus` is the number of possible CPUs (1..BPFSHIP_MAX_CPUS), which fixes the shape of
 * every per-CPU map. Must be called once before any map is created; a second call with the same value is a no-op,
 * with another value (once maps exist) it returns -EBUSY. Returns 0 or -EINVAL.
 */
BPFSHIP_API int bpfship_core_init(uint32_t ncpus);

/* The number of possible CPUs given to bpfship_core_init (1 before it is called). */
BPFSHIP_API uint32_t bpfship_core_ncpus(void);

/* BPFSHIP_CORE_ABI_VERSION of the built library, for loaders to refuse a mismatched core. */
BPFSHIP_API uint32_t bpfship_core_abi_version(void);

/*
 * The identity bpf_get_current_pid_tgid/uid_gid/comm report: the host process's, passed in by the host because
 * the core itself makes no system calls. `comm` is copied (at most 15 bytes, like the kernel's TASK_COMM_LEN 16).
 */
BPFSHIP_API void bpfship_core_set_task(uint32_t pid, uint32_t tgid, uint32_t uid, uint32_t gid, const char *comm);

/*
 * Mixes `entropy` into the source of per-map random hash seeds (bloom filters without BPF_F_ZERO_SEED). The native
 * build takes its seeds from getrandom() and needs none; the wasm build has no entropy of its own, so its host
 * should call this once with random bits before creating maps.
 */
BPFSHIP_API void bpfship_core_add_entropy(uint64_t entropy);

/*
 * Memory the executors need inside the core's address space (the eBPF stack, the context struct, the packet with
 * its headroom, scratch buffers for map keys and values): zero-filled, 16-byte aligned, or NULL when memory is
 * exhausted. In the wasm build this is the only allocator of the linear memory; natively it is calloc/free.
 */
BPFSHIP_API void *bpfship_alloc(size_t size);
BPFSHIP_API void bpfship_free(void *ptr);

/* ---------------------------------------------------------------------------------------------------------------
 * Host hooks
 *
 * Natively, the host fills a bpfship_host_hooks and passes it to bpfship_core_set_hooks (a NULL member means: time
 * reads 0, trace and perf output are dropped, no notification). In the wasm build the same hooks are imports of
 * module "bpfship_host", with pointers as i32 offsets (bpfship_core_set_hooks exists there but does nothing):
 *
 *   ktime_ns(clock: i32) -> i64                                  clock: 0 monotonic, 1 boottime, 2 coarse, 3 tai
 *   trace(run_ctx: i32, msg: i32, len: i32) -> void              one bpf_trace_printk / bpf_printk message
 *   perf_output(run_ctx: i32, map_id: i32, cpu: i32, data: i32, size: i32, ctx_data: i32, ctx_size: i32) -> i32
 *   ringbuf_notify(map_id: i32) -> void                          a record a consumer may want was committed
 *   invoke_callback(run_ctx: i32, fn: i64, a1..a5: i64) -> i64   run an eBPF callback (bpf_loop, for_each...)
 * ------------------------------------------------------------------------------------------------------------ */

typedef struct bpfship_run_ctx bpfship_run_ctx;

/* Clocks of ktime_ns. */
#define BPFSHIP_CLOCK_MONOTONIC 0
#define BPFSHIP_CLOCK_BOOTTIME 1
#define BPFSHIP_CLOCK_COARSE 2
#define BPFSHIP_CLOCK_TAI 3

typedef struct bpfship_host_hooks {
  void *user; /* passed back to every hook */
  uint64_t (*ktime_ns)(void *user, int clock);
  void (*trace)(void *user, bpfship_run_ctx *ctx, const char *msg, uint32_t len);
  /* Returns 0, or a negative errno the helper passes on to the program. */
  int (*perf_output)(void *user, bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data,
                     uint32_t size, const void *ctx_data, uint32_t ctx_size);
  void (*ringbuf_notify)(void *user, uint32_t map_id);
} bpfship_host_hooks;

/* Native build only (the wasm build takes its hooks as imports): installs `hooks` (copied). */
BPFSHIP_API void bpfship_core_set_hooks(const bpfship_host_hooks *hooks);

/* ---------------------------------------------------------------------------------------------------------------
 * Maps: creation and the user-space ("syscall") view
 * ------------------------------------------------------------------------------------------------------------ */

typedef struct bpfship_map bpfship_map; /* opaque */

/* Attributes of a new map: the fields of BPF_MAP_CREATE the core uses. 56 bytes, identical in both builds. */
typedef struct bpfship_map_attr {
  uint32_t map_type;     /*  0: BPFSHIP_MAP_TYPE_* */
  uint32_t key_size;     /*  4 */
  uint32_t value_size;   /*  8: for map-in-map and prog/perf/dev arrays the user-space value (an id) */
  uint32_t max_entries;  /* 12 */
  uint32_t map_flags;    /* 16: BPFSHIP_F_* */
  uint32_t inner_map_id; /* 20: map-in-map only: the id of a map whose shape every inner map must have */
  int32_t spin_lock_off; /* 24: offset of the struct bpf_spin_lock inside the value (from BTF), or -1 */
  uint32_t reserved;     /* 28: must be 0 */
  uint64_t map_extra;    /* 32: bloom filters: the number of hash functions (low 4 bits, 0 = 5); else 0 */
  char name[16];         /* 40: a name for diagnostics, NUL-padded (BPF_OBJ_NAME_LEN) */
} bpfship_map_attr;

/* What bpfship_map_get_info reports. 48 bytes, identical in both builds. */
typedef struct bpfship_map_info {
  uint32_t id;              /*  0 */
  uint32_t map_type;        /*  4 */
  uint32_t key_size;        /*  8 */
  uint32_t value_size;      /* 12 */
  uint32_t max_entries;     /* 16: after Linux's adjustments (BPF_F_NO_COMMON_LRU rounds to a CPU multiple) */
  uint32_t map_flags;       /* 20 */
  uint32_t user_value_size; /* 24: bytes one value occupies in the user-space view: for per-CPU maps
                                     ncpus * round_up(value_size, 8), for fd-like maps 4, else value_size */
  int32_t spin_lock_off;    /* 28 */
  uint32_t inner_map_id;    /* 32 */
  uint32_t frozen;          /* 36 */
  uint32_t entries;         /* 40: elements present now (hash, lru, lpm, queue/stack); max_entries for arrays */
  uint32_t reserved;        /* 44 */
} bpfship_map_info;

/*
 * Creates a map, validating the attributes as Linux's map_alloc_check/map_alloc do (same errno per case):
 * e.g. an array needs key_size 4; a ringbuf needs key_size = value_size = 0 and max_entries a power-of-2 multiple
 * of 4096; an lpm_trie needs BPF_F_NO_PREALLOC and key_size = 4 + 1..256; an LRU hash refuses BPF_F_NO_PREALLOC
 * with -ENOTSUPP; unknown types and flags give -EINVAL. On success stores the map in *out and returns 0; the map
 * holds one user reference, dropped by bpfship_map_release.
 */
BPFSHIP_API int bpfship_map_create(const bpfship_map_attr *attr, bpfship_map **out);

/* Drops the user reference; the map is freed once no outer map holds it either. */
BPFSHIP_API void bpfship_map_release(bpfship_map *map);

/* The map's id (1, 2, ...; never reused), and the live map with a given id or NULL. */
BPFSHIP_API uint32_t bpfship_map_id(const bpfship_map *map);
BPFSHIP_API bpfship_map *bpfship_map_from_id(uint32_t id);

/* Fills *info; returns 0. */
BPFSHIP_API int bpfship_map_get_info(const bpfship_map *map, bpfship_map_info *info);

/* BPF_MAP_FREEZE: from now on user-space updates and deletes fail with -EPERM (programs may still write unless
 * the map has BPF_F_RDONLY_PROG). Returns 0, or -EBUSY if already frozen. */
BPFSHIP_API int bpfship_map_freeze(bpfship_map *map);

/*
 * The user-space operations (BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, ...). `value` buffers hold user_value_size bytes:
 * per-CPU maps take and give one round_up(value_size, 8) slot per possible CPU; prog arrays, perf event arrays,
 * devmaps and map-in-map maps take and give a u32 id. Queue and stack maps take key NULL: lookup peeks, update
 * pushes, lookup_and_delete pops. Bloom filters take key NULL too: update adds the value (flags BPF_ANY only),
 * lookup tests it (`value` is read, not written: 0 when maybe present, -ENOENT when absent), delete and
 * get_next_key give -EOPNOTSUPP, lookup_and_delete -ENOTSUPP. Cgroup storage maps are empty to user space (no
 * cgroup is attached; programs reach their storage through bpf_get_local_storage only): lookup, update and
 * get_next_key give -ENOENT, delete -EINVAL. Flags: BPF_ANY/NOEXIST/EXIST for updates, BPF_F_LOCK where the value has a
 * spin lock (else -EINVAL). Special fields (the spin lock) are never copied and read back as zero, as in Linux.
 */
BPFSHIP_API int bpfship_map_lookup(bpfship_map *map, const void *key, void *value, uint64_t flags);
BPFSHIP_API int bpfship_map_update(bpfship_map *map, const void *key, const void *value, uint64_t flags);
BPFSHIP_API int bpfship_map_delete(bpfship_map *map, const void *key);
BPFSHIP_API int bpfship_map_lookup_and_delete(bpfship_map *map, const void *key, void *value, uint64_t flags);

/* A bloom filter's bitmap size in bits and number of hash functions (what Linux computed from max_entries and
 * map_extra); -EINVAL for other maps. */
BPFSHIP_API int bpfship_bloom_geometry(const bpfship_map *map, uint64_t *bits, uint32_t *nr_hash_funcs);

/* Linux's jhash(data, len, initval) on a little-endian machine: the hash bloom filters use. */
BPFSHIP_API uint32_t bpfship_jhash(const void *data, uint32_t len, uint32_t initval);

/*
 * BPF_MAP_GET_NEXT_KEY: with key NULL (or a key not in the map) the first key; -ENOENT after the last. As in
 * Linux, a hash map restarts from its first key when `key` was deleted, so the safe pattern for deleting while
 * iterating is "get the next key, then delete the current one".
 */
BPFSHIP_API int bpfship_map_get_next_key(bpfship_map *map, const void *key, void *next_key);

/*
 * Batch operations (BPF_MAP_*_BATCH), with the semantics of Linux's generic_map_*_batch: *count is the capacity
 * on entry and the number of elements processed on return. The batch token is a key: in_batch NULL starts at the
 * beginning, out_batch (key_size bytes) receives the token to pass next; the call returns -ENOENT once the map is
 * exhausted (with *count possibly > 0). keys/values are packed arrays of key_size / user_value_size bytes.
 * elem_flags: BPF_F_LOCK only for lookups; BPF_ANY/NOEXIST/EXIST[|F_LOCK] for updates. Types without batch
 * support in Linux (queue, stack, ringbuf, prog/perf/dev arrays) give -ENOTSUPP.
 */
BPFSHIP_API int bpfship_map_lookup_batch(bpfship_map *map, const void *in_batch, void *out_batch, void *keys,
                                         void *values, uint32_t *count, uint64_t elem_flags);
BPFSHIP_API int bpfship_map_lookup_and_delete_batch(bpfship_map *map, const void *in_batch, void *out_batch,
                                                    void *keys, void *values, uint32_t *count, uint64_t elem_flags);
BPFSHIP_API int bpfship_map_update_batch(bpfship_map *map, const void *keys, const void *values, uint32_t *count,
                                         uint64_t elem_flags);
BPFSHIP_API int bpfship_map_delete_batch(bpfship_map *map, const void *keys, uint32_t *count);

/*
 * The address of an array map's value `index` for CPU `cpu` (cpu is ignored unless per-CPU), or NULL if out of
 * range or not an array: what a loader puts in `ld_imm64 BPF_PSEUDO_MAP_VALUE` (global .data/.rodata/.bss).
 */
BPFSHIP_API void *bpfship_map_value_addr(bpfship_map *map, uint32_t index, uint32_t cpu);

/* ---------------------------------------------------------------------------------------------------------------
 * Program-side map access (what the helpers do), for executors that inline map lookups
 * ------------------------------------------------------------------------------------------------------------ */

/* bpf_map_lookup_elem as a program sees it: the value for ctx->cpu (per-CPU maps), the inner map for map-in-map
 * maps, NULL when absent. Marks LRU elements as referenced. */
BPFSHIP_API void *bpfship_map_lookup_elem(bpfship_map *map, const void *key, bpfship_run_ctx *ctx);

/* The address of the map type's own lookup, void *lookup(bpfship_map *map, const void *key, uint32_t cpu, bool
 * mark), which bpfship_map_lookup_elem calls as lookup(map, key, ctx->cpu, true): for an executor that calls it
 * directly for a map it knows (in WebAssembly the address is an index in the function table); 0 when the type
 * has none. */
BPFSHIP_API uintptr_t bpfship_map_lookup_op(const bpfship_map *map);

/* A program array's slots, for an executor that makes bpf_tail_call itself: max_entries u64 words, each 0 for an
 * empty slot or BPFSHIP_PROG_SLOT_PRESENT | the program's id. NULL for any other map type. The helper's order of
 * checks (index, then the tail-call count, counted, then the slot) is what such an executor must keep. */
#define BPFSHIP_PROG_SLOT_PRESENT (1ull << 32)
BPFSHIP_API const uint64_t *bpfship_prog_array_slots(const bpfship_map *map);

/* ---------------------------------------------------------------------------------------------------------------
 * Ring buffer consumer (user space side of BPF_MAP_TYPE_RINGBUF)
 *
 * Records are read in order; discarded records are skipped; a record still reserved (not submitted or discarded)
 * stops the consumer until it is committed, as in libbpf's ring_buffer__consume.
 * ------------------------------------------------------------------------------------------------------------ */

/*
 * Looks at the next committed record without consuming it: stores its address in *sample and returns its length
 * (>= 0); returns -EAGAIN when no committed record is available, -EINVAL if `map` is not a ring buffer.
 * The record stays valid until bpfship_ringbuf_advance; it is contiguous even when it wraps around the ring.
 */
BPFSHIP_API int64_t bpfship_ringbuf_peek(bpfship_map *map, void **sample);

/* Consumes the record bpfship_ringbuf_peek returned (and any discarded records before it). Returns 0 or -EAGAIN. */
BPFSHIP_API int bpfship_ringbuf_advance(bpfship_map *map);

/* Calls fn(cb_ctx, sample, size) for up to `max` committed records (0 = no limit), consuming them; stops early
 * when fn returns a negative value (which is returned). Returns the number of records delivered. */
typedef int (*bpfship_ringbuf_sample_fn)(void *cb_ctx, void *sample, uint32_t size);
BPFSHIP_API int bpfship_ringbuf_consume(bpfship_map *map, bpfship_ringbuf_sample_fn fn, void *cb_ctx,
                                        uint32_t max);

/* Producer-side view: BPF_RB_AVAIL_DATA (0), BPF_RB_RING_SIZE (1), BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3). */
BPFSHIP_API uint64_t bpfship_ringbuf_query(bpfship_map *map, uint64_t flags);

/* ---------------------------------------------------------------------------------------------------------------
 * The run context: one per program invocation, shared by all three modes
 *
 * The executor allocates it (bpfship_alloc(sizeof(bpfship_run_ctx)) in the wasm build), calls
 * bpfship_run_ctx_init, sets up the packet and context fields, and passes it as the last argument of every helper
 * call. Pointers are u64 addresses (wasm: byte offsets in linear memory) so the layout is the same in both builds.
 * ------------------------------------------------------------------------------------------------------------ */

/* Where the redirect helpers recorded their target. */
#define BPFSHIP_REDIRECT_NONE 0
#define BPFSHIP_REDIRECT_IFINDEX 1 /* bpf_redirect(ifindex, flags) */
#define BPFSHIP_REDIRECT_MAP 2     /* bpf_redirect_map(map, key, flags) */

struct bpfship_run_ctx {
  /* --- set by the executor before the run --- */
  uint64_t ctx;             /*   0: address of the context struct the program receives in r1 */
  uint64_t data;            /*   8: packet: first byte the program sees */
  uint64_t data_end;        /*  16: packet: one past the last byte */
  uint64_t data_meta;       /*  24: packet: XDP metadata start (== data when there is none) */
  uint64_t data_hard_start; /*  32: start of the packet buffer: headroom is [data_hard_start, data) */
  uint64_t data_hard_end;   /*  40: end of the buffer: bpf_xdp_adjust_tail may grow data_end up to here */
  uint32_t prog_type;       /*  48: BPFSHIP_PROG_TYPE_*, decides what redirect/perf output helpers return */
  uint32_t cpu;             /*  52: the CPU this run is on: per-CPU map slot, bpf_get_smp_processor_id */
  uint32_t prog_id;         /*  56: the executor's id of the running program (reported to hooks) */
  uint32_t headroom_reserve;/*  60: bytes at data_hard_start adjust_head/meta may not use (Linux: xdp_frame) */
  /* Where data, data_end and data_meta live inside the context struct, so helpers that move the packet
   * (xdp_adjust_head/tail/meta) update what the program reads: offsets into *ctx, 0xffff when absent. */
  uint16_t ctx_off_data;      /*  64 */
  uint16_t ctx_off_data_end;  /*  66 */
  uint16_t ctx_off_data_meta; /*  68 */
  uint8_t ctx_ptr_size;       /*  70: 4 (xdp_md, __sk_buff: u32 fields, wasm offsets) or 8 (native pointers) */
  /* BPFSHIP_CTX_KIND_SKB when *ctx is a struct __sk_buff (run_ctx_init sets it for the program types whose context
   * that is): the skb helpers then keep its len, pkt_type, protocol and hash fields current, as Linux's context
   * rewrites read them from the live sk_buff (only when ctx_off_data is absent or __sk_buff's, 76). An executor
   * running such a type over another context clears it. */
  uint8_t ctx_kind;           /*  71 */
  /* --- results the helpers record, read by the executor: tail_call_target only while tail_call_pending is set,
   * the redirect_* details only when redirect_kind is not NONE (so a run need clear only those two) --- */
  uint32_t tail_call_pending; /*  72: 1 after a successful bpf_tail_call: stop this program, run the target */
  uint32_t tail_call_target;  /*  76: the program id found in the prog array slot */
  uint32_t tail_call_count;   /*  80: tail calls taken so far in this run (bpf_tail_call fails at 33) */
  uint32_t redirect_kind;     /*  84: BPFSHIP_REDIRECT_* */
  uint32_t redirect_ifindex;  /*  88: bpf_redirect's ifindex, or the devmap slot's ifindex */
  uint32_t redirect_map_id;   /*  92: bpf_redirect_map's map */
  uint32_t redirect_key;      /*  96: bpf_redirect_map's key */
  uint32_t trace_count;       /* 100: bpf_trace_printk/vprintk messages emitted in this run */
  uint64_t redirect_flags;    /* 104 */
  /* --- helper state --- */
  uint64_t prandom_state[2];  /* 112: bpf_get_prandom_u32 generator (xorshift128+), seeded by run_ctx_init */
  /* Native only: how callbacks (bpf_loop, bpf_for_each_map_elem) reach the executor. 0 means the callback
   * argument is itself a function with the helper signature (bpf2c emits callbacks that way); otherwise a
   * bpfship_callback_invoker. The wasm build always uses the invoke_callback import. */
  uint64_t callback_invoker;  /* 128 */
  uint64_t executor_data;     /* 136: opaque to the core: the executor's own per-run pointer */
  /* --- the sk_buff state Linux keeps outside __sk_buff, for the skb helpers (all zero after run_ctx_init means
   * "as BPF_PROG_TEST_RUN built it": network header after the Ethernet header for tc, at data otherwise; no
   * transport header, no encapsulation, no valid hash, no tunnel metadata) --- */
  int32_t skb_network_off;    /* 144: network header - data, when skb_flags has BPFSHIP_SKB_F_HEADERS */
  int32_t skb_transport_off;  /* 148: transport header - data, when skb_flags has BPFSHIP_SKB_F_TRANSPORT */
  uint32_t skb_flags;         /* 152: BPFSHIP_SKB_F_* */
  /* 156: which test run this is, for cgroup storage (bpf_get_local_storage): a new number from each
   * bpfship_run_ctx_init, so the `repeat` runs of one test run, which keep their run context, share one storage
   * and the next test run gets a zeroed one, as BPF_PROG_TEST_RUN allocates it (map_cgroup_storage.c) */
  uint32_t test_run;
};                            /* 160 bytes */

#define BPFSHIP_RUN_CTX_SIZE 160u
#define BPFSHIP_CTX_OFF_NONE 0xffffu

/* ctx_kind */
#define BPFSHIP_CTX_KIND_OTHER 0
#define BPFSHIP_CTX_KIND_SKB 1

/* skb_flags */
#define BPFSHIP_SKB_F_HEADERS (1u << 0)   /* skb_network_off holds the network header */
#define BPFSHIP_SKB_F_TRANSPORT (1u << 1) /* skb_transport_off holds the transport header (Linux: "was set") */
#define BPFSHIP_SKB_F_ENCAP (1u << 2)     /* skb->encapsulation: bpf_skb_adjust_room added an outer header */
#define BPFSHIP_SKB_F_HASH (1u << 3)      /* __sk_buff.hash is valid (skb->l4_hash or sw_hash) */
#define BPFSHIP_SKB_F_TUNNEL (1u << 4)    /* tunnel metadata is attached (see bpfship_run_ctx_get_tunnel_info) */

/* Native callback invoker: run eBPF function `fn` with arguments r1..r5, return its r0. */
typedef uint64_t (*bpfship_callback_invoker)(bpfship_run_ctx *ctx, uint64_t fn, uint64_t r1, uint64_t r2,
                                              uint64_t r3, uint64_t r4, uint64_t r5);

/* Zeroes *ctx and sets prog_type, cpu (must be < ncpus, else -EINVAL), a new test_run number, and the prandom seed; ctx offsets are set
 * to "absent", ctx_ptr_size to the native pointer size, ctx_kind from the program type (SKB for socket filters,
 * tc, cgroup skb, lwt and sk_skb programs). Returns 0 or -EINVAL. */
BPFSHIP_API int bpfship_run_ctx_init(bpfship_run_ctx *ctx, uint32_t prog_type, uint32_t cpu, uint64_t seed);

/* sizeof(bpfship_run_ctx), for hosts that allocate it. */
BPFSHIP_API uint32_t bpfship_run_ctx_size(void);

/*
 * Describes the packet: the buffer [hard_start, hard_end) with the packet at [data, data_end); data_meta = data.
 * Returns -EINVAL unless hard_start <= data <= data_end <= hard_end.
 */
BPFSHIP_API int bpfship_run_ctx_set_packet(bpfship_run_ctx *ctx, uint64_t hard_start, uint64_t data,
                                           uint64_t data_end, uint64_t hard_end);

/* Says where the packet pointers live in the program's context struct (see ctx_off_*), and writes them there. */
BPFSHIP_API void bpfship_run_ctx_set_ctx(bpfship_run_ctx *ctx, uint64_t ctx_addr, uint32_t off_data,
                                         uint32_t off_data_end, uint32_t off_data_meta, uint32_t ptr_size);

/* If a tail call is pending: clears it, stores the target program id and returns 1; else returns 0. */
BPFSHIP_API int bpfship_run_ctx_take_tail_call(bpfship_run_ctx *ctx, uint32_t *prog_id);

/* A native image's runner (bpfship_native_run): runs entry program `program` with the run context as set up. */
typedef uint64_t (*bpfship_program_runner)(uint32_t program, bpfship_run_ctx *ctx);

/*
 * Native library only. BPF_PROG_TEST_RUN's repeat loop (Linux's bpf_test_run): calls run(program, ctx) `repeat`
 * times (0 counts as 1) over the input the caller set up once, with nothing restored between runs (the packet,
 * context and maps carry over from one run to the next, as in the kernel); the runner itself clears only the
 * per-run results (tail calls, redirect, trace count). Stores the CPU time the loop took on this thread, in
 * nanoseconds, in *elapsed_ns (the kernel's duration is that divided by the count: it too leaves out the time its
 * loop spends scheduled out) and returns the last run's r0.
 */
BPFSHIP_API uint64_t bpfship_test_run_repeat(bpfship_program_runner run, uint32_t program, bpfship_run_ctx *ctx,
                                             uint32_t repeat, uint64_t *elapsed_ns);

/* ---------------------------------------------------------------------------------------------------------------
 * Tunnel metadata (what Linux keeps in the skb's metadata dst: bpf_skb_set_tunnel_key writes it, get reads it)
 *
 * As in Linux, where the metadata lives in a per-CPU dst the skb points to, the core keeps one record per CPU and
 * the run context only says whether the packet has one (BPFSHIP_SKB_F_TUNNEL): a run on CPU n sees the record of
 * CPU n, so two runs on the same CPU at once (a nested run) share it.
 * ------------------------------------------------------------------------------------------------------------ */

#define BPFSHIP_TUNNEL_TX (1u << 0)   /* set for transmission (bpf_skb_set_tunnel_key), else received */
#define BPFSHIP_TUNNEL_IPV6 (1u << 1) /* outer addresses are IPv6 */

/* Linux's tunnel flags (IP_TUNNEL_*_BIT as bits), the ones the helpers set. */
#define BPFSHIP_TUNNEL_F_CSUM (1u << 0)
#define BPFSHIP_TUNNEL_F_KEY (1u << 2)
#define BPFSHIP_TUNNEL_F_SEQ (1u << 3)
#define BPFSHIP_TUNNEL_F_DONT_FRAGMENT (1u << 8)
#define BPFSHIP_TUNNEL_F_NOCACHE (1u << 13)

/* struct ip_tunnel_info's key, as the helpers see it. 56 bytes, identical in both builds. */
typedef struct bpfship_tunnel_info {
  uint64_t tunnel_id; /*  0: the key (programs see its low 32 bits) */
  uint8_t src[16];    /*  8: outer source address, network order (IPv4: the first 4 bytes) */
  uint8_t dst[16];    /* 24: outer destination address */
  uint32_t label;     /* 40: IPv6 flow label (20 bits) */
  uint16_t flags;     /* 44: BPFSHIP_TUNNEL_F_* */
  uint8_t tos;        /* 46 */
  uint8_t ttl;        /* 47 */
  uint32_t mode;      /* 48: BPFSHIP_TUNNEL_TX, BPFSHIP_TUNNEL_IPV6 */
  uint32_t reserved;  /* 52: must be 0 */
} bpfship_tunnel_info;

/* Gives the run's packet tunnel metadata (as a packet received from a tunnel device carries it; NULL removes it).
 * Returns 0, or -EINVAL for an unknown mode bit or a non-zero reserved field. */
BPFSHIP_API int bpfship_run_ctx_set_tunnel_info(bpfship_run_ctx *ctx, const bpfship_tunnel_info *info);

/* The run's tunnel metadata (after the run: what bpf_skb_set_tunnel_key set for transmission). 0 or -ENOENT. */
BPFSHIP_API int bpfship_run_ctx_get_tunnel_info(const bpfship_run_ctx *ctx, bpfship_tunnel_info *info);

/* The cookies bpf_get_socket_cookie and bpf_get_netns_cookie return: the runtime has no sockets or namespaces, so
 * every run sees the same ones (default 1 and 1). */
BPFSHIP_API void bpfship_core_set_cookies(uint64_t socket_cookie, uint64_t netns_cookie);

/* ---------------------------------------------------------------------------------------------------------------
 * The FIB bpf_fib_lookup consults
 *
 * The core has no kernel routing table; it keeps a small one of its own that the host fills: devices, routes (in
 * numbered tables, longest prefix first, then the lowest metric) and neighbours. It starts as a fresh Linux network
 * namespace does: one device, ifindex 1 (loopback, MTU 65536, forwarding off), no routes, so a lookup through
 * ifindex 1 gives BPF_FIB_LKUP_RET_FWD_DISABLED and through any other ifindex -ENODEV. Not modelled: policy rules
 * (a lookup without BPF_FIB_LOOKUP_DIRECT searches the local (255), main (254) and default (253) tables in turn, and
 * the mark is ignored), multipath, lightweight tunnels, device addresses (BPF_FIB_LOOKUP_SRC takes the route's
 * preferred source; without one IPv4 gives 0, IPv6 BPF_FIB_LKUP_RET_NO_SRC_ADDR), VLANs.
 * ------------------------------------------------------------------------------------------------------------ */

#define BPFSHIP_AF_INET 2
#define BPFSHIP_AF_INET6 10

#define BPFSHIP_FIB_DEV_FORWARD_V4 (1u << 0) /* net.ipv4.conf.<dev>.forwarding */
#define BPFSHIP_FIB_DEV_FORWARD_V6 (1u << 1) /* net.ipv6.conf.<dev>.forwarding */

/* Route types (RTN_*): others are refused. */
#define BPFSHIP_RTN_UNICAST 1
#define BPFSHIP_RTN_LOCAL 2
#define BPFSHIP_RTN_BLACKHOLE 6
#define BPFSHIP_RTN_UNREACHABLE 7
#define BPFSHIP_RTN_PROHIBIT 8

#define BPFSHIP_RT_TABLE_DEFAULT 253
#define BPFSHIP_RT_TABLE_MAIN 254
#define BPFSHIP_RT_TABLE_LOCAL 255

typedef struct bpfship_fib_device {
  uint32_t ifindex; /*  0: > 0 */
  uint32_t mtu;     /*  4: > 0 */
  uint8_t mac[6];   /*  8 */
  uint16_t flags;   /* 14: BPFSHIP_FIB_DEV_* */
} bpfship_fib_device; /* 16 bytes */

typedef struct bpfship_fib_route {
  uint32_t table;      /*  0: routing table id (0 means main, 254) */
  uint32_t ifindex;    /*  4: the nexthop's device (unicast and local routes) */
  uint8_t family;      /*  8: BPFSHIP_AF_INET or BPFSHIP_AF_INET6 */
  uint8_t prefix_len;  /*  9: up to 32 or 128 */
  uint8_t type;        /* 10: BPFSHIP_RTN_* */
  uint8_t gw_family;   /* 11: 0 (the destination is on the link), BPFSHIP_AF_INET, BPFSHIP_AF_INET6 */
  uint32_t metric;     /* 12: priority: the lowest wins among routes to the same prefix */
  uint32_t mtu;        /* 16: the route's MTU, 0 for the device's */
  uint32_t reserved;   /* 20: must be 0 */
  uint8_t dst[16];     /* 24: the prefix, network order (IPv4: the first 4 bytes) */
  uint8_t gateway[16]; /* 40 */
  uint8_t prefsrc[16]; /* 56: preferred source address, all zero for none */
} bpfship_fib_route;   /* 72 bytes */

typedef struct bpfship_fib_neighbour {
  uint32_t ifindex; /*  0 */
  uint8_t family;   /*  4 */
  uint8_t reserved; /*  5: must be 0 */
  uint8_t mac[6];   /*  6 */
  uint8_t addr[16]; /* 12: network order (IPv4: the first 4 bytes) */
} bpfship_fib_neighbour; /* 28 bytes */

/* Back to the initial state (loopback only, no routes, no neighbours). */
BPFSHIP_API void bpfship_fib_reset(void);
/* Adds a device or replaces the one with the same ifindex. 0, -EINVAL (ifindex or mtu 0), -ENOMEM. */
BPFSHIP_API int bpfship_fib_set_device(const bpfship_fib_device *dev);
/* Adds a route: 0; -EINVAL for a bad family, prefix length, type or gateway family; -ENODEV when a unicast or
 * local route names a device the FIB lacks; -EEXIST when the table has a route to the same prefix and metric. */
BPFSHIP_API int bpfship_fib_add_route(const bpfship_fib_route *route);
/* Adds a (reachable) neighbour or replaces the one with the same device, family and address. 0, -EINVAL, -ENODEV. */
BPFSHIP_API int bpfship_fib_set_neighbour(const bpfship_fib_neighbour *neighbour);

/* ---------------------------------------------------------------------------------------------------------------
 * Helpers
 *
 * Every helper has the signature below: the five eBPF argument registers, then the run context. Unused registers
 * are ignored. Pointers are addresses (wasm: offsets); helpers that return pointers (map_lookup_elem,
 * ringbuf_reserve) return 0 for NULL.
 * ------------------------------------------------------------------------------------------------------------ */

typedef uint64_t (*bpfship_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx);

/* Helper properties, for loaders and verifiers. */
#define BPFSHIP_HELPER_F_PACKET (1u << 0)   /* reads or moves the packet described in the run context */
#define BPFSHIP_HELPER_F_CALLBACK (1u << 1) /* calls back into the executor (bpf_loop, for_each_map_elem) */
#define BPFSHIP_HELPER_F_TAIL_CALL (1u << 2)/* records a tail call the executor must perform */

typedef struct bpfship_helper_entry {
  const char *name;     /* Linux's name without the bpf_ prefix ("map_lookup_elem"); every id has one */
  bpfship_helper_fn fn; /* NULL when the core does not implement the helper */
  uint32_t flags;       /* BPFSHIP_HELPER_F_* */
} bpfship_helper_entry;

/* Indexed by Linux helper id, 0 .. BPFSHIP_HELPER_COUNT - 1. */
extern BPFSHIP_API const bpfship_helper_entry bpfship_helper_table[BPFSHIP_HELPER_COUNT];

/* 1 when helper `id` is implemented, else 0 (a loader refuses programs calling unimplemented helpers). */
BPFSHIP_API int bpfship_helper_implemented(uint32_t id);
/* The helper's name, or NULL for an id past the table. */
BPFSHIP_API const char *bpfship_helper_name(uint32_t id);
/* The helper's function, or NULL. In the wasm build the value is an index into __indirect_function_table, which
 * is how a host gets a helper by id: table.get(bpfship_helper_fn_of(id)). */
BPFSHIP_API bpfship_helper_fn bpfship_helper_fn_of(uint32_t id);
/* The helper's BPFSHIP_HELPER_F_* flags, or 0. */
BPFSHIP_API uint32_t bpfship_helper_flags(uint32_t id);

/*
 * Calls helper `id` with r1..r5 from regs[1..5] and stores r0 in regs[0]: the entry point for an interpreter
 * whose registers live in memory (no 64-bit values cross the call, so a JavaScript caller needs no BigInt).
 * Returns 0 when the helper ran, 1 when it ran and left a tail call pending in ctx, -EINVAL (regs untouched) when
 * the core does not implement helper `id`.
 */
BPFSHIP_API int bpfship_call_helper(uint32_t id, bpfship_run_ctx *ctx, uint64_t *regs);

/* The implemented helpers, also callable directly (bpf2c may bind them by name). */
#define BPFSHIP_HELPER_DECL(name)                                                                                    \
  BPFSHIP_API uint64_t bpfship_helper_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,     \
                                             bpfship_run_ctx *ctx)
BPFSHIP_HELPER_DECL(map_lookup_elem);        /* 1 */
BPFSHIP_HELPER_DECL(map_update_elem);        /* 2 */
BPFSHIP_HELPER_DECL(map_delete_elem);        /* 3 */
BPFSHIP_HELPER_DECL(ktime_get_ns);           /* 5 */
BPFSHIP_HELPER_DECL(trace_printk);           /* 6 */
BPFSHIP_HELPER_DECL(get_prandom_u32);        /* 7 */
BPFSHIP_HELPER_DECL(get_smp_processor_id);   /* 8 */
BPFSHIP_HELPER_DECL(skb_store_bytes);        /* 9 */
BPFSHIP_HELPER_DECL(l3_csum_replace);        /* 10 */
BPFSHIP_HELPER_DECL(l4_csum_replace);        /* 11 */
BPFSHIP_HELPER_DECL(tail_call);              /* 12 */
BPFSHIP_HELPER_DECL(get_current_pid_tgid);   /* 14 */
BPFSHIP_HELPER_DECL(get_current_uid_gid);    /* 15 */
BPFSHIP_HELPER_DECL(get_current_comm);       /* 16 */
BPFSHIP_HELPER_DECL(skb_get_tunnel_key);     /* 20 */
BPFSHIP_HELPER_DECL(skb_set_tunnel_key);     /* 21 */
BPFSHIP_HELPER_DECL(redirect);               /* 23 */
BPFSHIP_HELPER_DECL(perf_event_output);      /* 25 */
BPFSHIP_HELPER_DECL(skb_load_bytes);         /* 26 */
BPFSHIP_HELPER_DECL(csum_diff);              /* 28 */
BPFSHIP_HELPER_DECL(skb_change_proto);       /* 31 */
BPFSHIP_HELPER_DECL(skb_change_type);        /* 32 */
BPFSHIP_HELPER_DECL(get_hash_recalc);        /* 34 */
BPFSHIP_HELPER_DECL(skb_change_tail);        /* 38 */
BPFSHIP_HELPER_DECL(skb_pull_data);          /* 39 */
BPFSHIP_HELPER_DECL(set_hash_invalid);       /* 41 */
BPFSHIP_HELPER_DECL(skb_change_head);        /* 43 */
BPFSHIP_HELPER_DECL(xdp_adjust_head);        /* 44 */
BPFSHIP_HELPER_DECL(get_socket_cookie);      /* 46 */
BPFSHIP_HELPER_DECL(set_hash);               /* 48 */
BPFSHIP_HELPER_DECL(skb_adjust_room);        /* 50 */
BPFSHIP_HELPER_DECL(redirect_map);           /* 51 */
BPFSHIP_HELPER_DECL(xdp_adjust_meta);        /* 54 */
BPFSHIP_HELPER_DECL(xdp_adjust_tail);        /* 65 */
BPFSHIP_HELPER_DECL(fib_lookup);             /* 69 */
BPFSHIP_HELPER_DECL(get_local_storage);      /* 81 */
BPFSHIP_HELPER_DECL(sk_lookup_tcp);          /* 84 */
BPFSHIP_HELPER_DECL(sk_lookup_udp);          /* 85 */
BPFSHIP_HELPER_DECL(sk_release);             /* 86 */
BPFSHIP_HELPER_DECL(map_push_elem);          /* 87 */
BPFSHIP_HELPER_DECL(map_pop_elem);           /* 88 */
BPFSHIP_HELPER_DECL(map_peek_elem);          /* 89 */
BPFSHIP_HELPER_DECL(spin_lock);              /* 93 */
BPFSHIP_HELPER_DECL(spin_unlock);            /* 94 */
BPFSHIP_HELPER_DECL(sk_cast);                /* 95, 96, 98, 136-140: bpf_sk_fullsock, bpf_tcp_sock, bpf_get_listener_sock, bpf_skc_to_* */
BPFSHIP_HELPER_DECL(skc_lookup_tcp);         /* 99 */
BPFSHIP_HELPER_DECL(strtol);                 /* 105 */
BPFSHIP_HELPER_DECL(strtoul);                /* 106 */
BPFSHIP_HELPER_DECL(probe_read_kernel);      /* 113, also 4 (probe_read) and 112 (probe_read_user) */
BPFSHIP_HELPER_DECL(probe_read_kernel_str);  /* 115, also 45 and 114 (the _str variants) */
BPFSHIP_HELPER_DECL(jiffies64);              /* 118 */
BPFSHIP_HELPER_DECL(get_netns_cookie);       /* 122 */
BPFSHIP_HELPER_DECL(sk_assign);              /* 124 */
BPFSHIP_HELPER_DECL(ktime_get_boot_ns);      /* 125 */
BPFSHIP_HELPER_DECL(ringbuf_output);         /* 130 */
BPFSHIP_HELPER_DECL(ringbuf_reserve);        /* 131 */
BPFSHIP_HELPER_DECL(ringbuf_submit);         /* 132 */
BPFSHIP_HELPER_DECL(ringbuf_discard);        /* 133 */
BPFSHIP_HELPER_DECL(ringbuf_query);          /* 134 */
BPFSHIP_HELPER_DECL(redirect_neigh);         /* 152 */
BPFSHIP_HELPER_DECL(clone_redirect);         /* 13 */
BPFSHIP_HELPER_DECL(redirect_peer);          /* 155 */
BPFSHIP_HELPER_DECL(ktime_get_coarse_ns);    /* 160 */
BPFSHIP_HELPER_DECL(for_each_map_elem);      /* 164 */
BPFSHIP_HELPER_DECL(snprintf);               /* 165 */
BPFSHIP_HELPER_DECL(trace_vprintk);          /* 177 */
BPFSHIP_HELPER_DECL(loop);                   /* 181 */
BPFSHIP_HELPER_DECL(map_lookup_percpu_elem); /* 195 */
BPFSHIP_HELPER_DECL(ktime_get_tai_ns);       /* 208 */

/* ---------------------------------------------------------------------------------------------------------------
 * bpf_trace_printk / bpf_snprintf formatting, usable on its own (tests, tools)
 * ------------------------------------------------------------------------------------------------------------ */

/*
 * Formats like the kernel's bpf_bprintf_prepare + bstr_printf: `fmt` must be NUL-terminated within fmt_size
 * bytes; at most `nargs` conversions, each of %d %i %u %x %X with optional l/ll, %c, %s, %p, %pK %px %ps %pS
 * %pB, %pI4 %pi4 %pI6 %pi6, %pks %pus, with flags [0+- ] and a width (no precision, no '#', no %n). Anything else,
 * a conversion beyond nargs, or a control character in fmt gives -EINVAL. Writes at most out_size bytes (always
 * NUL-terminated when out_size > 0) and returns the length the full output would have (like vsnprintf).
 */
BPFSHIP_API int bpfship_bprintf(char *out, uint32_t out_size, const char *fmt, uint32_t fmt_size,
                                const uint64_t *args, uint32_t nargs);

#ifdef __cplusplus
}
#endif

#endif /* BPFSHIP_CORE_H */

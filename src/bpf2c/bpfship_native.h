/*
 * bpfship native images: the runtime ABI of the C files bpf2c generates.
 *
 * A generated file includes this header (and, through it, the runtime core's bpfship_core.h), defines one C function
 * per eBPF function, the tables the loader fills at load time, and one exported, read-only description of itself:
 *
 *     const bpfship_native_image bpfship_native_metadata = { ... };
 *
 * Compiled with `cc -O2 -g -fPIC -shared` it becomes a native image (a .so). A loader:
 *   1. dlopens the image (bpfship: from a sealed memfd holding the bytes it checked) and reads bpfship_native_metadata;
 *   2. checks magic, abi_version and size, then the program-info hashes against its own helper and context tables;
 *   3. fills helpers[] (bpfship_helper_fn_of(helper_ids[i]) from the core), map_bindings[] (the core's map objects,
 *      and for global data sections the address of the single value), and *runtime (tail-call registry, callx);
 *   4. runs programs through bpfship_native_run / bpfship_native_run_xdp / bpfship_native_run_xdp_batch, or calls
 *      programs[i].fn itself.
 *
 * Every eBPF function becomes `uint64_t name(uint64_t r1..r5, bpfship_run_ctx *run_ctx)`, the signature of the
 * core's helpers: a function's address can therefore be handed to bpf_loop or bpf_for_each_map_elem as a callback
 * (the core calls it like a helper when run_ctx->callback_invoker is 0).
 *
 * The generated code has no undefined behaviour for any input the verifier accepts, and none that depends on
 * register values for any input: memory is accessed through may_alias, byte-aligned types (no strict-aliasing or
 * alignment UB), arithmetic is unsigned (wrapping), signed operations use casts (implementation-defined in ISO C,
 * two's complement in GCC and Clang, the only compilers supported), shifts are masked and division and modulo are
 * guarded as RFC 9669 says.
 *
 * Author: Claude.
 */
#ifndef BPFSHIP_NATIVE_H
#define BPFSHIP_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "bpfship_core.h"

#if !defined(__GNUC__)
#error "bpfship native images need GCC or Clang (may_alias types, __atomic builtins)"
#endif

/* Bumped whenever a struct below or the meaning of a field changes; a loader refuses other versions. */
#define BPFSHIP_NATIVE_ABI_VERSION 1u
/* "BPSN" little-endian: the first field of bpfship_native_image. */
#define BPFSHIP_NATIVE_MAGIC 0x4e535042u

#define BPFSHIP_NATIVE_EXPORT __attribute__((visibility("default"), used))

/* ---------------------------------------------------------------------------------------------------------------
 * Memory access: may_alias types with alignment 1, so that any eBPF load or store is a defined C access whatever
 * the declared type of the memory (stack array, map value, packet) and its alignment. At -O2 each is one mov.
 * ------------------------------------------------------------------------------------------------------------ */

typedef uint8_t __attribute__((may_alias, aligned(1))) bs_u8_t;
typedef uint16_t __attribute__((may_alias, aligned(1))) bs_u16_t;
typedef uint32_t __attribute__((may_alias, aligned(1))) bs_u32_t;
typedef uint64_t __attribute__((may_alias, aligned(1))) bs_u64_t;
typedef int8_t __attribute__((may_alias, aligned(1))) bs_s8_t;
typedef int16_t __attribute__((may_alias, aligned(1))) bs_s16_t;
typedef int32_t __attribute__((may_alias, aligned(1))) bs_s32_t;
/* Atomics need natural alignment (the verifier requires it of eBPF atomics too). */
typedef uint32_t __attribute__((may_alias)) bs_a32_t;
typedef uint64_t __attribute__((may_alias)) bs_a64_t;

#define BS_PTR(addr) ((uintptr_t)(addr))
#define BS_LOAD_U8(addr) ((uint64_t) * (const bs_u8_t *)BS_PTR(addr))
#define BS_LOAD_U16(addr) ((uint64_t) * (const bs_u16_t *)BS_PTR(addr))
#define BS_LOAD_U32(addr) ((uint64_t) * (const bs_u32_t *)BS_PTR(addr))
#define BS_LOAD_U64(addr) ((uint64_t) * (const bs_u64_t *)BS_PTR(addr))
#define BS_LOAD_S8(addr) ((uint64_t)(int64_t) * (const bs_s8_t *)BS_PTR(addr))
#define BS_LOAD_S16(addr) ((uint64_t)(int64_t) * (const bs_s16_t *)BS_PTR(addr))
#define BS_LOAD_S32(addr) ((uint64_t)(int64_t) * (const bs_s32_t *)BS_PTR(addr))
#define BS_STORE_U8(addr, v) (*(bs_u8_t *)BS_PTR(addr) = (uint8_t)(v))
#define BS_STORE_U16(addr, v) (*(bs_u16_t *)BS_PTR(addr) = (uint16_t)(v))
#define BS_STORE_U32(addr, v) (*(bs_u32_t *)BS_PTR(addr) = (uint32_t)(v))
#define BS_STORE_U64(addr, v) (*(bs_u64_t *)BS_PTR(addr) = (uint64_t)(v))

/*
 * Atomic read-modify-write (RFC 9669 section 5.3). Without FETCH the result is unused and the builtins become
 * single `lock add/or/and/xor` instructions. With FETCH, add and xchg are single instructions (`lock xadd`,
 * `xchg`); or, and and xor have none on x86 and are compare-and-swap loops, written out here rather than left to
 * the builtins: GCC 12.2 at -O1 and above miscompiles `__atomic_fetch_and` whose operand comes from a preceding
 * `__atomic_exchange_n` (the operand's register is reused by the loop it expands to, and the AND is lost), which
 * bpf2c's random differential tests found (src/runtime/native/differential.test.ts).
 */
#define BS_ATOMIC_ADD64(addr, v) ((void)__atomic_fetch_add((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_OR64(addr, v) ((void)__atomic_fetch_or((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_AND64(addr, v) ((void)__atomic_fetch_and((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_XOR64(addr, v) ((void)__atomic_fetch_xor((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_ADD32(addr, v) ((void)__atomic_fetch_add((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_OR32(addr, v) ((void)__atomic_fetch_or((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_AND32(addr, v) ((void)__atomic_fetch_and((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_XOR32(addr, v) ((void)__atomic_fetch_xor((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_FETCH_ADD64(addr, v) __atomic_fetch_add((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST)
#define BS_ATOMIC_XCHG64(addr, v) __atomic_exchange_n((bs_a64_t *)BS_PTR(addr), (uint64_t)(v), __ATOMIC_SEQ_CST)
#define BS_ATOMIC_FETCH_ADD32(addr, v)                                                                             \
  ((uint64_t)__atomic_fetch_add((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))
#define BS_ATOMIC_XCHG32(addr, v)                                                                                  \
  ((uint64_t)__atomic_exchange_n((bs_a32_t *)BS_PTR(addr), (uint32_t)(v), __ATOMIC_SEQ_CST))

#define BS_DEFINE_FETCH_OP(name, type, atype, op)                                                                  \
  static inline uint64_t bs_atomic_fetch_##name(uint64_t addr, uint64_t v) {                                       \
    atype *p = (atype *)BS_PTR(addr);                                                                              \
    type old = __atomic_load_n(p, __ATOMIC_RELAXED);                                                               \
    while (!__atomic_compare_exchange_n(p, &old, (type)(old op (type)v), 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) { \
    }                                                                                                              \
    return old;                                                                                                    \
  }
BS_DEFINE_FETCH_OP(or64, uint64_t, bs_a64_t, |)
BS_DEFINE_FETCH_OP(and64, uint64_t, bs_a64_t, &)
BS_DEFINE_FETCH_OP(xor64, uint64_t, bs_a64_t, ^)
BS_DEFINE_FETCH_OP(or32, uint32_t, bs_a32_t, |)
BS_DEFINE_FETCH_OP(and32, uint32_t, bs_a32_t, &)
BS_DEFINE_FETCH_OP(xor32, uint32_t, bs_a32_t, ^)
#define BS_ATOMIC_FETCH_OR64(addr, v) bs_atomic_fetch_or64((addr), (v))
#define BS_ATOMIC_FETCH_AND64(addr, v) bs_atomic_fetch_and64((addr), (v))
#define BS_ATOMIC_FETCH_XOR64(addr, v) bs_atomic_fetch_xor64((addr), (v))
#define BS_ATOMIC_FETCH_OR32(addr, v) bs_atomic_fetch_or32((addr), (v))
#define BS_ATOMIC_FETCH_AND32(addr, v) bs_atomic_fetch_and32((addr), (v))
#define BS_ATOMIC_FETCH_XOR32(addr, v) bs_atomic_fetch_xor32((addr), (v))

/* CMPXCHG: compares with r0, stores `v` if equal, and always leaves the old value in r0 (zero-extended). */
static inline uint64_t bs_atomic_cmpxchg64(uint64_t addr, uint64_t expected, uint64_t v) {
  __atomic_compare_exchange_n((bs_a64_t *)BS_PTR(addr), &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
static inline uint64_t bs_atomic_cmpxchg32(uint64_t addr, uint64_t expected, uint64_t v) {
  uint32_t e = (uint32_t)expected;
  __atomic_compare_exchange_n((bs_a32_t *)BS_PTR(addr), &e, (uint32_t)v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return e;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Division and modulo with a register divisor (RFC 9669 section 4.1): by zero, DIV gives 0 and MOD leaves the
 * dividend (its low 32 bits for the 32-bit forms); INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0, without
 * ever evaluating the C operations that are undefined for them. Immediate divisors are resolved by bpf2c.
 * ------------------------------------------------------------------------------------------------------------ */

/* On x86-64 a 64-bit DIV takes two to four times as long as a 32-bit one, and eBPF code often divides 32-bit
 * values in 64-bit registers (clang widens them): when both operands fit in 32 bits, divide in 32 bits, as LLVM's
 * "bypass slow division" does for x86 targets (GCC does not). */
#if defined(__x86_64__)
#define BS_FITS_32(a, b) BS_LIKELY((((a) | (b)) >> 32) == 0)
#else
#define BS_FITS_32(a, b) 0
#endif
#define BS_LIKELY(x) __builtin_expect(!!(x), 1)
static inline uint64_t bs_div64(uint64_t a, uint64_t b) {
  if (BS_FITS_32(a, b)) return (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0;
  return b ? a / b : 0;
}
static inline uint64_t bs_mod64(uint64_t a, uint64_t b) {
  if (BS_FITS_32(a, b)) return (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a;
  return b ? a % b : a;
}
static inline uint64_t bs_div32(uint64_t a, uint64_t b) { return (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0; }
static inline uint64_t bs_mod32(uint64_t a, uint64_t b) {
  return (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a;
}
static inline uint64_t bs_sdiv64(uint64_t a, uint64_t b) {
  if (b == 0) return 0;
  if (b == UINT64_MAX) return 0 - a; /* x / -1 == -x, wrapping for INT64_MIN */
  return (uint64_t)((int64_t)a / (int64_t)b);
}
static inline uint64_t bs_smod64(uint64_t a, uint64_t b) {
  if (b == 0) return a;
  if (b == UINT64_MAX) return 0;
  return (uint64_t)((int64_t)a % (int64_t)b);
}
static inline uint64_t bs_sdiv32(uint64_t a, uint64_t b) {
  if ((uint32_t)b == 0) return 0;
  if ((uint32_t)b == UINT32_MAX) return (uint32_t)(0u - (uint32_t)a);
  return (uint32_t)((int32_t)(uint32_t)a / (int32_t)(uint32_t)b);
}
static inline uint64_t bs_smod32(uint64_t a, uint64_t b) {
  if ((uint32_t)b == 0) return (uint32_t)a;
  if ((uint32_t)b == UINT32_MAX) return 0;
  return (uint32_t)((int32_t)(uint32_t)a % (int32_t)(uint32_t)b);
}

/* Byte order (RFC 9669 section 4.2): `le` and `be` convert between host order and the named order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BS_TO_LE16(x) ((uint64_t)(uint16_t)(x))
#define BS_TO_LE32(x) ((uint64_t)(uint32_t)(x))
#define BS_TO_LE64(x) ((uint64_t)(x))
#define BS_TO_BE16(x) ((uint64_t)__builtin_bswap16((uint16_t)(x)))
#define BS_TO_BE32(x) ((uint64_t)__builtin_bswap32((uint32_t)(x)))
#define BS_TO_BE64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#else
#define BS_TO_LE16(x) ((uint64_t)__builtin_bswap16((uint16_t)(x)))
#define BS_TO_LE32(x) ((uint64_t)__builtin_bswap32((uint32_t)(x)))
#define BS_TO_LE64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#define BS_TO_BE16(x) ((uint64_t)(uint16_t)(x))
#define BS_TO_BE32(x) ((uint64_t)(uint32_t)(x))
#define BS_TO_BE64(x) ((uint64_t)(x))
#endif
#define BS_BSWAP16(x) ((uint64_t)__builtin_bswap16((uint16_t)(x)))
#define BS_BSWAP32(x) ((uint64_t)__builtin_bswap32((uint32_t)(x)))
#define BS_BSWAP64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))

/*
 * Legacy packet loads (LD ABS / LD IND, socket filters): a big-endian load from the packet at `off`, or, when
 * [off, off + size) is not inside it, the end of the program with r0 = 0, as Linux does. A negative offset
 * (bpf_internal_load_pointer_neg_helper) from SKF_NET_OFF (-0x100000) is relative to the network header, from
 * SKF_LL_OFF (-0x200000) to the link-layer (Ethernet) header, as BPF_PROG_TEST_RUN places them: tc's data starts
 * at the Ethernet header, the other skb types' at the network header, 14 bytes after it.
 */
static inline int bs_load_packet(const bpfship_run_ctx *run_ctx, uint64_t off, unsigned size, uint64_t *r0) {
  uint64_t len = run_ctx->data_end - run_ctx->data;
  uint64_t at = run_ctx->data + off;
  if ((int64_t)off < 0) {
    int64_t k = (int64_t)off;
    int l2 = run_ctx->prog_type == BPFSHIP_PROG_TYPE_SCHED_CLS || run_ctx->prog_type == BPFSHIP_PROG_TYPE_SCHED_ACT;
    uint64_t mac = l2 ? run_ctx->data : run_ctx->data - 14;
    if (k >= -0x100000) at = (l2 ? run_ctx->data + 14 : run_ctx->data) + (uint64_t)(k + 0x100000);
    else if (k >= -0x200000) at = mac + (uint64_t)(k + 0x200000);
    else return 0;
    if (at < mac || at > run_ctx->data_end || size > run_ctx->data_end - at) return 0;
  } else if (off > len || size > len - off) {
    return 0;
  }
  const uint8_t *p = (const uint8_t *)BS_PTR(at);
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++) v = (v << 8) | p[i];
  *r0 = v;
  return 1;
}

/* ---------------------------------------------------------------------------------------------------------------
 * The image description (metadata table). All pointers point into the image; strings are NUL-terminated.
 * ------------------------------------------------------------------------------------------------------------ */

/* An eBPF function compiled to C (entry programs, subprograms and callbacks alike). */
typedef uint64_t (*bpfship_native_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *run_ctx);

/* What a map binding holds once the loader has filled it. 16 bytes. */
typedef struct bpfship_native_map_binding {
  void *map;      /*  0: the core's bpfship_map; what `lddw rX, map` loads */
  uint8_t *value; /*  8: global data sections: the address of the single value; what `lddw rX, &var` adds to */
} bpfship_native_map_binding;

/* The loader's part of the image's state. 32 bytes. */
typedef struct bpfship_native_runtime {
  /* Tail calls: the core's bpf_tail_call records an executor program id; the runner finds its function here. */
  const bpfship_native_fn *programs_by_id; /*  0 */
  uint32_t programs_by_id_count;           /*  8 */
  uint32_t reserved;                       /* 12 */
  /* callx (a call through a register, the conformance suite's extension): the helper with that id, or NULL. */
  bpfship_helper_fn (*helper_by_id)(uint32_t id); /* 16 */
  uint64_t reserved2;                              /* 24 */
} bpfship_native_runtime;

/* One initial slot of a prog array or map-in-map: slot `key` holds program or map `name`. 16 bytes. */
typedef struct bpfship_native_initial_value {
  uint32_t key;     /*  0 */
  uint32_t kind;    /*  4: 0 program, 1 map */
  const char *name; /*  8 */
} bpfship_native_initial_value;

/* A map definition. 64 bytes. */
typedef struct bpfship_native_map {
  const char *name;                                   /*  0 */
  uint32_t type;                                      /*  8: enum bpf_map_type */
  uint32_t key_size;                                  /* 12 */
  uint32_t value_size;                                /* 16 */
  uint32_t max_entries;                               /* 20 */
  uint32_t flags;                                     /* 24 */
  uint32_t pinning;                                   /* 28: 0 none, 1 by name */
  const struct bpfship_native_map *inner_map;         /* 32: template of a map-in-map's inner maps, or NULL */
  uint32_t initial_value_count;                       /* 40 */
  uint32_t reserved;                                  /* 44 */
  const bpfship_native_initial_value *initial_values; /* 48 */
  uint64_t map_extra;                                 /* 56: BPF_MAP_CREATE's map_extra (was reserved, 0) */
} bpfship_native_map;

/* A global data section (.data, .rodata, .bss, ...): a one-element array map of `size` bytes. 32 bytes. */
typedef struct bpfship_native_data_section {
  const char *name;             /*  0: the section name */
  uint32_t size;                /*  8 */
  uint32_t read_only;           /* 12: .rodata: frozen after the initial bytes are written */
  const uint8_t *initial_bytes; /* 16: `size` bytes (zeros for .bss) */
  uint64_t reserved;            /* 24 */
} bpfship_native_data_section;

/* An entry program. 104 bytes. */
typedef struct bpfship_native_program {
  const char *name;             /*  0: the program's symbol name, also the C function's name when it is a valid one */
  const char *section;          /*  8: the ELF section (libbpf's SEC()) */
  bpfship_native_fn fn;         /* 16 */
  uint32_t prog_type;           /* 24: enum bpf_prog_type */
  uint32_t insn_count;          /* 28: instruction slots of the linked program (as Linux counts them) */
  const char *prog_type_name;   /* 32: "xdp", "cgroup_sock_addr", ... */
  const char *attach_type;      /* 40: expected attach type from the section name, or "" */
  uint32_t helper_count;        /* 48 */
  uint32_t map_count;           /* 52 */
  const uint32_t *helpers;      /* 56: helper ids the program calls (its subprograms included), ascending */
  const uint32_t *maps;         /* 64: indices into map_bindings the program uses, ascending */
  uint8_t info_hash[32];        /* 72: SHA-256 of the program-info description (type, context, helper prototypes) */
} bpfship_native_program;

/* The image description: the one exported data symbol, `bpfship_native_metadata`. */
typedef struct bpfship_native_image {
  uint32_t magic;                                  /*   0: BPFSHIP_NATIVE_MAGIC */
  uint32_t abi_version;                            /*   4: BPFSHIP_NATIVE_ABI_VERSION */
  uint32_t size;                                   /*   8: sizeof(bpfship_native_image) */
  uint32_t core_abi_version;                       /*  12: BPFSHIP_CORE_ABI_VERSION the image was compiled with */
  const char *bpf2c_version;                       /*  16 */
  const char *source_name;                         /*  24: the ELF's file name */
  uint8_t elf_sha256[32];                          /*  32 */
  const char *license;                             /*  64 */
  uint32_t program_count;                          /*  72 */
  uint32_t map_count;                              /*  76: maps; map_bindings[0 .. map_count) */
  const bpfship_native_program *programs;          /*  80 */
  const bpfship_native_map *maps;                  /*  88 */
  uint32_t data_section_count;                     /*  96: map_bindings[map_count ..) */
  uint32_t helper_count;                           /* 100 */
  const bpfship_native_data_section *data_sections;/* 104 */
  const uint32_t *helper_ids;                      /* 112: the helper each helpers[] slot must hold, ascending */
  bpfship_helper_fn *helpers;                      /* 120: filled by the loader */
  bpfship_native_map_binding *map_bindings;        /* 128: filled by the loader */
  bpfship_native_runtime *runtime;                 /* 136: filled by the loader */
  /* Runners, also exported under these names. */
  uint64_t (*run)(uint32_t program, bpfship_run_ctx *run_ctx);                                  /* 144 */
  uint64_t (*run_xdp)(uint32_t program, bpfship_run_ctx *run_ctx, uint8_t *buffer, uint32_t headroom,
                      uint32_t length, uint32_t buffer_size);                                   /* 152 */
  uint32_t (*run_xdp_batch)(uint32_t program, bpfship_run_ctx *run_ctx, uint8_t *frames, uint32_t stride,
                            uint32_t headroom, const uint32_t *lengths, uint32_t count,
                            uint64_t *results);                                                 /* 160 */
} bpfship_native_image;                                                                         /* 168 bytes */

_Static_assert(sizeof(bpfship_native_program) == 104, "bpfship_native_program layout");
_Static_assert(sizeof(bpfship_native_map) == 64, "bpfship_native_map layout");
_Static_assert(sizeof(bpfship_native_image) == 168, "bpfship_native_image layout");
_Static_assert(sizeof(bpfship_native_runtime) == 32, "bpfship_native_runtime layout");

/* ---------------------------------------------------------------------------------------------------------------
 * What the generated code refers to. The generated file defines the tables (static, one copy per loaded image)
 * before its functions; these macros are its only way to reach them.
 * ------------------------------------------------------------------------------------------------------------ */

#define BS_HELPER(index) (bs_helpers[(index)])
#define BS_MAP(index) ((uint64_t)(uintptr_t)bs_map_bindings[(index)].map)
#define BS_MAP_VALUE(index) ((uint64_t)(uintptr_t)bs_map_bindings[(index)].value)
#define BS_FUNC_ADDR(fn) ((uint64_t)(uintptr_t)&(fn))
#define BS_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* After bpf_tail_call: whether the helper recorded a tail call to a program the registry has. */
#define BS_TAIL_CALL_TAKEN(run_ctx) (BS_UNLIKELY((run_ctx)->tail_call_pending != 0) && bs_tail_call_target(&bs_runtime, (run_ctx)) != NULL)

/* callx: a call through a register holding a helper id. An id the loader cannot resolve returns -EINVAL. */
static inline uint64_t bs_callx(const bpfship_native_runtime *rt, uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3,
                                uint64_t r4, uint64_t r5, bpfship_run_ctx *run_ctx) {
  bpfship_helper_fn fn = (rt->helper_by_id && id <= UINT32_MAX) ? rt->helper_by_id((uint32_t)id) : NULL;
  if (!fn) return (uint64_t)-(int64_t)BPFSHIP_EINVAL;
  return fn(r1, r2, r3, r4, r5, run_ctx);
}

/* Clears what the helpers record about one run (tail calls, redirect, trace count); keeps CPU, seed and packet. */
static inline void bs_run_ctx_begin(bpfship_run_ctx *run_ctx) {
  /* Only the fields that say whether the others hold anything: tail_call_target is read only while
   * tail_call_pending is set, and the redirect_* details only when redirect_kind is not NONE (the helpers
   * write every detail together with the kind), so clearing them per packet would be wasted stores. */
  run_ctx->tail_call_pending = 0;
  run_ctx->tail_call_count = 0;
  run_ctx->redirect_kind = BPFSHIP_REDIRECT_NONE;
  run_ctx->trace_count = 0;
}

/*
 * Tail calls. The core's bpf_tail_call only records the target (an executor program id); the generated code then
 * leaves the current function, as Linux does:
 *   - in an entry program, it returns, and the runner (bs_invoke) starts the target with the same context;
 *   - in a subprogram, the target runs in place of the subprogram and its r0 goes back to the subprogram's caller
 *     (Linux's semantics of tail calls from BPF-to-BPF functions), by bs_tail_call_here.
 * The core counts tail calls and fails the 34th (BPFSHIP_MAX_TAIL_CALL_CNT), so the chain is bounded.
 */

/* The function a pending tail call enters, or NULL when the registry has no program with that id: then the
 * pending call is dropped and the program continues after bpf_tail_call, as for an empty prog array slot. */
static inline bpfship_native_fn bs_tail_call_target(const bpfship_native_runtime *rt, bpfship_run_ctx *run_ctx) {
  uint32_t id = run_ctx->tail_call_target;
  bpfship_native_fn fn = (id < rt->programs_by_id_count && rt->programs_by_id) ? rt->programs_by_id[id] : NULL;
  if (!fn) run_ctx->tail_call_pending = 0;
  return fn;
}

/* Runs the pending tail call's target, and the ones it makes in turn, with r1 = ctx; returns the last r0. */
static inline uint64_t bs_tail_call_here(const bpfship_native_runtime *rt, uint64_t ctx, bpfship_run_ctx *run_ctx) {
  uint64_t r0 = 0;
  while (BS_UNLIKELY(run_ctx->tail_call_pending)) {
    bpfship_native_fn fn = bs_tail_call_target(rt, run_ctx);
    if (!fn) break;
    run_ctx->tail_call_pending = 0;
    r0 = fn(ctx, 0, 0, 0, 0, run_ctx);
  }
  return r0;
}

/* Runs `fn` with r1 = run_ctx->ctx, then every program it tail-calls (eBPF for Windows' invoke loop). */
static inline uint64_t bs_invoke(const bpfship_native_runtime *rt, bpfship_native_fn fn, bpfship_run_ctx *run_ctx) {
  uint64_t r0 = fn(run_ctx->ctx, 0, 0, 0, 0, run_ctx);
  if (BS_UNLIKELY(run_ctx->tail_call_pending)) r0 = bs_tail_call_here(rt, run_ctx->ctx, run_ctx);
  return r0;
}

/* Linux's struct xdp_md: the context of an XDP program. bpf2c reads its packet pointers (data, data_end,
 * data_meta) from the run context instead, since the u32 fields cannot hold native addresses. */
typedef struct bs_xdp_md {
  uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
} bs_xdp_md;

/* Runs an XDP program on one frame: buffer[0, buffer_size) with the packet at [headroom, headroom + length). */
static inline uint64_t bs_run_xdp_frame(const bpfship_native_runtime *rt, bpfship_native_fn fn,
                                        bpfship_run_ctx *run_ctx, uint8_t *buffer, uint32_t headroom,
                                        uint32_t length, uint32_t buffer_size) {
  bs_xdp_md md = {0, length, 0, 0, 0, 0};
  uint64_t start = (uint64_t)(uintptr_t)buffer;
  run_ctx->ctx = (uint64_t)(uintptr_t)&md;
  run_ctx->data_hard_start = start;
  run_ctx->data = start + headroom;
  run_ctx->data_meta = start + headroom;
  run_ctx->data_end = start + headroom + length;
  run_ctx->data_hard_end = start + buffer_size;
  run_ctx->ctx_off_data = BPFSHIP_CTX_OFF_NONE;
  run_ctx->ctx_off_data_end = BPFSHIP_CTX_OFF_NONE;
  run_ctx->ctx_off_data_meta = BPFSHIP_CTX_OFF_NONE;
  bs_run_ctx_begin(run_ctx);
  uint64_t r0 = bs_invoke(rt, fn, run_ctx);
  run_ctx->ctx = 0;
  return r0;
}

/* The runners every image exports (also reachable through its bpfship_native_metadata): run a program with the
 * run context as set up by the caller (r1 = run_ctx->ctx), run an XDP program on one frame, or on `count` frames
 * laid out every `stride` bytes from `frames` (packet at +headroom, lengths[i] bytes), writing each r0 to
 * results[i]. Tail calls are followed in all three. */
BPFSHIP_NATIVE_EXPORT uint64_t bpfship_native_run(uint32_t program, bpfship_run_ctx *run_ctx);
BPFSHIP_NATIVE_EXPORT uint64_t bpfship_native_run_xdp(uint32_t program, bpfship_run_ctx *run_ctx, uint8_t *buffer,
                                                      uint32_t headroom, uint32_t length, uint32_t buffer_size);
BPFSHIP_NATIVE_EXPORT uint32_t bpfship_native_run_xdp_batch(uint32_t program, bpfship_run_ctx *run_ctx,
                                                            uint8_t *frames, uint32_t stride, uint32_t headroom,
                                                            const uint32_t *lengths, uint32_t count,
                                                            uint64_t *results);

/* The exported runners, defined once per image by BPFSHIP_NATIVE_DEFINE_RUNNERS() at the end of the file. */
#define BPFSHIP_NATIVE_DEFINE_RUNNERS()                                                                              \
  BPFSHIP_NATIVE_EXPORT uint64_t bpfship_native_run(uint32_t program, bpfship_run_ctx *run_ctx) {                   \
    if (program >= BS_PROGRAM_COUNT) return (uint64_t)-(int64_t)BPFSHIP_EINVAL;                                     \
    bs_run_ctx_begin(run_ctx);                                                                                     \
    return bs_invoke(&bs_runtime, bs_programs[program].fn, run_ctx);                                               \
  }                                                                                                                \
  BPFSHIP_NATIVE_EXPORT uint64_t bpfship_native_run_xdp(uint32_t program, bpfship_run_ctx *run_ctx, uint8_t *buffer, \
                                                        uint32_t headroom, uint32_t length, uint32_t buffer_size) {  \
    if (program >= BS_PROGRAM_COUNT || headroom > buffer_size || length > buffer_size - headroom)                    \
      return (uint64_t)-(int64_t)BPFSHIP_EINVAL;                                                                   \
    return bs_run_xdp_frame(&bs_runtime, bs_programs[program].fn, run_ctx, buffer, headroom, length, buffer_size);  \
  }                                                                                                                \
  BPFSHIP_NATIVE_EXPORT uint32_t bpfship_native_run_xdp_batch(uint32_t program, bpfship_run_ctx *run_ctx,           \
                                                              uint8_t *frames, uint32_t stride, uint32_t headroom,  \
                                                              const uint32_t *lengths, uint32_t count,              \
                                                              uint64_t *results) {                                  \
    if (program >= BS_PROGRAM_COUNT || headroom > stride) return 0;                                                \
    bpfship_native_fn fn = bs_programs[program].fn;                                                                \
    for (uint32_t i = 0; i < count; i++) {                                                                          \
      uint32_t length = lengths[i] <= stride - headroom ? lengths[i] : stride - headroom;                           \
      results[i] = bs_run_xdp_frame(&bs_runtime, fn, run_ctx, frames + (size_t)i * stride, headroom, length, stride); \
    }                                                                                                              \
    return count;                                                                                                  \
  }

#endif /* BPFSHIP_NATIVE_H */

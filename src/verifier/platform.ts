/**
 * What the verifier needs to know about the platform a program runs on: helper prototypes (argument and return
 * types, the references they take and give back, whether they move packet data), which helpers and which context
 * fields each program type may use, and which return values it may give. The values are Linux's; see
 * `linux-platform.ts`, built on the abi layer.
 *
 * Author: Claude.
 *
 * @module
 */

/** What a helper argument must be (the kernel's `enum bpf_arg_type`, base types). */
export const ArgKind = {
  /** Any initialized scalar. (Pointers would leak an address to the helper.) */
  ANYTHING: 'anything',
  /** A map (`lddw rX, map`). */
  CONST_MAP_PTR: 'map',
  /** Memory holding a key of the map of the map argument (key_size bytes, initialized). */
  MAP_KEY: 'map_key',
  /** Memory holding a value of the map (value_size bytes, initialized). */
  MAP_VALUE: 'map_value',
  /** Memory the helper fills with a value of the map (value_size bytes, writable). */
  UNINIT_MAP_VALUE: 'uninit_map_value',
  /** Memory the helper reads, its size in the next argument. */
  MEM: 'mem',
  /** Memory the helper writes (may be uninitialized), its size in the next argument. */
  UNINIT_MEM: 'uninit_mem',
  /** The size of the previous memory argument: a bounded scalar, at least 1. */
  CONST_SIZE: 'size',
  /** The size of the previous memory argument: a bounded scalar, possibly 0. */
  CONST_SIZE_OR_ZERO: 'size_or_zero',
  /** The program's context pointer, unmodified. */
  CTX: 'ctx',
  /** A full socket (from `bpf_sk_lookup_*`). */
  SOCKET: 'socket',
  /** Any socket pointer. */
  SOCK_COMMON: 'sock_common',
  /** A BPF function (a callback). */
  FUNC: 'func',
  /** A stack pointer (callback context). */
  STACK: 'stack',
  /** A ring buffer record from `bpf_ringbuf_reserve`, unmodified (released by the helper). */
  ALLOC_MEM: 'alloc_mem',
  /** A constant size for `bpf_ringbuf_reserve`. */
  CONST_ALLOC_SIZE_OR_ZERO: 'alloc_size',
  /** 8 bytes the helper writes (`long *res` of `bpf_strtol`). */
  LONG: 'long',
  /** 4 bytes the helper writes. */
  INT: 'int',
  /** A NUL-terminated string in read-only memory (`bpf_snprintf`'s format). */
  CONST_STR: 'const_str',
  /** A `struct bpf_spin_lock` inside a map value. */
  SPIN_LOCK: 'spin_lock',
  /** A kernel object of a BTF type. */
  BTF_ID: 'btf_id',
  /** Something this verifier does not model (timers, dynptrs, kptrs, per-CPU kernel objects). */
  UNSUPPORTED: 'unsupported',
} as const;
/** One of the {@link ArgKind} values. */
export type ArgKind = (typeof ArgKind)[keyof typeof ArgKind];

/** One argument of a helper. */
export interface HelperArg {
  readonly kind: ArgKind;
  /** NULL (the scalar 0) is accepted too (PTR_MAYBE_NULL). */
  readonly nullable?: boolean;
  /**
   * ANYTHING arguments that may be pointers without leaking them: the source address of `bpf_probe_read*`, the
   * destination of `bpf_probe_write_user` (the helper dereferences them, it does not store them).
   */
  readonly pointerOk?: boolean;
  /** MEM arguments the helper reads and also writes (`ARG_PTR_TO_MEM` without MEM_RDONLY): initialized, then clobbered. */
  readonly write?: boolean;
  /** MEM and UNINIT_MEM arguments of a fixed size (MEM_FIXED_SIZE): no size argument follows. */
  readonly fixedSize?: number;
  /** The memory must be aligned to its size (MEM_ALIGNED: `bpf_strtol`'s result, `bpf_check_mtu`'s length). */
  readonly aligned?: boolean;
}

/** What a helper returns (the kernel's `enum bpf_return_type`). */
export const RetKind = {
  INTEGER: 'integer',
  VOID: 'void',
  /** A value of the map argument, or NULL. */
  MAP_VALUE_OR_NULL: 'map_value_or_null',
  /** A value of the map argument, never NULL (`bpf_get_local_storage`). */
  MAP_VALUE: 'map_value',
  SOCKET_OR_NULL: 'socket_or_null',
  TCP_SOCK_OR_NULL: 'tcp_sock_or_null',
  SOCK_COMMON_OR_NULL: 'sock_common_or_null',
  /** Memory of the size given by the constant size argument, or NULL (`bpf_ringbuf_reserve`). */
  ALLOC_MEM_OR_NULL: 'alloc_mem_or_null',
  /** A kernel object pointer (readable only through probe reads), or NULL. */
  BTF_ID_OR_NULL: 'btf_id_or_null',
  /** A kernel object pointer, never NULL. */
  BTF_ID: 'btf_id',
} as const;
/** One of the {@link RetKind} values. */
export type RetKind = (typeof RetKind)[keyof typeof RetKind];

/** A helper function's prototype. */
export interface HelperPrototype {
  readonly id: number;
  /** Without the `bpf_` prefix, as in `enum bpf_func_id`: `map_lookup_elem`. */
  readonly name: string;
  readonly args: readonly HelperArg[];
  readonly ret: RetKind;
  /** Usable only by GPL-compatible programs. */
  readonly gplOnly?: boolean;
  /** Invalidates every packet pointer (the packet may move). */
  readonly changesPacketData?: boolean;
  /**
   * Its memory arguments may point into the packet (the prototype's `pkt_access`); without it a packet pointer is
   * refused ("helper access to the packet is not allowed"), except where the program type lets any helper have one.
   */
  readonly pktAccess?: boolean;
  /** The returned pointer is a reference the program must release. */
  readonly acquires?: boolean;
  /** The index of the argument whose reference the helper releases. */
  readonly releases?: number;
  /** Map types the map argument may have (undefined: any map type the helper's map rules allow). */
  readonly mapTypes?: readonly number[];
  /** The range of an INTEGER result, when the helper bounds it. */
  readonly retRange?: readonly [bigint, bigint];
  /**
   * The INTEGER result is a negative errno or at most the largest value of the size argument (bytes written:
   * `bpf_get_stack`, `bpf_probe_read_*_str`), as Linux's `do_refine_retval_range` has it.
   */
  readonly retAtMostSize?: boolean;
  /**
   * Linux inlines calls of it and they clobber nothing (`allow_fastcall`, inlined on x86-64): spills and fills
   * around them do not count toward the stack (see `fastcall.ts`).
   */
  readonly fastcall?: boolean;
}

/** What a context access gives or allows. */
export type CtxAccess =
  /** A number (a read) or an allowed write. */
  | { readonly ok: true; readonly kind: 'scalar' }
  /** A read that yields a pointer of the given kind. */
  | {
    readonly ok: true;
    readonly kind: 'packet' | 'packet_end' | 'packet_meta' | 'socket' | 'socket_or_null' | 'sock_common_or_null' | 'flow_keys';
  }
  /** Not allowed, and why. */
  | { readonly ok: false; readonly reason: string };

/** What one program type allows. */
export interface ProgramTypeInfo {
  readonly name: string;
  /** The context's size in bytes. */
  readonly ctxSize: number;
  /**
   * Whether an access of `size` bytes at `off` in the context is allowed, and what a read gives; `signExtend` for
   * a sign-extending load (BPF_MEMSX).
   */
  ctxAccess(off: number, size: number, write: boolean, signExtend?: boolean): CtxAccess;
  /** Whether the program may call the helper. */
  helperAllowed(id: number): boolean;
  /** The prototype this program type gets for the helper, when it differs by program type (else the platform's). */
  helper?(id: number): HelperPrototype | undefined;
  /**
   * Whether helper `id` may take a map of type `mapType` in this program type (and attach type), when that depends
   * on them (Linux's `may_update_sockmap`); the platform's `mapCompatible` when absent.
   */
  mapCompatible?(id: number, mapType: number): boolean;
  /** Whether the program may write packet data through packet pointers. */
  readonly packetWrite: boolean;
  /**
   * Which helpers may get packet pointers as memory arguments (the kernel's `may_access_direct_pkt_data` with a
   * helper's `meta`): those whose prototype has `pkt_access`, any helper (cgroup_sockopt's option buffer), or none.
   * Absent: those with `pkt_access` when the program type reads packets.
   */
  readonly packetHelperArgs?: 'pkt_access' | 'any' | 'none';
  /** Whether the program may use the legacy packet loads (LD_ABS, LD_IND). */
  readonly legacyPacketLoads: boolean;
  /** The values the program may return, when restricted. */
  readonly retRange: readonly [bigint, bigint] | undefined;
}

/** The platform: helpers and program types. */
export interface Platform {
  helper(id: number): HelperPrototype | undefined;
  programType(name: string, attachType: string | undefined): ProgramTypeInfo | undefined;
  /** Whether helper `id` may take a map of type `mapType`; Linux's rules when absent. */
  mapCompatible?(id: number, mapType: number): boolean;
}

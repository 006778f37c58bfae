/**
 * Register states: what the verifier knows about the value of one register (or one spilled stack slot) on one
 * path. A register holds nothing readable (`NOT_INIT`), a number (`SCALAR`), or a pointer into one region, with a
 * fixed offset and a variable one (a scalar), as in the Linux verifier's `struct bpf_reg_state`.
 *
 * Register states are immutable and shared between verifier states; an instruction replaces a register's state,
 * never edits it.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  type Scalar,
  SCALAR_UNKNOWN,
  SCALAR_ZERO,
  formatScalar,
  isConst,
  scalarConst,
} from './scalar.ts';


/** The kinds of value a register can hold (the kernel's `enum bpf_reg_type`, without the flags). */
export const RegType = {
  /** Nothing readable: never written, or clobbered by a call. */
  NOT_INIT: 0,
  /** A number. */
  SCALAR: 1,
  /** The program's context (`struct xdp_md *`, `struct __sk_buff *`, ...). */
  CTX: 2,
  /** A map (`lddw r1, map`): only for passing to helpers. */
  CONST_MAP: 3,
  /** Inside a map's value (a lookup result, or global data). */
  MAP_VALUE: 4,
  /** Inside a map's key (callbacks of `bpf_for_each_map_elem`). */
  MAP_KEY: 5,
  /** Inside a stack frame. */
  STACK: 6,
  /** Packet metadata (`data_meta`): readable up to `data`. */
  PACKET_META: 7,
  /** Packet data (`data`): readable up to the range a comparison with `data_end` proved. */
  PACKET: 8,
  /** `data_end`: only for comparisons. */
  PACKET_END: 9,
  /** A full socket (`struct bpf_sock *` from `bpf_sk_lookup_*`). */
  SOCKET: 10,
  /** A socket's common part (`struct bpf_sock *` from `skb->sk`). */
  SOCK_COMMON: 11,
  /** A TCP socket (`struct bpf_tcp_sock *`). */
  TCP_SOCK: 12,
  /** Memory of a known size (ring buffer records, `bpf_dynptr_data`, helper-returned buffers). */
  MEM: 13,
  /** A BPF function (`lddw r1, func`), for callbacks. */
  FUNC: 14,
  /** A kernel object of a BTF type (tracing programs): readable only through `bpf_probe_read*`. */
  BTF_ID: 15,
  /** The flow keys of a flow dissector program. */
  FLOW_KEYS: 16,
  /** A tracepoint's writable buffer. */
  TP_BUFFER: 17,
  /** An XDP socket. */
  XDP_SOCK: 18,
  /**
   * Not a register value: the state of an open-coded iterator in its stack slot (bytes `iiiiiiii`; see
   * `kfuncs.ts`): `value` the values it still yields, `refId` its reference, `memSize` its struct.
   */
  ITER: 19,
} as const;
/** One of the {@link RegType} values. */
export type RegType = (typeof RegType)[keyof typeof RegType];

/** Where a value came from, for messages ("returned by bpf_map_lookup_elem at prog.c:21"). */
export interface Origin {
  /** The instruction that produced it. */
  readonly slot: number;
  /** What produced it, in words: `bpf_map_lookup_elem`, `a load from the context`. */
  readonly what: string;
}

/** What the verifier knows about one register. */
export interface Reg {
  readonly type: RegType;
  /** The pointer may be NULL (the kernel's PTR_MAYBE_NULL): it must be compared with 0 before use. */
  readonly maybeNull: boolean;
  /** The memory it points to is read-only (MEM_RDONLY: `.rodata`, read-only buffers). */
  readonly readOnly: boolean;
  /** The fixed part of a pointer's offset. */
  readonly off: number;
  /** A scalar's value, or the variable part of a pointer's offset. */
  readonly value: Scalar;
  /**
   * Copies of one value share an id: a NULL check, a packet range check or a bound learnt about one copy holds for
   * all. 0 means no copies are tracked.
   */
  readonly id: number;
  /** The reference (acquired object) this pointer holds, 0 if none. */
  readonly refId: number;
  /** Packet pointers: bytes past `off` known to lie before `data_end`. */
  readonly range: number;
  /** Map pointers and map values: the map's index in the verifier's map table; -1 for none. */
  readonly map: number;
  /** MEM pointers: the size of the memory; BTF_ID pointers: the BTF type id. */
  readonly memSize: number;
  /** Stack pointers: the frame (0 for the program's own); FUNC: the slot of the function. */
  readonly frame: number;
  /**
   * A number computed from an address (a pointer moved with a 32-bit move, masked, multiplied...). It may be
   * computed with and compared, but never stored outside the stack, passed to a helper or returned: that would
   * leak the address.
   */
  readonly tainted: boolean;
  /**
   * For a tainted number that is the low 32 bits of a pointer (a 32-bit move of it): that pointer. The difference
   * of two such halves in one region is an offset, not an address (compilers compute `p - data` this way).
   */
  readonly lowOf: Reg | undefined;
  /** Where the value came from (not part of comparisons). */
  readonly origin: Origin | undefined;
}

const base: Reg = {
  type: RegType.NOT_INIT,
  maybeNull: false,
  readOnly: false,
  off: 0,
  value: SCALAR_ZERO,
  id: 0,
  refId: 0,
  range: 0,
  map: -1,
  memSize: 0,
  frame: 0,
  tainted: false,
  lowOf: undefined,
  origin: undefined,
};

/** A register never written (or clobbered). */
export const REG_NOT_INIT: Reg = base;

/** A register with the fields given and the others as for a fresh value. */
export function makeReg(fields: Partial<Reg> & { type: RegType }): Reg {
  return withReg(base, fields);
}

/** Copies `r` with some fields changed. (Written out field by field: this is on the hot path.) */
export function withReg(r: Reg, f: Partial<Reg>): Reg {
  return {
    type: f.type ?? r.type,
    maybeNull: f.maybeNull ?? r.maybeNull,
    readOnly: f.readOnly ?? r.readOnly,
    off: f.off ?? r.off,
    value: f.value ?? r.value,
    id: f.id ?? r.id,
    refId: f.refId ?? r.refId,
    range: f.range ?? r.range,
    map: f.map ?? r.map,
    memSize: f.memSize ?? r.memSize,
    frame: f.frame ?? r.frame,
    tainted: f.tainted ?? r.tainted,
    lowOf: 'lowOf' in f ? f.lowOf : r.lowOf,
    origin: 'origin' in f ? f.origin : r.origin,
  };
}

/** A scalar register holding `value`. */
export function scalarReg(value: Scalar, origin?: Origin): Reg {
  return makeReg({ type: RegType.SCALAR, value, origin });
}

/** A number derived from an address: any value, and it must not escape. */
export function taintedReg(value: Scalar, origin?: Origin): Reg {
  return makeReg({ type: RegType.SCALAR, value, tainted: true, origin });
}

/** A scalar register holding any value. */
export const REG_UNKNOWN: Reg = makeReg({ type: RegType.SCALAR, value: SCALAR_UNKNOWN });

/** A scalar register holding the constant `v`. */
export function constReg(v: bigint, origin?: Origin): Reg {
  return makeReg({ type: RegType.SCALAR, value: scalarConst(v), origin });
}

/** Whether the register holds a pointer of any kind. */
export function isPointer(r: Reg): boolean {
  return r.type !== RegType.SCALAR && r.type !== RegType.NOT_INIT;
}

/** Whether the register is a packet pointer (data or meta). */
export function isPacketPointer(r: Reg): boolean {
  return r.type === RegType.PACKET || r.type === RegType.PACKET_META;
}

/** Whether the register is the scalar 0. */
export function isNullScalar(r: Reg): boolean {
  return r.type === RegType.SCALAR && isConst(r.value) && r.value.varOff.value === 0n;
}

/** The register type in words, as messages name it. */
export function regTypeName(t: RegType): string {
  switch (t) {
    case RegType.NOT_INIT: return 'uninitialized';
    case RegType.SCALAR: return 'scalar';
    case RegType.CTX: return 'ctx';
    case RegType.CONST_MAP: return 'map_ptr';
    case RegType.MAP_VALUE: return 'map_value';
    case RegType.MAP_KEY: return 'map_key';
    case RegType.STACK: return 'fp';
    case RegType.PACKET_META: return 'pkt_meta';
    case RegType.PACKET: return 'pkt';
    case RegType.PACKET_END: return 'pkt_end';
    case RegType.SOCKET: return 'sock';
    case RegType.SOCK_COMMON: return 'sock_common';
    case RegType.TCP_SOCK: return 'tcp_sock';
    case RegType.MEM: return 'mem';
    case RegType.FUNC: return 'func';
    case RegType.BTF_ID: return 'ptr_btf';
    case RegType.FLOW_KEYS: return 'flow_keys';
    case RegType.TP_BUFFER: return 'tp_buffer';
    case RegType.XDP_SOCK: return 'xdp_sock';
    case RegType.ITER: return 'iter';
    default: return `type ${String(t)}`;
  }
}

/** What a reader calls the kind of value: "a map value pointer", "the packet end pointer". */
export function describeType(r: Reg): string {
  const orNull = r.maybeNull ? ' or NULL' : '';
  switch (r.type) {
    case RegType.NOT_INIT: return 'an uninitialized value';
    case RegType.SCALAR: return r.tainted ? 'a number derived from an address' : 'a number';
    case RegType.CTX: return 'the context pointer';
    case RegType.CONST_MAP: return `a map pointer${orNull}`;
    case RegType.MAP_VALUE: return `a map value pointer${orNull}`;
    case RegType.MAP_KEY: return 'a map key pointer';
    case RegType.STACK: return 'a stack pointer';
    case RegType.PACKET_META: return 'a packet metadata pointer';
    case RegType.PACKET: return 'a packet pointer';
    case RegType.PACKET_END: return 'the packet end pointer';
    case RegType.SOCKET: return `a socket pointer${orNull}`;
    case RegType.SOCK_COMMON: return `a socket pointer${orNull}`;
    case RegType.TCP_SOCK: return `a TCP socket pointer${orNull}`;
    case RegType.MEM: return `a memory pointer${orNull}`;
    case RegType.FUNC: return 'a function pointer';
    case RegType.BTF_ID: return `a kernel object pointer${orNull}`;
    case RegType.FLOW_KEYS: return 'the flow keys pointer';
    case RegType.TP_BUFFER: return 'a tracepoint buffer pointer';
    case RegType.XDP_SOCK: return 'an XDP socket pointer';
    case RegType.ITER: return 'an open-coded iterator';
    default: return 'an unknown value';
  }
}

/**
 * The register state in the kernel log's notation: `scalar(umax=255,var_off=(0x0; 0xff))`, `map_value(map=counts,
 * off=0,vs=8)`, `pkt(off=14,r=34)`, `fp-8`.
 */
export function formatReg(r: Reg, mapName: (index: number) => string = (i) => `#${i}`): string {
  if (r.type === RegType.NOT_INIT) return 'uninit';
  if (r.type === RegType.SCALAR) {
    const v = formatScalar(r.value);
    if (r.tainted) return `tainted_scalar(${v})`;
    return isConst(r.value) ? v : `scalar(${r.id !== 0 ? `id=${r.id}${r.off !== 0 ? `+${r.off}` : ''},` : ''}${v})`;
  }
  if (r.type === RegType.ITER) {
    const left = formatScalar(r.value);
    return `iter(ref_obj_id=${r.refId},state=${left === '0' ? 'drained' : 'active'},left=${left})`;
  }
  const name = regTypeName(r.type) + (r.maybeNull ? '_or_null' : '');
  const parts: string[] = [];
  if (r.type === RegType.STACK && isConst(r.value) && r.value.varOff.value === 0n) {
    return `${r.frame > 0 ? `fp[${r.frame}]` : 'fp'}${r.off >= 0 ? '+' : ''}${r.off}`;
  }
  if (r.id !== 0) parts.push(`id=${r.id}`);
  if (r.refId !== 0) parts.push(`ref_obj_id=${r.refId}`);
  if (r.map >= 0) parts.push(`map=${mapName(r.map)}`);
  if (r.type !== RegType.CONST_MAP && r.type !== RegType.FUNC) parts.push(`off=${r.off}`);
  if (r.type === RegType.PACKET || r.type === RegType.PACKET_META) parts.push(`r=${r.range}`);
  if (r.type === RegType.MEM) parts.push(`size=${r.memSize}`);
  if (r.type === RegType.STACK && r.frame > 0) parts.push(`frame=${r.frame}`);
  if (!isConst(r.value) || r.value.varOff.value !== 0n) parts.push(`var=${formatScalar(r.value)}`);
  return `${name}(${parts.join(',')})`;
}

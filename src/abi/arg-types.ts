/**
 * The argument and return types of helper prototypes, spelled as the kernel spells them in its
 * `struct bpf_func_proto` initializers (`ARG_PTR_TO_MEM | MEM_RDONLY`), with the numbering of
 * `enum bpf_arg_type`, `enum bpf_return_type` and `enum bpf_type_flag` (include/linux/bpf.h, Linux 6.18).
 *
 * A type is a base type in the low 8 bits plus flag bits above them; the kernel's `_OR_NULL`, `UNINIT_MEM` and
 * `FIXED_SIZE_MEM` names are shorthands for a base plus flags. {@link decodeArgType} and {@link decodeRetType}
 * expand a spelling into its base and flags.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * decodeArgType('ARG_PTR_TO_UNINIT_MEM');
 * // { base: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'], value: 0x4008004 }
 * ```
 * @module
 */

/** `enum bpf_arg_type`: the base argument types, valued as in the kernel. */
export const ArgBaseType = {
  ARG_DONTCARE: 0,
  ARG_CONST_MAP_PTR: 1,
  ARG_PTR_TO_MAP_KEY: 2,
  ARG_PTR_TO_MAP_VALUE: 3,
  ARG_PTR_TO_MEM: 4,
  ARG_PTR_TO_ARENA: 5,
  ARG_CONST_SIZE: 6,
  ARG_CONST_SIZE_OR_ZERO: 7,
  ARG_PTR_TO_CTX: 8,
  ARG_ANYTHING: 9,
  ARG_PTR_TO_SPIN_LOCK: 10,
  ARG_PTR_TO_SOCK_COMMON: 11,
  ARG_PTR_TO_SOCKET: 12,
  ARG_PTR_TO_BTF_ID: 13,
  ARG_PTR_TO_RINGBUF_MEM: 14,
  ARG_CONST_ALLOC_SIZE_OR_ZERO: 15,
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: 16,
  ARG_PTR_TO_PERCPU_BTF_ID: 17,
  ARG_PTR_TO_FUNC: 18,
  ARG_PTR_TO_STACK: 19,
  ARG_PTR_TO_CONST_STR: 20,
  ARG_PTR_TO_TIMER: 21,
  ARG_KPTR_XCHG_DEST: 22,
  ARG_PTR_TO_DYNPTR: 23,
} as const;
/** A base argument type. */
export type ArgBaseTypeName = keyof typeof ArgBaseType;

/** `enum bpf_return_type`: the base return types, valued as in the kernel. */
export const RetBaseType = {
  RET_INTEGER: 0,
  RET_VOID: 1,
  RET_PTR_TO_MAP_VALUE: 2,
  RET_PTR_TO_SOCKET: 3,
  RET_PTR_TO_TCP_SOCK: 4,
  RET_PTR_TO_SOCK_COMMON: 5,
  RET_PTR_TO_MEM: 6,
  RET_PTR_TO_MEM_OR_BTF_ID: 7,
  RET_PTR_TO_BTF_ID: 8,
} as const;
/** A base return type. */
export type RetBaseTypeName = keyof typeof RetBaseType;

/**
 * `enum bpf_type_flag`: modifier bits above the 8 bits of the base type (BPF_BASE_TYPE_BITS). The ones that
 * matter to helper arguments: PTR_MAYBE_NULL (NULL is accepted), MEM_RDONLY (the helper only reads),
 * MEM_UNINIT (the memory need not be initialized: the helper fills it), MEM_WRITE (the helper writes),
 * MEM_FIXED_SIZE (the size is the prototype's `argN_size`, not the next argument), MEM_ALIGNED, OBJ_RELEASE (the
 * helper releases the reference it is given), DYNPTR_TYPE_* (which kind of dynptr).
 */
export const TypeFlag = {
  PTR_MAYBE_NULL: 1 << 8,
  MEM_RDONLY: 1 << 9,
  MEM_RINGBUF: 1 << 10,
  MEM_USER: 1 << 11,
  MEM_PERCPU: 1 << 12,
  OBJ_RELEASE: 1 << 13,
  PTR_UNTRUSTED: 1 << 14,
  MEM_UNINIT: 1 << 15,
  DYNPTR_TYPE_LOCAL: 1 << 16,
  DYNPTR_TYPE_RINGBUF: 1 << 17,
  MEM_FIXED_SIZE: 1 << 18,
  MEM_ALLOC: 1 << 19,
  PTR_TRUSTED: 1 << 20,
  MEM_RCU: 1 << 21,
  NON_OWN_REF: 1 << 22,
  DYNPTR_TYPE_SKB: 1 << 23,
  DYNPTR_TYPE_XDP: 1 << 24,
  MEM_ALIGNED: 1 << 25,
  MEM_WRITE: 1 << 26,
  DYNPTR_TYPE_SKB_META: 1 << 27,
} as const;
/** A type flag. */
export type TypeFlagName = keyof typeof TypeFlag;

/** The kernel's shorthand argument types (the "extended" part of `enum bpf_arg_type`): base plus flags. */
export const ArgTypeAlias = {
  ARG_PTR_TO_MAP_VALUE_OR_NULL: ['ARG_PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_MEM_OR_NULL: ['ARG_PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_CTX_OR_NULL: ['ARG_PTR_TO_CTX', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_SOCKET_OR_NULL: ['ARG_PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_STACK_OR_NULL: ['ARG_PTR_TO_STACK', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_BTF_ID_OR_NULL: ['ARG_PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  ARG_PTR_TO_UNINIT_MEM: ['ARG_PTR_TO_MEM', 'MEM_UNINIT', 'MEM_WRITE'],
  ARG_PTR_TO_FIXED_SIZE_MEM: ['ARG_PTR_TO_MEM', 'MEM_FIXED_SIZE'],
} as const satisfies Record<string, readonly [ArgBaseTypeName, ...TypeFlagName[]]>;
/** A shorthand argument type. */
export type ArgTypeAliasName = keyof typeof ArgTypeAlias;

/** The kernel's shorthand return types (the "extended" part of `enum bpf_return_type`). */
export const RetTypeAlias = {
  RET_PTR_TO_MAP_VALUE_OR_NULL: ['RET_PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_SOCKET_OR_NULL: ['RET_PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_TCP_SOCK_OR_NULL: ['RET_PTR_TO_TCP_SOCK', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_SOCK_COMMON_OR_NULL: ['RET_PTR_TO_SOCK_COMMON', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: ['RET_PTR_TO_MEM', 'PTR_MAYBE_NULL', 'MEM_RINGBUF'],
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: ['RET_PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_BTF_ID_OR_NULL: ['RET_PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  RET_PTR_TO_BTF_ID_TRUSTED: ['RET_PTR_TO_BTF_ID', 'PTR_TRUSTED'],
} as const satisfies Record<string, readonly [RetBaseTypeName, ...TypeFlagName[]]>;
/** A shorthand return type. */
export type RetTypeAliasName = keyof typeof RetTypeAlias;

/**
 * Every argument type spelling that occurs in a helper prototype of Linux 6.18, written as in the kernel source.
 * The data in helpers.ts is checked against this list by the compiler; {@link decodeArgType} accepts any well-formed
 * spelling.
 */
export type ArgType =
  | 'ARG_ANYTHING'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_KPTR_XCHG_DEST'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_BTF_ID_OR_NULL'
  | 'ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL'
  | 'ARG_PTR_TO_CONST_STR'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_CTX_OR_NULL'
  | 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE'
  | 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE'
  | 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE'
  | 'ARG_PTR_TO_DYNPTR | MEM_RDONLY'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'
  | 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'
  | 'ARG_PTR_TO_MAP_VALUE_OR_NULL'
  | 'ARG_PTR_TO_MEM | MEM_RDONLY'
  | 'ARG_PTR_TO_MEM | MEM_WRITE'
  | 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY'
  | 'ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE'
  | 'ARG_PTR_TO_PERCPU_BTF_ID'
  | 'ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE'
  | 'ARG_PTR_TO_SOCKET_OR_NULL'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_STACK_OR_NULL'
  | 'ARG_PTR_TO_TIMER'
  | 'ARG_PTR_TO_UNINIT_MEM';

/** Every return type spelling that occurs in a helper prototype of Linux 6.18. */
export type RetType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_BTF_ID'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_TRUSTED'
  | 'RET_PTR_TO_DYNPTR_MEM_OR_NULL'
  | 'RET_PTR_TO_MAP_VALUE'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY'
  | 'RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY'
  | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
  | 'RET_PTR_TO_SOCKET_OR_NULL'
  | 'RET_PTR_TO_SOCK_COMMON_OR_NULL'
  | 'RET_PTR_TO_TCP_SOCK_OR_NULL';

/**
 * Names older kernels (and verifiers modelled on them, such as PREVAIL) use for what Linux 6.18 spells otherwise:
 * the pointer-to-long/int arguments became fixed-size memory, the "alloc mem" of ring buffers became MEM_RINGBUF.
 */
export const renamedTypes: Readonly<Record<string, ArgType | RetType>> = {
  ARG_PTR_TO_LONG: 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED',
  ARG_PTR_TO_INT: 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED',
  ARG_PTR_TO_ALLOC_MEM: 'ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE',
  RET_PTR_TO_ALLOC_MEM_OR_NULL: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL',
};

/** A type spelling taken apart: its base type, its flags (in {@link TypeFlag} order) and the kernel's number for it. */
export interface DecodedType<Base extends string> {
  readonly base: Base;
  readonly flags: readonly TypeFlagName[];
  /** The value the kernel stores in `argN_type` / `ret_type`. */
  readonly value: number;
}

const flagOrder = Object.keys(TypeFlag) as TypeFlagName[];

function decode<Base extends string>(
  spelling: string,
  bases: Readonly<Record<string, number>>,
  aliases: Readonly<Record<string, readonly string[]>>,
  what: string,
): DecodedType<Base> {
  const parts = spelling.split('|').map((p) => p.trim());
  const head = parts[0] ?? '';
  const expanded = aliases[head] ?? [head];
  const base = expanded[0] ?? '';
  const baseValue = bases[base];
  if (baseValue === undefined) throw new RangeError(`Expected a ${what} type, got '${spelling}' ('${head}' is not one)`);
  const flags = new Set<TypeFlagName>();
  for (const f of [...expanded.slice(1), ...parts.slice(1)]) {
    if (!(f in TypeFlag)) throw new RangeError(`Expected a type flag in '${spelling}', got '${f}'`);
    flags.add(f as TypeFlagName);
  }
  const ordered = flagOrder.filter((f) => flags.has(f));
  let value = baseValue;
  for (const f of ordered) value |= TypeFlag[f];
  return { base: base as Base, flags: ordered, value };
}

/**
 * Takes an argument type spelling apart.
 *
 * @example
 * ```ts
 * decodeArgType('ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY').flags; // ['PTR_MAYBE_NULL', 'MEM_RDONLY']
 * ```
 * @throws RangeError when the spelling names no base type or an unknown flag.
 */
export function decodeArgType(spelling: ArgType | string): DecodedType<ArgBaseTypeName> {
  return decode<ArgBaseTypeName>(spelling, ArgBaseType, ArgTypeAlias, 'helper argument');
}

/**
 * Takes a return type spelling apart.
 *
 * @example
 * ```ts
 * decodeRetType('RET_PTR_TO_RINGBUF_MEM_OR_NULL'); // { base: 'RET_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RINGBUF'], ... }
 * ```
 * @throws RangeError when the spelling names no base type or an unknown flag.
 */
export function decodeRetType(spelling: RetType | string): DecodedType<RetBaseTypeName> {
  return decode<RetBaseTypeName>(spelling, RetBaseType, RetTypeAlias, 'helper return');
}

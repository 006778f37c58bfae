/**
 * Linux's map types (`enum bpf_map_type`) and map flags, by name.
 *
 * Author: Claude.
 *
 * @module
 */

import { MapType, mapTypeName as abiMapTypeName, type MapTypeName } from '../abi/index.ts';

export { MapType, type MapTypeName };

/** The name of a map type id (`hash`), or `unknown(99)` for one Linux does not define. */
export function mapTypeName(type: number): string {
  return abiMapTypeName(type) ?? `unknown(${type})`;
}

/** Map creation flags (`BPF_F_*` of `map_flags`). */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
  LINK: 1 << 13,
  PATH_FD: 1 << 14,
  VTYPE_BTF_OBJ_FD: 1 << 15,
  TOKEN_FD: 1 << 16,
  SEGV_ON_FAULT: 1 << 17,
  NO_USER_CONV: 1 << 18,
} as const;

/** The names of the flags set in `flags` (`NO_PREALLOC|RDONLY_PROG`), with unknown bits in hex. */
export function mapFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of Object.entries(MapFlag)) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** libbpf's pinning values for BTF-defined maps (`__uint(pinning, LIBBPF_PIN_BY_NAME)`). */
export const Pinning = { none: 0, by_name: 1 } as const;

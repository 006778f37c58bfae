/**
 * Linux's map types (`enum bpf_map_type`) and map flags, by name.
 *
 * @module
 */

/** `enum bpf_map_type`, by lower-case name without the `BPF_MAP_TYPE_` prefix. */
export const MapType = {
  unspec: 0, hash: 1, array: 2, prog_array: 3, perf_event_array: 4, percpu_hash: 5, percpu_array: 6,
  stack_trace: 7, cgroup_array: 8, lru_hash: 9, lru_percpu_hash: 10, lpm_trie: 11, array_of_maps: 12,
  hash_of_maps: 13, devmap: 14, sockmap: 15, cpumap: 16, xskmap: 17, sockhash: 18, cgroup_storage: 19,
  reuseport_sockarray: 20, percpu_cgroup_storage: 21, queue: 22, stack: 23, sk_storage: 24, devmap_hash: 25,
  struct_ops: 26, ringbuf: 27, inode_storage: 28, task_storage: 29, bloom_filter: 30, user_ringbuf: 31,
  cgrp_storage: 32, arena: 33,
} as const;
export type MapTypeName = keyof typeof MapType;

const mapTypeNames: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, id] of Object.entries(MapType)) names[id] = name;
  return names;
})();

/** The name of a map type id (`hash`), or `unknown(99)` for one Linux does not define. */
export function mapTypeName(type: number): string {
  return mapTypeNames[type] ?? `unknown(${type})`;
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

/**
 * Why the core refused to create a map, in words: the core answers like the kernel, with an errno alone (-EINVAL
 * for a dozen different mistakes), so the bindings add the sentence that says which attribute was wrong and what
 * was expected. Covers map types the core lacks and the attributes of the types whose rules users most often
 * meet for the first time (bloom filters: no key, map_extra as the number of hash functions).
 *
 * Author: Claude.
 *
 * @module
 */
import { unsupportedMapTypeNote } from './map-type-support.ts';

/** The attributes of a refused creation (BPF_MAP_CREATE's fields). */
export interface MapCreateAttributes {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly mapExtra?: bigint;
}

const MAP_TYPE_BLOOM_FILTER = 30;
const KMALLOC_MAX_SIZE = 1 << 22;
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;
/** BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_ZERO_SEED | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG */
const BLOOM_FLAGS = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;

/**
 * The sentence explaining a refused creation, or '' when the attributes look right (the errno then has another
 * cause, such as memory).
 *
 * @example
 * ```ts
 * mapCreateNote({ type: 30, keySize: 4, valueSize: 4, maxEntries: 100 });
 * // 'a bloom filter has no keys: key_size must be 0, not 4'
 * mapCreateNote({ type: 30, keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 16n });
 * // 'map_extra of a bloom filter is its number of hash functions, 0 to 15 (0 means 5), not 16'
 * ```
 */
export function mapCreateNote(a: MapCreateAttributes): string {
  const unsupported = unsupportedMapTypeNote(a.type);
  if (unsupported !== '') return unsupported;
  if (a.type === MAP_TYPE_BLOOM_FILTER) return bloomFilterNote(a);
  if ((a.mapExtra ?? 0n) !== 0n) return `map_extra must be 0 except for bloom filters, not ${a.mapExtra}`;
  return '';
}

/** bloom_map_alloc_check and bloom_map_alloc's rules, in their order. */
function bloomFilterNote(a: MapCreateAttributes): string {
  const flags = a.flags ?? 0;
  const extra = a.mapExtra ?? 0n;
  if (a.valueSize > KMALLOC_MAX_SIZE) return `a bloom filter's value_size must be at most ${KMALLOC_MAX_SIZE} bytes, not ${a.valueSize}`;
  if (a.keySize !== 0) return `a bloom filter has no keys: key_size must be 0, not ${a.keySize}`;
  if (a.valueSize === 0) return 'a bloom filter needs a value to hash: value_size must be more than 0';
  if (a.maxEntries === 0) return 'a bloom filter sizes its bitmap from max_entries, which must be more than 0';
  if ((flags & ~BLOOM_FLAGS) !== 0) {
    return `a bloom filter takes only the flags BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG, not 0x${(flags & ~BLOOM_FLAGS).toString(16)}`;
  }
  if ((flags & BPF_F_RDONLY_PROG) !== 0 && (flags & BPF_F_WRONLY_PROG) !== 0) return 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG cannot both be set';
  if (extra < 0n || extra > 15n) return `map_extra of a bloom filter is its number of hash functions, 0 to 15 (0 means 5), not ${extra}`;
  return '';
}

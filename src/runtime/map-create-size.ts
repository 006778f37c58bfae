/**
 * The size a map is created with when a loader creates it from an object, where libbpf changes what the object
 * asked for: a ring buffer's size (max_entries) is rounded up to a power-of-two number of pages (libbpf.c,
 * adjust_ringbuf_sz). The runtime core, like the kernel, still refuses any other ring buffer size through its own
 * API; only loaders of objects apply this.
 *
 * Author: Claude.
 *
 * @module
 */

/** The core's page size (BPFSHIP_PAGE_SIZE in src/core/bpfship_core.h): ring buffer sizes are multiples of it. */
export const CORE_PAGE_SIZE = 4096;

const MAP_TYPE_RINGBUF = 27;
const MAP_TYPE_USER_RINGBUF = 31;

/**
 * libbpf's adjust_ringbuf_sz: `size` itself when it is already a power-of-two multiple of the page size (or 0,
 * which stays an error), else the smallest power-of-two multiple of the page size above it; a size no such
 * multiple fits in 32 bits is passed through for the core to refuse.
 *
 * @example
 * ```ts
 * adjustRingbufSize(8); // 4096
 * adjustRingbufSize(4096 * 3); // 16384
 * adjustRingbufSize(0); // 0
 * ```
 */
export function adjustRingbufSize(size: number, pageSize = CORE_PAGE_SIZE): number {
  if (size === 0) return 0;
  const pages = size / pageSize;
  if (size % pageSize === 0 && (pages & (pages - 1)) === 0) return size;
  for (let mul = 1; mul <= Math.floor(0xffffffff / pageSize); mul *= 2) {
    if (mul * pageSize > size) return mul * pageSize;
  }
  return size;
}

/**
 * The max_entries a loader creates map `type` with for an object that asks for `maxEntries`: ring buffers
 * (BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF) adjusted as libbpf does, every other type unchanged.
 */
export function libbpfMaxEntries(type: number, maxEntries: number): number {
  return type === MAP_TYPE_RINGBUF || type === MAP_TYPE_USER_RINGBUF ? adjustRingbufSize(maxEntries) : maxEntries;
}

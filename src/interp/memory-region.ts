/**
 * The memory a program may touch: named address ranges in the executor's one address space.
 *
 * eBPF pointers are byte offsets into a single buffer (in the runtime, the core's WebAssembly memory). A verified
 * program only ever dereferences pointers into its stack, its context, its packet, global data and map values the
 * helpers handed it; the interpreter checks every load, store and atomic against exactly those ranges, so an
 * unverified program cannot read or write anything else (map internals, other programs' stacks, the core's heap).
 *
 * Author: Claude.
 *
 * @module
 */

/** One range a program may access: `[start, end)`, stores allowed only when `writable`. */
export interface MemoryRegion {
  /** First byte (an offset into the address space, 0 < start). */
  readonly start: number;
  /** One past the last byte (end <= 2^32). */
  readonly end: number;
  readonly writable: boolean;
  /** What it is, for messages: `stack`, `context`, `packet`, `.rodata`, `map value of 'counts'`. */
  readonly name: string;
}

/** `name [0x1000, 0x1040) rw` */
export function formatRegion(r: MemoryRegion): string {
  return `${r.name} [0x${r.start.toString(16)}, 0x${r.end.toString(16)})${r.writable ? '' : ' read-only'}`;
}

/** Whether `[address, address + size)` lies inside `r`. */
export function regionContains(r: MemoryRegion, address: number, size: number): boolean {
  return address >= r.start && address + size <= r.end;
}

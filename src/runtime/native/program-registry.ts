/**
 * The tail-call registry of native mode: a table in native memory from executor program id to the program's
 * function. A prog array slot holds an id (the core's bpf_tail_call records it); an image's runner looks the id up
 * here, so a tail call may enter a program of any loaded image.
 *
 * Author: Claude.
 *
 * @module
 */
import type { CoreLibrary } from '../../core/index.ts';
import { koffi } from '../../core/index.ts';

/** Program ids and their functions, shared by every image bound to it. */
export class NativeProgramRegistry {
  /** Address of the table (bpfship_native_fn[capacity]); slot 0 is never used (0 means "no program"). */
  readonly address: bigint;
  readonly capacity: number;
  private readonly table: DataView;
  private next = 1;
  private readonly free: number[] = [];

  constructor(core: CoreLibrary, capacity = 4096) {
    this.capacity = capacity;
    this.address = core.alloc(capacity * 8);
    this.table = new DataView(koffi.view(this.address, capacity * 8));
  }

  /**
   * Registers a program function and returns its id.
   *
   * @throws {RangeError} when every id is taken.
   */
  register(fn: bigint): number {
    const id = this.free.pop() ?? this.next++;
    if (id >= this.capacity) throw new RangeError(`the native program registry is full (${this.capacity - 1} programs)`);
    this.table.setBigUint64(id * 8, fn, true);
    return id;
  }

  /** Forgets an id: tail calls to it fail from now on (the runner stops as for an empty slot). */
  unregister(id: number): void {
    if (id <= 0 || id >= this.capacity) return;
    this.table.setBigUint64(id * 8, 0n, true);
    this.free.push(id);
  }

  /** The function registered under `id`, or 0n. */
  functionOf(id: number): bigint {
    return id > 0 && id < this.capacity ? this.table.getBigUint64(id * 8, true) : 0n;
  }
}

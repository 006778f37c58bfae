/**
 * Frames in the core's memory for batched XDP runs in jit mode ({@link LoadedProgram.runXdpBatch}), the
 * counterpart of native mode's NativeFrameBatch: fill the frames once, then run a program over all of them with
 * one call into the generated WebAssembly, which loops over the frames itself.
 *
 * Layout (all in core memory): `capacity` frames every `stride` bytes, each with `headroom` bytes before the
 * packet (what bpf_xdp_adjust_head may grow into); a u32 length per frame; a u64 result (r0) per frame.
 *
 * Author: Claude.
 *
 * @module
 */
import type { CoreWasm } from '../core/index.ts';
import { RunInputError } from './errors.ts';

/** Linux's XDP headroom (XDP_PACKET_HEADROOM). */
const XDP_PACKET_HEADROOM = 256;

/** A batch of XDP frames in the core's memory. */
export class FrameBatch {
  readonly capacity: number;
  /** Bytes from one frame's start to the next (a multiple of 64). */
  readonly stride: number;
  /** Bytes before each packet. */
  readonly headroom: number;
  /** The address of frame 0 in core memory. */
  readonly frames: number;
  /** The address of the u32 lengths. */
  readonly lengthsAddress: number;
  /** The address of the u64 results. */
  readonly resultsAddress: number;
  private readonly core: CoreWasm;
  private used = 0;
  private freed = false;

  /** @internal Made by {@link Runtime.frameBatch}. */
  constructor(core: CoreWasm, capacity: number, maxFrame: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a frame batch holds at least one frame, not ${capacity}`);
    if (!Number.isInteger(maxFrame) || maxFrame < 14 || maxFrame > 65536) throw new RangeError(`the largest frame must be 14 to 65536 bytes, not ${maxFrame}`);
    this.core = core;
    this.capacity = capacity;
    this.headroom = XDP_PACKET_HEADROOM;
    this.stride = (XDP_PACKET_HEADROOM + maxFrame + 63) & ~63;
    this.frames = core.alloc(this.stride * capacity);
    this.lengthsAddress = core.alloc(4 * capacity);
    this.resultsAddress = core.alloc(8 * capacity);
  }

  /** Frames set so far. */
  get count(): number {
    return this.used;
  }

  /** Sets frame `i` (and the count to at least i + 1). A run may change the bytes: set them again to rerun. */
  set(i: number, frame: Uint8Array): void {
    this.live();
    if (!Number.isInteger(i) || i < 0 || i >= this.capacity) throw new RangeError(`frame ${i} is outside the batch's ${this.capacity}`);
    if (frame.length > this.stride - this.headroom) throw new RangeError(`frame ${i} is ${frame.length} bytes, more than the batch's ${this.stride - this.headroom}`);
    const at = this.frames + i * this.stride;
    const mem = this.core.bytes();
    mem.fill(0, at, at + this.headroom);
    mem.set(frame, at + this.headroom);
    this.core.view().setUint32(this.lengthsAddress + 4 * i, frame.length, true);
    if (i >= this.used) this.used = i + 1;
  }

  /** The bytes of frame `i` as they are now (its length as set; a run that moved the packet's ends is not followed). */
  frame(i: number): Uint8Array {
    this.live();
    if (!Number.isInteger(i) || i < 0 || i >= this.used) throw new RangeError(`frame ${i} is not set (the batch has ${this.used})`);
    const length = this.core.view().getUint32(this.lengthsAddress + 4 * i, true);
    const at = this.frames + i * this.stride + this.headroom;
    return this.core.read(at, length);
  }

  /** r0 of each frame after the last run (a view of core memory, valid until the memory grows or the batch is freed). */
  results(): BigUint64Array {
    this.live();
    return new BigUint64Array(this.core.memory.buffer, this.resultsAddress, this.used);
  }

  /** Frees the core memory; the batch cannot be used afterwards. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.core.free(this.frames);
    this.core.free(this.lengthsAddress);
    this.core.free(this.resultsAddress);
  }

  /** @internal */
  live(): void {
    if (this.freed) throw new RunInputError('the frame batch was freed');
  }
}

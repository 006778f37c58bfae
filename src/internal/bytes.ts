/**
 * A bounds-checked little-endian view of a byte range, for the parsers.
 *
 * Every read checks its range against the view and throws the parser's own error type with the offset, so that a
 * truncated or lying file becomes a typed error and never an out-of-range read returning `undefined`.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Location } from './errors.ts';

/** Builds the error a view throws; each parser passes its own (ElfError, BtfError, ...). */
export type ErrorFactory = (detail: string, where: Location) => Error;

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes UTF-8 (replacing invalid sequences, as tools printing names do). */
export function decodeUtf8(bytes: Uint8Array): string {
  // Plain ASCII is by far the common case for names; skip the decoder for it.
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && bytes.length < 256) return String.fromCharCode(...bytes);
  return decoder.decode(bytes);
}

/**
 * A window `[base, base + length)` of a byte array. Offsets passed to the read methods are relative to the window;
 * offsets in errors are reported relative to it too, with `where` saying which window (file or section) it is.
 */
export class ByteView {
  readonly bytes: Uint8Array;
  readonly base: number;
  readonly length: number;
  readonly where: Location;
  private readonly dv: DataView;
  private readonly fail: ErrorFactory;

  constructor(bytes: Uint8Array, where: Location, fail: ErrorFactory, base = 0, length = bytes.length - base) {
    if (base < 0 || length < 0 || base + length > bytes.length) {
      throw fail(`range [0x${base.toString(16)}, 0x${(base + length).toString(16)}) is outside the input (${bytes.length} bytes)`, where);
    }
    this.bytes = bytes;
    this.base = base;
    this.length = length;
    this.where = where;
    this.fail = fail;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset + base, length);
  }

  /** Throws this view's error type at `offset`. */
  error(detail: string, offset?: number): Error {
    return this.fail(detail, offset === undefined ? this.where : { ...this.where, offset });
  }

  /** Checks that `[offset, offset + size)` lies inside the view; `what` names the thing being read. */
  check(offset: number, size: number, what: string): void {
    if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 0 || offset + size > this.length) {
      throw this.error(`${what} at offset 0x${Math.max(0, offset).toString(16)} (${size} bytes) runs past the end (${this.length} bytes)`, offset >= 0 ? offset : undefined);
    }
  }

  u8(offset: number, what = 'byte'): number {
    this.check(offset, 1, what);
    return this.dv.getUint8(offset);
  }
  u16(offset: number, what = 'u16'): number {
    this.check(offset, 2, what);
    return this.dv.getUint16(offset, true);
  }
  i16(offset: number, what = 'i16'): number {
    this.check(offset, 2, what);
    return this.dv.getInt16(offset, true);
  }
  u32(offset: number, what = 'u32'): number {
    this.check(offset, 4, what);
    return this.dv.getUint32(offset, true);
  }
  i32(offset: number, what = 'i32'): number {
    this.check(offset, 4, what);
    return this.dv.getInt32(offset, true);
  }
  u64(offset: number, what = 'u64'): bigint {
    this.check(offset, 8, what);
    return this.dv.getBigUint64(offset, true);
  }
  /**
   * A 64-bit field that must fit a JavaScript number (file offsets, sizes). Values of 2^53 and more are certainly
   * wrong in an object file, so they are reported rather than rounded.
   */
  u64n(offset: number, what = 'u64'): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(`${what} is 0x${v.toString(16)}, too large to be an offset or size`, offset);
    return Number(v);
  }

  /** A sub-window, checked against this one. */
  slice(offset: number, size: number, where: Location = this.where, what = 'range'): ByteView {
    this.check(offset, size, what);
    return new ByteView(this.bytes, where, this.fail, this.base + offset, size);
  }

  /** The bytes `[offset, offset + size)`, shared with the input (not copied). */
  raw(offset: number, size: number, what = 'range'): Uint8Array {
    this.check(offset, size, what);
    return this.bytes.subarray(this.base + offset, this.base + offset + size);
  }

  /** A NUL-terminated string starting at `offset`; a missing terminator is an error, not a silent truncation. */
  cstr(offset: number, what = 'string'): string {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.length) {
      throw this.error(`${what} offset 0x${Math.max(0, offset).toString(16)} is past the end (${this.length} bytes)`, offset >= 0 ? offset : undefined);
    }
    const start = this.base + offset;
    const end = this.bytes.indexOf(0, start);
    if (end < 0 || end >= this.base + this.length) throw this.error(`${what} at offset 0x${offset.toString(16)} has no NUL terminator`, offset);
    return decodeUtf8(this.bytes.subarray(start, end));
  }
}

/**
 * The BTF string table: NUL-terminated names that type records, BTF.ext section names, file names and source lines
 * refer to by byte offset.
 *
 * Author: Claude.
 *
 * @module
 */

import { decodeUtf8 } from '../internal/bytes.ts';

const decoder = new TextDecoder('utf-8');

/**
 * A validated BTF string section. The parser has checked that it starts and ends with a NUL byte, so every offset
 * inside it starts a terminated string and a lookup only has to check the offset.
 *
 * Decoding is the main cost of reading BTF.ext (an object can have 100k line records, each naming a file and a
 * source line), so the table is decoded once, whole, with the platform's decoder. When that gives one UTF-16 unit
 * per byte (always for ASCII, which is what compilers write) a byte offset is also a string index and a lookup is a
 * slice; otherwise each string is decoded on first use and remembered.
 *
 * @example
 * ```ts
 * btf.strings.tryAt(t.nameOff) // 'xdp_md', or undefined when the offset is past the table
 * ```
 */
export class BtfStringTable {
  /** The string section's bytes, shared with the input. */
  readonly bytes: Uint8Array;
  /** The whole table as text when byte offsets are also string indices, else undefined. */
  private readonly text: string | undefined;
  private readonly cache = new Map<number, string>();

  /** `bytes` must start and end with NUL (the parser checks it before building the table). */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    // No decoding step expands a byte into more than one unit, and every multi-byte sequence (valid or not,
    // except a lone bad byte, which becomes one U+FFFD) shrinks; so equal lengths mean a one-to-one mapping.
    const text = decoder.decode(bytes);
    this.text = text.length === bytes.length ? text : undefined;
  }

  /** Size of the table in bytes. */
  get length(): number {
    return this.bytes.length;
  }

  /** The string at `offset`, or `undefined` when `offset` is not inside the table. Offset 0 is always `''`. */
  tryAt(offset: number): string | undefined {
    if (offset === 0) return '';
    if (!(offset > 0 && offset < this.bytes.length && Number.isInteger(offset))) return undefined;
    const text = this.text;
    // The table ends with NUL, so a terminator is always found inside it.
    if (text !== undefined) return text.slice(offset, text.indexOf('\0', offset));
    let s = this.cache.get(offset);
    if (s === undefined) {
      s = decodeUtf8(this.bytes.subarray(offset, this.bytes.indexOf(0, offset)));
      this.cache.set(offset, s);
    }
    return s;
  }
}

/**
 * Bytes to instructions: the inverse of `encode.ts`.
 *
 * The decoder is the hot path of every tool that reads programs, so it reads with one DataView, builds each record
 * as an object literal of one shape (two for `lddw`), and uses no regular expressions or closures.
 *
 * Author: Claude.
 *
 * @module
 */

import { InstructionError, type Location } from '../internal/errors.ts';
import { type Instruction, isKnownEncoding } from './instruction.ts';
import {
  Opcode,
} from './opcode.ts';

/** Options for {@link decodeInstructions}. */
export interface DecodeOptions {
  /**
   * What to do when the code ends inside an instruction (a length that is not a multiple of 8, or a `lddw`
   * without its second slot): `'error'` (the default) throws an InstructionError; `'invalid'` decodes the cut
   * `lddw` as a one-slot instruction marked invalid and ignores a partial last slot, for tools that must show
   * broken input rather than refuse it.
   */
  readonly truncated?: 'error' | 'invalid';
  /** The slot number of the first instruction (when decoding a part of a section). */
  readonly firstSlot?: number;
}

/**
 * Decodes a sequence of instructions.
 *
 * Steps: 1. check the length is a multiple of 8; 2. read each slot's fields (little-endian); 3. for `lddw`, read
 * the second slot's imm as the high half of the constant and keep any non-zero reserved bytes; 4. mark encodings
 * that name no known instruction as invalid (they are decoded, not refused: a disassembler prints them).
 *
 * @example
 * ```ts
 * const insns = decodeInstructions(elf.section('xdp')!.data, { file: 'prog.o', section: 'xdp' });
 * insns[0]; // { opcode: 0x61, dst: 2, src: 1, offset: 4, imm: 0, size: 1, slot: 0, valid: true }
 * ```
 * @param where Location facts for error messages (file, section).
 * @throws {InstructionError} with the byte offset, when the code is truncated (unless `truncated: 'invalid'`).
 */
export function decodeInstructions(bytes: Uint8Array, where: Location = {}, options: DecodeOptions = {}): Instruction[] {
  const length = bytes.length;
  const lenient = options.truncated === 'invalid';
  const slotBase = options.firstSlot ?? 0;
  const whole = length - (length % 8);
  if (whole !== length && !lenient) {
    throw new InstructionError(
      `the code is ${length} bytes long, not a multiple of 8: the last instruction is cut after ${length % 8} bytes`,
      { ...where, offset: whole, insn: slotBase + whole / 8 },
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, length);
  const out: Instruction[] = [];
  let pos = 0;
  while (pos < whole) {
    const slot = slotBase + (pos >> 3);
    const opcode = dv.getUint8(pos);
    const regs = dv.getUint8(pos + 1);
    const offset = dv.getInt16(pos + 2, true);
    const imm = dv.getInt32(pos + 4, true);
    const dst = regs & 0x0f;
    const src = regs >> 4;
    if (opcode === Opcode.LDDW) {
      if (pos + 16 > whole) {
        if (!lenient) {
          throw new InstructionError(
            `lddw at slot ${slot} needs two slots, but the code ends after the first`,
            { ...where, offset: pos, insn: slot },
          );
        }
        out.push({ opcode, dst, src, offset, imm, size: 1, slot, valid: false });
        break;
      }
      const head = dv.getUint32(pos + 8, true);
      const hi = dv.getInt32(pos + 12, true);
      const imm64 = (BigInt(hi) << 32n) | BigInt(imm >>> 0);
      const valid = isKnownEncoding(opcode, src, offset, imm);
      if (head === 0) out.push({ opcode, dst, src, offset, imm, imm64, size: 2, slot, valid });
      else out.push({ opcode, dst, src, offset, imm, imm64, size: 2, slot, valid, secondSlotHead: head });
      pos += 16;
      continue;
    }
    out.push({ opcode, dst, src, offset, imm, size: 1, slot, valid: isKnownEncoding(opcode, src, offset, imm) });
    pos += 8;
  }
  return out;
}

/**
 * Decodes one instruction at byte `pos` of `dv`, reading no further than `end`. Returns undefined when fewer than
 * 8 bytes remain, or when an `lddw` lacks its second slot. Used by the listing, which must decode at any offset
 * (llvm-objdump restarts at every symbol and after skipped zero bytes).
 */
export function decodeInstructionAt(dv: DataView, pos: number, end: number): Instruction | undefined {
  if (pos + 8 > end) return undefined;
  const opcode = dv.getUint8(pos);
  const regs = dv.getUint8(pos + 1);
  const offset = dv.getInt16(pos + 2, true);
  const imm = dv.getInt32(pos + 4, true);
  const dst = regs & 0x0f;
  const src = regs >> 4;
  const slot = pos >> 3;
  if (opcode === Opcode.LDDW) {
    if (pos + 16 > end) return undefined;
    const head = dv.getUint32(pos + 8, true);
    const hi = dv.getInt32(pos + 12, true);
    const imm64 = (BigInt(hi) << 32n) | BigInt(imm >>> 0);
    const valid = isKnownEncoding(opcode, src, offset, imm);
    if (head === 0) return { opcode, dst, src, offset, imm, imm64, size: 2, slot, valid };
    return { opcode, dst, src, offset, imm, imm64, size: 2, slot, valid, secondSlotHead: head };
  }
  return { opcode, dst, src, offset, imm, size: 1, slot, valid: isKnownEncoding(opcode, src, offset, imm) };
}

/**
 * Instructions to bytes: the exact inverse of `decode.ts`.
 *
 * Author: Claude.
 *
 * @module
 */

import { InstructionError } from '../internal/errors.ts';
import type { Instruction } from './instruction.ts';
import { Opcode } from './opcode.ts';

/**
 * Encodes instructions into their little-endian byte form, 8 bytes per slot (16 for `lddw`).
 *
 * `encodeInstructions(decodeInstructions(b))` returns `b` byte for byte, including reserved bytes of a `lddw`'s
 * second slot. Fields are written at their encoded widths; a value that does not fit (a register above 15, an
 * offset outside s16, an imm outside s32/u32) is an error rather than a silent truncation.
 *
 * @example
 * ```ts
 * encodeInstructions([mov64Imm(R0, 0), exit()]); // b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00
 * ```
 * @throws {InstructionError} naming the instruction whose field is out of range.
 */
export function encodeInstructions(instructions: readonly Instruction[]): Uint8Array {
  let slots = 0;
  for (let i = 0; i < instructions.length; i++) slots += (instructions[i] as Instruction).opcode === Opcode.LDDW ? 2 : 1;
  const out = new Uint8Array(slots * 8);
  const dv = new DataView(out.buffer);
  let pos = 0;
  for (let i = 0; i < instructions.length; i++) {
    const ins = instructions[i] as Instruction;
    check(ins, i);
    dv.setUint8(pos, ins.opcode);
    dv.setUint8(pos + 1, (ins.src << 4) | ins.dst);
    dv.setInt16(pos + 2, ins.offset, true);
    if (ins.opcode === Opcode.LDDW) {
      const value = ins.imm64 ?? BigInt(ins.imm);
      dv.setUint32(pos + 4, Number(BigInt.asUintN(32, value)), true);
      dv.setUint32(pos + 8, ins.secondSlotHead ?? 0, true);
      dv.setUint32(pos + 12, Number(BigInt.asUintN(32, value >> 32n)), true);
      pos += 16;
    } else {
      dv.setInt32(pos + 4, ins.imm | 0, true);
      pos += 8;
    }
  }
  return out;
}

function check(ins: Instruction, index: number): void {
  const bad = (what: string): InstructionError =>
    new InstructionError(`instruction ${index} (opcode 0x${ins.opcode.toString(16)}): ${what}`, { insn: index });
  if (!Number.isInteger(ins.opcode) || ins.opcode < 0 || ins.opcode > 0xff) throw bad(`opcode ${ins.opcode} is not a byte`);
  if (!Number.isInteger(ins.dst) || ins.dst < 0 || ins.dst > 15) throw bad(`dst register ${ins.dst} does not fit in 4 bits`);
  if (!Number.isInteger(ins.src) || ins.src < 0 || ins.src > 15) throw bad(`src field ${ins.src} does not fit in 4 bits`);
  if (!Number.isInteger(ins.offset) || ins.offset < -0x8000 || ins.offset > 0x7fff) throw bad(`offset ${ins.offset} is outside the signed 16-bit range`);
  if (!Number.isInteger(ins.imm) || ins.imm < -0x80000000 || ins.imm > 0xffffffff) throw bad(`imm ${ins.imm} does not fit in 32 bits`);
  if (ins.imm64 !== undefined && (ins.imm64 < -(1n << 63n) || ins.imm64 >= 1n << 64n)) throw bad(`imm64 ${ins.imm64} does not fit in 64 bits`);
  if (ins.opcode === Opcode.LDDW && ins.imm64 !== undefined && Number(BigInt.asIntN(32, ins.imm64)) !== (ins.imm | 0)) {
    throw bad(`imm (${ins.imm}) disagrees with the low 32 bits of imm64 (0x${BigInt.asUintN(64, ins.imm64).toString(16)})`);
  }
  if (ins.secondSlotHead !== undefined && (!Number.isInteger(ins.secondSlotHead) || ins.secondSlotHead < 0 || ins.secondSlotHead > 0xffffffff)) {
    throw bad(`secondSlotHead ${ins.secondSlotHead} is not a u32`);
  }
}

/**
 * A small DSL that makes tests read like assembly:
 *
 * ```ts
 * const prog = program(
 *   mov64Imm(R0, 0),
 *   jumpImm(JumpOp.JEQ, R1, 0, 1),
 *   add64Imm(R0, 22),
 *   exit(),
 * );
 * ```
 *
 * Every builder returns an {@link Instruction}; `program` numbers their slots.
 *
 * Author: Claude.
 *
 * @module
 */

import { type Instruction, makeInstruction, Register, withSlots } from './instruction.ts';
import { AluOp, AtomicOp, CallSource, InstructionClass, JumpOp, LoadImm64Source, Mode, Opcode, Size, Source } from './opcode.ts';

/** r0: return value. */
export const R0 = Register.R0;
/** r1: first argument. */
export const R1 = Register.R1;
/** r2 */
export const R2 = Register.R2;
/** r3 */
export const R3 = Register.R3;
/** r4 */
export const R4 = Register.R4;
/** r5: fifth argument. */
export const R5 = Register.R5;
/** r6: callee-saved. */
export const R6 = Register.R6;
/** r7 */
export const R7 = Register.R7;
/** r8 */
export const R8 = Register.R8;
/** r9 */
export const R9 = Register.R9;
/** r10: the read-only frame pointer. */
export const R10 = Register.R10;

/** The access size of a load or store, by its C type. */
export const Width = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW } as const;
/** One of the {@link Width} values. */
export type Width = (typeof Width)[keyof typeof Width];

/** Numbers slots in program order, so the result can be formatted or checked as a program. */
export function program(...instructions: Instruction[]): Instruction[] {
  return withSlots(instructions);
}

/** `dst op= imm` in 64 bits (`op` from {@link AluOp}). */
export function alu64Imm(op: number, dst: number, imm: number): Instruction {
  return makeInstruction(InstructionClass.ALU64 | op | Source.K, dst, 0, 0, imm);
}
/** `dst op= src` in 64 bits. */
export function alu64Reg(op: number, dst: number, src: number): Instruction {
  return makeInstruction(InstructionClass.ALU64 | op | Source.X, dst, src, 0, 0);
}
/** `wdst op= imm` in 32 bits. */
export function alu32Imm(op: number, dst: number, imm: number): Instruction {
  return makeInstruction(InstructionClass.ALU | op | Source.K, dst, 0, 0, imm);
}
/** `wdst op= wsrc` in 32 bits. */
export function alu32Reg(op: number, dst: number, src: number): Instruction {
  return makeInstruction(InstructionClass.ALU | op | Source.X, dst, src, 0, 0);
}

/** `dst = imm` (64-bit, imm sign-extended). */
export function mov64Imm(dst: number, imm: number): Instruction {
  return alu64Imm(AluOp.MOV, dst, imm);
}
/** `dst = src` (64-bit). */
export function mov64Reg(dst: number, src: number): Instruction {
  return alu64Reg(AluOp.MOV, dst, src);
}
/** `wdst = imm` (32-bit). */
export function mov32Imm(dst: number, imm: number): Instruction {
  return alu32Imm(AluOp.MOV, dst, imm);
}
/** `wdst = wsrc` (32-bit). */
export function mov32Reg(dst: number, src: number): Instruction {
  return alu32Reg(AluOp.MOV, dst, src);
}
/** `dst += imm` (64-bit). */
export function add64Imm(dst: number, imm: number): Instruction {
  return alu64Imm(AluOp.ADD, dst, imm);
}
/** `dst += src` (64-bit). */
export function add64Reg(dst: number, src: number): Instruction {
  return alu64Reg(AluOp.ADD, dst, src);
}
/** `dst = (s8|s16|s32)src` (64-bit sign-extending move). */
export function movsx64(dst: number, src: number, bits: 8 | 16 | 32): Instruction {
  return makeInstruction(InstructionClass.ALU64 | AluOp.MOV | Source.X, dst, src, bits, 0);
}
/** `dst s/= imm` or `dst s%= imm` (signed division or modulo, 64-bit): `op` is `AluOp.DIV` or `AluOp.MOD`. */
export function signed64Imm(op: number, dst: number, imm: number): Instruction {
  return makeInstruction(InstructionClass.ALU64 | op | Source.K, dst, 0, 1, imm);
}
/** `dst = -dst` (64-bit). */
export function neg64(dst: number): Instruction {
  return makeInstruction(InstructionClass.ALU64 | AluOp.NEG, dst, 0, 0, 0);
}
/** `dst = be16|be32|be64 dst` (to big-endian). */
export function toBigEndian(dst: number, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(0xdc, dst, 0, 0, bits);
}
/** `dst = le16|le32|le64 dst` (to little-endian). */
export function toLittleEndian(dst: number, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(0xd4, dst, 0, 0, bits);
}
/** `dst = bswap16|32|64 dst` (unconditional byte swap, v4). */
export function bswap(dst: number, bits: 16 | 32 | 64): Instruction {
  return makeInstruction(0xd7, dst, 0, 0, bits);
}

/** `dst = value ll` (lddw with a 64-bit constant). */
export function loadImm64(dst: number, value: bigint | number): Instruction {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  return makeInstruction(Opcode.LDDW, dst, LoadImm64Source.IMM64, 0, Number(BigInt.asIntN(32, v)), BigInt.asIntN(64, v));
}
/** lddw of a map reference: `src` says how `id` names it (`LoadImm64Source.MAP_FD`, `MAP_IDX`, ...); `value` is the second imm. */
export function loadPseudo(dst: number, src: number, id: number, next = 0): Instruction {
  const v = (BigInt(next | 0) << 32n) | BigInt(id >>> 0);
  return makeInstruction(Opcode.LDDW, dst, src, 0, id | 0, BigInt.asIntN(64, v));
}

/** `dst = *(size *)(src + offset)`. */
export function loadMem(size: Width, dst: number, src: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.LDX | Mode.MEM | size, dst, src, offset, 0);
}
/** `dst = *(s8|s16|s32 *)(src + offset)` (sign-extending load, v4). */
export function loadMemSx(size: Width, dst: number, src: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.LDX | Mode.MEMSX | size, dst, src, offset, 0);
}
/** `*(size *)(dst + offset) = src`. */
export function storeMem(size: Width, dst: number, offset: number, src: number): Instruction {
  return makeInstruction(InstructionClass.STX | Mode.MEM | size, dst, src, offset, 0);
}
/** `*(size *)(dst + offset) = imm`. */
export function storeImm(size: Width, dst: number, offset: number, imm: number): Instruction {
  return makeInstruction(InstructionClass.ST | Mode.MEM | size, dst, 0, offset, imm);
}
/** An atomic read-modify-write of `*(size *)(dst + offset)` with `src`: `op` from {@link AtomicOp}, e.g. `AtomicOp.ADD | AtomicOp.FETCH`. */
export function atomic(size: typeof Size.W | typeof Size.DW, op: number, dst: number, offset: number, src: number): Instruction {
  return makeInstruction(InstructionClass.STX | Mode.ATOMIC | size, dst, src, offset, op);
}

/** `if dst op imm goto +offset` (64-bit comparison; `op` from {@link JumpOp}). */
export function jumpImm(op: number, dst: number, imm: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.JMP | op | Source.K, dst, 0, offset, imm);
}
/** `if dst op src goto +offset`. */
export function jumpReg(op: number, dst: number, src: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.JMP | op | Source.X, dst, src, offset, 0);
}
/** `if wdst op imm goto +offset` (32-bit comparison). */
export function jump32Imm(op: number, dst: number, imm: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.JMP32 | op | Source.K, dst, 0, offset, imm);
}
/** `if wdst op wsrc goto +offset`. */
export function jump32Reg(op: number, dst: number, src: number, offset: number): Instruction {
  return makeInstruction(InstructionClass.JMP32 | op | Source.X, dst, src, offset, 0);
}
/** `goto +offset`. */
export function ja(offset: number): Instruction {
  return makeInstruction(Opcode.JA, 0, 0, offset, 0);
}
/** `gotol +offset` (ja32: a 32-bit offset in imm). */
export function gotol(offset: number): Instruction {
  return makeInstruction(Opcode.JA32, 0, 0, 0, offset);
}
/** `call helper` (by number). */
export function call(helper: number): Instruction {
  return makeInstruction(Opcode.CALL, 0, CallSource.HELPER, 0, helper);
}
/** A BPF-to-BPF call to the function `offset` slots after the next instruction. */
export function callLocal(offset: number): Instruction {
  return makeInstruction(Opcode.CALL, 0, CallSource.LOCAL, 0, offset);
}
/** A kfunc call, by BTF id. */
export function callKfunc(btfId: number): Instruction {
  return makeInstruction(Opcode.CALL, 0, CallSource.KFUNC, 0, btfId);
}
/** `callx reg`. */
export function callx(reg: number): Instruction {
  return makeInstruction(Opcode.CALLX, reg, 0, 0, 0);
}
/** `exit`. */
export function exit(): Instruction {
  return makeInstruction(Opcode.EXIT, 0, 0, 0, 0);
}

export { AluOp, AtomicOp, JumpOp, Size };

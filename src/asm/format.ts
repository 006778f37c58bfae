/**
 * Instructions as text, in the syntax llvm-objdump prints (LLVM's BPF "pseudo-C" assembly).
 *
 * The text is what `llvm-objdump-19 -d` prints after the instruction bytes, character for character:
 * `r2 = *(u32 *)(r1 + 0x4)`, `if r2 >= r1 goto +0xc`, `r1 = 0x0 ll`, `lock *(u64 *)(r0 + 0x0) += r1`,
 * `call 0x1`, `w0 = w1`, `r0 = bswap16 r0`, `r0 = atomic_fetch_add((u64 *)(r1 + 0x0), r0)`, ... The jump target
 * suffix (`<xdp_firewall+0x88>`) needs symbols and is added by the listing.
 *
 * LLVM's decoder accepts some encodings RFC 9669 forbids (it ignores fields the operation does not use) and refuses
 * some the RFC allows (registers above r11, the 32-bit atomics outside `alu32` mode); the formatter follows LLVM,
 * so that its output can be compared with llvm-objdump's line by line. Whatever LLVM cannot decode prints as
 * `<unknown>`.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Instruction } from './instruction.ts';
import {
  AluOp,
  InstructionClass,
  JumpOp,
  Mode,
  Opcode,
  Size,
} from './opcode.ts';

/** Options for {@link formatInstruction}. */
export interface FormatOptions {
  /**
   * Print as `llvm-objdump --mattr=+alu32` (or `--mcpu=v3`/`v4`) does: 32-bit loads and stores name `w` registers
   * (`w0 = *(u32 *)(r1 + 0x0)`) and the 32-bit atomics decode (`w0 = atomic_fetch_add((u32 *)(r1 + 0x0), w0)`).
   * Off by default, as in a plain `llvm-objdump -d`, which prints these atomics as `<unknown>` (all but
   * `lock ... +=`).
   */
  readonly alu32?: boolean;
}

const R = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'];
const W = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10', 'w11'];

/** The text llvm-objdump prints for an instruction it cannot decode. */
export const UNKNOWN = '<unknown>';

/** An integer in LLVM's hex style: `0x1f`, `-0x4`. */
export function hex(n: number): string {
  return n < 0 ? '-0x' + (-n).toString(16) : '0x' + n.toString(16);
}

/** A 64-bit integer in LLVM's hex style. */
export function hex64(n: bigint): string {
  return n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16);
}

/** A jump displacement as LLVM prints it: `+0x5`, `-0x3`, `+0x0`. */
export function displacement(n: number): string {
  return n < 0 ? '-0x' + (-n).toString(16) : '+0x' + n.toString(16);
}

function memory(base: string, offset: number): string {
  return offset < 0 ? base + ' - 0x' + (-offset).toString(16) : base + ' + 0x' + offset.toString(16);
}

function sizeName(opcode: number): string {
  switch (opcode & 0x18) {
    case Size.W: return 'u32';
    case Size.H: return 'u16';
    case Size.B: return 'u8';
    default: return 'u64';
  }
}

function aluSymbol(op: number, offset: number): string | undefined {
  switch (op) {
    case AluOp.ADD: return offset === 0 ? '+=' : undefined;
    case AluOp.SUB: return offset === 0 ? '-=' : undefined;
    case AluOp.MUL: return offset === 0 ? '*=' : undefined;
    case AluOp.DIV: return offset === 0 ? '/=' : offset === 1 ? 's/=' : undefined;
    case AluOp.OR: return offset === 0 ? '|=' : undefined;
    case AluOp.AND: return offset === 0 ? '&=' : undefined;
    case AluOp.LSH: return offset === 0 ? '<<=' : undefined;
    case AluOp.RSH: return offset === 0 ? '>>=' : undefined;
    case AluOp.MOD: return offset === 0 ? '%=' : offset === 1 ? 's%=' : undefined;
    case AluOp.XOR: return offset === 0 ? '^=' : undefined;
    case AluOp.ARSH: return offset === 0 ? 's>>=' : undefined;
    default: return undefined;
  }
}

function jumpSymbol(op: number): string | undefined {
  switch (op) {
    case JumpOp.JEQ: return '==';
    case JumpOp.JGT: return '>';
    case JumpOp.JGE: return '>=';
    case JumpOp.JSET: return '&';
    case JumpOp.JNE: return '!=';
    case JumpOp.JSGT: return 's>';
    case JumpOp.JSGE: return 's>=';
    case JumpOp.JLT: return '<';
    case JumpOp.JLE: return '<=';
    case JumpOp.JSLT: return 's<';
    case JumpOp.JSLE: return 's<=';
    default: return undefined;
  }
}

function atomicName(op: number): string | undefined {
  switch (op) {
    case 0x00: return 'add';
    case 0x40: return 'or';
    case 0x50: return 'and';
    case 0xa0: return 'xor';
    default: return undefined;
  }
}

function atomicSymbol(op: number): string {
  switch (op) {
    case 0x00: return '+';
    case 0x40: return '|';
    case 0x50: return '&';
    default: return '^';
  }
}

/**
 * The text of one instruction in llvm-objdump's syntax, or {@link UNKNOWN} when LLVM 19 cannot decode it.
 *
 * @example
 * ```ts
 * formatInstruction(decodeInstructions(bytes)[0]); // 'r2 = *(u32 *)(r1 + 0x4)'
 * ```
 */
export function formatInstruction(ins: Instruction, options: FormatOptions = {}): string {
  return llvmText(ins, options.alu32 === true) ?? UNKNOWN;
}

/**
 * The jump displacement LLVM uses to compute the target it annotates (`<sym+0x..>`), in slots; undefined when the
 * instruction is not a branch LLVM decodes (calls are not annotated).
 */
export function branchDisplacement(ins: Instruction): number | undefined {
  const cls = ins.opcode & 0x07;
  if (cls !== InstructionClass.JMP && cls !== InstructionClass.JMP32) return undefined;
  if (llvmText(ins, false) === undefined) return undefined;
  const op = ins.opcode & 0xf0;
  if (op === JumpOp.CALL || op === JumpOp.EXIT) return undefined;
  return ins.opcode === Opcode.JA32 ? ins.imm : ins.offset;
}

/** The text LLVM prints for the instruction, or undefined when LLVM's decoder refuses it. */
export function llvmText(ins: Instruction, alu32: boolean): string | undefined {
  const opcode = ins.opcode;
  const dst = ins.dst;
  const src = ins.src;
  switch (opcode & 0x07) {
    case InstructionClass.ALU64:
    case InstructionClass.ALU: {
      if (dst > 11) return undefined;
      const regs = (opcode & 0x07) === InstructionClass.ALU64 ? R : W;
      const op = opcode & 0xf0;
      const x = (opcode & 0x08) !== 0;
      const d = regs[dst] as string;
      if (op === AluOp.MOV) {
        if (!x) return ins.offset === 0 ? d + ' = ' + hex(ins.imm) : undefined;
        if (src > 11) return undefined;
        const s = regs[src] as string;
        switch (ins.offset) {
          case 0: return d + ' = ' + s;
          case 8: return d + ' = (s8)' + s;
          case 16: return d + ' = (s16)' + s;
          case 32: return regs === R ? d + ' = (s32)' + s : undefined;
          case 1:
            return regs === R ? d + ' = addr_space_cast(' + s + ', ' + hex((ins.imm >>> 16) & 0xffff) + ', ' + hex(ins.imm & 0xffff) + ')' : undefined;
          default: return undefined;
        }
      }
      if (op === AluOp.NEG) return x ? undefined : d + ' = -' + d;
      if (op === AluOp.END) {
        if (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) return undefined;
        const r = R[dst] as string;
        if (regs === R) return x ? undefined : r + ' = bswap' + ins.imm + ' ' + r;
        return r + (x ? ' = be' : ' = le') + ins.imm + ' ' + r;
      }
      const sym = aluSymbol(op, ins.offset);
      if (sym === undefined) return undefined;
      if (!x) return d + ' ' + sym + ' ' + hex(ins.imm);
      if (src > 11) return undefined;
      return d + ' ' + sym + ' ' + (regs[src] as string);
    }
    case InstructionClass.JMP:
    case InstructionClass.JMP32: {
      const jmp32 = (opcode & 0x07) === InstructionClass.JMP32;
      const op = opcode & 0xf0;
      const x = (opcode & 0x08) !== 0;
      switch (op) {
        case JumpOp.JA:
          if (x) return undefined;
          return jmp32 ? 'gotol ' + displacement(ins.imm) : 'goto ' + displacement(ins.offset);
        case JumpOp.CALL:
          if (jmp32) return undefined;
          if (!x) return 'call ' + hex(ins.imm);
          return dst > 11 ? undefined : 'callx ' + (R[dst] as string);
        case JumpOp.EXIT:
          return !jmp32 && !x && ins.imm === 0 ? 'exit' : undefined;
        case JumpOp.JCOND:
          return !jmp32 && !x ? 'may_goto ' + displacement(ins.offset) : undefined;
        default: {
          const sym = jumpSymbol(op);
          if (sym === undefined || dst > 11) return undefined;
          const regs = jmp32 ? W : R;
          if (!x) return 'if ' + (regs[dst] as string) + ' ' + sym + ' ' + hex(ins.imm) + ' goto ' + displacement(ins.offset);
          if (src > 11) return undefined;
          return 'if ' + (regs[dst] as string) + ' ' + sym + ' ' + (regs[src] as string) + ' goto ' + displacement(ins.offset);
        }
      }
    }
    case InstructionClass.LD: {
      switch (opcode) {
        case Opcode.LDDW: {
          if (dst > 11 || ins.offset !== 0 || ins.size !== 2) return undefined;
          if (src === 0) return (R[dst] as string) + ' = ' + hex64(ins.imm64 ?? BigInt(ins.imm)) + ' ll';
          return 'ld_pseudo\t' + (R[dst] as string) + ', ' + hex(src) + ', ' + hex(ins.imm >>> 0);
        }
        case 0x20: return 'r0 = *(u32 *)skb[' + hex(ins.imm) + ']';
        case 0x28: return 'r0 = *(u16 *)skb[' + hex(ins.imm) + ']';
        case 0x30: return 'r0 = *(u8 *)skb[' + hex(ins.imm) + ']';
        case 0x40: return src > 11 ? undefined : 'r0 = *(u32 *)skb[' + (R[src] as string) + ']';
        case 0x48: return src > 11 ? undefined : 'r0 = *(u16 *)skb[' + (R[src] as string) + ']';
        case 0x50: return src > 11 ? undefined : 'r0 = *(u8 *)skb[' + (R[src] as string) + ']';
        default: return undefined;
      }
    }
    case InstructionClass.LDX: {
      if (dst > 11 || src > 11) return undefined;
      const mode = opcode & 0xe0;
      const size = opcode & 0x18;
      if (mode === Mode.MEM) {
        const d = alu32 && size !== Size.DW ? (W[dst] as string) : (R[dst] as string);
        return d + ' = *(' + sizeName(opcode) + ' *)(' + memory(R[src] as string, ins.offset) + ')';
      }
      if (mode === Mode.MEMSX && size !== Size.DW) {
        const name = size === Size.W ? 's32' : size === Size.H ? 's16' : 's8';
        return (R[dst] as string) + ' = *(' + name + ' *)(' + memory(R[src] as string, ins.offset) + ')';
      }
      return undefined;
    }
    case InstructionClass.ST: {
      if ((opcode & 0xe0) !== Mode.MEM || dst > 11) return undefined;
      return '*(' + sizeName(opcode) + ' *)(' + memory(R[dst] as string, ins.offset) + ') = ' + hex(ins.imm);
    }
    default: {
      // STX
      if (dst > 11 || src > 11) return undefined;
      const mode = opcode & 0xe0;
      const size = opcode & 0x18;
      if (mode === Mode.MEM) {
        const s = alu32 && size !== Size.DW ? (W[src] as string) : (R[src] as string);
        return '*(' + sizeName(opcode) + ' *)(' + memory(R[dst] as string, ins.offset) + ') = ' + s;
      }
      if (mode !== Mode.ATOMIC) return undefined;
      const addr = memory(R[dst] as string, ins.offset);
      const op = ins.imm & 0xf0;
      const fetch = (ins.imm & 0x0f) === 1;
      if (size === Size.DW) {
        const s = R[src] as string;
        if (op === 0xe0) return fetch ? s + ' = xchg_64(' + addr + ', ' + s + ')' : undefined;
        if (op === 0xf0) return fetch ? 'r0 = cmpxchg_64(' + addr + ', r0, ' + s + ')' : undefined;
        const name = atomicName(op);
        if (name === undefined) return undefined;
        if (fetch) return s + ' = atomic_fetch_' + name + '((u64 *)(' + addr + '), ' + s + ')';
        return 'lock *(u64 *)(' + addr + ') ' + atomicSymbol(op) + '= ' + s;
      }
      if (size !== Size.W) return undefined;
      if (!alu32) return op === 0x00 ? 'lock *(u32 *)(' + addr + ') += ' + (R[src] as string) : undefined;
      const s = W[src] as string;
      if (op === 0xe0) return fetch ? s + ' = xchg32_32(' + addr + ', ' + s + ')' : undefined;
      if (op === 0xf0) return fetch ? 'w0 = cmpxchg32_32(' + addr + ', w0, ' + s + ')' : undefined;
      const name = atomicName(op);
      if (name === undefined) return undefined;
      if (fetch) return s + ' = atomic_fetch_' + name + '((u32 *)(' + addr + '), ' + s + ')';
      return 'lock *(u32 *)(' + addr + ') ' + atomicSymbol(op) + '= ' + s;
    }
  }
}

/**
 * The eBPF instruction as a record, and predicates that read like English.
 *
 * An instruction occupies one 8-byte slot, or two for `lddw` (the 64-bit immediate load):
 *
 * ```
 *   byte:   0         1              2-3            4-7
 *         +--------+-------+-------+----------------+--------------------------------+
 *         | opcode |  src  |  dst  |  offset (s16)  |  imm (s32)                     |
 *         +--------+-------+-------+----------------+--------------------------------+
 *                   hi nib  lo nib  little-endian     little-endian
 *
 *   lddw:   slot 0 as above, imm = low 32 bits of the constant
 *           slot 1: opcode, registers and offset 0 (reserved), imm = high 32 bits
 * ```
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AluOp,
  AtomicOp,
  CallSource,
  InstructionClass,
  JumpOp,
  Mode,
  Opcode,
  Size,
  Source,
} from './opcode.ts';

/** The registers: r0 (return value), r1-r5 (arguments), r6-r9 (callee-saved), r10 (read-only frame pointer). */
export const Register = {
  R0: 0,
  R1: 1,
  R2: 2,
  R3: 3,
  R4: 4,
  R5: 5,
  R6: 6,
  R7: 7,
  R8: 8,
  R9: 9,
  R10: 10,
} as const;

/**
 * One decoded (or built) instruction.
 *
 * Fields hold what the bytes say, even when it makes no sense (a register number of 14, a non-zero reserved field);
 * `valid` says whether the opcode and the fields that select the operation name a known instruction, and
 * {@link validateInstructions} reports everything else RFC 9669 forbids.
 */
export interface Instruction {
  /** The opcode byte (see `opcode.ts`). */
  readonly opcode: number;
  /** Destination register number, 0-15 as encoded. */
  readonly dst: number;
  /** Source register number, 0-15 as encoded; for `lddw` and `call`, what kind of immediate this is. */
  readonly src: number;
  /** The signed 16-bit offset (memory displacement, jump distance in slots, or an operation selector). */
  readonly offset: number;
  /** The signed 32-bit immediate; for `lddw`, the low 32 bits of the constant. */
  readonly imm: number;
  /** `lddw` only: the whole 64-bit constant, signed (`-1n` for all ones). */
  readonly imm64?: bigint;
  /** Slots occupied: 2 for `lddw`, else 1. */
  readonly size: 1 | 2;
  /** Index of the first slot in the decoded stream (0 for instructions built in code). */
  readonly slot: number;
  /** Whether the encoding names a known instruction; unknown ones print as `<unknown>`, as llvm-objdump does. */
  readonly valid: boolean;
  /**
   * `lddw` only, and only when non-zero: bytes 0-3 of the second slot (opcode, registers, offset) as a
   * little-endian u32. RFC 9669 reserves them (they must be zero); they are kept so that encoding reproduces the
   * input exactly and validation can point at them.
   */
  readonly secondSlotHead?: number;
}

/** Whether the instruction is `lddw` (opcode 0x18), the only two-slot instruction. */
export function isLoadImm64(ins: Instruction): boolean {
  return ins.opcode === Opcode.LDDW;
}

/** Whether the instruction is a `call` by immediate (helper, BPF-to-BPF or kfunc). */
export function isCall(ins: Instruction): boolean {
  return ins.opcode === Opcode.CALL;
}

/** Whether the instruction calls a helper function (`call` with src 0). */
export function isHelperCall(ins: Instruction): boolean {
  return ins.opcode === Opcode.CALL && ins.src === CallSource.HELPER;
}

/** Whether the instruction is a BPF-to-BPF call (`call` with src 1; imm is the relative offset of the callee). */
export function isLocalCall(ins: Instruction): boolean {
  return ins.opcode === Opcode.CALL && ins.src === CallSource.LOCAL;
}

/** Whether the instruction calls a kernel function (`call` with src 2; imm is its BTF id). */
export function isKfuncCall(ins: Instruction): boolean {
  return ins.opcode === Opcode.CALL && ins.src === CallSource.KFUNC;
}

/** Whether the instruction is `callx` (call through a register, held in `dst`). */
export function isCallx(ins: Instruction): boolean {
  return ins.opcode === Opcode.CALLX;
}

/** Whether the instruction is `exit`. */
export function isExit(ins: Instruction): boolean {
  return ins.opcode === Opcode.EXIT;
}

/**
 * Whether the instruction transfers control within the program: `goto`, `gotol`, `may_goto` and the conditional
 * jumps. Calls and exit are not jumps.
 */
export function isJump(ins: Instruction): boolean {
  const cls = ins.opcode & 0x07;
  if (cls !== InstructionClass.JMP && cls !== InstructionClass.JMP32) return false;
  const op = ins.opcode & 0xf0;
  return op !== JumpOp.CALL && op !== JumpOp.EXIT && op !== 0xf0;
}

/** Whether the instruction is an unconditional jump (`goto` or `gotol`). */
export function isUnconditionalJump(ins: Instruction): boolean {
  return ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32;
}

/** Whether the instruction is a conditional jump (`if ... goto`); `may_goto` counts as one. */
export function isConditionalJump(ins: Instruction): boolean {
  return isJump(ins) && !isUnconditionalJump(ins);
}

/** Whether the instruction is arithmetic (class ALU or ALU64). */
export function isArithmetic(ins: Instruction): boolean {
  const cls = ins.opcode & 0x07;
  return cls === InstructionClass.ALU || cls === InstructionClass.ALU64;
}

/** Whether the instruction reads memory into a register (class LDX: `r0 = *(u32 *)(r1 + 4)`). */
export function isMemoryLoad(ins: Instruction): boolean {
  return (ins.opcode & 0x07) === InstructionClass.LDX;
}

/** Whether the instruction writes memory (class ST, or class STX in MEM mode); atomics are not counted. */
export function isMemoryStore(ins: Instruction): boolean {
  const cls = ins.opcode & 0x07;
  return cls === InstructionClass.ST || (cls === InstructionClass.STX && (ins.opcode & 0xe0) === Mode.MEM);
}

/** Whether the instruction is an atomic read-modify-write (`lock ...`, `atomic_fetch_*`, `xchg`, `cmpxchg`). */
export function isAtomic(ins: Instruction): boolean {
  return (ins.opcode & 0x07) === InstructionClass.STX && (ins.opcode & 0xe0) === Mode.ATOMIC;
}

/** Whether the instruction is a legacy packet load (LD ABS or LD IND). */
export function isLegacyPacketLoad(ins: Instruction): boolean {
  if ((ins.opcode & 0x07) !== InstructionClass.LD) return false;
  const mode = ins.opcode & 0xe0;
  return mode === Mode.ABS || mode === Mode.IND;
}

/**
 * The registers the instruction may write, a bit per register (bit i for ri): the destination of ALU operations,
 * loads and `lddw`; the register an atomic fetches into (r0 for `CMPXCHG`); r0-r5 at a call and at a legacy packet
 * load (which sets r0 and clobbers r1-r5, as a helper call does).
 *
 * @example
 * ```ts
 * registersWritten(makeInstruction(0x85, 0, 0, 0, 1)); // 0x3f: a helper call writes r0 and clobbers r1-r5
 * ```
 */
export function registersWritten(ins: Instruction): number {
  const dst = ins.dst <= 10 ? 1 << ins.dst : 0;
  switch (ins.opcode & 0x07) {
    case InstructionClass.ALU:
    case InstructionClass.ALU64:
    case InstructionClass.LDX:
      return dst;
    case InstructionClass.LD:
      return ins.opcode === Opcode.LDDW ? dst : 0x3f;
    case InstructionClass.STX:
      if ((ins.opcode & 0xe0) !== Mode.ATOMIC) return 0;
      if (ins.imm === AtomicOp.CMPXCHG) return 1;
      return (ins.imm & AtomicOp.FETCH) !== 0 && ins.src <= 10 ? 1 << ins.src : 0;
    case InstructionClass.JMP:
    case InstructionClass.JMP32:
      return (ins.opcode & 0xf0) === JumpOp.CALL ? 0x3f : 0;
    default:
      return 0;
  }
}

/**
 * The slot a jump lands on, for the instruction at slot `index`: `index + 1 + offset` (or `+ imm` for `gotol`).
 * Undefined for instructions that are not jumps. The result may lie outside the program; checking is the caller's
 * (or {@link validateInstructions}') business.
 */
export function jumpTarget(ins: Instruction, index: number): number | undefined {
  if (ins.opcode === Opcode.JA32) return index + 1 + ins.imm;
  return isJump(ins) ? index + 1 + ins.offset : undefined;
}

/** The slot a BPF-to-BPF call enters, for the instruction at slot `index`: `index + 1 + imm`; else undefined. */
export function callTarget(ins: Instruction, index: number): number | undefined {
  return isLocalCall(ins) ? index + 1 + ins.imm : undefined;
}

/**
 * Whether an encoding names a known instruction: RFC 9669's instruction set, the legacy packet loads, `callx`,
 * and the Linux extensions LLVM 19 emits (`may_goto`, `addr_space_cast`). Besides the opcode, it checks the fields
 * that select the operation: the offset of `sdiv`/`smod`/`movsx`, the imm of byte swaps and atomics, the src of
 * `lddw` and `call`. Other reserved fields are {@link validateInstructions}' concern.
 */
export function isKnownEncoding(opcode: number, src: number, offset: number, imm: number): boolean {
  const cls = opcode & 0x07;
  switch (cls) {
    case InstructionClass.ALU:
    case InstructionClass.ALU64: {
      const op = opcode & 0xf0;
      const x = (opcode & Source.X) !== 0;
      switch (op) {
        case AluOp.NEG:
          return !x;
        case AluOp.DIV:
        case AluOp.MOD:
          return offset === 0 || offset === 1;
        case AluOp.MOV:
          if (!x) return offset === 0;
          if (offset === 0 || offset === 8 || offset === 16) return true;
          return cls === InstructionClass.ALU64 && (offset === 32 || offset === 1);
        case AluOp.END:
          if (cls === InstructionClass.ALU64 && x) return false;
          return imm === 16 || imm === 32 || imm === 64;
        case 0xe0:
        case 0xf0:
          return false;
        default:
          return true;
      }
    }
    case InstructionClass.JMP:
    case InstructionClass.JMP32: {
      const op = opcode & 0xf0;
      const x = (opcode & Source.X) !== 0;
      const jmp32 = cls === InstructionClass.JMP32;
      switch (op) {
        case JumpOp.JA:
          return !x;
        case JumpOp.CALL:
          if (jmp32) return false;
          return x || src <= CallSource.KFUNC;
        case JumpOp.EXIT:
          return !jmp32 && !x;
        case JumpOp.JCOND:
          return !jmp32 && !x && src === 0;
        case 0xf0:
          return false;
        default:
          return true;
      }
    }
    case InstructionClass.LD:
      if (opcode === Opcode.LDDW) return src <= 6;
      return opcode === 0x20 || opcode === 0x28 || opcode === 0x30 || opcode === 0x40 || opcode === 0x48 || opcode === 0x50;
    case InstructionClass.LDX: {
      const mode = opcode & 0xe0;
      if (mode === Mode.MEM) return true;
      return mode === Mode.MEMSX && (opcode & 0x18) !== Size.DW;
    }
    case InstructionClass.ST:
      return (opcode & 0xe0) === Mode.MEM;
    default: {
      // STX
      const mode = opcode & 0xe0;
      if (mode === Mode.MEM) return true;
      if (mode !== Mode.ATOMIC) return false;
      const size = opcode & 0x18;
      if (size !== Size.W && size !== Size.DW) return false;
      const base = imm & ~AtomicOp.FETCH;
      if (imm === AtomicOp.XCHG || imm === AtomicOp.CMPXCHG) return true;
      return (imm === base || imm === (base | AtomicOp.FETCH)) &&
        (base === AtomicOp.ADD || base === AtomicOp.OR || base === AtomicOp.AND || base === AtomicOp.XOR);
    }
  }
}

/** The number of slots an opcode occupies: 2 for `lddw`, else 1. */
export function slotsOf(opcode: number): 1 | 2 {
  return opcode === Opcode.LDDW ? 2 : 1;
}

/**
 * Builds an instruction record from its fields, computing `size` and `valid`. The fields are normalized to their
 * encoded widths (`imm` to s32, `offset` to s16, registers to 4 bits), so `makeInstruction(0xb7, 0, 0, 0, 0xffffffff)`
 * holds imm -1.
 */
export function makeInstruction(
  opcode: number,
  dst: number,
  src: number,
  offset: number,
  imm: number,
  imm64?: bigint,
  slot = 0,
): Instruction {
  const op = opcode & 0xff;
  const off = (offset << 16) >> 16;
  if (op === Opcode.LDDW) {
    const value = BigInt.asIntN(64, imm64 ?? BigInt(imm | 0));
    const lo = Number(BigInt.asIntN(32, value));
    return { opcode: op, dst: dst & 0xf, src: src & 0xf, offset: off, imm: lo, imm64: value, size: 2, slot, valid: isKnownEncoding(op, src & 0xf, off, lo) };
  }
  const i = imm | 0;
  return { opcode: op, dst: dst & 0xf, src: src & 0xf, offset: off, imm: i, size: 1, slot, valid: isKnownEncoding(op, src & 0xf, off, i) };
}

/** Copies of the instructions with `slot` numbered from `first` in program order (a `lddw` counts two). */
export function withSlots(instructions: readonly Instruction[], first = 0): Instruction[] {
  const out: Instruction[] = new Array(instructions.length);
  let slot = first;
  for (let i = 0; i < instructions.length; i++) {
    const ins = instructions[i] as Instruction;
    out[i] = ins.slot === slot ? ins : { ...ins, slot };
    slot += ins.size;
  }
  return out;
}

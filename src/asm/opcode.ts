/**
 * The opcode byte of an eBPF instruction and the named values of its parts, as RFC 9669 defines them.
 *
 * Every instruction starts with an 8-bit opcode whose low three bits name the instruction class. The other five
 * bits are read in one of two ways, depending on the class:
 *
 * ```
 *   arithmetic and jump classes (ALU, ALU64, JMP, JMP32)
 *   +----------------+--------+--------------------+
 *   |   4 bits       |  1 bit |   3 bits           |
 *   |   operation    | source |   class            |
 *   +----------------+--------+--------------------+
 *   (MSB)                                      (LSB)
 *
 *   load and store classes (LD, LDX, ST, STX)
 *   +--------+--------+-------------------+
 *   | 3 bits | 2 bits |   3 bits          |
 *   |  mode  |  size  |   class           |
 *   +--------+--------+-------------------+
 *   (MSB)                             (LSB)
 * ```
 *
 * The constants keep their bits in place (`AluOp.SUB` is `0x10`, not `1`), so an opcode is the bitwise OR of its
 * parts: `InstructionClass.ALU64 | AluOp.ADD | Source.X` is `0x0f`, "r1 += r2".
 *
 * Author: Claude.
 *
 * @module
 */

/** The instruction class: the low three bits of the opcode. */
export const InstructionClass = {
  /** Non-standard loads: `lddw` (64-bit immediate) and the legacy packet loads. */
  LD: 0x00,
  /** Load from memory into a register. */
  LDX: 0x01,
  /** Store an immediate to memory. */
  ST: 0x02,
  /** Store a register to memory, and the atomic operations. */
  STX: 0x03,
  /** 32-bit arithmetic (results are zero-extended to 64 bits). */
  ALU: 0x04,
  /** 64-bit jumps, calls and exit. */
  JMP: 0x05,
  /** 32-bit jumps (the comparison uses the low 32 bits). */
  JMP32: 0x06,
  /** 64-bit arithmetic. */
  ALU64: 0x07,
} as const;
/** One of the {@link InstructionClass} values. */
export type InstructionClass = (typeof InstructionClass)[keyof typeof InstructionClass];

/** The source bit of arithmetic and jump opcodes: the second operand is the immediate (K) or the `src` register (X). */
export const Source = { K: 0x00, X: 0x08 } as const;

/**
 * Arithmetic operations (bits 4-7 of an ALU or ALU64 opcode).
 *
 * `DIV` and `MOD` are signed (`sdiv`, `smod`) when the offset field is 1; `MOV` sign-extends (`movsx`) when the
 * offset is 8, 16 or 32; `END` is the byte swap (`le`/`be` in class ALU, `bswap` in class ALU64).
 */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** The byte order of an `END` instruction in class ALU; in class ALU64 the bit must be 0 (`bswap`). */
export const Endianness = {
  /** `le16`/`le32`/`le64`: to little-endian (a truncation on a little-endian host). */
  TO_LE: 0x00,
  /** `be16`/`be32`/`be64`: to big-endian. */
  TO_BE: 0x08,
} as const;

/** Jump operations (bits 4-7 of a JMP or JMP32 opcode). */
export const JumpOp = {
  /** `goto` (JMP class, 16-bit offset) or `gotol` (JMP32 class, 32-bit offset in imm). */
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  /** `call` (K: helper, local function or kfunc, chosen by `src`) or `callx` (X: function pointer in a register). */
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** `may_goto`: a Linux extension (JMP class only), a bounded-loop escape the verifier counts. */
  JCOND: 0xe0,
} as const;

/** The access size of load and store opcodes (bits 3-4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** The mode of load and store opcodes (bits 5-7). */
export const Mode = {
  /** `lddw`, the 64-bit immediate load (class LD, size DW). */
  IMM: 0x00,
  /** Legacy packet load at an absolute offset (class LD). */
  ABS: 0x20,
  /** Legacy packet load at an offset in a register (class LD). */
  IND: 0x40,
  /** Ordinary memory access. */
  MEM: 0x60,
  /** Sign-extending load (class LDX). */
  MEMSX: 0x80,
  /** Atomic read-modify-write (class STX, size W or DW); the operation is in imm. */
  ATOMIC: 0xc0,
} as const;

/**
 * The operation of an atomic instruction, held in its imm field.
 *
 * ```
 *   imm: +---------------+--------------+
 *        | bits 4-7: op  | bit 0: FETCH |
 *        +---------------+--------------+
 * ```
 * `XCHG` and `CMPXCHG` always carry the FETCH bit.
 */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Set in imm to return the old value in `src` (or `r0` for `CMPXCHG`). */
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
} as const;

/** What the `src` field of an `lddw` says its immediate is (RFC 9669 section 5.4; libbpf's `BPF_PSEUDO_*`). */
export const LoadImm64Source = {
  /** A plain 64-bit constant. */
  IMM64: 0,
  /** `map_by_fd(imm)`: a map, by file descriptor. */
  MAP_FD: 1,
  /** `map_val(map_by_fd(imm)) + next_imm`: an address inside a map's value. */
  MAP_VALUE: 2,
  /** `var_addr(imm)`: the address of a kernel variable, by BTF id. */
  VAR_ADDR: 3,
  /** `code_addr(imm)`: the address of an instruction (a function pointer). */
  CODE_ADDR: 4,
  /** `map_by_idx(imm)`: a map, by index in the program's map list. */
  MAP_IDX: 5,
  /** `map_val(map_by_idx(imm)) + next_imm`. */
  MAP_IDX_VALUE: 6,
} as const;

/** What the `src` field of a `call` (opcode 0x85) says its immediate is. */
export const CallSource = {
  /** A helper function, by its number in the platform's helper table. */
  HELPER: 0,
  /** A BPF-to-BPF call: imm is the offset in instructions from the next instruction to the callee. */
  LOCAL: 1,
  /** A kernel function (kfunc), by BTF id. */
  KFUNC: 2,
} as const;

/** Whole opcodes that are referred to by name. */
export const Opcode = {
  /** `lddw`: `LD | IMM | DW`, two slots. */
  LDDW: 0x18,
  /** `goto off`: `JMP | JA`. */
  JA: 0x05,
  /** `gotol imm` (ja32): `JMP32 | JA`. */
  JA32: 0x06,
  /** `call imm`: `JMP | CALL | K`. */
  CALL: 0x85,
  /** `callx reg`: `JMP | CALL | X`, the register in `dst` (LLVM and the conformance suite agree). */
  CALLX: 0x8d,
  /** `exit`: `JMP | EXIT`. */
  EXIT: 0x95,
  /** `may_goto off`: `JMP | JCOND`. */
  MAY_GOTO: 0xe5,
} as const;

/** The class of an opcode. */
export function opClass(opcode: number): InstructionClass {
  return (opcode & 0x07) as InstructionClass;
}

/** The operation bits (4-7) of an arithmetic or jump opcode, in place (`0x10` for SUB/JEQ). */
export function opOperation(opcode: number): number {
  return opcode & 0xf0;
}

/** The source bit of an arithmetic or jump opcode (`Source.K` or `Source.X`). */
export function opSource(opcode: number): number {
  return opcode & 0x08;
}

/** The size bits of a load or store opcode, in place. */
export function opSize(opcode: number): number {
  return opcode & 0x18;
}

/** The mode bits of a load or store opcode, in place. */
export function opMode(opcode: number): number {
  return opcode & 0xe0;
}

/** The number of bytes a size code accesses: W 4, H 2, B 1, DW 8. */
export function sizeInBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case Size.W: return 4;
    case Size.H: return 2;
    case Size.B: return 1;
    default: return 8;
  }
}

/** Whether the class is one of the arithmetic classes (ALU, ALU64). */
export function isAluClass(cls: number): boolean {
  return cls === InstructionClass.ALU || cls === InstructionClass.ALU64;
}

/** Whether the class is one of the jump classes (JMP, JMP32). */
export function isJumpClass(cls: number): boolean {
  return cls === InstructionClass.JMP || cls === InstructionClass.JMP32;
}

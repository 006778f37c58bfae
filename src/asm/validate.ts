/**
 * The static checks RFC 9669 asks of every instruction stream, before any verifier runs: known opcodes, existing
 * registers, reserved fields zero, jumps landing on instructions.
 *
 * Author: Claude.
 *
 * @module
 */

import { InstructionError, type Location } from '../internal/errors.ts';
import { type Instruction, isKnownEncoding } from './instruction.ts';

const NAMES: Record<number, string> = {
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh',
  0x80: 'neg', 0x90: 'mod', 0xa0: 'xor', 0xb0: 'mov', 0xc0: 'arsh', 0xd0: 'end',
};

/**
 * Checks instructions (in slot order, the first at slot 0) and returns every problem found, in order; an empty list
 * means the stream is well formed. Each error names the instruction's slot in `where.insn`.
 *
 * Reported: encodings that name no instruction (with the reason: an unknown opcode, a bad `sdiv`/`movsx` offset, a
 * bad byte-swap width or atomic operation, an `lddw` or `call` kind out of range); register numbers above 10;
 * writes to r10; non-zero fields the instruction does not use ("unused fields SHALL be zero"); non-zero reserved
 * bytes in the second slot of `lddw`; jumps and local calls that land outside the program or inside a `lddw`;
 * with `profile: 'rfc9669'`, the extensions beyond the RFC.
 *
 * @example
 * ```ts
 * for (const e of validateInstructions(decodeInstructions(bytes))) console.error(e.message);
 * ```
 */
export function validateInstructions(instructions: readonly Instruction[], where: Location = {}, options: ValidateOptions = {}): InstructionError[] {
  const strict = options.profile === 'rfc9669';
  const errors: InstructionError[] = [];
  const starts = new Set<number>();
  let total = 0;
  const slots: number[] = [];
  for (const ins of instructions) {
    slots.push(total);
    starts.add(total);
    total += ins.size;
  }
  for (let i = 0; i < instructions.length; i++) {
    const ins = instructions[i] as Instruction;
    const slot = slots[i] as number;
    const report = (detail: string): void => {
      errors.push(new InstructionError(`opcode 0x${hex2(ins.opcode)}: ${detail}`, { ...where, insn: slot }));
    };
    if (!isKnownEncoding(ins.opcode, ins.src, ins.offset, ins.imm)) {
      report(whyUnknown(ins));
      continue;
    }
    if (strict) {
      const extension = linuxExtension(ins);
      if (extension !== undefined) report(`${extension} is not part of RFC 9669`);
    }
    checkFields(ins, report, options.frameWrites === 'when-executed');
    // Control flow must land on an instruction of this program.
    const target = controlTarget(ins, slot);
    if (target !== undefined) {
      if (target < 0 || target >= total) report(`${target.toString()} is outside the program (slots 0-${total - 1}), the ${ins.opcode === 0x85 ? 'call' : 'jump'} target of slot ${slot}`);
      else if (!starts.has(target)) report(`the ${ins.opcode === 0x85 ? 'call' : 'jump'} lands on slot ${target}, the second half of a lddw`);
    }
  }
  return errors;
}

/** Options for {@link validateInstructions}. */
export interface ValidateOptions {
  /**
   * `'linux'` (the default) accepts the extensions Linux and LLVM use beyond RFC 9669: `may_goto`,
   * `addr_space_cast` and `callx`. `'rfc9669'` reports them, as the bpf_conformance suite's negative tests expect.
   */
  readonly profile?: 'linux' | 'rfc9669';
  /**
   * `'malformed'` (the default) reports every write to r10. `'when-executed'` leaves them to whoever executes the
   * instruction: Linux refuses a write to r10 only on a path it explores (dead code may hold one), so the verifier
   * checks it there and the runtimes trap if one ever runs.
   */
  readonly frameWrites?: 'malformed' | 'when-executed';
}

/** The name of a Linux/LLVM extension this instruction is, if it is one. */
function linuxExtension(ins: Instruction): string | undefined {
  if (ins.opcode === 0xe5) return 'may_goto';
  if (ins.opcode === 0x8d) return 'callx';
  if (ins.opcode === 0xbf && ins.offset === 1) return 'addr_space_cast (mov with offset 1)';
  return undefined;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function controlTarget(ins: Instruction, slot: number): number | undefined {
  if (ins.opcode === 0x85) return ins.src === 1 ? slot + 1 + ins.imm : undefined;
  if (ins.opcode === 0x06) return slot + 1 + ins.imm;
  const cls = ins.opcode & 0x07;
  if (cls !== 0x05 && cls !== 0x06) return undefined;
  const op = ins.opcode & 0xf0;
  if (op === 0x80 || op === 0x90) return undefined;
  return slot + 1 + ins.offset;
}

/** Why `isKnownEncoding` refused an instruction. */
function whyUnknown(ins: Instruction): string {
  const cls = ins.opcode & 0x07;
  const op = ins.opcode & 0xf0;
  const x = (ins.opcode & 0x08) !== 0;
  if (cls === 0x04 || cls === 0x07) {
    const name = NAMES[op];
    if (name === undefined) return `unknown arithmetic operation 0x${hex2(op)}`;
    if (op === 0x80) return 'neg takes no source register (the X bit must be 0)';
    if (op === 0x30 || op === 0x90) return `${name} offset must be 0 (unsigned) or 1 (signed), found ${ins.offset}`;
    if (op === 0xb0) {
      if (!x) return `mov with an immediate must have offset 0, found ${ins.offset}`;
      return `movsx offset must be 8 or 16${cls === 0x07 ? ' or 32' : ''}, found ${ins.offset}`;
    }
    if (op === 0xd0) {
      if (cls === 0x07 && x) return 'bswap (ALU64 end) must have the source bit 0';
      return `byte swap width must be 16, 32 or 64, found ${ins.imm}`;
    }
  }
  if (cls === 0x05 || cls === 0x06) {
    if (op === 0x00) return 'ja takes no source register (the X bit must be 0)';
    if (op === 0x80) return cls === 0x06 ? 'call is not a JMP32 instruction' : `call src ${ins.src} is not 0 (helper), 1 (local function) or 2 (kfunc)`;
    if (op === 0x90) return cls === 0x06 ? 'exit is not a JMP32 instruction' : 'exit takes no source register (the X bit must be 0)';
    if (op === 0xe0) return cls === 0x06 ? 'may_goto is not a JMP32 instruction' : 'may_goto must have src 0 and the K source bit';
    return `unknown jump operation 0x${hex2(op)}`;
  }
  if (ins.opcode === 0x18) return `lddw src ${ins.src} is not one of 0-6 (imm64, map_fd, map_value, var_addr, code_addr, map_idx, map_idx_value)`;
  if ((ins.opcode & 0xe0) === 0xc0 && cls === 0x03) {
    if ((ins.opcode & 0x18) !== 0x00 && (ins.opcode & 0x18) !== 0x18) return 'atomic operations exist only for 32 and 64 bits';
    return `atomic operation 0x${(ins.imm >>> 0).toString(16)} is not add, or, and, xor (optionally with fetch, 0x01), xchg (0xe1) or cmpxchg (0xf1)`;
  }
  return `unknown opcode 0x${hex2(ins.opcode)}`;
}

/**
 * Whether `ins` writes r10, the frame pointer (as its destination, or as the register an atomic fetches into).
 *
 * @example
 * ```ts
 * writesFramePointer(decodeInstructions(new Uint8Array([0xb7, 0x0a, 0, 0, 0, 0, 0, 0]))[0]!); // true: r10 = 0
 * ```
 */
export function writesFramePointer(ins: Instruction): boolean {
  let writes = false;
  checkFields(ins, (detail) => {
    if (detail.startsWith('r10 (the frame pointer) is read-only')) writes = true;
  }, false);
  return writes;
}

/** Registers, writes to r10 (unless `frameWritesLater`) and reserved fields. */
function checkFields(ins: Instruction, report: (detail: string) => void, frameWritesLater: boolean): void {
  const cls = ins.opcode & 0x07;
  const op = ins.opcode & 0xf0;
  const x = (ins.opcode & 0x08) !== 0;
  const mode = ins.opcode & 0xe0;
  const zero: [string, number][] = [];
  let usesDst = false;
  let usesSrc = false;
  let writesDst = false;
  let writesSrc = false;
  switch (cls) {
    case 0x04:
    case 0x07:
      usesDst = true;
      writesDst = true;
      if (op === 0x80) {
        zero.push(['src', ins.src], ['offset', ins.offset], ['imm', ins.imm]);
      } else if (op === 0xd0) {
        zero.push(['src', ins.src], ['offset', ins.offset]);
      } else {
        if (x) {
          usesSrc = true;
          if (!(op === 0xb0 && ins.offset === 1)) zero.push(['imm', ins.imm]);
        } else {
          zero.push(['src', ins.src]);
        }
        if (op !== 0x30 && op !== 0x90 && !(op === 0xb0 && x)) zero.push(['offset', ins.offset]);
      }
      break;
    case 0x05:
    case 0x06:
      if (op === 0x00) {
        zero.push(['dst', ins.dst], ['src', ins.src], cls === 0x05 ? ['imm', ins.imm] : ['offset', ins.offset]);
      } else if (op === 0x80) {
        if (x) {
          usesDst = true;
          zero.push(['src', ins.src], ['offset', ins.offset], ['imm', ins.imm]);
        } else {
          zero.push(['dst', ins.dst], ['offset', ins.offset]);
        }
      } else if (op === 0x90) {
        zero.push(['dst', ins.dst], ['src', ins.src], ['offset', ins.offset], ['imm', ins.imm]);
      } else if (op === 0xe0) {
        zero.push(['dst', ins.dst], ['src', ins.src], ['imm', ins.imm]);
      } else {
        usesDst = true;
        if (x) {
          usesSrc = true;
          zero.push(['imm', ins.imm]);
        } else {
          zero.push(['src', ins.src]);
        }
      }
      break;
    case 0x00:
      if (ins.opcode === 0x18) {
        usesDst = true;
        writesDst = true;
        zero.push(['offset', ins.offset]);
        if (ins.secondSlotHead !== undefined && ins.secondSlotHead !== 0) {
          report(`the second slot of lddw must have opcode, registers and offset 0, found 0x${ins.secondSlotHead.toString(16).padStart(8, '0')} (bytes 8-11, little-endian)`);
        }
      } else if (mode === 0x20) {
        zero.push(['dst', ins.dst], ['src', ins.src], ['offset', ins.offset]);
      } else {
        usesSrc = true;
        zero.push(['dst', ins.dst], ['offset', ins.offset]);
      }
      break;
    case 0x01:
      usesDst = true;
      usesSrc = true;
      writesDst = true;
      zero.push(['imm', ins.imm]);
      break;
    case 0x02:
      usesDst = true;
      zero.push(['src', ins.src]);
      break;
    default:
      usesDst = true;
      usesSrc = true;
      if (mode === 0x60) zero.push(['imm', ins.imm]);
      else if (mode === 0xc0 && (ins.imm & 0x01) !== 0 && ins.imm !== 0xf1) writesSrc = true;
      break;
  }
  if (usesDst && ins.dst > 10) report(`register r${ins.dst} does not exist (dst; r0-r10)`);
  if (usesSrc && ins.src > 10) report(`register r${ins.src} does not exist (src; r0-r10)`);
  if (writesDst && ins.dst === 10 && !frameWritesLater) report('r10 (the frame pointer) is read-only, but it is the destination');
  if (writesSrc && ins.src === 10 && !frameWritesLater) report('r10 (the frame pointer) is read-only, but the atomic fetches into it');
  for (const [field, value] of zero) {
    if (value !== 0) report(`${field} is ${value} but this instruction does not use it (unused fields must be 0)`);
  }
}

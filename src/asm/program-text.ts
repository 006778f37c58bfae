/**
 * A whole program as assembler source that assembles back to the same bytes.
 *
 * llvm-objdump's per-instruction text loses a few things: a BPF-to-BPF call prints like a helper call
 * (`call -0x1`), fields LLVM ignores are not printed, `ld_pseudo` shows only the low half of its constant, and what
 * LLVM cannot decode prints as `<unknown>`. This printer uses the same syntax but writes jumps and local calls to
 * labels (`goto L12`, `call L40`), the full constant of `ld_pseudo`, and falls back to a raw slot (`.quad 0x...`,
 * which llvm-mc reads too) for any instruction whose text would not reproduce it.
 *
 * Author: Claude.
 *
 * @module
 */

import { TokenStream, scanLine } from './_scanner.ts';
import { parseLlvmInstruction } from './_parse-llvm.ts';
import type { Instruction } from './instruction.ts';
import { llvmText } from './format.ts';

/** Options for {@link formatProgram}. */
export interface ProgramTextOptions {
  /** Use the `alu32` rendering (see `FormatOptions.alu32`); on by default here, since it loses less. */
  readonly alu32?: boolean;
  /** Indentation before each instruction (default a tab). */
  readonly indent?: string;
}

/**
 * Prints a program (instructions in slot order, the first at slot 0) as assembler source: labels `L<slot>:` before
 * every jump or call target inside the program, one instruction per line.
 *
 * @example
 * ```ts
 * const text = formatProgram(decodeInstructions(bytes));
 * encodeInstructions(assemble(text)); // equals bytes
 * ```
 */
export function formatProgram(instructions: readonly Instruction[], options: ProgramTextOptions = {}): string {
  const alu32 = options.alu32 ?? true;
  const indent = options.indent ?? '\t';
  const slots: number[] = [];
  let total = 0;
  for (const ins of instructions) {
    slots.push(total);
    total += ins.size;
  }
  const starts = new Set(slots);

  // Targets that land on an instruction boundary get labels; others keep their numeric form.
  const targets = new Set<number>();
  const targetOf = (ins: Instruction, slot: number): { slot: number; field: 'offset' | 'imm' } | undefined => {
    const cls = ins.opcode & 0x07;
    if (ins.opcode === 0x85 && ins.src === 1) return { slot: slot + 1 + ins.imm, field: 'imm' };
    if (ins.opcode === 0x06) return { slot: slot + 1 + ins.imm, field: 'imm' };
    if (cls !== 0x05 && cls !== 0x06) return undefined;
    const op = ins.opcode & 0xf0;
    if (op === 0x80 || op === 0x90 || op === 0xf0) return undefined;
    return { slot: slot + 1 + ins.offset, field: 'offset' };
  };
  instructions.forEach((ins, i) => {
    const t = targetOf(ins, slots[i] as number);
    if (t !== undefined && starts.has(t.slot)) targets.add(t.slot);
  });

  const lines: string[] = [];
  instructions.forEach((ins, i) => {
    const slot = slots[i] as number;
    if (targets.has(slot)) lines.push(`L${slot}:`);
    lines.push(indent + textOf(ins, slot, alu32, targetOf(ins, slot), targets));
  });
  return lines.join('\n') + '\n';
}

function textOf(ins: Instruction, slot: number, alu32: boolean, target: { slot: number; field: 'offset' | 'imm' } | undefined, targets: ReadonlySet<number>): string {
  let text = llvmText(ins, alu32);
  if (text !== undefined) {
    if (ins.opcode === 0x18 && ins.src !== 0) {
      text = 'ld_pseudo ' + (text.slice(text.indexOf('\t') + 1, text.lastIndexOf(', ')) + ', 0x' + BigInt.asUintN(64, ins.imm64 ?? BigInt(ins.imm)).toString(16));
    }
    if (target !== undefined && targets.has(target.slot)) {
      const label = `L${target.slot}`;
      if (ins.opcode === 0x85) text = 'call ' + label;
      else text = text.slice(0, text.lastIndexOf(' ') + 1) + label;
    }
    if (reproduces(text, ins, slot, target, targets)) return text;
  }
  return raw(ins);
}

/** Whether `text` assembles back to exactly `ins` (labels standing for their slots). */
function reproduces(text: string, ins: Instruction, slot: number, target: { slot: number; field: 'offset' | 'imm' } | undefined, targets: ReadonlySet<number>): boolean {
  if (ins.secondSlotHead !== undefined) return false;
  try {
    const p = parseLlvmInstruction(new TokenStream(scanLine(text, {}), {}));
    let offset = p.offset;
    let imm = p.imm;
    if (p.target !== undefined) {
      if (target === undefined || !targets.has(target.slot)) return false;
      const distance = target.slot - (slot + 1);
      if (p.target.field === 'offset') offset = distance;
      else imm = distance;
    }
    if (p.opcode !== ins.opcode || p.dst !== ins.dst || p.src !== ins.src || offset !== ins.offset || imm !== ins.imm) return false;
    return ins.opcode !== 0x18 || (p.imm64 ?? 0n) === (ins.imm64 ?? BigInt(ins.imm));
  } catch {
    return false;
  }
}

function quad(bytes: readonly number[]): string {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return '.quad 0x' + v.toString(16).padStart(16, '0');
}

/** The instruction as raw slots. */
function raw(ins: Instruction): string {
  const first = [ins.opcode, (ins.src << 4) | ins.dst, ins.offset & 0xff, (ins.offset >> 8) & 0xff, ins.imm & 0xff, (ins.imm >>> 8) & 0xff, (ins.imm >>> 16) & 0xff, (ins.imm >>> 24) & 0xff];
  const text = quad(first);
  if (ins.opcode !== 0x18) return text;
  const hi = Number(BigInt.asIntN(32, (ins.imm64 ?? BigInt(ins.imm)) >> 32n));
  const head = ins.secondSlotHead ?? 0;
  const second = [head & 0xff, (head >>> 8) & 0xff, (head >>> 16) & 0xff, (head >>> 24) & 0xff, hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, (hi >>> 24) & 0xff];
  return text + '\n\t' + quad(second);
}

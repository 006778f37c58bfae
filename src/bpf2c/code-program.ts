/**
 * The shape of code bpf2c translates: a flat instruction array split into functions, with source lines. A
 * `LinkedProgram` of the spec layer has this shape; so does a raw instruction stream once {@link rawCodeProgram}
 * has found its functions (the conformance suite's tests come that way).
 *
 * Author: Claude.
 *
 * @module
 */
import { callTarget, type Instruction, LoadImm64Source, Opcode } from '../asm/index.ts';
import { Bpf2cError } from './errors.ts';

/** One function's place in a {@link CodeProgram}. */
export interface CodeFunction {
  readonly name: string;
  /** First slot in the program. */
  readonly start: number;
  readonly slotCount: number;
  /** Its section, and its first slot there: they name instructions in comments and labels as `disasm` does. */
  readonly sectionName: string;
  readonly sectionInsnOffset: number;
}

/** A source position of one instruction. */
export interface CodeLineInfo {
  readonly slot: number;
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
}

/** Code to translate: instructions indexed by slot (an `lddw` occupies two), the entry function first. */
export interface CodeProgram {
  readonly instructions: readonly Instruction[];
  readonly slotCount: number;
  readonly functions: readonly CodeFunction[];
  /** Sorted by slot; may be empty. */
  readonly lineInfo: readonly CodeLineInfo[];
}

/**
 * A raw instruction stream as a {@link CodeProgram}: the entry function at slot 0, and one more function at every
 * target of a BPF-to-BPF call or `lddw rX, func` (code address), each running to the next function's start.
 *
 * @example
 * ```ts
 * const code = rawCodeProgram('call_local', assemble(text));
 * code.functions.map((f) => f.name); // ['call_local', 'call_local_fn13']
 * ```
 * @throws {Bpf2cError} when a call lands outside the program.
 */
export function rawCodeProgram(name: string, instructions: readonly Instruction[]): CodeProgram {
  const slotted: Instruction[] = [];
  let slot = 0;
  for (const ins of instructions) {
    slotted.push(ins.slot === slot ? ins : { ...ins, slot });
    slot += ins.size;
  }
  const slotCount = slot;
  const starts = new Set<number>([0]);
  for (const ins of slotted) {
    let target = callTarget(ins, ins.slot);
    if (ins.opcode === Opcode.LDDW && ins.src === LoadImm64Source.CODE_ADDR) target = ins.slot + 1 + ins.imm;
    if (target === undefined) continue;
    if (target < 0 || target >= slotCount) throw new Bpf2cError(`call target ${target} is outside the program (slots 0-${slotCount - 1})`, { section: name, insn: ins.slot });
    starts.add(target);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const functions: CodeFunction[] = sorted.map((start, i) => ({
    name: start === 0 ? name : `${name}_fn${start}`,
    start,
    slotCount: (sorted[i + 1] ?? slotCount) - start,
    sectionName: name,
    sectionInsnOffset: start,
  }));
  return { instructions: slotted, slotCount, functions, lineInfo: [] };
}

/**
 * `code` with a function starting at every target of a BPF-to-BPF call or `lddw rX, func` that falls inside a
 * function rather than at its start, as Linux's verifier splits a program into subprograms (add_subprog for each
 * pseudo call target). Such calls carry no relocation: hand-written assembly (`call l0_%=`) and callbacks in the
 * entry program's own section. The piece is named `<function>_fn<section offset>`; a jump across the new boundary
 * is then one bpf2c refuses, as Linux refuses it ("jump out of range").
 *
 * @example
 * ```ts
 * const linked = linkProgram(spec, program); // one function, 'main', whose slot 6 is a call target
 * splitAtLocalCalls(linked).functions.map((f) => f.name); // ['main', 'main_fn6']
 * ```
 */
export function splitAtLocalCalls(code: CodeProgram): CodeProgram {
  const targets = new Set<number>();
  for (const ins of code.instructions) {
    let target = callTarget(ins, ins.slot);
    if (ins.opcode === Opcode.LDDW && ins.src === LoadImm64Source.CODE_ADDR) target = ins.slot + 1 + ins.imm;
    if (target !== undefined && functionAt(code, target) === undefined) targets.add(target);
  }
  if (targets.size === 0) return code;
  const functions: CodeFunction[] = [];
  for (const f of code.functions) {
    const end = f.start + f.slotCount;
    const cuts = [...targets].filter((t) => t > f.start && t < end).sort((a, b) => a - b);
    const starts = [f.start, ...cuts];
    starts.forEach((start, i) => {
      const sectionInsnOffset = f.sectionInsnOffset + (start - f.start);
      functions.push({
        name: i === 0 ? f.name : `${f.name}_fn${sectionInsnOffset}`,
        start,
        slotCount: (starts[i + 1] ?? end) - start,
        sectionName: f.sectionName,
        sectionInsnOffset,
      });
    });
  }
  return { ...code, functions };
}

/** The instructions of function `f` of `code`. */
export function functionInstructions(code: CodeProgram, f: CodeFunction): Instruction[] {
  return code.instructions.filter((ins) => ins.slot >= f.start && ins.slot < f.start + f.slotCount);
}

/** The function of `code` starting at `slot`, if any. */
export function functionAt(code: CodeProgram, slot: number): CodeFunction | undefined {
  return code.functions.find((f) => f.start === slot);
}

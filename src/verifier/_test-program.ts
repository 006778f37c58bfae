/**
 * Test support: builds a linked program from assembly text or instructions, with a map table, so that verifier
 * tests read like the programs they check. Only tests (and the generator) import this.
 *
 * Author: Claude.
 *
 * @module
 */

import { assemble, type Instruction } from '../asm/index.ts';
import type { LinkedProgram, ProgramSpec } from '../spec/index.ts';
import { sectionKind } from '../spec/index.ts';
import type { VerifierMap } from './maps.ts';

/** A map for tests: `{ type: 1 (hash), keySize: 4, valueSize: 8, maxEntries: 16 }` by default. */
export function testMap(fields: Partial<VerifierMap> = {}): VerifierMap {
  return {
    name: fields.name ?? 'm',
    type: fields.type ?? 1,
    keySize: fields.keySize ?? 4,
    valueSize: fields.valueSize ?? 8,
    maxEntries: fields.maxEntries ?? 16,
    flags: fields.flags ?? 0,
    readOnly: fields.readOnly ?? false,
    frozen: fields.frozen,
    inner: fields.inner,
    isData: fields.isData ?? false,
    ...(fields.fields !== undefined ? { fields: fields.fields } : {}),
  };
}

/**
 * A linked program of `instructions` (or LLVM-syntax text), one function per entry of `functions` (slot starts;
 * by default, the program's start, every BPF-to-BPF call's target and every function address's).
 */
export function testProgram(code: string | readonly Instruction[], options: { section?: string; functions?: readonly number[] } = {}): LinkedProgram {
  const instructions = typeof code === 'string' ? assemble(code) : [...code];
  const slotCount = instructions.reduce((n, i) => n + i.size, 0);
  const section = options.section ?? 'xdp';
  const program: ProgramSpec = {
    name: 'prog',
    sectionName: section,
    sectionIndex: 1,
    sectionInsnOffset: 0,
    instructions,
    slotCount,
    references: [],
    isStatic: false,
    kind: sectionKind(section),
    calls: [],
    license: 'GPL',
  };
  // Functions start where BPF-to-BPF calls land and where function addresses (`lddw rX, func`, callbacks) point,
  // unless given.
  const inferred = new Set<number>([0]);
  for (const ins of instructions) {
    if ((ins.opcode === 0x85 && ins.src === 1) || (ins.opcode === 0x18 && ins.src === 4)) inferred.add(ins.slot + 1 + ins.imm);
  }
  const starts = [...(options.functions ?? inferred)].sort((a, b) => a - b);
  const functions = starts.map((start, i) => ({
    name: i === 0 ? 'prog' : `f${i}`,
    sectionName: section,
    start,
    slotCount: (starts[i + 1] ?? slotCount) - start,
    sectionInsnOffset: start,
  }));
  return { program, instructions, slotCount, functions, references: [], lineInfo: [], funcInfo: [] };
}

/**
 * A linked program from LLVM-syntax text in which `kfunc NAME` lines are calls to the kernel function NAME (as
 * clang emits them: a call relocated against an undefined `.ksyms` symbol).
 */
export function kfuncProgram(text: string): LinkedProgram {
  const names = [...text.matchAll(/^kfunc (\w+)$/gm)].map((m) => m[1] as string);
  const base = testProgram(text.replace(/^kfunc \w+$/gm, 'call -1'));
  const calls = base.instructions.filter((i) => i.opcode === 0x85 && i.imm === -1);
  return {
    ...base,
    instructions: base.instructions.map((i) => (i.opcode === 0x85 && i.imm === -1 ? { ...i, src: 2 } : i)),
    references: calls.map((c, n) => ({ kind: 'kfunc' as const, slot: c.slot, name: names[n] as string })),
  };
}

/**
 * LLVM-syntax text of a program followed by its callbacks (or other functions whose address it takes): in any of
 * them, `ld_pseudo rX, 4, @k` loads the address of the k-th callback (the offset is computed here).
 *
 * @example
 * ```ts
 * withCallbacks('r1 = 4\nld_pseudo r2, 4, @0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit', 'r0 = 0\nexit');
 * ```
 */
export function withCallbacks(main: string, ...callbacks: string[]): string {
  const parts = [main, ...callbacks];
  const placeholder = /@\d+/g;
  const slots = (text: string): number => assemble(text.replace(placeholder, '0')).reduce((n, i) => n + i.size, 0);
  // Where each part starts, once laid out one after the other.
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    starts.push(at);
    at += slots(p);
  }
  const text = parts.join('\n');
  const refs = [...text.matchAll(/ld_pseudo r\d+, 4, @(\d+)/g)].map((m) => Number(m[1]));
  const lddws = assemble(text.replace(placeholder, '0')).filter((i) => i.opcode === 0x18 && i.src === 4);
  let n = 0;
  return text.replace(/(ld_pseudo r\d+, 4, )@(\d+)/g, (_m, head: string) => {
    const slot = (lddws[n] as Instruction).slot;
    const target = starts[(refs[n] as number) + 1] as number;
    n++;
    return `${head}${target - (slot + 1)}`;
  });
}

/**
 * A translation unit: every program of an object (or every raw test program), with the functions they share
 * identified once, the helpers they call, and what each function needs to know to be emitted.
 *
 * Author: Claude.
 *
 * @module
 */
import { LoadImm64Source, Opcode, type Instruction } from '../asm/index.ts';
import { cIdentifier } from './c-syntax.ts';
import type { CodeFunction, CodeProgram } from './code-program.ts';
import { findPacketFieldLoads, packetPointerFields, type PacketFieldLoad } from './context-access.ts';
import { Bpf2cError } from './errors.ts';
import type { NativeDataSectionMetadata, NativeMapMetadata } from './metadata.ts';

/** One entry program to translate. */
export interface UnitProgramInput {
  readonly name: string;
  readonly section: string;
  readonly programType: string;
  readonly programTypeId: number;
  readonly attachType: string;
  readonly code: CodeProgram;
  /** Identity of each function of `code` (parallel to `code.functions`): equal keys are one C function. */
  readonly functionKeys: readonly string[];
}

/** One C function of the unit. */
export interface UnitFunction {
  readonly key: string;
  /** The eBPF symbol name. */
  readonly name: string;
  readonly cName: string;
  /** The program copy the function is emitted from, and its place there. */
  readonly code: CodeProgram;
  readonly fn: CodeFunction;
  /** Keys of the functions of `code`, parallel to `code.functions`. */
  readonly codeKeys: readonly string[];
  readonly isEntry: boolean;
  /** Loads of context packet pointers, by slot offset from the function start. */
  readonly packetFields: ReadonlyMap<number, PacketFieldLoad>;
  /**
   * An entry program no other function calls: its tail calls return to the runner. Any other function runs a
   * tail call's target in place (the target's r0 returns to its caller, as Linux does for subprograms).
   */
  entryLevel: boolean;
}

/** One entry program of the unit, resolved. */
export interface UnitProgram extends UnitProgramInput {
  readonly function: UnitFunction;
  readonly helpers: readonly number[];
  readonly maps: readonly number[];
}

/** The whole unit. */
export interface Unit {
  readonly programs: readonly UnitProgram[];
  /** In emission order: entry programs in program order, each followed by the subprograms first reached from it. */
  readonly functions: readonly UnitFunction[];
  readonly helperIds: readonly number[];
  readonly maps: readonly NativeMapMetadata[];
  readonly dataSections: readonly NativeDataSectionMetadata[];
}

/**
 * Builds the unit: identifies shared functions, names them, finds packet pointer loads and tail calls.
 *
 * @throws {Bpf2cError} when a function is shared by programs whose contexts need different rewrites, or a map
 *   index points past the image's map table.
 */
export function buildUnit(inputs: readonly UnitProgramInput[], maps: readonly NativeMapMetadata[], dataSections: readonly NativeDataSectionMetadata[], where: { file?: string } = {}): Unit {
  const byKey = new Map<string, UnitFunction>();
  const order: UnitFunction[] = [];
  const taken = new Set<string>();
  const entryKeys = new Set(inputs.map((p) => p.functionKeys[0] as string));
  const bindingCount = maps.length + dataSections.length;

  // 1. Entry programs take their names first, so that they keep them when a subprogram has the same name.
  const entryNames = new Map<string, string>();
  for (const p of inputs) {
    const key = p.functionKeys[0] as string;
    if (!entryNames.has(key)) entryNames.set(key, cIdentifier(p.name, taken));
  }

  // 2. Functions, with their packet pointer loads (relative slots); a shared function must agree in every program.
  for (const p of inputs) {
    const fields = packetPointerFields(p.programType);
    const loads = fields === undefined ? new Map<number, PacketFieldLoad>() : findPacketFieldLoads(p.code, fields, { ...where, section: p.section });
    p.code.functions.forEach((f, i) => {
      const key = p.functionKeys[i] as string;
      const rel = new Map<number, PacketFieldLoad>();
      for (const [slot, field] of loads) if (slot >= f.start && slot < f.start + f.slotCount) rel.set(slot - f.start, field);
      const existing = byKey.get(key);
      if (existing !== undefined) {
        if (!sameFields(existing.packetFields, rel)) throw new Bpf2cError(`function '${f.name}' is shared by programs whose contexts differ (it reads packet pointers in one and not in another); native code needs one translation per context`, { ...where, section: f.sectionName });
        return;
      }
      const uf: UnitFunction = {
        key,
        name: f.name,
        cName: entryNames.get(key) ?? cIdentifier(f.name, taken),
        code: p.code,
        fn: f,
        codeKeys: p.functionKeys,
        isEntry: entryKeys.has(key),
        packetFields: rel,
        entryLevel: entryKeys.has(key),
      };
      byKey.set(key, uf);
      order.push(uf);
    });
  }

  // 3. Helpers; functions called locally are not entry-level (their tail calls run in place).
  const helperSet = new Set<number>();
  for (const uf of order) {
    for (const ins of bodyOf(uf)) {
      if (ins.opcode === Opcode.CALL && ins.src === 0) helperSet.add(ins.imm);
      else if (ins.opcode === Opcode.CALL && ins.src === 1) {
        const target = ins.slot + 1 + ins.imm;
        const i = uf.code.functions.findIndex((f) => f.start === target);
        const callee = i >= 0 ? byKey.get(uf.codeKeys[i] as string) : undefined;
        if (callee !== undefined) callee.entryLevel = false;
      }
    }
  }

  const programs: UnitProgram[] = inputs.map((p) => {
    const helpers = new Set<number>();
    const used = new Set<number>();
    for (const ins of p.code.instructions) {
      if (ins.opcode === Opcode.CALL && ins.src === 0) helpers.add(ins.imm);
      if (ins.opcode === Opcode.LDDW && (ins.src === LoadImm64Source.MAP_IDX || ins.src === LoadImm64Source.MAP_IDX_VALUE)) {
        if (ins.imm < 0 || ins.imm >= bindingCount) throw new Bpf2cError(`instruction ${ins.slot} refers to map ${ins.imm}, past the image's ${bindingCount} maps and data sections`, { ...where, section: p.section, insn: ins.slot });
        used.add(ins.imm);
      }
    }
    return {
      ...p,
      function: byKey.get(p.functionKeys[0] as string) as UnitFunction,
      helpers: [...helpers].sort((a, b) => a - b),
      maps: [...used].sort((a, b) => a - b),
    };
  });
  return { programs, functions: order, helperIds: [...helperSet].sort((a, b) => a - b), maps, dataSections };
}

/** The instructions of a unit function. */
export function bodyOf(uf: UnitFunction): Instruction[] {
  const end = uf.fn.start + uf.fn.slotCount;
  return uf.code.instructions.filter((ins) => ins.slot >= uf.fn.start && ins.slot < end);
}

function sameFields(a: ReadonlyMap<number, PacketFieldLoad>, b: ReadonlyMap<number, PacketFieldLoad>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

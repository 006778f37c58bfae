/**
 * Linking: one program's instructions followed by every subprogram it calls or takes the address of, as libbpf lays
 * them out before loading (each subprogram appended once, at its first use, depth first), with calls, function
 * addresses, map and global-data loads rewritten to point into the linked program and the object's map table.
 *
 * The linked form is what the verifier, the interpreter, the JIT and bpf2c consume: a flat instruction array whose
 * `lddw` of a map says which map by index (`src` 5, map by index) and whose `lddw` of global data says which data
 * section and offset (`src` 6, map value by index, the offset in the second slot), as RFC 9669 defines them.
 *
 * Author: Claude.
 *
 * @module
 */

import { CallSource, LoadImm64Source, makeInstruction, type Instruction } from '../asm/index.ts';
import { SpecError } from '../internal/errors.ts';
import type { FunctionSpec, ObjectSpec, ProgramSpec } from './object-spec.ts';

/** One function's place in a linked program. */
export interface LinkedFunction {
  readonly name: string;
  readonly sectionName: string;
  /** First slot in the linked program. */
  readonly start: number;
  readonly slotCount: number;
  /** First slot in its ELF section (to map back to the object). */
  readonly sectionInsnOffset: number;
}

/** What a linked instruction refers to. Map indices count `spec.maps` first, then `spec.dataSections`. */
export type LinkedReference =
  | { readonly kind: 'map'; readonly slot: number; readonly map: string; readonly mapIndex: number }
  | { readonly kind: 'data'; readonly slot: number; readonly section: string; readonly mapIndex: number; readonly offset: number }
  | { readonly kind: 'call'; readonly slot: number; readonly target: number; readonly function: string }
  | { readonly kind: 'func-addr'; readonly slot: number; readonly target: number; readonly function: string }
  | { readonly kind: 'kfunc'; readonly slot: number; readonly name: string }
  | { readonly kind: 'extern-var'; readonly slot: number; readonly name: string };

/** A source position of one instruction, from BTF line info. */
export interface LinkedLineInfo {
  readonly slot: number;
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  /** The text of the source line, as the compiler recorded it. */
  readonly sourceLine: string;
}

/** A program ready to verify, interpret, compile or translate. */
export interface LinkedProgram {
  readonly program: ProgramSpec;
  readonly instructions: readonly Instruction[];
  readonly slotCount: number;
  /** The entry program first, then subprograms in link order. */
  readonly functions: readonly LinkedFunction[];
  readonly references: readonly LinkedReference[];
  /** Sorted by slot; empty without BTF.ext. */
  readonly lineInfo: readonly LinkedLineInfo[];
  /** BTF FUNC type id of each function start, from BTF.ext func_info; empty without it. */
  readonly funcInfo: readonly { readonly slot: number; readonly typeId: number }[];
}

/**
 * Links `program` of `spec`.
 *
 * @example
 * ```ts
 * const linked = linkProgram(spec, spec.programs[0]);
 * linked.functions.map((f) => f.name); // ['entry', 'bump']
 * ```
 * @throws {SpecError} when a call targets a function the object does not define.
 */
export function linkProgram(spec: ObjectSpec, program: ProgramSpec): LinkedProgram {
  const key = (section: string, slot: number): string => `${section}:${slot}`;
  const bySectionSlot = new Map<string, FunctionSpec>();
  for (const f of [...spec.programs, ...spec.subprograms]) bySectionSlot.set(key(f.sectionName, f.sectionInsnOffset), f);

  // 1. Lay out: the program, then each callee at its first use, depth first.
  const order: FunctionSpec[] = [];
  const placed = new Set<string>();
  const place = (f: FunctionSpec): void => {
    placed.add(key(f.sectionName, f.sectionInsnOffset));
    order.push(f);
    for (const r of f.references) {
      if (r.kind !== 'call' && r.kind !== 'func-addr') continue;
      const k = key(r.sectionName, r.target);
      if (placed.has(k)) continue;
      const callee = bySectionSlot.get(k);
      if (callee === undefined) throw new SpecError(`${f.name} calls '${r.function}' at instruction ${r.target} of '${r.sectionName}', which is not a function of the object`, { file: spec.file, section: f.sectionName, insn: f.sectionInsnOffset + r.slot });
      place(callee);
    }
  };
  place(program);
  const starts = new Map<string, number>();
  const functions: LinkedFunction[] = [];
  let next = 0;
  for (const f of order) {
    starts.set(key(f.sectionName, f.sectionInsnOffset), next);
    functions.push({ name: f.name, sectionName: f.sectionName, start: next, slotCount: f.slotCount, sectionInsnOffset: f.sectionInsnOffset });
    next += f.slotCount;
  }

  // 2. Copy instructions, rewriting what references point at.
  const mapIndex = new Map(spec.maps.map((m, i) => [m.name, i]));
  const dataIndex = new Map(spec.dataSections.map((d, i) => [d.name, spec.maps.length + i]));
  const instructions: Instruction[] = [];
  const references: LinkedReference[] = [];
  for (const f of order) {
    const base = starts.get(key(f.sectionName, f.sectionInsnOffset)) as number;
    const refs = new Map(f.references.map((r) => [r.slot, r]));
    for (const ins of f.instructions) {
      const slot = base + ins.slot;
      const r = refs.get(ins.slot);
      let out = ins;
      if (r !== undefined) {
        switch (r.kind) {
          case 'map': {
            const idx = mapIndex.get(r.map) as number;
            out = makeInstruction(ins.opcode, ins.dst, LoadImm64Source.MAP_IDX, 0, idx, BigInt(idx));
            references.push({ kind: 'map', slot, map: r.map, mapIndex: idx });
            break;
          }
          case 'data': {
            const idx = dataIndex.get(r.section) as number;
            out = makeInstruction(ins.opcode, ins.dst, LoadImm64Source.MAP_IDX_VALUE, 0, idx, (BigInt(r.offset) << 32n) | BigInt(idx));
            references.push({ kind: 'data', slot, section: r.section, mapIndex: idx, offset: r.offset });
            break;
          }
          case 'call':
          case 'func-addr': {
            const target = starts.get(key(r.sectionName, r.target)) as number;
            const rel = target - slot - 1;
            out = r.kind === 'call'
              ? makeInstruction(ins.opcode, ins.dst, CallSource.LOCAL, ins.offset, rel)
              : makeInstruction(ins.opcode, ins.dst, LoadImm64Source.CODE_ADDR, 0, rel, BigInt.asIntN(64, BigInt(rel) & 0xffffffffn));
            references.push({ kind: r.kind, slot, target, function: r.function });
            break;
          }
          case 'kfunc':
            // clang leaves src 1 (a local call to -1); libbpf marks the call as a kfunc call when it resolves it.
            out = makeInstruction(ins.opcode, ins.dst, CallSource.KFUNC, ins.offset, ins.imm);
            references.push({ kind: 'kfunc', slot, name: r.name });
            break;
          case 'extern-var':
            references.push({ kind: 'extern-var', slot, name: r.name });
            break;
        }
      }
      instructions.push({ ...out, slot });
    }
  }

  // 3. Line and function info, moved to linked slots.
  const lineInfo: LinkedLineInfo[] = [];
  const funcInfo: { slot: number; typeId: number }[] = [];
  const ext = spec.btfExt;
  if (ext !== undefined) {
    for (const f of functions) {
      const within = (insn: number): boolean => insn >= f.sectionInsnOffset && insn < f.sectionInsnOffset + f.slotCount;
      for (const sec of ext.lineInfo) {
        if (sec.section !== f.sectionName) continue;
        for (const l of sec.records) {
          if (within(l.insn)) lineInfo.push({ slot: f.start + l.insn - f.sectionInsnOffset, fileName: l.fileName, line: l.line, column: l.column, sourceLine: l.sourceLine });
        }
      }
      for (const sec of ext.funcInfo) {
        if (sec.section !== f.sectionName) continue;
        for (const fi of sec.records) if (within(fi.insn)) funcInfo.push({ slot: f.start + fi.insn - f.sectionInsnOffset, typeId: fi.typeId });
      }
    }
    lineInfo.sort((a, b) => a.slot - b.slot);
    funcInfo.sort((a, b) => a.slot - b.slot);
  }
  return { program, instructions, slotCount: next, functions, references, lineInfo, funcInfo };
}

/** The line info record that covers `slot` (the last one at or before it), for diagnostics. */
export function lineInfoAt(linked: LinkedProgram, slot: number): LinkedLineInfo | undefined {
  const li = linked.lineInfo;
  let lo = 0;
  let hi = li.length - 1;
  let found: LinkedLineInfo | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const rec = li[mid] as LinkedLineInfo;
    if (rec.slot <= slot) {
      found = rec;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Programs and subprograms: the functions of the code sections, and what each instruction refers to (maps, global
 * data, other functions, kernel functions), from the relocations and from pc-relative BPF-to-BPF calls.
 *
 * Author: Claude.
 *
 * @module
 */

import { decodeInstructions } from '../asm/index.ts';
import type { Btf } from '../btf/index.ts';
import { SectionFlag, SectionIndex, SectionType, SymbolBind, SymbolType, type ElfFile, type ElfSection } from '../elf/index.ts';
import { BpfshipError, SpecError, type Location } from '../internal/errors.ts';
import { dataSectionKind } from './data-sections.ts';
import type { DataSectionSpec, ExternSpec, FunctionSpec, MapSpec, ProgramSpec, Reference } from './object-spec.ts';
import { sectionKind } from './program-types.ts';

const OP_LDDW = 0x18;
const OP_CALL = 0x85;
const PSEUDO_CALL = 1;
const PSEUDO_KFUNC_CALL = 2;

interface Context {
  readonly btf: Btf | undefined;
  readonly maps: readonly MapSpec[];
  readonly dataSections: readonly DataSectionSpec[];
  readonly license: string | undefined;
}

/** A function's place in its section, before its instructions are read. */
interface Extent {
  readonly name: string;
  readonly section: ElfSection;
  /** First slot inside the section. */
  readonly start: number;
  /** Number of slots. */
  readonly length: number;
  readonly isStatic: boolean;
}

/** Reads every function of every code section; `.text` holds subprograms, other sections entry programs. */
export function readFunctions(elf: ElfFile, ctx: Context): { programs: ProgramSpec[]; subprograms: FunctionSpec[]; externs: ExternSpec[] } {
  const extents = new Map<number, Extent[]>();
  for (const s of elf.sections) {
    if (s.type !== SectionType.PROGBITS || (s.flags & SectionFlag.EXECINSTR) === 0 || s.size === 0) continue;
    extents.set(s.index, functionExtents(elf, s));
  }
  const externs = new Map<string, ExternSpec>();
  const functions: { extent: Extent; spec: FunctionSpec }[] = [];
  for (const [, list] of extents) {
    for (const extent of list) functions.push({ extent, spec: readFunction(elf, extent, extents, ctx, externs) });
  }
  const byKey = new Map<string, FunctionSpec>();
  for (const f of functions) byKey.set(`${f.extent.section.index}:${f.extent.start}`, f.spec);

  const programs: ProgramSpec[] = [];
  const subprograms: FunctionSpec[] = [];
  for (const { extent, spec } of functions) {
    if (extent.section.name === '.text') {
      subprograms.push(spec);
      continue;
    }
    programs.push({ ...spec, kind: sectionKind(extent.section.name), calls: callees(spec, byKey, elf), license: ctx.license });
  }
  return { programs, subprograms, externs: [...externs.values()] };
}

/**
 * Splits a code section into functions by its FUNC symbols. A function's extent is its symbol's size, or, when the
 * size is 0, up to the next function. Objects without FUNC symbols (old compilers, hand-written assembly) make the
 * whole section one function named after the section, as PREVAIL and old libbpf did.
 */
function functionExtents(elf: ElfFile, s: ElfSection): Extent[] {
  const where: Location = { file: elf.name, section: s.name };
  if (s.size % 8 !== 0) throw new SpecError(`code section size ${s.size} is not a multiple of 8 (the instruction size)`, where);
  const slots = s.size / 8;
  let syms = elf.symbols.filter((sym) => sym.sectionIndex === s.index && sym.type === SymbolType.FUNC);
  if (syms.length === 0) {
    // Some old objects mark entry points with untyped global symbols.
    syms = elf.symbols.filter((sym) => sym.sectionIndex === s.index && sym.type === SymbolType.NOTYPE && sym.bind !== SymbolBind.LOCAL && sym.name !== '');
  }
  if (syms.length === 0) return [{ name: s.name, section: s, start: 0, length: slots, isStatic: false }];
  const sorted = [...syms].sort((a, b) => a.value - b.value);
  const out: Extent[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const sym = sorted[i] as (typeof sorted)[number];
    if (sym.value % 8 !== 0) throw new SpecError(`function '${sym.name}' starts at byte ${sym.value}, not at an instruction boundary`, { ...where, offset: sym.value });
    if (sym.value >= s.size) throw new SpecError(`function '${sym.name}' starts at byte ${sym.value}, past the end of the section (${s.size} bytes)`, { ...where, offset: sym.value });
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.start === sym.value / 8) {
      throw new SpecError(`functions '${prev.name}' and '${sym.name}' start at the same offset ${sym.value}`, { ...where, offset: sym.value });
    }
    const next = sorted[i + 1];
    const limit = next === undefined ? s.size : next.value;
    const size = sym.size > 0 ? sym.size : limit - sym.value;
    if (size % 8 !== 0 || sym.value + size > s.size) {
      throw new SpecError(`function '${sym.name}' (${size} bytes at ${sym.value}) does not fit the section (${s.size} bytes) in whole instructions`, { ...where, offset: sym.value });
    }
    out.push({ name: sym.name, section: s, start: sym.value / 8, length: size / 8, isStatic: sym.bind === SymbolBind.LOCAL });
  }
  return out;
}

function readFunction(elf: ElfFile, f: Extent, extents: ReadonlyMap<number, Extent[]>, ctx: Context, externs: Map<string, ExternSpec>): FunctionSpec {
  const s = f.section;
  const where: Location = { file: elf.name, section: s.name };
  const bytes = s.data.subarray(f.start * 8, (f.start + f.length) * 8);
  let instructions;
  try {
    instructions = decodeInstructions(bytes);
  } catch (e) {
    if (e instanceof BpfshipError) {
      const off = e.where.offset;
      throw e.withLocation(off === undefined ? where : { ...where, offset: f.start * 8 + off, insn: f.start + Math.floor(off / 8) });
    }
    throw e;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const references: Reference[] = [];
  const relocated = new Set<number>();

  for (const r of elf.relocations.get(s.index) ?? []) {
    const sectionSlot = r.offset / 8;
    if (sectionSlot < f.start || sectionSlot >= f.start + f.length) continue;
    const at: Location = { ...where, offset: r.offset, insn: sectionSlot };
    if (r.offset % 8 !== 0) throw new SpecError(`relocation ${r.index} applies at byte ${r.offset}, not at an instruction boundary`, at);
    const slot = sectionSlot - f.start;
    relocated.add(slot);
    const opcode = dv.getUint8(slot * 8);
    const src = dv.getUint8(slot * 8 + 1) >> 4;
    const imm = dv.getInt32(slot * 8 + 4, true);
    const sym = elf.symbols[r.symbolIndex];
    if (sym === undefined) throw new SpecError(`relocation ${r.index} names symbol ${r.symbolIndex}, which does not exist`, at);
    const symName = sym.type === SymbolType.SECTION ? elf.sections[sym.sectionIndex]?.name ?? '' : sym.name;

    if (opcode !== OP_LDDW && opcode !== OP_CALL) {
      throw new SpecError(`relocation ${r.index} against '${symName}' applies to an instruction with opcode 0x${opcode.toString(16).padStart(2, '0')}, expected lddw (0x18) or call (0x85)`, at);
    }
    if (sym.sectionIndex === SectionIndex.UNDEF) {
      if (sym.name === '') throw new SpecError(`relocation ${r.index} names an undefined symbol without a name`, at);
      if (opcode === OP_CALL) {
        if (src !== PSEUDO_KFUNC_CALL && src !== PSEUDO_CALL) throw new SpecError(`call to extern '${sym.name}' has src ${src}, expected 2 (kfunc call)`, at);
        references.push({ kind: 'kfunc', slot, name: sym.name });
        externs.set(sym.name, { name: sym.name, kind: 'kfunc' });
      } else {
        references.push({ kind: 'extern-var', slot, name: sym.name });
        if (!externs.has(sym.name)) externs.set(sym.name, { name: sym.name, kind: externVarKind(ctx.btf, sym.name) });
      }
      continue;
    }
    if (sym.sectionIndex >= 0xff00) throw new SpecError(`relocation ${r.index} names '${symName}' in special section 0x${sym.sectionIndex.toString(16)} (an uninitialized common variable? give it an initializer or SEC)`, at);
    const target = elf.sections[sym.sectionIndex];
    if (target === undefined) throw new SpecError(`relocation ${r.index} names a symbol in section ${sym.sectionIndex}, which does not exist`, at);

    if (opcode === OP_CALL) {
      if (src !== PSEUDO_CALL) throw new SpecError(`call with a relocation against '${symName}' has src ${src}, expected 1 (BPF-to-BPF call)`, at);
      if (sym.value % 8 !== 0) throw new SpecError(`call target '${symName}' is at byte ${sym.value}, not at an instruction boundary`, at);
      const targetSlot = sym.value / 8 + imm + 1;
      references.push({ kind: 'call', slot, sectionName: target.name, target: targetSlot, function: functionAt(extents, target, targetSlot, at) });
      continue;
    }
    // lddw
    const symOffset = sym.type === SymbolType.SECTION ? 0 : sym.value;
    if ((target.flags & SectionFlag.EXECINSTR) !== 0) {
      const byteOff = symOffset + imm;
      if (byteOff % 8 !== 0) throw new SpecError(`address of '${symName}'+${imm} is not at an instruction boundary`, at);
      references.push({ kind: 'func-addr', slot, sectionName: target.name, target: byteOff / 8, function: functionAt(extents, target, byteOff / 8, at) });
      continue;
    }
    if (target.name === '.maps' || target.name === 'maps' || target.name.startsWith('maps/')) {
      const off = sym.type === SymbolType.SECTION ? imm : sym.value;
      const map = ctx.maps.find((m) => m.sectionName === target.name && m.sectionOffset === off);
      if (map === undefined) throw new SpecError(`lddw refers to offset ${off} of '${target.name}', where no map is defined`, at);
      references.push({ kind: 'map', slot, map: map.name });
      continue;
    }
    if (dataSectionKind(target) !== undefined) {
      const offset = symOffset + imm;
      if (offset < 0 || offset > target.size) throw new SpecError(`lddw refers to offset ${offset} of '${target.name}', outside the section (${target.size} bytes)`, at);
      references.push({ kind: 'data', slot, section: target.name, offset, symbol: symName });
      continue;
    }
    throw new SpecError(`lddw refers to '${symName}' in section '${target.name}', which is neither a map, global data nor code`, at);
  }

  // BPF-to-BPF calls inside one section need no relocation: imm is relative to the next instruction.
  for (let i = 0, slot = 0; i < instructions.length; i++) {
    const op = dv.getUint8(slot * 8);
    const src = dv.getUint8(slot * 8 + 1) >> 4;
    if (op === OP_CALL && src === PSEUDO_CALL && !relocated.has(slot)) {
      const imm = dv.getInt32(slot * 8 + 4, true);
      const targetSlot = f.start + slot + imm + 1;
      const at: Location = { ...where, offset: (f.start + slot) * 8, insn: f.start + slot };
      references.push({ kind: 'call', slot, sectionName: s.name, target: targetSlot, function: functionAt(extents, s, targetSlot, at) });
    }
    slot += op === OP_LDDW ? 2 : 1;
  }
  references.sort((a, b) => a.slot - b.slot);
  return {
    name: f.name,
    sectionName: s.name,
    sectionIndex: s.index,
    sectionInsnOffset: f.start,
    instructions,
    slotCount: f.length,
    references,
    isStatic: f.isStatic,
  };
}

function functionAt(extents: ReadonlyMap<number, Extent[]>, section: ElfSection, slot: number, at: Location): string {
  const list = extents.get(section.index);
  const f = list?.find((e) => e.start === slot);
  if (f === undefined) {
    throw new SpecError(`call or function address targets instruction ${slot} of section '${section.name}', which is not the start of a function`, at);
  }
  return f.name;
}

function externVarKind(btf: Btf | undefined, name: string): 'kconfig' | 'ksym' {
  // libbpf tells them apart by the DATASEC the extern is declared in (`__kconfig` puts it in .kconfig); without
  // BTF, libbpf's CONFIG_ and LINUX_ naming is all there is to go by.
  const kconfig = btf?.datasecByName('.kconfig');
  if (kconfig !== undefined && btf !== undefined) return kconfig.vars.some((v) => btf.typeById(v.type).name === name) ? 'kconfig' : 'ksym';
  return name.startsWith('CONFIG_') || name.startsWith('LINUX_') ? 'kconfig' : 'ksym';
}

/** The subprograms `f` calls or takes the address of, transitively, in first-call order (as libbpf appends them). */
export function callees(f: FunctionSpec, byKey: ReadonlyMap<string, FunctionSpec>, elf: ElfFile): string[] {
  const order: string[] = [];
  const seen = new Set<string>([`${f.sectionIndex}:${f.sectionInsnOffset}`]);
  const visit = (fn: FunctionSpec): void => {
    for (const r of fn.references) {
      if (r.kind !== 'call' && r.kind !== 'func-addr') continue;
      const sec = elf.section(r.sectionName);
      const key = `${sec?.index}:${r.target}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const callee = byKey.get(key);
      if (callee === undefined) continue;
      order.push(callee.name);
      visit(callee);
    }
  };
  visit(f);
  return order;
}

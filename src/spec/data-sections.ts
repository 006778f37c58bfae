/**
 * Global data sections (`.data`, `.rodata`, `.bss` and their `.name` variants), which libbpf turns into
 * single-entry array maps, with their variables.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf } from '../btf/index.ts';
import { SectionFlag, SectionType, SymbolBind, SymbolType, type ElfFile, type ElfSection } from '../elf/index.ts';
import { SpecError } from '../internal/errors.ts';
import { datasecVars } from './datasec-vars.ts';
import type { DataSectionSpec, DataVariable } from './object-spec.ts';

/** The kind of global data section `s` is, by libbpf's naming rules, or undefined when it is none. */
export function dataSectionKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  const n = s.name;
  if (s.type === SectionType.NOBITS && (n === '.bss' || n.startsWith('.bss.'))) return 'bss';
  if (s.type !== SectionType.PROGBITS || (s.flags & SectionFlag.ALLOC) === 0) return undefined;
  if (n === '.data' || n.startsWith('.data.')) return 'data';
  if (n === '.rodata' || n.startsWith('.rodata.')) return 'rodata';
  return undefined;
}

/**
 * The largest global data section: libbpf makes each one a single-value array map, and Linux refuses array values
 * over KMALLOC_MAX_SIZE (4 MiB on x86-64 and arm64). It also bounds what a `.bss` (which has no bytes in the file)
 * makes us allocate.
 */
export const MAX_GLOBAL_DATA_SIZE = 4 << 20;

/** Reads every global data section of the object, in section order. */
export function readDataSections(elf: ElfFile, btf: Btf | undefined): DataSectionSpec[] {
  const out: DataSectionSpec[] = [];
  for (const s of elf.sections) {
    const kind = dataSectionKind(s);
    if (kind === undefined) continue;
    if (s.size > MAX_GLOBAL_DATA_SIZE) {
      throw new SpecError(`global data section is ${s.size} bytes; it becomes one array map value, which Linux limits to ${MAX_GLOBAL_DATA_SIZE} bytes (KMALLOC_MAX_SIZE)`, { file: elf.name, section: s.name });
    }
    out.push({
      name: s.name,
      kind,
      sectionIndex: s.index,
      size: s.size,
      initialBytes: kind === 'bss' ? new Uint8Array(s.size) : s.data,
      readOnly: kind === 'rodata',
      variables: variablesOf(elf, s, btf),
    });
  }
  return out;
}

function variablesOf(elf: ElfFile, s: ElfSection, btf: Btf | undefined): DataVariable[] {
  const vars = btf === undefined ? undefined : datasecVars(elf, btf, s);
  if (vars !== undefined) return vars.map((v) => ({ name: v.name, offset: v.offset, size: v.size, typeId: v.typeId, isStatic: v.isStatic }));
  return elf.symbols
    .filter((sym) => sym.sectionIndex === s.index && sym.type === SymbolType.OBJECT)
    .sort((a, b) => a.value - b.value)
    .map((sym) => ({ name: sym.name, offset: sym.value, size: sym.size, typeId: 0, isStatic: sym.bind === SymbolBind.LOCAL }));
}

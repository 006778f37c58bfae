/**
 * Reads an eBPF ELF object into an {@link ObjectSpec}: programs and subprograms with what each instruction refers
 * to, maps (BTF-defined and legacy), global data, externs, license and BTF.
 *
 * Author: Claude.
 *
 * @module
 */

import { parseBtf, parseBtfExt, type Btf, type BtfExt } from '../btf/index.ts';
import { EM_BPF, ET_REL, isEbpfMachine, readElf, SectionFlag, SectionType, type ElfFile, type ElfSection } from '../elf/index.ts';
import { BpfshipError, SpecError, type Location } from '../internal/errors.ts';
import { readDataSections, dataSectionKind } from './data-sections.ts';
import { readMaps } from './maps.ts';
import { readFunctions } from './functions.ts';
import type { ObjectSpec, SectionRole, SectionSummary } from './object-spec.ts';

/** Options for {@link readObject}. */
export interface ReadObjectOptions {
  /** The file name for messages and `ObjectSpec.file`. */
  readonly name?: string;
}

/**
 * Reads an eBPF object as clang writes it (`clang -target bpf -g -O2 -c prog.c`).
 *
 * @example
 * ```ts
 * const spec = readObject(bytes, { name: 'xdp_firewall.o' });
 * for (const p of spec.programs) console.log(p.sectionName, p.name, p.kind.programType, p.slotCount);
 * ```
 * @throws {BpfshipError} (ElfError, BtfError, InstructionError, SpecError) naming the file, section and offset.
 */
export function readObject(bytes: Uint8Array, options: ReadObjectOptions = {}): ObjectSpec {
  const file = options.name ?? '<input>';
  const elf = readElf(bytes, { name: file });
  const where: Location = { file };
  // EM_NONE too, as libbpf loads it: older LLVM wrote 0.
  if (!isEbpfMachine(elf.machine)) throw new SpecError(`e_machine is ${elf.machine}, expected ${EM_BPF} (BPF, or 0 as older LLVM wrote): this is not an eBPF object`, { ...where, offset: 18 });
  if (elf.type !== ET_REL) throw new SpecError(`e_type is ${elf.type}, expected ${ET_REL} (a relocatable object, as clang -c writes)`, { ...where, offset: 16 });

  const btf = readBtf(elf);
  const btfExt = readBtfExt(elf, btf);
  const license = readLicense(elf);
  const kernelVersion = readVersion(elf);
  const maps = readMaps(elf, btf);
  const dataSections = readDataSections(elf, btf);
  const { programs, subprograms, externs } = readFunctions(elf, { btf, maps, dataSections, license });

  return {
    file,
    license,
    kernelVersion,
    programs,
    subprograms,
    maps,
    dataSections,
    externs,
    sections: summarizeSections(elf, new Set(programs.map((p) => p.sectionIndex))),
    btf,
    btfExt,
    elf,
  };
}

function readBtf(elf: ElfFile): Btf | undefined {
  const s = elf.section('.BTF');
  if (s === undefined) return undefined;
  return rethrowIn(elf, s, () => parseBtf(s.data, { file: elf.name }));
}

function readBtfExt(elf: ElfFile, btf: Btf | undefined): BtfExt | undefined {
  const s = elf.section('.BTF.ext');
  if (s === undefined) return undefined;
  if (btf === undefined) throw new SpecError('the object has .BTF.ext but no .BTF, whose strings it needs', { file: elf.name, section: '.BTF.ext' });
  return rethrowIn(elf, s, () => parseBtfExt(s.data, btf, { file: elf.name }));
}

/** Runs a section parser and makes sure its errors name the section. */
function rethrowIn<T>(elf: ElfFile, s: ElfSection, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfshipError) throw e.withLocation({ file: elf.name, section: s.name });
    throw e;
  }
}

function readLicense(elf: ElfFile): string | undefined {
  const s = elf.section('license');
  if (s === undefined) return undefined;
  const end = s.data.indexOf(0);
  if (end < 0) throw new SpecError('the license string has no NUL terminator', { file: elf.name, section: 'license' });
  return new TextDecoder().decode(s.data.subarray(0, end));
}

function readVersion(elf: ElfFile): number | undefined {
  const s = elf.section('version');
  if (s === undefined) return undefined;
  if (s.data.length !== 4) throw new SpecError(`the version section holds ${s.data.length} bytes, expected 4 (a u32 kernel version)`, { file: elf.name, section: 'version' });
  return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, true);
}

function summarizeSections(elf: ElfFile, programSections: ReadonlySet<number>): SectionSummary[] {
  return elf.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, size: s.size, role: roleOf(s, programSections) }));
}

function roleOf(s: ElfSection, programSections: ReadonlySet<number>): SectionRole {
  if (programSections.has(s.index)) return 'program';
  if ((s.flags & SectionFlag.EXECINSTR) !== 0) return 'subprograms';
  switch (s.type) {
    case SectionType.REL:
    case SectionType.RELA: return 'relocations';
    case SectionType.SYMTAB: return 'symbols';
    case SectionType.STRTAB: return 'strings';
  }
  if (s.name === '.maps') return 'maps';
  if (s.name === 'maps' || s.name.startsWith('maps/')) return 'legacy-maps';
  if (s.name === 'license') return 'license';
  if (s.name === 'version') return 'version';
  if (s.name === '.BTF') return 'btf';
  if (s.name === '.BTF.ext') return 'btf-ext';
  if (s.name.startsWith('.debug_')) return 'debug';
  const data = dataSectionKind(s);
  if (data !== undefined) return data;
  return 'other';
}

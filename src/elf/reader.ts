/**
 * An ELF64 little-endian reader for relocatable objects: section headers, the symbol table and the relocation
 * tables, each range-checked. It keeps the section contents as views of the input (nothing is copied), so reading
 * a large object costs little more than walking its headers.
 *
 * Author: Claude.
 *
 * @module
 */

import { ByteView } from '../internal/bytes.ts';
import { ElfError, type Location } from '../internal/errors.ts';
import {
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
  SectionIndex,
  SectionType,
} from './types.ts';

/** Options for {@link readElf}. */
export interface ReadElfOptions {
  /** The file name to put in error messages and in `ElfFile.name`. */
  readonly name?: string;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const SHT_SYMTAB_SHNDX = 18;

const elfError = (detail: string, where: Location): Error => new ElfError(detail, where);

/**
 * Reads an ELF64 little-endian object.
 *
 * Steps: 1. check the identification bytes; 2. read the section header table (with the extended numbering ELF uses
 * past 0xff00 sections); 3. name the sections from the section header string table; 4. read the symbol table;
 * 5. read every REL/RELA section and check each entry's symbol and offset.
 *
 * @example
 * ```ts
 * const elf = readElf(bytes, { name: 'prog.o' });
 * const xdp = elf.section('xdp');
 * ```
 * @throws {ElfError} naming the file, section and offset of the first malformed structure.
 */
export function readElf(bytes: Uint8Array, options: ReadElfOptions = {}): ElfFile {
  const name = options.name ?? '<input>';
  const fileWhere: Location = { file: name };
  const file = new ByteView(bytes, fileWhere, elfError);

  // 1. Identification.
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('not an ELF file (the first bytes are not \\x7fELF)', { ...fileWhere, offset: 0 });
  }
  if (bytes[4] !== 2) throw new ElfError(`ELF class is ${bytes[4]}, expected 2 (ELF64): eBPF objects are 64-bit`, { ...fileWhere, offset: 4 });
  if (bytes[5] === 2) throw new ElfError('the object is big-endian (EI_DATA = 2); only little-endian eBPF objects (-target bpfel) are supported', { ...fileWhere, offset: 5 });
  if (bytes[5] !== 1) throw new ElfError(`EI_DATA is ${bytes[5]}, expected 1 (little-endian)`, { ...fileWhere, offset: 5 });
  if (bytes[6] !== 1) throw new ElfError(`EI_VERSION is ${bytes[6]}, expected 1`, { ...fileWhere, offset: 6 });
  file.check(0, EHDR_SIZE, 'ELF header');

  const type = file.u16(16);
  const machine = file.u16(18);
  const flags = file.u32(48);
  const shoff = file.u64n(40, 'e_shoff');
  const shentsize = file.u16(58);
  let shnum = file.u16(60);
  let shstrndx = file.u16(62);

  // 2. Section headers.
  if (shoff === 0) {
    return makeFile(name, type, machine, flags, [], [], new Map());
  }
  if (shentsize !== SHDR_SIZE) throw new ElfError(`e_shentsize is ${shentsize}, expected ${SHDR_SIZE}`, { ...fileWhere, offset: 58 });
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    // Extended numbering: the real values live in section header 0.
    file.check(shoff, SHDR_SIZE, 'section header 0');
    if (shnum === 0) shnum = file.u64n(shoff + 32, 'section count (sh_size of section 0)');
    if (shstrndx === SHN_XINDEX) shstrndx = file.u32(shoff + 40);
  }
  if (shnum > (bytes.length - shoff) / SHDR_SIZE) {
    throw new ElfError(`the section header table (${shnum} headers at 0x${shoff.toString(16)}) runs past the end of the file (${bytes.length} bytes)`, { ...fileWhere, offset: shoff });
  }
  if (shstrndx >= shnum) throw new ElfError(`e_shstrndx is ${shstrndx}, past the last section (${shnum} sections)`, { ...fileWhere, offset: 62 });

  interface RawHeader { nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number }
  const headers: RawHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const where = `section header ${i}`;
    const h: RawHeader = {
      nameOff: file.u32(at),
      type: file.u32(at + 4),
      flags: Number(file.u64(at + 8) & 0xffffffffn),
      offset: file.u64n(at + 24, `${where} sh_offset`),
      size: file.u64n(at + 32, `${where} sh_size`),
      link: file.u32(at + 40),
      info: file.u32(at + 44),
      addralign: file.u64n(at + 48, `${where} sh_addralign`),
      entsize: file.u64n(at + 56, `${where} sh_entsize`),
    };
    if (i > 0 && h.type !== SectionType.NOBITS && h.type !== SectionType.NULL && h.offset + h.size > bytes.length) {
      throw new ElfError(`section ${i} contents [0x${h.offset.toString(16)}, 0x${(h.offset + h.size).toString(16)}) run past the end of the file (${bytes.length} bytes)`, { ...fileWhere, offset: at + 24 });
    }
    headers.push(h);
  }

  // 3. Names.
  const strtabHeader = headers[shstrndx] as RawHeader;
  if (strtabHeader.type !== SectionType.STRTAB) {
    throw new ElfError(`section ${shstrndx} (e_shstrndx) has type ${strtabHeader.type}, expected STRTAB (3)`, fileWhere);
  }
  const shstrtab = file.slice(strtabHeader.offset, strtabHeader.size, { file: name, section: `#${shstrndx}` }, 'section name table');
  const sections: ElfSection[] = headers.map((h, index) => {
    const secName = index === 0 && h.nameOff === 0 ? '' : shstrtab.cstr(h.nameOff, `name of section ${index}`);
    const data = h.type === SectionType.NOBITS || h.type === SectionType.NULL ? new Uint8Array(0) : bytes.subarray(h.offset, h.offset + h.size);
    return { index, name: secName, type: h.type, flags: h.flags, offset: h.offset, size: h.size, link: h.link, info: h.info, addralign: h.addralign, entsize: h.entsize, data };
  });

  // 4. Symbols.
  const symtabs = sections.filter((s) => s.type === SectionType.SYMTAB);
  if (symtabs.length > 1) throw new ElfError(`the object has ${symtabs.length} symbol tables, expected at most one`, fileWhere);
  const symtab = symtabs[0];
  const symbols = symtab === undefined ? [] : readSymbols(bytes, name, symtab, sections);

  // 5. Relocations.
  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== SectionType.REL && s.type !== SectionType.RELA) continue;
    const where: Location = { file: name, section: s.name };
    const target = sections[s.info];
    if (s.info === 0 || target === undefined) throw new ElfError(`sh_info names section ${s.info} as the one relocated, but there are ${sections.length} sections`, where);
    if (symtab === undefined || s.link !== symtab.index) {
      throw new ElfError(`sh_link is ${s.link}, expected the symbol table${symtab === undefined ? ' (the object has none)' : ` (section ${symtab.index})`}`, where);
    }
    const entSize = s.type === SectionType.RELA ? RELA_SIZE : REL_SIZE;
    if (s.size % entSize !== 0) throw new ElfError(`size ${s.size} is not a multiple of the entry size ${entSize}`, where);
    const view = new ByteView(bytes, where, elfError, s.offset, s.size);
    const list: ElfRelocation[] = relocations.get(target.index) ?? [];
    const count = s.size / entSize;
    const targetSize = target.type === SectionType.NOBITS ? 0 : target.size;
    for (let i = 0; i < count; i++) {
      const at = i * entSize;
      const offset = view.u64n(at, `relocation ${i} r_offset`);
      const info = view.u64(at + 8);
      const symbolIndex = Number(info >> 32n);
      const rtype = Number(info & 0xffffffffn);
      const addend = s.type === SectionType.RELA ? BigInt.asIntN(64, view.u64(at + 16)) : 0n;
      if (symbolIndex >= symbols.length) {
        throw new ElfError(`relocation ${i} names symbol ${symbolIndex}, past the symbol table (${symbols.length} symbols)`, { ...where, offset: at + 8 });
      }
      if (offset >= targetSize) {
        throw new ElfError(`relocation ${i} applies at offset 0x${offset.toString(16)}, past the end of section '${target.name}' (${targetSize} bytes)`, { ...where, offset: at });
      }
      list.push({ index: i, offset, type: rtype, symbolIndex, addend });
    }
    list.sort((a, b) => a.offset - b.offset);
    relocations.set(target.index, list);
  }

  return makeFile(name, type, machine, flags, sections, symbols, relocations);
}

function readSymbols(bytes: Uint8Array, fileName: string, symtab: ElfSection, sections: readonly ElfSection[]): ElfSymbol[] {
  const where: Location = { file: fileName, section: symtab.name };
  if (symtab.entsize !== 0 && symtab.entsize !== SYM_SIZE) throw new ElfError(`sh_entsize is ${symtab.entsize}, expected ${SYM_SIZE}`, where);
  if (symtab.size % SYM_SIZE !== 0) throw new ElfError(`size ${symtab.size} is not a multiple of the symbol size ${SYM_SIZE}`, where);
  const strSection = sections[symtab.link];
  if (strSection === undefined || strSection.type !== SectionType.STRTAB) {
    throw new ElfError(`sh_link is ${symtab.link}, which is not a string table`, where);
  }
  const strings = new ByteView(bytes, { file: fileName, section: strSection.name }, elfError, strSection.offset, strSection.size);
  const view = new ByteView(bytes, where, elfError, symtab.offset, symtab.size);
  const shndxTable = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  const shndxView = shndxTable === undefined ? undefined : new ByteView(bytes, { file: fileName, section: shndxTable.name }, elfError, shndxTable.offset, shndxTable.size);
  const count = symtab.size / SYM_SIZE;
  const symbols: ElfSymbol[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * SYM_SIZE;
    const info = view.u8(at + 4);
    let sectionIndex = view.u16(at + 6);
    if (sectionIndex === SHN_XINDEX) {
      if (shndxView === undefined) throw new ElfError(`symbol ${i} has st_shndx SHN_XINDEX but the object has no SYMTAB_SHNDX section`, { ...where, offset: at + 6 });
      sectionIndex = shndxView.u32(i * 4, `extended section index of symbol ${i}`);
    }
    if (sectionIndex !== SectionIndex.UNDEF && sectionIndex < SHN_LORESERVE && sectionIndex >= sections.length) {
      throw new ElfError(`symbol ${i} is defined in section ${sectionIndex}, past the last section (${sections.length} sections)`, { ...where, offset: at + 6 });
    }
    const nameOff = view.u32(at);
    symbols[i] = {
      index: i,
      name: nameOff === 0 ? '' : strings.cstr(nameOff, `name of symbol ${i}`),
      type: info & 0xf,
      bind: info >> 4,
      visibility: view.u8(at + 5) & 3,
      sectionIndex,
      value: view.u64n(at + 8, `symbol ${i} st_value`),
      size: view.u64n(at + 16, `symbol ${i} st_size`),
    };
  }
  return symbols;
}

function makeFile(
  name: string,
  type: number,
  machine: number,
  flags: number,
  sections: ElfSection[],
  symbols: ElfSymbol[],
  relocations: Map<number, ElfRelocation[]>,
): ElfFile {
  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return { name, type, machine, flags, sections, symbols, relocations, section: (n: string) => byName.get(n) };
}

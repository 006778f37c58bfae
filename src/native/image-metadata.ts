/**
 * Reading a native image's description table (`bpfship_native_metadata`, see src/bpf2c/bpfship_native.h) from its
 * bytes, without loading it: the ELF shared object is parsed (program headers, the dynamic symbol table, the
 * relocations that fill its pointers), and the table decoded from the file. The production policy needs the
 * programs' types and helpers before anything of the image is mapped or run, to recompute their program-info
 * hashes; `bpfship sign` needs the ELF digest and the hashes of an image built earlier.
 *
 * Every read is bounds-checked: a damaged or hostile file is a NativeImageError naming what is wrong, never a
 * wrong answer.
 *
 * 1. ELF64 little-endian, ET_DYN, x86-64 or AArch64 (the machines whose RELATIVE/ABS64 relocations are handled).
 * 2. Section headers: `.dynsym` (SHT_DYNSYM) and its string table give `bpfship_native_metadata`'s address; every
 *    SHT_RELA section gives the values the dynamic loader would store (RELATIVE: base + addend; ABS64/GLOB_DAT:
 *    symbol + addend), with the image loaded at address 0.
 * 3. An address is read from the PT_LOAD segment holding it (past p_filesz: zero, as the loader fills it).
 *
 * Author: Claude.
 *
 * @module
 */
import type { NativeImageMetadata, NativeMapMetadata, NativeProgramMetadata } from '../bpf2c/index.ts';
import { ByteView } from '../internal/bytes.ts';
import { BpfshipError } from '../internal/errors.ts';

/** BPFSHIP_NATIVE_MAGIC and BPFSHIP_NATIVE_ABI_VERSION of bpfship_native.h. */
export const NATIVE_MAGIC = 0x4e535042;
export const NATIVE_ABI_VERSION = 1;

/** An image that cannot be read or loaded: wrong digest, not a bpfship image, another ABI, a damaged table. */
export class NativeImageError extends BpfshipError {
  constructor(detail: string) {
    super('NATIVE_IMAGE_INVALID', detail);
    this.name = 'NativeImageError';
  }
}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const ET_DYN = 3;
const PT_LOAD = 1;
const SHT_RELA = 4;
const SHT_DYNSYM = 11;
// Relocation types: (machine) → kind.
const RELOCATIONS: Readonly<Record<number, Readonly<Record<number, 'relative' | 'absolute'>>>> = {
  [EM_X86_64]: { 8: 'relative', 1: 'absolute', 6: 'absolute' }, // R_X86_64_RELATIVE, R_X86_64_64, R_X86_64_GLOB_DAT
  [EM_AARCH64]: { 1027: 'relative', 257: 'absolute', 1025: 'absolute' }, // R_AARCH64_RELATIVE, ABS64, GLOB_DAT
};
const IMAGE_SIZE = 168;
const PROGRAM_SIZE = 104;
const MAP_SIZE = 64;
const DATA_SECTION_SIZE = 32;
/** More of anything than bpf2c ever writes (the loader's limit too). */
const MAX_COUNT = 1 << 16;
/** Depth of map-in-map templates (Linux allows one level; a loop in a hostile file must end). */
const MAX_INNER_DEPTH = 4;

interface Segment {
  readonly vaddr: number;
  readonly offset: number;
  readonly filesz: number;
  readonly memsz: number;
}

/** The image as the dynamic loader would see it at base address 0, for reading. */
class ImageMemory {
  private readonly file: ByteView;
  private readonly segments: readonly Segment[];
  private readonly relocated: ReadonlyMap<number, bigint>;
  private readonly name: string;

  constructor(file: ByteView, segments: readonly Segment[], relocated: ReadonlyMap<number, bigint>, name: string) {
    this.file = file;
    this.segments = segments;
    this.relocated = relocated;
    this.name = name;
  }

  private fail(detail: string): NativeImageError {
    return new NativeImageError(`${this.name}: ${detail}`);
  }

  /** `size` bytes at `address` (zeros past a segment's file size), from one segment. */
  bytes(address: number, size: number, what: string): Uint8Array {
    const s = this.segments.find((g) => address >= g.vaddr && address + size <= g.vaddr + g.memsz);
    if (s === undefined) throw this.fail(`${what} at address 0x${address.toString(16)} (${size} bytes) is not inside a loaded segment`);
    const out = new Uint8Array(size);
    const inFile = Math.max(0, Math.min(size, s.vaddr + s.filesz - address));
    if (inFile > 0) out.set(this.file.raw(s.offset + (address - s.vaddr), inFile, what));
    return out;
  }

  u32(address: number, what: string): number {
    return new DataView(this.bytes(address, 4, what).buffer).getUint32(0, true);
  }

  /** A pointer field: the relocated value when a relocation targets it, else the bytes as stored. */
  pointer(address: number, what: string): number {
    const r = this.relocated.get(address);
    const v = r ?? new DataView(this.bytes(address, 8, what).buffer).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} at 0x${address.toString(16)} holds 0x${v.toString(16)}, not an address inside the image`);
    return Number(v);
  }

  /** A NUL-terminated string at `address` (empty for a NULL pointer). */
  string(address: number, what: string): string {
    if (address === 0) return '';
    const s = this.segments.find((g) => address >= g.vaddr && address < g.vaddr + g.filesz);
    if (s === undefined) throw this.fail(`${what} at address 0x${address.toString(16)} is not inside the image's file contents`);
    const view = this.file.slice(s.offset, s.filesz, this.file.where, what);
    return view.cstr(address - s.vaddr, what);
  }

  u32Array(address: number, count: number, what: string): number[] {
    if (count === 0) return [];
    if (address === 0) throw this.fail(`${what} is NULL with ${count} entries`);
    const b = this.bytes(address, count * 4, what);
    const dv = new DataView(b.buffer);
    return Array.from({ length: count }, (_, i) => dv.getUint32(i * 4, true));
  }
}

/**
 * Decodes the description table of a native image from its bytes, without loading it.
 *
 * @example
 * ```ts
 * const meta = readImageMetadata(readFileSync('xdp_firewall.so'), 'xdp_firewall.so');
 * meta.programs.map((p) => [p.name, p.programType, p.helpers]); // [['xdp_firewall', 'xdp', [1]]]
 * ```
 * @throws {NativeImageError} when the bytes are not an ELF shared object holding a bpfship image table.
 */
export function readImageMetadata(bytes: Uint8Array, name = 'image.so'): NativeImageMetadata {
  const fail = (detail: string): NativeImageError => new NativeImageError(`${name}: ${detail}`);
  const file = new ByteView(bytes, { file: name }, (detail, where) => new NativeImageError(`${name}: ${where.offset !== undefined ? `at offset 0x${where.offset.toString(16)}: ` : ''}${detail}`));
  // 1. The ELF header.
  if (bytes.length < 64 || file.u32(0) !== 0x464c457f) throw fail('not an ELF file');
  if (file.u8(4) !== 2 || file.u8(5) !== 1) throw fail('not a 64-bit little-endian ELF file');
  if (file.u16(16) !== ET_DYN) throw fail(`ELF type ${file.u16(16)}, expected a shared object (ET_DYN, 3)`);
  const machine = file.u16(18);
  const relocationKinds = RELOCATIONS[machine];
  if (relocationKinds === undefined) throw fail(`machine ${machine} is not one whose native images this runtime reads (x86-64, AArch64)`);
  const phoff = file.u64n(32, 'e_phoff');
  const shoff = file.u64n(40, 'e_shoff');
  const phentsize = file.u16(54);
  const phnum = file.u16(56);
  const shentsize = file.u16(58);
  const shnum = file.u16(60);
  if (phentsize < 56 || shentsize < 64) throw fail(`program or section header entries of ${phentsize}/${shentsize} bytes, expected 56/64`);

  // 2. Loaded segments.
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = file.slice(phoff + i * phentsize, 56, { file: name }, `program header ${i}`);
    if (ph.u32(0) !== PT_LOAD) continue;
    const seg = { offset: ph.u64n(8), vaddr: ph.u64n(16), filesz: ph.u64n(32), memsz: ph.u64n(40) };
    if (seg.filesz > seg.memsz) throw fail(`program header ${i}: file size ${seg.filesz} exceeds memory size ${seg.memsz}`);
    file.check(seg.offset, seg.filesz, `segment ${i}`);
    segments.push(seg);
  }
  if (segments.length === 0) throw fail('no loadable segment');

  // 3. Sections: the dynamic symbols and the relocations.
  const sections = Array.from({ length: shnum }, (_, i) => {
    const sh = file.slice(shoff + i * shentsize, 64, { file: name }, `section header ${i}`);
    return { type: sh.u32(4), offset: sh.u64n(24), size: sh.u64n(32), link: sh.u32(40), entsize: sh.u64n(56) };
  });
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (dynsym === undefined) throw fail('no dynamic symbol table (.dynsym): not a shared object built by bpfship');
  const dynstr = sections[dynsym.link];
  if (dynstr === undefined) throw fail(`the dynamic symbol table links to section ${dynsym.link}, which does not exist`);
  const strings = file.slice(dynstr.offset, dynstr.size, { file: name, section: '.dynstr' }, 'dynamic string table');
  const symbols = file.slice(dynsym.offset, dynsym.size, { file: name, section: '.dynsym' }, 'dynamic symbol table');
  const symbolValue = (index: number): number => {
    if ((index + 1) * 24 > symbols.length) throw fail(`a relocation names dynamic symbol ${index}, past the ${Math.floor(symbols.length / 24)} symbols`);
    return symbols.u64n(index * 24 + 8, 'st_value');
  };
  let table: number | undefined;
  for (let off = 24; off + 24 <= symbols.length; off += 24) {
    if (symbols.u16(off + 6) === 0) continue; // undefined symbol
    if (strings.cstr(symbols.u32(off), 'symbol name') === 'bpfship_native_metadata') {
      table = symbols.u64n(off + 8, 'st_value');
      break;
    }
  }
  if (table === undefined) throw fail('no bpfship_native_metadata symbol: not a bpfship native image');
  const relocated = new Map<number, bigint>();
  for (const s of sections.filter((x) => x.type === SHT_RELA)) {
    if (s.entsize !== 24) throw fail(`a relocation section has entries of ${s.entsize} bytes, expected 24`);
    const rela = file.slice(s.offset, s.size, { file: name, section: 'relocations' }, 'relocation section');
    for (let off = 0; off + 24 <= rela.length; off += 24) {
      const where = rela.u64n(off, 'r_offset');
      const info = rela.u64(off + 8, 'r_info');
      const addend = rela.u64(off + 16, 'r_addend');
      const kind = relocationKinds[Number(info & 0xffffffffn)];
      if (kind === 'relative') relocated.set(where, addend);
      else if (kind === 'absolute') relocated.set(where, (BigInt(symbolValue(Number(info >> 32n))) + addend) & 0xffffffffffffffffn);
    }
  }
  const mem = new ImageMemory(file, segments, relocated, name);

  // 4. The table.
  if (mem.u32(table, 'magic') !== NATIVE_MAGIC) throw fail(`bad magic 0x${mem.u32(table, 'magic').toString(16)} in bpfship_native_metadata`);
  const abi = mem.u32(table + 4, 'abi_version');
  if (abi !== NATIVE_ABI_VERSION) throw fail(`native ABI version ${abi}, this runtime loads version ${NATIVE_ABI_VERSION}`);
  const size = mem.u32(table + 8, 'size');
  if (size < IMAGE_SIZE) throw fail(`the image table is ${size} bytes, expected at least ${IMAGE_SIZE}`);
  const count = (off: number, what: string): number => {
    const n = mem.u32(table + off, what);
    if (n > MAX_COUNT) throw fail(`${n} ${what} is past any image bpf2c writes`);
    return n;
  };
  const programCount = count(72, 'programs');
  const mapCount = count(76, 'maps');
  const dataCount = count(96, 'data sections');
  const helperCount = count(100, 'helpers');
  const hex = (address: number, n: number, what: string): string => [...mem.bytes(address, n, what)].map((b) => b.toString(16).padStart(2, '0')).join('');

  const programs: NativeProgramMetadata[] = [];
  const pbase = mem.pointer(table + 80, 'programs');
  for (let i = 0; i < programCount; i++) {
    const p = pbase + i * PROGRAM_SIZE;
    const at = `program ${i}`;
    const pname = mem.string(mem.pointer(p, `${at} name`), `${at} name`);
    programs.push({
      name: pname,
      cName: pname,
      section: mem.string(mem.pointer(p + 8, `${at} section`), `${at} section`),
      programTypeId: mem.u32(p + 24, `${at} type`),
      insnCount: mem.u32(p + 28, `${at} instruction count`),
      programType: mem.string(mem.pointer(p + 32, `${at} type name`), `${at} type name`),
      attachType: mem.string(mem.pointer(p + 40, `${at} attach type`), `${at} attach type`),
      helpers: mem.u32Array(mem.pointer(p + 56, `${at} helpers`), boundedCount(mem.u32(p + 48, `${at} helper count`), `${at} helpers`, fail), `${at} helpers`),
      maps: mem.u32Array(mem.pointer(p + 64, `${at} maps`), boundedCount(mem.u32(p + 52, `${at} map count`), `${at} maps`, fail), `${at} maps`),
      infoHash: hex(p + 72, 32, `${at} info hash`),
    });
  }
  const decodeMap = (address: number, depth: number): NativeMapMetadata => {
    const at = `map at 0x${address.toString(16)}`;
    const inner = mem.pointer(address + 32, `${at} inner map`);
    if (inner !== 0 && depth >= MAX_INNER_DEPTH) throw fail(`${at}: inner maps nest deeper than ${MAX_INNER_DEPTH}`);
    const initCount = boundedCount(mem.u32(address + 40, `${at} initial values`), `${at} initial values`, fail);
    const initBase = mem.pointer(address + 48, `${at} initial values`);
    const initialValues: NativeMapMetadata['initialValues'][number][] = [];
    for (let j = 0; j < initCount; j++) {
      const v = initBase + j * 16;
      initialValues.push({ key: mem.u32(v, 'initial value key'), kind: mem.u32(v + 4, 'initial value kind') === 0 ? 'program' : 'map', name: mem.string(mem.pointer(v + 8, 'initial value name'), 'initial value name') });
    }
    return {
      name: mem.string(mem.pointer(address, `${at} name`), `${at} name`),
      type: mem.u32(address + 8, `${at} type`),
      keySize: mem.u32(address + 12, `${at} key size`),
      valueSize: mem.u32(address + 16, `${at} value size`),
      maxEntries: mem.u32(address + 20, `${at} max entries`),
      flags: mem.u32(address + 24, `${at} flags`),
      pinning: mem.u32(address + 28, `${at} pinning`),
      mapExtra: mapExtra(mem.bytes(address + 56, 8, `${at} map_extra`), at, fail),
      innerMap: inner === 0 ? undefined : decodeMap(inner, depth + 1),
      initialValues,
    };
  };
  const mbase = mem.pointer(table + 88, 'maps');
  const maps = Array.from({ length: mapCount }, (_, i) => decodeMap(mbase + i * MAP_SIZE, 0));
  const dbase = mem.pointer(table + 104, 'data sections');
  const dataSections = Array.from({ length: dataCount }, (_, i) => {
    const d = dbase + i * DATA_SECTION_SIZE;
    const dsize = mem.u32(d + 8, 'data section size');
    const init = mem.pointer(d + 16, 'data section bytes');
    return {
      name: mem.string(mem.pointer(d, 'data section name'), 'data section name'),
      size: dsize,
      readOnly: mem.u32(d + 12, 'data section read_only') !== 0,
      initialBytes: init === 0 || dsize === 0 ? new Uint8Array(dsize) : mem.bytes(init, dsize, 'data section bytes'),
    };
  });
  return {
    bpf2cVersion: mem.string(mem.pointer(table + 16, 'bpf2c version'), 'bpf2c version'),
    sourceName: mem.string(mem.pointer(table + 24, 'source name'), 'source name'),
    elfSha256: hex(table + 32, 32, 'ELF digest'),
    license: mem.string(mem.pointer(table + 64, 'license'), 'license'),
    programs,
    maps,
    dataSections,
    helperIds: mem.u32Array(mem.pointer(table + 112, 'helper ids'), helperCount, 'helper ids'),
  };
}

function boundedCount(n: number, what: string, fail: (detail: string) => NativeImageError): number {
  if (n > MAX_COUNT) throw fail(`${n} ${what} is past any image bpf2c writes`);
  return n;
}

/** A map's map_extra (8 little-endian bytes) as the metadata's number; past 2^53 no image bpf2c writes has it. */
function mapExtra(bytes: Uint8Array, at: string, fail: (detail: string) => NativeImageError): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${at}: map_extra 0x${v.toString(16)} is past any image bpf2c writes`);
  return Number(v);
}

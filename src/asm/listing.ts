/**
 * The disassembly listing of an object, as `llvm-objdump-19 -d` (or `-dr`, or `-S`) prints it.
 *
 * llvm-objdump walks each executable section in file order and cuts it into blocks at every symbol address; each
 * block gets a label (`0000000000000000 <xdp_firewall>:`) and is decoded on its own, so a symbol placed inside an
 * instruction makes the decoder restart there. Runs of eight or more zero bytes are elided as `...`. Blocks whose
 * only symbols are data symbols (STT_OBJECT) are dumped as bytes. This module reproduces those rules; the test
 * beside it compares the output with llvm-objdump's, line by line, over the whole corpus.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
  isEbpfMachine,
  RelocationType,
  SectionFlag,
  SectionType,
  SymbolType,
} from '../elf/types.ts';
import { InstructionError } from '../internal/errors.ts';
import { decodeInstructionAt } from './decode.ts';
import type { Instruction } from './instruction.ts';
import { branchDisplacement, llvmText, UNKNOWN } from './format.ts';
import {
  Opcode,
} from './opcode.ts';

/** One line of source, as BTF line info (or DWARF) names it. */
export interface SourceLine {
  /** The source file name, as recorded. */
  readonly fileName: string;
  /** The 1-based line number; 0 means "no line" and prints nothing. */
  readonly line: number;
  /** The text of the line, printed after `; `. */
  readonly text: string;
}

/**
 * Where the source lines come from: a lookup from an instruction's position to the line it was compiled from.
 * The BTF layer's line_info provides it (the record with the greatest offset not above `offset`, in the same
 * function); the asm layer does not depend on how.
 */
export interface LineInfoLookup {
  /** The source line of the instruction `offset` bytes into section `section`, or undefined when none is known. */
  sourceLine(section: string, offset: number): SourceLine | undefined;
}

/**
 * CO-RE relocations, which llvm-objdump prints among the relocations (`CO-RE <byte_off> [21] struct sock::...`).
 * The BTF layer formats them; the listing only places them.
 */
export interface CoreRelocationLookup {
  /** The text after `CO-RE ` for the relocation at exactly `offset` bytes into `section`, or undefined. */
  coreRelocation(section: string, offset: number): string | undefined;
}

/** Options for {@link disassembleObject}. */
export interface DisassembleOptions {
  /**
   * Only these sections (by name), as `llvm-objdump -j` does: a named section is disassembled even when it is not
   * executable. By default every non-empty executable section with contents is.
   */
  readonly sections?: readonly string[];
  /** Print relocations below the instructions they patch (`-r`). */
  readonly withRelocations: boolean;
  /** Print source lines before the instructions (`-S`). */
  readonly source?: LineInfoLookup;
  /** CO-RE relocations to print with the relocations (when `withRelocations`). */
  readonly coreRelocations?: CoreRelocationLookup;
  /** Print as `--mattr=+alu32` does (see `FormatOptions.alu32`). */
  readonly alu32?: boolean;
  /** The file name for the header line; default `elf.name`. */
  readonly fileName?: string;
}

/** A label candidate: llvm-objdump's view of a symbol in a section. */
interface Label {
  readonly addr: number;
  readonly name: string;
  readonly type: number;
}

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));
const HEX_DIGITS = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * The listing being written, as UTF-8 bytes in a growing buffer. A large listing is millions of short pieces;
 * joining them as strings spends most of the time in the garbage collector, writing bytes does not.
 */
class Output {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  /** Appends a string. */
  push(...parts: string[]): void {
    for (const p of parts) this.put(p);
  }

  /** Appends one string (ASCII fast path; anything else through the encoder). */
  put(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = len;
        this.putUtf8(s.slice(i));
        return;
      }
      buf[len++] = c;
    }
    this.len = len;
  }

  private putUtf8(s: string): void {
    this.reserve(s.length * 3);
    const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(this.len));
    this.len += written;
  }

  /** Appends one ASCII character by code. */
  char(c: number): void {
    this.reserve(1);
    this.buf[this.len++] = c;
  }

  /** Appends a byte as two hex digits. */
  hexByte(b: number): void {
    this.reserve(2);
    this.buf[this.len++] = HEX_DIGITS[b >> 4] as number;
    this.buf[this.len++] = HEX_DIGITS[b & 15] as number;
  }

  /** Appends `%8d:\t` of a slot number. */
  slotColumn(slot: number): void {
    this.reserve(32);
    let digits = 1;
    for (let v = slot; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = digits; i < 8; i++) this.buf[this.len++] = 0x20;
    let at = this.len + digits - 1;
    let v = slot;
    do {
      this.buf[at--] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    this.len += digits;
    this.buf[this.len++] = 0x3a;
    this.buf[this.len++] = 0x09;
  }

  /** The text written so far. */
  text(): string {
    return utf8Decoder.decode(this.buf.subarray(0, this.len));
  }
}

const STT_COMMON = 5;

/**
 * The text of `llvm-objdump-19 -d FILE` (with `withRelocations`, of `-dr`; with `source`, of `-S`).
 *
 * Steps: 1. pick the sections; 2. for each, collect its symbols (named, not SECTION or FILE) sorted by address,
 * name and type, adding the section name as a label at offset 0 when no symbol is there; 3. walk the blocks between
 * symbol addresses, decoding at each byte position as LLVM does (an instruction it cannot decode takes 8 bytes, or
 * 1 when fewer than 8 remain or a `lddw` is cut); 4. annotate branch targets with the nearest symbol at or below
 * them; 5. print relocations whose offset falls inside each instruction.
 *
 * @example
 * ```ts
 * const text = disassembleObject(readElf(bytes, { name: 'prog.o' }), { withRelocations: true });
 * ```
 * @throws {InstructionError} when the object is not an eBPF object (e_machine is neither 247 nor 0, as older LLVM wrote).
 */
export function disassembleObject(elf: ElfFile, options: DisassembleOptions): string {
  if (!isEbpfMachine(elf.machine)) {
    throw new InstructionError(`e_machine is ${elf.machine}, not 247 (BPF, or 0 as older LLVM wrote): this is not an eBPF object`, { file: elf.name });
  }
  const out = new Output();
  out.push('\n', options.fileName ?? elf.name, ':\tfile format elf64-bpf\n');
  const filter = options.sections;
  const state: PrintState = { oldFile: undefined, oldLine: undefined };
  for (const section of elf.sections) {
    if (section.index === 0) continue;
    if (filter !== undefined) {
      if (!filter.includes(section.name)) continue;
    } else if ((section.flags & SectionFlag.EXECINSTR) === 0 || section.type === SectionType.NOBITS) {
      continue;
    }
    if (section.size === 0) continue;
    disassembleSection(elf, section, options, state, out);
  }
  return out.text();
}

interface PrintState {
  oldFile: string | undefined;
  oldLine: number | undefined;
}

/** The labels of a section in llvm-objdump's order, with the section-name label added when none is at 0. */
function sectionLabels(elf: ElfFile, section: ElfSection): Label[] {
  const labels: Label[] = [];
  for (const s of elf.symbols) {
    if (s.index === 0 || s.name === '' || s.sectionIndex !== section.index) continue;
    if (s.type === SymbolType.SECTION || s.type === SymbolType.FILE) continue;
    labels.push({ addr: s.value, name: s.name, type: s.type });
  }
  labels.sort(compareLabels);
  if (labels.length === 0 || (labels[0] as Label).addr !== 0) {
    const dummy: Label = { addr: 0, name: section.name, type: SymbolType.FUNC };
    let at = 0;
    while (at < labels.length && compareLabels(labels[at] as Label, dummy) < 0) at++;
    labels.splice(at, 0, dummy);
  }
  return labels;
}

function compareLabels(a: Label, b: Label): number {
  if (a.addr !== b.addr) return a.addr < b.addr ? -1 : 1;
  if (a.name !== b.name) return compareBytes(a.name, b.name);
  return a.type - b.type;
}

/** Compares strings as their UTF-8 bytes compare (C++ StringRef order), which differs from UTF-16 order only for astral characters. */
function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function disassembleSection(elf: ElfFile, section: ElfSection, options: DisassembleOptions, state: PrintState, out: Output): void {
  const labels = sectionLabels(elf, section);
  const bytes = section.data;
  const size = section.type === SectionType.NOBITS ? section.size : bytes.length;
  const virtual = section.type === SectionType.NOBITS;
  const isText = (section.flags & SectionFlag.EXECINSTR) !== 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const rels = options.withRelocations ? (elf.relocations.get(section.index) ?? []) : [];
  const alu32 = options.alu32 === true;
  const source = options.source;
  const core = options.withRelocations ? options.coreRelocations : undefined;
  let relCur = 0;
  let printedSection = false;

  for (let si = 0; si < labels.length;) {
    const first = si;
    const start = (labels[si] as Label).addr;
    while (si < labels.length && (labels[si] as Label).addr === start) si++;

    // The label shown is the last non-data symbol here; a block with only data symbols is dumped as bytes.
    let display = si - 1;
    let asData = false;
    if (isText) {
      asData = true;
      for (let i = first; i < si; i++) {
        const t = (labels[i] as Label).type;
        if (t !== SymbolType.OBJECT && t !== STT_COMMON) {
          asData = false;
          display = i;
        }
      }
    }
    let end = size;
    if (si < labels.length) end = Math.min(end, (labels[si] as Label).addr);
    if (start >= end) continue;

    if (!printedSection) {
      printedSection = true;
      out.push('\nDisassembly of section ', section.name, ':\n');
    }
    out.push('\n', start.toString(16).padStart(16, '0'), ' <', (labels[display] as Label).name, '>:\n');
    if (virtual) {
      out.push('...\n');
      continue;
    }
    let index = start;
    if (asData) {
      dumpData(bytes, index, end, out);
      continue;
    }
    while (relCur < rels.length && (rels[relCur] as { offset: number }).offset < index) relCur++;

    while (index < end) {
      // Runs of 8 or more zero bytes (up to the next relocation, with -r) are elided.
      let maxOffset = end - index;
      if (options.withRelocations && relCur < rels.length) {
        const relOffset = (rels[relCur] as { offset: number }).offset;
        if (relOffset >= index) maxOffset = Math.min(relOffset - index, maxOffset);
      }
      let zeros = 0;
      while (zeros < maxOffset && bytes[index + zeros] === 0) zeros++;
      if (zeros >= 8) {
        out.push('\t\t...\n');
        index += zeros & ~3;
        continue;
      }

      if (source !== undefined) printSource(source.sourceLine(section.name, index), state, out);

      // Decode as LLVM does: 8 bytes, 16 for a lddw it accepts; a failure with fewer than 8 bytes left (or a cut
      // lddw) skips a single byte.
      const remaining = size - index;
      let ins: Instruction | undefined;
      let text: string | undefined;
      let step: number;
      if (remaining < 8) {
        step = 1;
      } else if (bytes[index] === Opcode.LDDW && ((bytes[index + 1] as number) & 0x0f) <= 11 && bytes[index + 2] === 0 && bytes[index + 3] === 0) {
        ins = decodeInstructionAt(dv, index, size);
        if (ins === undefined) {
          step = 1;
        } else {
          step = 16;
          text = llvmText(ins, alu32);
        }
      } else {
        ins = decodeInstructionAt(dv, index, size);
        step = 8;
        if (ins !== undefined) text = llvmText(ins, alu32);
      }
      if (ins !== undefined && text === undefined && ins.opcode === Opcode.LDDW) step = 8;

      out.slotColumn(Math.floor(index / 8));
      out.hexByte(bytes[index] as number);
      for (let i = 1; i < step; i++) {
        out.char(0x20);
        out.hexByte(bytes[index + i] as number);
      }
      out.char(0x09);
      if (text === undefined) {
        out.put(UNKNOWN);
      } else {
        out.put(text);
        const disp = branchDisplacement(ins as Instruction);
        if (disp !== undefined) out.put(targetAnnotation(labels, index + 8 + disp * 8));
      }
      out.char(0x0a);

      if (core !== undefined) {
        const note = core.coreRelocation(section.name, index);
        if (note !== undefined) out.push('\t\t', index.toString(16).padStart(16, '0'), ':  CO-RE ', note, '\n');
      }
      while (relCur < rels.length) {
        const rel = rels[relCur] as { offset: number; type: number; symbolIndex: number; addend: bigint };
        if (rel.offset >= index + step) break;
        if (rel.offset >= index) {
          out.push('\t\t', rel.offset.toString(16).padStart(16, '0'), ':  ', relocationName(rel.type), '\t', relocationValue(elf, rel.symbolIndex, rel.addend), '\n');
        }
        relCur++;
      }
      index += step;
    }
  }
}

/** ` <sym+0x10>`: the last label at or below the target (targets below zero wrap around, as LLVM's u64 do). */
function targetAnnotation(labels: readonly Label[], target: number): string {
  if (target < 0) {
    // A negative target wraps to a huge unsigned address: every label lies below it; the last one is used.
    const last = labels[labels.length - 1] as Label;
    const disp = BigInt.asUintN(64, BigInt(target) - BigInt(last.addr));
    return ' <' + last.name + '+0x' + disp.toString(16) + '>';
  }
  let lo = 0;
  let hi = labels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((labels[mid] as Label).addr <= target) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return '';
  const sym = labels[lo - 1] as Label;
  return sym.addr === target ? ' <' + sym.name + '>' : ' <' + sym.name + '+0x' + (target - sym.addr).toString(16) + '>';
}

function printSource(line: SourceLine | undefined, state: PrintState, out: Output): void {
  if (line === undefined || line.line === 0) {
    // llvm-objdump forgets the previous line here too, so a return to it prints it again.
    state.oldFile = line?.fileName;
    state.oldLine = line?.line;
    return;
  }
  if (line.line === state.oldLine && line.fileName === state.oldFile) return;
  state.oldFile = line.fileName;
  state.oldLine = line.line;
  if (line.text !== '') out.push('; ', line.text, '\n');
}

/** The relocation type name llvm-objdump prints. */
export function relocationName(type: number): string {
  switch (type) {
    case RelocationType.NONE: return 'R_BPF_NONE';
    case RelocationType.BPF_64_64: return 'R_BPF_64_64';
    case RelocationType.BPF_64_ABS64: return 'R_BPF_64_ABS64';
    case RelocationType.BPF_64_ABS32: return 'R_BPF_64_ABS32';
    case RelocationType.BPF_64_NODYLD32: return 'R_BPF_64_NODYLD32';
    case RelocationType.BPF_64_32: return 'R_BPF_64_32';
    default: return 'Unknown';
  }
}

/** The symbol part of a relocation line: the symbol's name (a section symbol's section name), `*ABS*` for none. */
function relocationValue(elf: ElfFile, symbolIndex: number, addend: bigint): string {
  let text: string;
  const sym: ElfSymbol | undefined = symbolIndex === 0 ? undefined : elf.symbols[symbolIndex];
  if (sym === undefined) text = '*ABS*';
  else if (sym.type === SymbolType.SECTION) text = elf.sections[sym.sectionIndex]?.name ?? '';
  else text = sym.name;
  if (addend !== 0n) text += addend < 0n ? '-0x' + (-addend).toString(16) : '+0x' + addend.toString(16);
  return text;
}

/** The byte dump llvm-objdump prints for a block of data symbols in a code section: 8 bytes a line, then ASCII. */
function dumpData(bytes: Uint8Array, index: number, end: number, out: Output): void {
  let count = 0;
  let ascii = '';
  for (; index < end; index++) {
    if (count === 0) out.push(index.toString(16).padStart(8, ' '), ':');
    const b = bytes[index] as number;
    out.push(' ', HEX2[b] as string);
    ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    count++;
    let indent = 0;
    if (index === end - 1 || count > 8) {
      indent = 3 * (8 - count);
      count = 8;
    }
    if (count === 8) {
      out.push(' '.repeat(indent), '         ', ascii, '\n');
      count = 0;
      ascii = '';
    }
  }
}

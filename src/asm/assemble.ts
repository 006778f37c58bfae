/**
 * Text to instructions, in either of two dialects, chosen per line or fixed by an option:
 *
 * - LLVM's syntax, as llvm-objdump prints it (and as `format.ts` does): `r0 = *(u32 *)(r1 + 0x4)`,
 *   `if r1 == 0x2 goto +0x3 <prog+0x28>` (the `<...>` suffix is ignored), `goto LBB0_4`, `call 0x1`, `call func`;
 *   lines copied from an llvm-objdump listing (`      12:\t15 00 ...\tif r0 == 0x0 goto +0x2`) are accepted too;
 * - the bpf_conformance dialect: `mov %r0, 1`, `ldxdw %r0, [%r1+8]`, `jeq %r1, 2, label`, `lock fetch add
 *   [%r10-8], %r1`, `call local func1`, ...
 *
 * Comments run from `;` or `#` to the end of the line. A label is `name:` at the start of a line; jumps and local
 * calls may name one instead of giving a displacement. As in the suite's assembler, `exit` names the first `exit`
 * instruction unless a label of that name exists.
 *
 * Author: Claude.
 *
 * @module
 */

import { AsmSyntaxError, type Location } from '../internal/errors.ts';
import { isConformanceMnemonic, parseConformanceInstruction } from './_parse-conformance.ts';
import { LLVM_KEYWORDS, llvmRegister, parseLlvmInstruction } from './_parse-llvm.ts';
import { type ParsedInstruction, parsed, readInteger } from './_parsed.ts';
import { scanLine, type Token, TokenKind, TokenStream } from './_scanner.ts';
import { type Instruction, makeInstruction } from './instruction.ts';

/** Options for {@link assemble}. */
export interface AssembleOptions {
  /** The dialect: `'auto'` (the default) decides per line; the others accept only their own syntax. */
  readonly dialect?: 'auto' | 'llvm' | 'conformance';
  /** A file name for error messages. */
  readonly file?: string;
  /** The line number of the first line of `source` in that file (default 1), for error messages. */
  readonly firstLine?: number;
}

/** The result of {@link assembleProgram}. */
export interface AssembledProgram {
  /** The instructions, with `slot` numbered from 0. */
  readonly instructions: Instruction[];
  /** Each label's slot. */
  readonly labels: ReadonlyMap<string, number>;
}

/**
 * Assembles a program.
 *
 * @example
 * ```ts
 * assemble('r0 = 0x0\nexit');            // LLVM syntax
 * assemble('mov %r0, 0\nexit');          // conformance syntax
 * encodeInstructions(assemble(text));    // the bytes
 * ```
 * @throws {AsmSyntaxError} with the line and column of the first error and what was expected there.
 */
export function assemble(source: string, options: AssembleOptions = {}): Instruction[] {
  return assembleProgram(source, options).instructions;
}

interface Pending {
  readonly parsed: ParsedInstruction;
  readonly slot: number;
  readonly where: Location;
}

/** Assembles a program and returns its labels too. See {@link assemble}. */
export function assembleProgram(source: string, options: AssembleOptions = {}): AssembledProgram {
  const dialect = options.dialect ?? 'auto';
  const base: Location = options.file === undefined ? {} : { file: options.file };
  const labels = new Map<string, number>();
  const pending: Pending[] = [];
  let slot = 0;
  let firstExit: number | undefined;

  let lineNo = (options.firstLine ?? 1) - 1;
  let start = 0;
  while (start <= source.length) {
    let end = source.indexOf('\n', start);
    if (end < 0) end = source.length;
    lineNo++;
    const raw = source.slice(start, end);
    start = end + 1;
    const where: Location = { ...base, line: lineNo };
    let text = stripListing(cutComment(raw));
    if (text === undefined) continue;
    const objdumpLabel = listingLabel(text);
    if (objdumpLabel !== undefined) {
      defineLabel(labels, objdumpLabel, slot, { ...where, column: 1 });
      continue;
    }
    text = stripTargetSuffix(text);
    const tokens = scanLine(text, where);
    let at = 0;
    // Labels: `name:` (several may precede an instruction on one line).
    while ((tokens[at] as Token).kind === TokenKind.WORD && (tokens[at + 1] as Token).kind === TokenKind.PUNCT && (tokens[at + 1] as Token).text === ':') {
      const t = tokens[at] as Token;
      defineLabel(labels, t.text, slot, { ...where, column: t.column });
      at += 2;
    }
    if ((tokens[at] as Token).kind === TokenKind.END) continue;
    const ts = new TokenStream(tokens.slice(at), where);
    const first = ts.peek();
    if (first.kind === TokenKind.PUNCT && first.text === '<' && ts.peek(1).text === 'unknown') {
      throw new AsmSyntaxError("'<unknown>' marks bytes llvm-objdump could not decode; there is no instruction to assemble", { ...where, column: first.column });
    }
    if (first.kind === TokenKind.WORD && (first.text === '.quad' || first.text === '.8byte')) {
      // A raw slot, as llvm-mc reads it: the 64-bit value stored little-endian (so `.quad 0x95` is `exit`).
      ts.next();
      const v = readInteger(ts, `a 64-bit value after '${first.text}'`);
      ts.expectEnd('after the value');
      if (v.value < -(1n << 63n) || v.value >= 1n << 64n) throw ts.errorAt(`${v.value} does not fit in 64 bits`, v.token);
      const word = BigInt.asUintN(64, v.value);
      const lo = Number(word & 0xffffffffn);
      pending.push({ parsed: rawSlot(word), slot, where: { ...where } });
      if ((lo & 0xff) === 0x95 && firstExit === undefined) firstExit = slot;
      slot++;
      continue;
    }
    if (first.kind === TokenKind.WORD && first.text.startsWith('.')) {
      throw ts.errorAt(`unsupported directive '${first.text}' (only .quad and .8byte, for raw slots)`, first);
    }
    const lineDialect = dialect === 'auto' ? detectDialect(ts) : dialect;
    const p = lineDialect === 'llvm' ? parseLlvmInstruction(ts) : parseConformanceInstruction(ts);
    pending.push({ parsed: p, slot, where: { ...where } });
    if (p.opcode === 0x95 && firstExit === undefined) firstExit = slot;
    slot += p.opcode === 0x18 ? 2 : 1;
  }

  // The suite's assembler lets `exit` name the first exit instruction.
  if (!labels.has('exit') && firstExit !== undefined) labels.set('exit', firstExit);

  const instructions: Instruction[] = [];
  for (let i = 0; i < pending.length; i++) {
    const { parsed: p, slot: s, where } = pending[i] as Pending;
    if (p.raw !== undefined) {
      // A raw slot stands for itself; a raw lddw first slot takes the next raw slot as its second.
      const next = (pending[i + 1] as Pending | undefined)?.parsed.raw;
      if (p.opcode === 0x18 && next !== undefined) {
        const hi = Number(BigInt.asIntN(32, next >> 32n));
        const head = Number(next & 0xffffffffn);
        const imm64 = (BigInt(hi) << 32n) | BigInt(p.imm >>> 0);
        const ins = makeInstruction(p.opcode, p.dst, p.src, p.offset, p.imm, imm64, s);
        instructions.push(head === 0 ? ins : { ...ins, secondSlotHead: head });
        i++;
        continue;
      }
      if (p.opcode === 0x18) throw new AsmSyntaxError('a raw lddw slot must be followed by a raw slot holding its second half', where);
      instructions.push(makeInstruction(p.opcode, p.dst, p.src, p.offset, p.imm, undefined, s));
      continue;
    }
    let offset = p.offset;
    let imm = p.imm;
    if (p.target !== undefined) {
      const to = labels.get(p.target.label);
      if (to === undefined) throw new AsmSyntaxError(`unknown label '${p.target.label}'`, { ...where, column: p.target.column });
      const distance = to - (s + 1);
      if (p.target.field === 'offset') {
        if (distance < -0x8000 || distance > 0x7fff) {
          throw new AsmSyntaxError(`label '${p.target.label}' is ${distance} slots away, beyond the 16-bit jump offset (use gotol)`, { ...where, column: p.target.column });
        }
        offset = distance;
      } else {
        imm = distance;
      }
    }
    instructions.push(makeInstruction(p.opcode, p.dst, p.src, offset, imm, p.imm64, s));
  }
  return { instructions, labels };
}

/** The fields of a raw slot written as a little-endian 64-bit value. */
function rawSlot(word: bigint): ParsedInstruction {
  const lo = Number(word & 0xffffffffn);
  const p = parsed(lo & 0xff, (lo >>> 8) & 0x0f, (lo >>> 12) & 0x0f, (lo >>> 16) << 16 >> 16, Number(BigInt.asIntN(32, word >> 32n)));
  return { ...p, raw: word };
}

function defineLabel(labels: Map<string, number>, name: string, slot: number, where: Location): void {
  if (labels.has(name)) throw new AsmSyntaxError(`label '${name}' is defined twice (first at slot ${labels.get(name)})`, where);
  labels.set(name, slot);
}

/** Cuts a `;` or `#` comment. */
function cutComment(line: string): string {
  let end = line.length;
  const semi = line.indexOf(';');
  if (semi >= 0) end = semi;
  const hash = line.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  return end === line.length ? line : line.slice(0, end);
}

/**
 * Reduces a line of an llvm-objdump listing to its instruction text: `      12:\t15 00 ...\tif ...` gives `if ...`.
 * Header lines (`FILE:\tfile format ...`, `Disassembly of section ...:`) and relocation lines give undefined.
 */
function stripListing(line: string): string | undefined {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
  if (i === line.length) return undefined;
  if (line.startsWith('Disassembly of section ', i)) return undefined;
  if (line.includes(':\tfile format ')) return undefined;
  // Relocation lines: `\t\t0000000000000048:  R_BPF_64_64\tverdicts`, and CO-RE notes.
  if (line.charCodeAt(0) === 0x09 && line.charCodeAt(1) === 0x09 && (line.includes(':  R_') || line.includes(':  CO-RE ') || line.includes(':  Unknown'))) return undefined;
  let j = i;
  while (j < line.length && line.charCodeAt(j) >= 0x30 && line.charCodeAt(j) <= 0x39) j++;
  if (j > i && line.charCodeAt(j) === 0x3a && line.charCodeAt(j + 1) === 0x09) {
    const bytesEnd = line.indexOf('\t', j + 2);
    return bytesEnd < 0 ? '' : line.slice(bytesEnd + 1);
  }
  return line;
}

/** `0000000000000000 <xdp_firewall>:` gives `xdp_firewall`. */
function listingLabel(line: string): string | undefined {
  const t = line.trim();
  if (t.length < 21 || !t.endsWith('>:')) return undefined;
  const lt = t.indexOf(' <');
  if (lt !== 16) return undefined;
  for (let i = 0; i < 16; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return undefined;
  }
  return t.slice(lt + 2, t.length - 2);
}

/** Drops the ` <sym+0x8>` that llvm-objdump appends to jumps. */
function stripTargetSuffix(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  if (end === 0 || line.charCodeAt(end - 1) !== 0x3e /* > */) return line;
  const open = line.lastIndexOf('<', end - 1);
  if (open <= 0 || line.charCodeAt(open - 1) !== 0x20) return line;
  for (let i = open + 1; i < end - 1; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x3c) return line;
  }
  if (end - 1 === open + 1) return line;
  return line.slice(0, open);
}

/** Which dialect a line is in, from its first tokens. */
function detectDialect(ts: TokenStream): 'llvm' | 'conformance' {
  const t = ts.peek();
  if (t.kind === TokenKind.PUNCT) return 'llvm';
  if (t.kind !== TokenKind.WORD) return 'llvm';
  if (llvmRegister(t.text) !== undefined) return 'llvm';
  const next = ts.peek(1);
  switch (t.text) {
    case 'lock':
      return next.kind === TokenKind.PUNCT && next.text === '*' ? 'llvm' : 'conformance';
    case 'call':
      if (next.kind === TokenKind.WORD && (next.text === 'helper' || next.text === 'local' || next.text === 'runtime' || next.text.startsWith('%'))) return 'conformance';
      return 'llvm';
    case 'callx':
      return next.kind === TokenKind.WORD && next.text.startsWith('%') ? 'conformance' : 'llvm';
    default:
      if (LLVM_KEYWORDS.has(t.text)) return 'llvm';
      if (isConformanceMnemonic(t.text)) return 'conformance';
      return 'llvm';
  }
}

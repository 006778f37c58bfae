/**
 * The `.data` test files of the bpf_conformance suite (and uBPF's): a program, its input and the expected result.
 *
 * The format is line-oriented: `#` starts a comment, and a line containing `--` opens a section named by the first
 * keyword found in it (`asm`, `result`, `mem`, `raw`, `no register offset`, ` c`, `error`, in that order, as the
 * suite's own parser looks for them).
 *
 * ```
 * -- asm
 * mov %r0, 1
 * exit
 * -- mem
 * aa bb 11 22
 * -- result
 * 0x1
 * ```
 *
 * Author: Claude.
 *
 * @module
 */

import { AsmSyntaxError, type Location } from '../internal/errors.ts';

/** One parsed test. */
export interface ConformanceTest {
  /** The `-- asm` section as written (comments included; the assembler skips them). */
  readonly asm?: string;
  /** The 1-based line of the file where the asm text starts, to place assembler errors. */
  readonly asmLine?: number;
  /**
   * The `-- raw` section as instruction bytes. Tokens are 64-bit instructions (`0x5566778800000018`, stored
   * little-endian), or, when every line holds eight two-digit tokens, the bytes themselves (the suite's negative
   * tests are written that way).
   */
  readonly raw?: Uint8Array;
  /** The input memory (`-- mem`), empty when absent. */
  readonly mem: Uint8Array;
  /** The expected r0 (`-- result`), as an unsigned 64-bit value. */
  readonly result?: bigint;
  /** The expected error text (`-- error`), possibly empty. */
  readonly error?: string;
}

type SectionName = 'asm' | 'result' | 'mem' | 'raw' | 'ignored' | 'error';

/**
 * Parses a `.data` file.
 *
 * @example
 * ```ts
 * const t = parseConformanceData(readFileSync('add.data', 'utf8'), 'add.data');
 * const program = t.raw ?? encodeInstructions(assemble(t.asm ?? ''));
 * ```
 * @throws {AsmSyntaxError} for an unknown directive or a malformed number, with the line.
 */
export function parseConformanceData(text: string, file?: string): ConformanceTest {
  const base: Location = file === undefined ? {} : { file };
  const lines = text.split('\n');
  const sections = new Map<SectionName, { lines: string[]; first: number }>();
  let current: { lines: string[]; first: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r/g, '');
    if (line.includes('--')) {
      const name = directive(line);
      if (name === undefined) throw new AsmSyntaxError(`unknown directive '${line.trim()}' (expected asm, raw, mem, result or error)`, { ...base, line: i + 1 });
      current = { lines: [], first: i + 2 };
      sections.set(name, current);
      continue;
    }
    current?.lines.push(line);
  }

  const out: { -readonly [K in keyof ConformanceTest]: ConformanceTest[K] } = { mem: new Uint8Array(0) };
  const asm = sections.get('asm');
  if (asm !== undefined) {
    out.asm = asm.lines.join('\n');
    out.asmLine = asm.first;
  }
  const raw = sections.get('raw');
  if (raw !== undefined) out.raw = parseRaw(raw.lines, raw.first, base);
  const mem = sections.get('mem');
  if (mem !== undefined) out.mem = parseBytes(mem.lines, mem.first, base);
  const result = sections.get('result');
  if (result !== undefined) {
    const value = [...result.lines].map(stripComment).map((l) => l.trim()).filter((l) => l !== '').pop();
    if (value !== undefined) out.result = parseNumber(value, { ...base, line: result.first + result.lines.findLastIndex((l) => stripComment(l).trim() !== '') }, 64);
  }
  const error = sections.get('error');
  if (error !== undefined) out.error = error.lines.map(stripComment).map((l) => l.trim()).filter((l) => l !== '').join('\n');
  return out;
}

function directive(line: string): SectionName | undefined {
  if (line.includes('asm')) return 'asm';
  if (line.includes('result')) return 'result';
  if (line.includes('mem')) return 'mem';
  if (line.includes('raw')) return 'raw';
  if (line.includes('no register offset') || line.includes(' c')) return 'ignored';
  if (line.includes('error')) return 'error';
  return undefined;
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

function tokensOf(line: string): string[] {
  return stripComment(line).split(/\s+/).filter((t) => t !== '');
}

function parseNumber(token: string, where: Location, bits: 8 | 64): bigint {
  const hex = token.startsWith('0x') || token.startsWith('0X');
  const digits = hex ? token.slice(2) : token;
  const ok = digits !== '' && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits);
  if (!ok) throw new AsmSyntaxError(`expected a ${hex ? 'hex' : 'decimal'} number, found '${token}'`, where);
  const value = BigInt(hex ? token : digits);
  if (value >= 1n << BigInt(bits)) throw new AsmSyntaxError(`'${token}' does not fit in ${bits} bits`, where);
  return value;
}

function parseBytes(lines: readonly string[], first: number, base: Location): Uint8Array {
  const out: number[] = [];
  lines.forEach((line, i) => {
    for (const t of tokensOf(line)) {
      if (t.endsWith(':')) continue; // a hexdump address prefix (uBPF's files)
      const where = { ...base, line: first + i };
      if (!/^[0-9a-fA-F]{1,2}$/.test(t)) throw new AsmSyntaxError(`expected a hex byte, found '${t}'`, where);
      out.push(parseInt(t, 16));
    }
  });
  return Uint8Array.from(out);
}

function parseRaw(lines: readonly string[], first: number, base: Location): Uint8Array {
  const rows = lines.map(tokensOf).filter((r) => r.length > 0);
  const byteRows = rows.length > 0 && rows.every((r) => r.length === 8 && r.every((t) => /^[0-9a-fA-F]{2}$/.test(t)));
  if (byteRows) return parseBytes(lines, first, base);
  const words: bigint[] = [];
  lines.forEach((line, i) => {
    for (const t of tokensOf(line)) words.push(parseNumber(t, { ...base, line: first + i }, 64));
  });
  const out = new Uint8Array(words.length * 8);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  return out;
}

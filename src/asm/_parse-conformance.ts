/**
 * The parser of the bpf_conformance suite's assembler dialect (the `-- asm` sections of its `.data` files, which
 * uBPF's tests share): `mov %r0, 1`, `add32 %r0, %r1`, `ldxdw %r0, [%r1+8]`, `stxw [%r10-8], %r1`,
 * `jeq %r1, 2, label`, `lock fetch add [%r10-8], %r1`, `call local func1`, `be16 %r0`, `movsx832 %r0, %r1`, ...
 *
 * Numbers follow the suite's assembler: decimal or `0x` hex; a decimal immediate must fit a signed 32-bit value
 * and a hex one 32 bits, offsets 16 bits (its negative tests `invalid_imm32_dec_range` and `invalid_offset_range`
 * rely on these limits).
 *
 * Author: Claude.
 *
 * @module
 */

import { type LabelReference, type ParsedInstruction, parsed } from './_parsed.ts';
import { type Token, TokenKind, type TokenStream } from './_scanner.ts';

const ALU_OPS: Record<string, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, sdiv: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  neg: 0x80, mod: 0x90, smod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
};
const JUMP_OPS: Record<string, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
const SIZES: Record<string, number> = { w: 0x00, h: 0x08, b: 0x10, dw: 0x18 };
const ATOMIC_OPS: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, xchg: 0xe1, cmpxchg: 0xf1 };

/** The register named by a word: `%r0`-`%r15` (the suite accepts r11-r15 for its negative tests). */
export function conformanceRegister(text: string): number | undefined {
  if (!text.startsWith('%r')) return undefined;
  const num = text.slice(2);
  if (num === '' || num.length > 2 || (num.length > 1 && num.charCodeAt(0) === 0x30)) return undefined;
  for (let i = 0; i < num.length; i++) {
    const d = num.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return undefined;
  }
  const n = Number(num);
  return n <= 15 ? n : undefined;
}

/** Whether a word is a mnemonic of this dialect (used to tell the dialects apart). */
export function isConformanceMnemonic(word: string): boolean {
  return classify(word) !== undefined;
}

type Kind =
  | { readonly k: 'alu'; readonly op: number; readonly cls: number; readonly off: number }
  | { readonly k: 'movsx'; readonly cls: number; readonly off: number }
  | { readonly k: 'end'; readonly opcode: number; readonly bits: number }
  | { readonly k: 'jump'; readonly op: number; readonly cls: number }
  | { readonly k: 'ja'; readonly wide: boolean }
  | { readonly k: 'exit' | 'call' | 'callx' | 'lddw' | 'lock' }
  | { readonly k: 'ldx'; readonly size: number; readonly sx: boolean }
  | { readonly k: 'st' | 'stx'; readonly size: number };

function classify(m: string): Kind | undefined {
  switch (m) {
    case 'exit': case 'call': case 'callx': case 'lddw': case 'lock':
      return { k: m };
    case 'ja': return { k: 'ja', wide: false };
    case 'ja32': return { k: 'ja', wide: true };
    default: break;
  }
  for (const [prefix, opcode] of [['be', 0xdc], ['le', 0xd4], ['swap', 0xd7], ['bswap', 0xd7]] as const) {
    if (m.startsWith(prefix)) {
      const bits = m.slice(prefix.length);
      if (bits === '16' || bits === '32' || bits === '64') return { k: 'end', opcode, bits: Number(bits) };
    }
  }
  if (m.startsWith('movsx')) {
    const rest = m.slice(5);
    const table: Record<string, [number, number]> = { '832': [0x04, 8], '1632': [0x04, 16], '864': [0x07, 8], '1664': [0x07, 16], '3264': [0x07, 32] };
    const e = table[rest];
    return e === undefined ? undefined : { k: 'movsx', cls: e[0], off: e[1] };
  }
  let base = m;
  let cls = 0x07;
  if (m.endsWith('32')) {
    base = m.slice(0, -2);
    cls = 0x04;
  } else if (m.endsWith('64')) {
    base = m.slice(0, -2);
  }
  const alu = ALU_OPS[base];
  if (alu !== undefined) return { k: 'alu', op: alu, cls, off: base === 'sdiv' || base === 'smod' ? 1 : 0 };
  const jmp = JUMP_OPS[base];
  if (jmp !== undefined && !m.endsWith('64')) return { k: 'jump', op: jmp, cls: cls === 0x04 ? 0x06 : 0x05 };
  if (m.startsWith('ldxs')) {
    const size = SIZES[m.slice(4)];
    return size === undefined || size === 0x18 ? undefined : { k: 'ldx', size, sx: true };
  }
  if (m.startsWith('ldx')) {
    const size = SIZES[m.slice(3)];
    return size === undefined ? undefined : { k: 'ldx', size, sx: false };
  }
  if (m.startsWith('stx')) {
    const size = SIZES[m.slice(3)];
    return size === undefined ? undefined : { k: 'stx', size };
  }
  if (m.startsWith('st')) {
    const size = SIZES[m.slice(2)];
    return size === undefined ? undefined : { k: 'st', size };
  }
  return undefined;
}

function readReg(ts: TokenStream, context: string): number {
  const t = ts.peek();
  const r = t.kind === TokenKind.WORD ? conformanceRegister(t.text) : undefined;
  if (r === undefined) {
    if (t.kind === TokenKind.WORD && t.text.startsWith('%')) throw ts.errorAt(`invalid register '${t.text}' ${context} (expected %r0-%r10)`, t);
    throw ts.error(`expected a register (%r0-%r10) ${context}`);
  }
  ts.next();
  return r;
}

/** A number as the suite's assembler reads it: decimal, or hex when it has `0x`; a leading `-` negates. */
function readNumber(ts: TokenStream, what: string): { value: bigint; hex: boolean; token: Token } {
  const first = ts.peek();
  let negative = false;
  if (ts.accept('-')) negative = true;
  else ts.accept('+');
  const t = ts.peek();
  if (t.kind !== TokenKind.NUMBER) throw ts.error(`expected ${what}`);
  ts.next();
  const hex = t.text.length > 1 && (t.text.charCodeAt(1) | 0x20) === 0x78;
  return { value: negative ? -t.value : t.value, hex, token: first };
}

function imm32(ts: TokenStream, n: { value: bigint; hex: boolean; token: Token }): number {
  const { value, hex, token } = n;
  const ok = hex ? value >= -(1n << 31n) && value <= 0xffffffffn : value >= -(1n << 31n) && value < 1n << 31n;
  if (!ok) {
    throw ts.errorAt(`immediate ${hex ? '0x' + value.toString(16) : value} is out of range (expected ${hex ? '32 bits' : '-2147483648 to 2147483647'})`, token);
  }
  return Number(BigInt.asIntN(32, value));
}

function off16(ts: TokenStream, n: { value: bigint; hex: boolean; token: Token }): number {
  const { value, hex, token } = n;
  const ok = hex ? value >= -0x8000n && value <= 0xffffn : value >= -0x8000n && value <= 0x7fffn;
  if (!ok) throw ts.errorAt(`offset ${hex ? '0x' + value.toString(16) : value} is out of range (expected 16 bits)`, token);
  return Number(BigInt.asIntN(16, value));
}

/** `[%r1+8]`, `[%r10-0x10]`, `[%r2]`. */
function readMemory(ts: TokenStream): { reg: number; offset: number } {
  if (!ts.at('[')) throw ts.error("expected a memory operand like '[%r1+8]'");
  ts.next();
  const reg = readReg(ts, "inside '[ ]'");
  let offset = 0;
  if (ts.at('+') || ts.at('-')) offset = off16(ts, readNumber(ts, 'an offset'));
  ts.expect(']', 'after the memory operand');
  return { reg, offset };
}

function readJumpTarget(ts: TokenStream, field: 'offset' | 'imm'): { value: number; target?: LabelReference } {
  const t = ts.peek();
  if (t.kind === TokenKind.WORD) {
    ts.next();
    return { value: 0, target: { label: t.text, field, column: t.column } };
  }
  if (!ts.at('+') && !ts.at('-')) throw ts.error('expected a label or a signed offset (+N, -N) as the jump target');
  const n = readNumber(ts, 'a jump offset');
  return { value: field === 'offset' ? off16(ts, n) : imm32(ts, n) };
}

function comma(ts: TokenStream, m: string): void {
  if (!ts.accept(',')) throw ts.error(`expected ',' between the operands of '${m}'`);
}

function done(ts: TokenStream, m: string): void {
  const t = ts.peek();
  if (t.kind !== TokenKind.END) throw ts.errorAt(`too many operands for '${m}', found '${t.text}'`, t);
}

/** Parses one instruction in the conformance dialect; the stream is positioned at the mnemonic. */
export function parseConformanceInstruction(ts: TokenStream): ParsedInstruction {
  const mt = ts.next();
  const m = mt.text;
  const kind = mt.kind === TokenKind.WORD ? classify(m) : undefined;
  if (kind === undefined) throw ts.errorAt(`unknown mnemonic '${mt.text}'`, mt);
  switch (kind.k) {
    case 'exit':
      done(ts, m);
      return parsed(0x95, 0, 0, 0, 0);
    case 'alu': {
      const dst = readReg(ts, `as the destination of '${m}'`);
      if (kind.op === 0x80) {
        done(ts, m);
        return parsed(kind.cls | 0x80, dst, 0, 0, 0);
      }
      comma(ts, m);
      const t = ts.peek();
      if (t.kind === TokenKind.WORD) {
        const src = readReg(ts, `as the source of '${m}'`);
        done(ts, m);
        return parsed(kind.cls | kind.op | 0x08, dst, src, kind.off, 0);
      }
      const imm = imm32(ts, readNumber(ts, `a register or an immediate as the source of '${m}'`));
      done(ts, m);
      return parsed(kind.cls | kind.op, dst, 0, kind.off, imm);
    }
    case 'movsx': {
      const dst = readReg(ts, `as the destination of '${m}'`);
      comma(ts, m);
      const src = readReg(ts, `as the source of '${m}'`);
      done(ts, m);
      return parsed(kind.cls | 0xb8, dst, src, kind.off, 0);
    }
    case 'end': {
      const dst = readReg(ts, `after '${m}'`);
      done(ts, m);
      return parsed(kind.opcode, dst, 0, 0, kind.bits);
    }
    case 'ja': {
      const { value, target } = readJumpTarget(ts, kind.wide ? 'imm' : 'offset');
      done(ts, m);
      const extra = target === undefined ? {} : { target };
      return kind.wide ? parsed(0x06, 0, 0, 0, value, extra) : parsed(0x05, 0, 0, value, 0, extra);
    }
    case 'jump': {
      const dst = readReg(ts, `as the first operand of '${m}'`);
      comma(ts, m);
      let src = 0;
      let imm = 0;
      let x = 0;
      if (ts.peek().kind === TokenKind.WORD) {
        src = readReg(ts, `as the second operand of '${m}'`);
        x = 0x08;
      } else {
        imm = imm32(ts, readNumber(ts, `a register or an immediate as the second operand of '${m}'`));
      }
      comma(ts, m);
      const { value, target } = readJumpTarget(ts, 'offset');
      done(ts, m);
      return parsed(kind.cls | kind.op | x, dst, src, value, imm, target === undefined ? {} : { target });
    }
    case 'call': {
      // `call N` (helper), `call helper N`, `call local label`, `call runtime N`, `call %r2` (callx).
      const t = ts.peek();
      if (t.kind === TokenKind.WORD && conformanceRegister(t.text) !== undefined) {
        const reg = readReg(ts, "after 'call'");
        done(ts, m);
        return parsed(0x8d, reg, 0, 0, 0);
      }
      let mode = 'helper';
      if (t.kind === TokenKind.WORD && (t.text === 'helper' || t.text === 'local' || t.text === 'runtime')) {
        mode = t.text;
        ts.next();
      } else if (t.kind === TokenKind.WORD) {
        throw ts.errorAt(`expected a helper number, '%rN', or a call mode (helper, local, runtime) after 'call', found '${t.text}'`, t);
      }
      if (mode === 'local') {
        const lt = ts.peek();
        if (lt.kind === TokenKind.WORD) {
          ts.next();
          done(ts, m);
          return parsed(0x85, 0, 1, 0, 0, { target: { label: lt.text, field: 'imm', column: lt.column } });
        }
        const { value } = readJumpTarget(ts, 'imm');
        done(ts, m);
        return parsed(0x85, 0, 1, 0, value);
      }
      if (mode === 'helper' && ts.peek().kind === TokenKind.WORD) {
        const reg = readReg(ts, "after 'call helper'");
        done(ts, m);
        return parsed(0x8d, reg, 0, 0, 0);
      }
      const imm = imm32(ts, readNumber(ts, `a ${mode === 'runtime' ? 'BTF id' : 'helper number'} after 'call'`));
      done(ts, m);
      return parsed(0x85, 0, mode === 'runtime' ? 2 : 0, 0, imm);
    }
    case 'callx': {
      const reg = readReg(ts, "after 'callx'");
      done(ts, m);
      return parsed(0x8d, reg, 0, 0, 0);
    }
    case 'lddw': {
      const dst = readReg(ts, "as the destination of 'lddw'");
      comma(ts, m);
      const n = readNumber(ts, "a 64-bit immediate after 'lddw %rN,'");
      if (n.value < -(1n << 63n) || n.value >= 1n << 64n) throw ts.errorAt(`immediate ${n.value} does not fit in 64 bits`, n.token);
      done(ts, m);
      const value = BigInt.asIntN(64, n.value);
      return parsed(0x18, dst, 0, 0, Number(BigInt.asIntN(32, value)), { imm64: value });
    }
    case 'ldx': {
      const dst = readReg(ts, `as the destination of '${m}'`);
      comma(ts, m);
      const { reg, offset } = readMemory(ts);
      done(ts, m);
      return parsed((kind.sx ? 0x81 : 0x61) | kind.size, dst, reg, offset, 0);
    }
    case 'st': {
      const { reg, offset } = readMemory(ts);
      comma(ts, m);
      const imm = imm32(ts, readNumber(ts, `an immediate to store with '${m}'`));
      done(ts, m);
      return parsed(0x62 | kind.size, reg, 0, offset, imm);
    }
    case 'stx': {
      const { reg, offset } = readMemory(ts);
      comma(ts, m);
      const src = readReg(ts, `as the source of '${m}'`);
      done(ts, m);
      return parsed(0x63 | kind.size, reg, src, offset, 0);
    }
    case 'lock': {
      // lock [fetch] op[32] [mem], %src
      const fetch = ts.accept('fetch');
      const ot = ts.peek();
      if (ot.kind !== TokenKind.WORD) throw ts.errorAt('Invalid number of operands for lock', ot);
      const wide = !ot.text.endsWith('32');
      const name = wide ? ot.text : ot.text.slice(0, -2);
      const op = ATOMIC_OPS[name];
      if (op === undefined) throw ts.errorAt(`unknown atomic operation '${ot.text}' (expected add, or, and, xor, xchg, cmpxchg, with 32 for the 32-bit form)`, ot);
      ts.next();
      if (fetch && (op === 0xe1 || op === 0xf1)) throw ts.errorAt(`'fetch' is implied by '${ot.text}'`, ot);
      if (ts.peek().kind === TokenKind.END) throw ts.errorAt('Invalid number of operands for lock', ts.peek());
      const { reg, offset } = readMemory(ts);
      if (ts.peek().kind === TokenKind.END) throw ts.errorAt('Invalid number of operands for lock', ts.peek());
      comma(ts, 'lock');
      const src = readReg(ts, 'as the operand of the atomic operation');
      done(ts, 'lock');
      return parsed(wide ? 0xdb : 0xc3, reg, src, offset, fetch ? op | 0x01 : op);
    }
  }
}

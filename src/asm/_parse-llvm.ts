/**
 * The parser of LLVM's BPF assembly syntax (the text llvm-objdump prints and `llvm-mc -triple bpfel` reads):
 * `r0 = *(u32 *)(r1 + 0x4)`, `if w1 s> 0x5 goto +0x3`, `lock *(u64 *)(r0 + 0x0) += r1`, `call 0x1`, ...
 *
 * Every line the formatter prints parses back to the same encoding, with two exceptions LLVM's own text cannot
 * express: fields LLVM ignores when decoding (they come back as 0) and the high half of a `ld_pseudo`'s constant,
 * which llvm-objdump does not print (this parser accepts a 64-bit value there).
 *
 * Author: Claude.
 *
 * @module
 */

import { imm32, imm64, type LabelReference, off16, type ParsedInstruction, parsed, readInteger } from './_parsed.ts';
import { type Token, TokenKind, type TokenStream } from './_scanner.ts';

interface Reg {
  readonly n: number;
  /** True for `w` (32-bit) names. */
  readonly w: boolean;
  readonly token: Token;
}

/** The register named by a word, or undefined: `r0`-`r11`, `w0`-`w11`. */
export function llvmRegister(text: string): { n: number; w: boolean } | undefined {
  if (text.length < 2 || text.length > 3) return undefined;
  const c = text.charCodeAt(0);
  if (c !== 0x72 && c !== 0x77) return undefined;
  const num = text.slice(1);
  if (num !== '0' && num.charCodeAt(0) === 0x30) return undefined;
  for (let i = 0; i < num.length; i++) {
    const d = num.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return undefined;
  }
  const n = Number(num);
  return n <= 11 ? { n, w: c === 0x77 } : undefined;
}

function readReg(ts: TokenStream, context: string): Reg {
  const t = ts.peek();
  const r = t.kind === TokenKind.WORD ? llvmRegister(t.text) : undefined;
  if (r === undefined) throw ts.error(`expected a register (r0-r11 or w0-w11) ${context}`);
  ts.next();
  return { n: r.n, w: r.w, token: t };
}

function sameWidth(ts: TokenStream, a: Reg, b: Reg): void {
  if (a.w !== b.w) throw ts.errorAt(`'${b.token.text}' and '${a.token.text}' must both be 64-bit (r) or both 32-bit (w) registers`, b.token);
}

function wantWidth(ts: TokenStream, r: Reg, w: boolean, context: string): void {
  if (r.w !== w) throw ts.errorAt(`expected a ${w ? '32-bit (w)' : '64-bit (r)'} register ${context}, found '${r.token.text}'`, r.token);
}

const SIZE_BITS: Record<string, number> = { u32: 0x00, u16: 0x08, u8: 0x10, u64: 0x18 };
const SX_BITS: Record<string, number> = { s32: 0x00, s16: 0x08, s8: 0x10 };

const ALU_OPS: Record<string, [number, number]> = {
  '+=': [0x00, 0],
  '-=': [0x10, 0],
  '*=': [0x20, 0],
  '/=': [0x30, 0],
  's/=': [0x30, 1],
  '|=': [0x40, 0],
  '&=': [0x50, 0],
  '<<=': [0x60, 0],
  '>>=': [0x70, 0],
  '%=': [0x90, 0],
  's%=': [0x90, 1],
  '^=': [0xa0, 0],
  's>>=': [0xc0, 0],
};

const JUMP_OPS: Record<string, number> = {
  '==': 0x10,
  '>': 0x20,
  '>=': 0x30,
  '&': 0x40,
  '!=': 0x50,
  's>': 0x60,
  's>=': 0x70,
  '<': 0xa0,
  '<=': 0xb0,
  's<': 0xc0,
  's<=': 0xd0,
};

const ATOMIC_OPS: Record<string, number> = { '+=': 0x00, '|=': 0x40, '&=': 0x50, '^=': 0xa0 };
const FETCH_OPS: Record<string, number> = { atomic_fetch_add: 0x01, atomic_fetch_or: 0x41, atomic_fetch_and: 0x51, atomic_fetch_xor: 0xa1 };
const END_OPS: Record<string, [number, number]> = {
  le16: [0xd4, 16], le32: [0xd4, 32], le64: [0xd4, 64],
  be16: [0xdc, 16], be32: [0xdc, 32], be64: [0xdc, 64],
  bswap16: [0xd7, 16], bswap32: [0xd7, 32], bswap64: [0xd7, 64],
};

/** The first words of LLVM-syntax lines that are not register assignments. */
export const LLVM_KEYWORDS = new Set(['exit', 'call', 'callx', 'goto', 'gotol', 'may_goto', 'if', 'lock', 'ld_pseudo']);

/** Parses one instruction in LLVM syntax; the stream is positioned at its first token. */
export function parseLlvmInstruction(ts: TokenStream): ParsedInstruction {
  const first = ts.peek();
  if (first.kind === TokenKind.PUNCT && first.text === '*') return parseStore(ts);
  if (first.kind !== TokenKind.WORD) throw ts.error('expected an instruction');
  const reg = llvmRegister(first.text);
  if (reg !== undefined) return parseAssignment(ts);
  ts.next();
  switch (first.text) {
    case 'exit':
      ts.expectEnd("after 'exit'");
      return parsed(0x95, 0, 0, 0, 0);
    case 'call': {
      const t = ts.peek();
      if (t.kind === TokenKind.WORD) {
        ts.next();
        ts.expectEnd('after the call target');
        return parsed(0x85, 0, 1, 0, 0, { target: { label: t.text, field: 'imm', column: t.column } });
      }
      const { value, token } = readInteger(ts, "a helper number or a function label after 'call'");
      ts.expectEnd('after the call target');
      return parsed(0x85, 0, 0, 0, imm32(value, ts, token, 'helper number'));
    }
    case 'callx': {
      const r = readReg(ts, "after 'callx'");
      wantWidth(ts, r, false, "after 'callx'");
      ts.expectEnd("after 'callx r'");
      return parsed(0x8d, r.n, 0, 0, 0);
    }
    case 'goto':
    case 'may_goto': {
      const { offset, target } = readTarget(ts, 'offset', `after '${first.text}'`);
      ts.expectEnd('after the jump target');
      return parsed(first.text === 'goto' ? 0x05 : 0xe5, 0, 0, offset, 0, target === undefined ? {} : { target });
    }
    case 'gotol': {
      const { offset, target } = readTarget(ts, 'imm', "after 'gotol'");
      ts.expectEnd('after the jump target');
      return parsed(0x06, 0, 0, 0, offset, target === undefined ? {} : { target });
    }
    case 'if':
      return parseConditional(ts);
    case 'lock':
      return parseLock(ts);
    case 'ld_pseudo': {
      const r = readReg(ts, "after 'ld_pseudo'");
      wantWidth(ts, r, false, "after 'ld_pseudo'");
      ts.expect(',', 'after the register');
      const kind = readInteger(ts, 'the pseudo source (1-15)');
      if (kind.value < 1n || kind.value > 15n) throw ts.errorAt(`pseudo source ${kind.value} is outside 1-15`, kind.token);
      ts.expect(',', 'after the pseudo source');
      const v = readInteger(ts, 'the immediate');
      ts.expectEnd('after the immediate');
      const value = imm64(v.value, ts, v.token);
      return parsed(0x18, r.n, Number(kind.value), 0, Number(BigInt.asIntN(32, value)), { imm64: value });
    }
    default:
      throw ts.errorAt(`unknown instruction '${first.text}'`, first);
  }
}

/** `+0x5`, `-3` (a displacement) or `label`. */
function readTarget(ts: TokenStream, field: 'offset' | 'imm', context: string): { offset: number; target?: LabelReference } {
  const t = ts.peek();
  if (t.kind === TokenKind.WORD) {
    ts.next();
    return { offset: 0, target: { label: t.text, field, column: t.column } };
  }
  if (!ts.at('+') && !ts.at('-') && t.kind !== TokenKind.NUMBER) throw ts.error(`expected a jump displacement (+0x5, -3) or a label ${context}`);
  const { value, token } = readInteger(ts, `a jump displacement ${context}`);
  return { offset: field === 'offset' ? off16(value, ts, token, 'jump offset') : imm32(value, ts, token, 'jump offset') };
}

/** `(r1 + 0x4)` → base register and offset. */
function readMemory(ts: TokenStream, withParens: boolean): { base: number; offset: number } {
  if (withParens) ts.expect('(', 'before the address');
  const r = readReg(ts, 'as the base address');
  wantWidth(ts, r, false, 'as the base address');
  let offset = 0;
  if (ts.at('+') || ts.at('-')) {
    const negative = ts.next().text === '-';
    const t = ts.peek();
    if (t.kind !== TokenKind.NUMBER) throw ts.error('expected the address offset');
    ts.next();
    offset = off16(negative ? -t.value : t.value, ts, t, 'address offset');
  }
  if (withParens) ts.expect(')', 'after the address');
  return { base: r.n, offset };
}

/** `(u32 *)` → the size name. */
function readPointerCast(ts: TokenStream, names: Record<string, number>, context: string): { name: string; bits: number; token: Token } {
  ts.expect('(', context);
  const t = ts.peek();
  const bits = t.kind === TokenKind.WORD ? names[t.text] : undefined;
  if (bits === undefined) throw ts.error(`expected ${Object.keys(names).join(', ')} ${context}`);
  ts.next();
  ts.expect('*', 'after the type');
  ts.expect(')', 'after the pointer type');
  return { name: t.text, bits, token: t };
}

function parseStore(ts: TokenStream): ParsedInstruction {
  ts.expect('*', 'at the start of a store');
  const size = readPointerCast(ts, SIZE_BITS, 'in the store');
  const { base, offset } = readMemory(ts, true);
  ts.expect('=', 'after the address');
  const t = ts.peek();
  const r = t.kind === TokenKind.WORD ? llvmRegister(t.text) : undefined;
  if (r !== undefined) {
    ts.next();
    if (r.w && size.name === 'u64') throw ts.errorAt(`a 64-bit store takes an r register, found '${t.text}'`, t);
    ts.expectEnd('after the stored register');
    return parsed(0x63 | size.bits, base, r.n, offset, 0);
  }
  const { value, token } = readInteger(ts, 'a register or an immediate to store');
  ts.expectEnd('after the stored value');
  return parsed(0x62 | size.bits, base, 0, offset, imm32(value, ts, token));
}

function parseConditional(ts: TokenStream): ParsedInstruction {
  const a = readReg(ts, "after 'if'");
  const opTok = ts.peek();
  const op = opTok.kind === TokenKind.PUNCT ? JUMP_OPS[opTok.text] : undefined;
  if (op === undefined) throw ts.error('expected a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)');
  ts.next();
  const cls = a.w ? 0x06 : 0x05;
  let src = 0;
  let imm = 0;
  let x = 0;
  const t = ts.peek();
  const r = t.kind === TokenKind.WORD ? llvmRegister(t.text) : undefined;
  if (r !== undefined) {
    const b = readReg(ts, 'after the comparison');
    sameWidth(ts, a, b);
    src = b.n;
    x = 0x08;
  } else {
    const v = readInteger(ts, 'a register or an immediate after the comparison');
    imm = imm32(v.value, ts, v.token);
  }
  ts.expect('goto', 'after the comparison');
  const { offset, target } = readTarget(ts, 'offset', "after 'goto'");
  ts.expectEnd('after the jump target');
  return parsed(cls | op | x, a.n, src, offset, imm, target === undefined ? {} : { target });
}

function parseLock(ts: TokenStream): ParsedInstruction {
  ts.expect('*', "after 'lock'");
  const size = readPointerCast(ts, SIZE_BITS, "after 'lock *'");
  if (size.name !== 'u32' && size.name !== 'u64') throw ts.errorAt(`atomic operations work on u32 or u64, found '${size.name}'`, size.token);
  const { base, offset } = readMemory(ts, true);
  const opTok = ts.peek();
  const op = opTok.kind === TokenKind.PUNCT ? ATOMIC_OPS[opTok.text] : undefined;
  if (op === undefined) throw ts.error('expected +=, |=, &= or ^= after the address');
  ts.next();
  const r = readReg(ts, 'after the operator');
  if (r.w && size.name === 'u64') throw ts.errorAt(`a 64-bit atomic takes an r register, found '${r.token.text}'`, r.token);
  ts.expectEnd('after the register');
  return parsed(size.name === 'u64' ? 0xdb : 0xc3, base, r.n, offset, op);
}

function parseAssignment(ts: TokenStream): ParsedInstruction {
  const d = readReg(ts, 'at the start of the line');
  const cls = d.w ? 0x04 : 0x07;
  const opTok = ts.peek();
  if (opTok.kind !== TokenKind.PUNCT) throw ts.error(`expected '=' or an operator like '+=' after '${d.token.text}'`);
  const alu = ALU_OPS[opTok.text];
  if (alu !== undefined) {
    ts.next();
    const t = ts.peek();
    const r = t.kind === TokenKind.WORD ? llvmRegister(t.text) : undefined;
    if (r !== undefined) {
      const s = readReg(ts, 'after the operator');
      sameWidth(ts, d, s);
      ts.expectEnd('after the source register');
      return parsed(cls | alu[0] | 0x08, d.n, s.n, alu[1], 0);
    }
    const v = readInteger(ts, 'a register or an immediate after the operator');
    ts.expectEnd('after the immediate');
    return parsed(cls | alu[0], d.n, 0, alu[1], imm32(v.value, ts, v.token));
  }
  if (opTok.text !== '=') throw ts.error(`expected '=' or an operator like '+=' after '${d.token.text}'`);
  ts.next();
  const t = ts.peek();

  // Loads: `r0 = *(u32 *)(r1 + 0x4)`, `r0 = *(s8 *)(...)`, `r0 = *(u8 *)skb[0x5]`.
  if (t.kind === TokenKind.PUNCT && t.text === '*') {
    ts.next();
    const names = { ...SIZE_BITS, ...SX_BITS };
    const size = readPointerCast(ts, names, 'in the load');
    if (ts.at('skb')) {
      ts.next();
      if (d.n !== 0 || d.w) throw ts.errorAt(`a packet load writes r0, found '${d.token.text}'`, d.token);
      if (size.name === 'u64' || SX_BITS[size.name] !== undefined) throw ts.errorAt(`packet loads read u8, u16 or u32, found '${size.name}'`, size.token);
      ts.expect('[', "after 'skb'");
      const it = ts.peek();
      const r = it.kind === TokenKind.WORD ? llvmRegister(it.text) : undefined;
      let result: ParsedInstruction;
      if (r !== undefined) {
        const s = readReg(ts, "inside 'skb[]'");
        wantWidth(ts, s, false, "inside 'skb[]'");
        result = parsed(0x40 | size.bits, 0, s.n, 0, 0);
      } else {
        const v = readInteger(ts, "a register or an offset inside 'skb[]'");
        result = parsed(0x20 | size.bits, 0, 0, 0, imm32(v.value, ts, v.token));
      }
      ts.expect(']', "after the packet offset");
      ts.expectEnd('after the packet load');
      return result;
    }
    const { base, offset } = readMemory(ts, true);
    ts.expectEnd('after the address');
    const sx = SX_BITS[size.name];
    if (sx !== undefined) {
      wantWidth(ts, d, false, 'for a sign-extending load');
      return parsed(0x81 | sx, d.n, base, offset, 0);
    }
    if (d.w && size.name === 'u64') throw ts.errorAt(`a 64-bit load writes an r register, found '${d.token.text}'`, d.token);
    return parsed(0x61 | size.bits, d.n, base, offset, 0);
  }

  // `r0 = -r0` (neg), `r0 = -0x1`, `r0 = 0x5`, `r1 = 0x0 ll`.
  if ((t.kind === TokenKind.PUNCT && (t.text === '-' || t.text === '+')) || t.kind === TokenKind.NUMBER) {
    if (t.text === '-' && ts.peek(1).kind === TokenKind.WORD) {
      ts.next();
      const s = readReg(ts, "after '-'");
      if (s.n !== d.n || s.w !== d.w) throw ts.errorAt(`negation works in place: expected '${d.token.text}', found '${s.token.text}'`, s.token);
      ts.expectEnd('after the register');
      return parsed(cls | 0x80, d.n, 0, 0, 0);
    }
    const v = readInteger(ts, 'a value');
    if (ts.accept('ll')) {
      wantWidth(ts, d, false, "for a 64-bit immediate load ('ll')");
      ts.expectEnd("after 'll'");
      const value = imm64(v.value, ts, v.token);
      return parsed(0x18, d.n, 0, 0, Number(BigInt.asIntN(32, value)), { imm64: value });
    }
    ts.expectEnd('after the immediate');
    return parsed(cls | 0xb0, d.n, 0, 0, imm32(v.value, ts, v.token));
  }

  // `r0 = (s8)r1`: sign-extending move.
  if (t.kind === TokenKind.PUNCT && t.text === '(') {
    ts.next();
    const c = ts.peek();
    const bits = c.kind === TokenKind.WORD ? ({ s8: 8, s16: 16, s32: 32 } as Record<string, number>)[c.text] : undefined;
    if (bits === undefined) throw ts.error("expected s8, s16 or s32 in the cast");
    ts.next();
    ts.expect(')', 'after the cast');
    const s = readReg(ts, 'after the cast');
    sameWidth(ts, d, s);
    if (bits === 32 && d.w) throw ts.errorAt('(s32) needs 64-bit registers', c);
    ts.expectEnd('after the source register');
    return parsed(cls | 0xb8, d.n, s.n, bits, 0);
  }

  if (t.kind !== TokenKind.WORD) throw ts.error('expected a value, a register or an expression');
  const r = llvmRegister(t.text);
  if (r !== undefined) {
    const s = readReg(ts, "after '='");
    sameWidth(ts, d, s);
    ts.expectEnd('after the source register');
    return parsed(cls | 0xb8, d.n, s.n, 0, 0);
  }
  ts.next();
  const end = END_OPS[t.text];
  if (end !== undefined) {
    const s = readReg(ts, `after '${t.text}'`);
    if (s.n !== d.n) throw ts.errorAt(`a byte swap works in place: expected '${d.token.text}', found '${s.token.text}'`, s.token);
    ts.expectEnd('after the register');
    return parsed(end[0], d.n, 0, 0, end[1]);
  }
  const fetch = FETCH_OPS[t.text];
  if (fetch !== undefined) {
    ts.expect('(', `after '${t.text}'`);
    const size = readPointerCast(ts, SIZE_BITS, 'in the atomic address');
    if (size.name !== 'u32' && size.name !== 'u64') throw ts.errorAt(`atomic operations work on u32 or u64, found '${size.name}'`, size.token);
    const { base, offset } = readMemory(ts, true);
    ts.expect(',', 'after the address');
    const s = readReg(ts, 'as the operand');
    if (s.n !== d.n) throw ts.errorAt(`the fetched value goes to the operand register: expected '${d.token.text}', found '${s.token.text}'`, s.token);
    ts.expect(')', 'after the operand');
    ts.expectEnd('after the atomic operation');
    return parsed(size.name === 'u64' ? 0xdb : 0xc3, base, d.n, offset, fetch);
  }
  if (t.text === 'xchg_64' || t.text === 'xchg32_32') {
    const wide = t.text === 'xchg_64';
    ts.expect('(', `after '${t.text}'`);
    const { base, offset } = readMemory(ts, false);
    ts.expect(',', 'after the address');
    const s = readReg(ts, 'as the operand');
    if (s.n !== d.n) throw ts.errorAt(`the exchanged value goes to the operand register: expected '${d.token.text}', found '${s.token.text}'`, s.token);
    ts.expect(')', 'after the operand');
    ts.expectEnd('after the exchange');
    return parsed(wide ? 0xdb : 0xc3, base, d.n, offset, 0xe1);
  }
  if (t.text === 'cmpxchg_64' || t.text === 'cmpxchg32_32') {
    const wide = t.text === 'cmpxchg_64';
    if (d.n !== 0) throw ts.errorAt(`compare-and-exchange writes ${wide ? 'r0' : 'w0'}, found '${d.token.text}'`, d.token);
    ts.expect('(', `after '${t.text}'`);
    const { base, offset } = readMemory(ts, false);
    ts.expect(',', 'after the address');
    const z = readReg(ts, 'as the expected value');
    if (z.n !== 0) throw ts.errorAt(`the expected value is in ${wide ? 'r0' : 'w0'}, found '${z.token.text}'`, z.token);
    ts.expect(',', 'after the expected value');
    const s = readReg(ts, 'as the new value');
    ts.expect(')', 'after the new value');
    ts.expectEnd('after the compare-and-exchange');
    return parsed(wide ? 0xdb : 0xc3, base, s.n, offset, 0xf1);
  }
  if (t.text === 'addr_space_cast') {
    ts.expect('(', "after 'addr_space_cast'");
    const s = readReg(ts, 'as the source');
    ts.expect(',', 'after the source');
    const to = readInteger(ts, 'the destination address space');
    ts.expect(',', 'after the destination address space');
    const from = readInteger(ts, 'the source address space');
    ts.expect(')', 'after the address spaces');
    ts.expectEnd('after the cast');
    if (to.value < 0n || to.value > 0xffffn) throw ts.errorAt(`address space ${to.value} does not fit in 16 bits`, to.token);
    if (from.value < 0n || from.value > 0xffffn) throw ts.errorAt(`address space ${from.value} does not fit in 16 bits`, from.token);
    return parsed(0xbf, d.n, s.n, 1, Number(BigInt.asIntN(32, (to.value << 16n) | from.value)));
  }
  if (ts.at('ll')) throw ts.errorAt(`'${t.text} ll' needs a relocation for symbol '${t.text}'; write the value as a number`, t);
  throw ts.errorAt(`expected a register, a number or an operation after '=', found '${t.text}'`, t);
}

/**
 * What a dialect parser returns for one instruction line, before labels are resolved; and the number checks both
 * dialects share.
 *
 * Author: Claude.
 *
 * @module
 */

import type { AsmSyntaxError } from '../internal/errors.ts';
import { type Token, TokenKind, type TokenStream } from './_scanner.ts';

/** One parsed instruction; `target` names a label still to be resolved into `offset` or `imm`. */
export interface ParsedInstruction {
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  readonly offset: number;
  readonly imm: number;
  readonly imm64?: bigint;
  readonly target?: LabelReference;
  /** For a raw slot (`.quad`): the 64-bit word as written. */
  readonly raw?: bigint;
}

/** A reference to a label: the field to fill with `label - (slot + 1)`. */
export interface LabelReference {
  readonly label: string;
  readonly field: 'offset' | 'imm';
  readonly column: number;
}

/** Builds a ParsedInstruction, leaving out what is undefined (exactOptionalPropertyTypes). */
export function parsed(opcode: number, dst: number, src: number, offset: number, imm: number, extra: { imm64?: bigint; target?: LabelReference } = {}): ParsedInstruction {
  const p: { -readonly [K in keyof ParsedInstruction]: ParsedInstruction[K] } = { opcode, dst, src, offset, imm };
  if (extra.imm64 !== undefined) p.imm64 = extra.imm64;
  if (extra.target !== undefined) p.target = extra.target;
  return p;
}

/** Reads an optionally signed integer literal; returns the value and the token of its first character. */
export function readInteger(ts: TokenStream, what: string): { value: bigint; token: Token } {
  const first = ts.peek();
  let negative = false;
  if (ts.at('-')) {
    ts.next();
    negative = true;
  } else if (ts.at('+')) {
    ts.next();
  }
  const t = ts.peek();
  if (t.kind !== TokenKind.NUMBER) throw ts.error(`expected ${what}`);
  ts.next();
  return { value: negative ? -t.value : t.value, token: first };
}

/** Checks a value fits a 32-bit immediate (signed, or unsigned up to 0xffffffff) and returns it as s32. */
export function imm32(value: bigint, ts: TokenStream, token: Token, what = 'immediate'): number {
  if (value < -(1n << 31n) || value > 0xffffffffn) {
    throw rangeError(ts, token, `${what} ${value} does not fit in 32 bits (expected -2147483648 to 4294967295)`);
  }
  return Number(BigInt.asIntN(32, value));
}

/** Checks a value fits a signed 16-bit offset. */
export function off16(value: bigint, ts: TokenStream, token: Token, what = 'offset'): number {
  if (value < -0x8000n || value > 0x7fffn) throw rangeError(ts, token, `${what} ${value} does not fit in 16 bits (expected -32768 to 32767)`);
  return Number(value);
}

/** Checks a value fits 64 bits (signed, or unsigned) and returns it signed. */
export function imm64(value: bigint, ts: TokenStream, token: Token): bigint {
  if (value < -(1n << 63n) || value >= 1n << 64n) throw rangeError(ts, token, `64-bit immediate ${value} does not fit in 64 bits`);
  return BigInt.asIntN(64, value);
}

function rangeError(ts: TokenStream, token: Token, detail: string): AsmSyntaxError {
  return ts.errorAt(detail, token);
}

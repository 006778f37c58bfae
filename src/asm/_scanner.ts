/**
 * The tokenizer both assembler dialects share: one line in, tokens with their columns out. Hand-written (no regular
 * expressions), so that assembling a large listing stays linear and cheap.
 *
 * Author: Claude.
 *
 * @module
 */

import { AsmSyntaxError, type Location } from '../internal/errors.ts';

/** The kinds of token. */
export const TokenKind = {
  /** End of the line (after comments are cut). */
  END: 0,
  /** A word: mnemonic, register (`r1`, `w1`, `%r1`), label, size name (`u32`). */
  WORD: 1,
  /** An unsigned integer literal (decimal or `0x` hex); a sign is a separate PUNCT token. */
  NUMBER: 2,
  /** An operator or punctuation: `=`, `+=`, `s>>=`, `(`, `[`, `,`, ... */
  PUNCT: 3,
} as const;
type TokenKindValue = (typeof TokenKind)[keyof typeof TokenKind];

/** One token. */
export interface Token {
  readonly kind: TokenKindValue;
  readonly text: string;
  /** 1-based column of the first character. */
  readonly column: number;
  /** NUMBER only: the value. */
  readonly value: bigint;
}

// Longest first, so that `<<=` wins over `<`.
const PUNCTS = ['s>>=', '<<=', '>>=', 's/=', 's%=', 's>=', 's<=', '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', 's>', 's<', '=', '>', '<', '&', '(', ')', '*', '+', '-', ',', '[', ']', ':', '|', '^', '/', '%'];

function isWordStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x24;
}
function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 0x30 && c <= 0x39);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Splits one line (comments already removed) into tokens; the last token is END. */
export function scanLine(text: string, where: Location): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    const column = i + 1;
    // `s>`, `s/=`, ... are operators, not the word `s` followed by one.
    if (c === 0x73 /* s */ && i + 1 < n) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x3e || next === 0x3c || next === 0x2f || next === 0x25) {
        const p = matchPunct(text, i);
        if (p !== undefined) {
          tokens.push({ kind: TokenKind.PUNCT, text: p, column, value: 0n });
          i += p.length;
          continue;
        }
      }
    }
    if (isWordStart(c) || (c === 0x25 /* % */ && i + 1 < n && isWordStart(text.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      tokens.push({ kind: TokenKind.WORD, text: text.slice(i, j), column, value: 0n });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      let value: bigint;
      if (c === 0x30 && i + 1 < n && (text.charCodeAt(i + 1) | 0x20) === 0x78 /* x */) {
        j = i + 2;
        while (j < n && isHexDigit(text.charCodeAt(j))) j++;
        if (j === i + 2) throw new AsmSyntaxError(`expected hex digits after '0x'`, { ...where, column });
        value = BigInt(text.slice(i, j));
      } else {
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        value = BigInt(text.slice(i, j));
      }
      if (j < n && isWordChar(text.charCodeAt(j))) {
        throw new AsmSyntaxError(`malformed number '${text.slice(i, j + 1)}'`, { ...where, column });
      }
      tokens.push({ kind: TokenKind.NUMBER, text: text.slice(i, j), column, value });
      i = j;
      continue;
    }
    const p = matchPunct(text, i);
    if (p === undefined) throw new AsmSyntaxError(`unexpected character '${text[i]}'`, { ...where, column });
    tokens.push({ kind: TokenKind.PUNCT, text: p, column, value: 0n });
    i += p.length;
  }
  tokens.push({ kind: TokenKind.END, text: '', column: n + 1, value: 0n });
  return tokens;
}

function matchPunct(text: string, i: number): string | undefined {
  for (const p of PUNCTS) if (text.startsWith(p, i)) return p;
  return undefined;
}

/** A cursor over a line's tokens, with the expect-style helpers both parsers use. */
export class TokenStream {
  readonly tokens: readonly Token[];
  readonly where: Location;
  private pos = 0;

  constructor(tokens: readonly Token[], where: Location) {
    this.tokens = tokens;
    this.where = where;
  }

  /** The current token. */
  peek(ahead = 0): Token {
    return (this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)] as Token);
  }

  /** Consumes and returns the current token. */
  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  /** Whether the current token is the punctuation or word `text`. */
  at(text: string): boolean {
    const t = this.peek();
    return t.kind !== TokenKind.END && t.kind !== TokenKind.NUMBER && t.text === text;
  }

  /** Consumes `text` if it is next; says whether it did. */
  accept(text: string): boolean {
    if (!this.at(text)) return false;
    this.next();
    return true;
  }

  /** Consumes `text` or throws "expected `text`". */
  expect(text: string, context: string): Token {
    if (!this.at(text)) throw this.error(`expected '${text}' ${context}`);
    return this.next();
  }

  /** Throws unless the line is finished. */
  expectEnd(context: string): void {
    const t = this.peek();
    if (t.kind !== TokenKind.END) throw this.error(`expected the end of the line ${context}`);
  }

  /** An AsmSyntaxError at `token` with exactly `detail` as its message. */
  errorAt(detail: string, token: Token): AsmSyntaxError {
    return new AsmSyntaxError(detail, { ...this.where, column: token.column });
  }

  /** An AsmSyntaxError at the current token: "<detail>, found '<token>'". */
  error(detail: string, token: Token = this.peek()): AsmSyntaxError {
    const found = token.kind === TokenKind.END ? 'the end of the line' : `'${token.text}'`;
    return new AsmSyntaxError(`${detail}, found ${found}`, { ...this.where, column: token.column });
  }
}

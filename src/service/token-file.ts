/**
 * Bearer tokens of the service (`bpfship serve --token-file FILE`, `--read-token-file FILE`): one token per line,
 * after a name that the request log and the published build record (`publishedBy`) carry instead of the token:
 *
 * ```text
 * # NAME   TOKEN
 * ci       4f2b7c1e9a0d4e6f8b3a5c7d9e1f2a4b
 * alice    cdd0b9a4e0ba4c1f9fd3d2f6c2b1e8a7
 * ```
 *
 * Blank lines and lines starting with `#` are ignored. A token is at least 20 printable characters without spaces
 * (`openssl rand -hex 16` makes one); names are letters, digits, `.`, `_`, `@`, `-`. Only the tokens' SHA-256 are
 * kept in memory, compared in constant time.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The shortest token accepted. */
export const MIN_TOKEN_LENGTH = 20;

/** One token of a file: its name and the SHA-256 of the token. */
export interface TokenEntry {
  readonly name: string;
  readonly sha256: Buffer;
}

/** A token file that is not as the module comment says. */
export class TokenFileError extends Error {
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'TokenFileError';
  }
}

/**
 * Parses a token file (see the module comment).
 *
 * @throws {TokenFileError} naming the file and line of the first fault (a token is never in the message).
 */
export function parseTokenFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new TokenFileError(file, i + 1, `expected 'NAME TOKEN' (two fields separated by spaces), got ${fields.length} field${fields.length === 1 ? '' : 's'}`);
    const [name, token] = fields as [string, string];
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new TokenFileError(file, i + 1, `expected a name of at most 64 letters, digits, '.', '_', '@' or '-', got '${name.slice(0, 80)}'`);
    if (names.has(name)) throw new TokenFileError(file, i + 1, `the name '${name}' is given twice`);
    if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      throw new TokenFileError(file, i + 1, `the token of '${name}' should be at least ${MIN_TOKEN_LENGTH} printable characters (e.g. openssl rand -hex 16)`);
    }
    names.add(name);
    entries.push({ name, sha256: tokenHash(token) });
  });
  return entries;
}

/** The SHA-256 of a token. */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The name of the entry whose token this is, or undefined (every entry compared, in constant time). */
export function findToken(entries: readonly TokenEntry[], token: string): string | undefined {
  const presented = tokenHash(token);
  let found: string | undefined;
  for (const e of entries) if (timingSafeEqual(e.sha256, presented) && found === undefined) found = e.name;
  return found;
}

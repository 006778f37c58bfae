/**
 * Byte encodings the sign layer reads and writes: SHA-256 digests, strict base64 and PEM.
 *
 * Strictness is the point. Node's `Buffer.from(s, 'base64')` skips characters it does not know and ignores the
 * unused bits of the last character, so `QQ==` and `QR==` decode alike: a flipped byte in a signature file could go
 * unnoticed. Here a base64 text is accepted only when it is the canonical encoding of what it decodes to.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Location } from '../internal/errors.ts';
import { SignError, type SignErrorCode } from './errors.ts';

/** The SHA-256 of `bytes` as 64 lowercase hex digits, the form in-toto digest sets use. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when `text` is 64 lowercase hex digits (a SHA-256 as this layer writes it). */
export function isSha256Hex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** Encodes bytes as standard base64 with padding (RFC 4648 section 4), as DSSE does. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes standard, padded base64, refusing anything that is not the canonical encoding of its result (stray
 * characters, missing padding, non-zero unused bits). `what` names the field in the error.
 */
export function decodeBase64Strict(text: string, what: string, code: SignErrorCode, where: Location = {}): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SignError(code, `${what} is not base64 (expected characters A-Z a-z 0-9 + / and '=' padding, length a multiple of 4; got ${text.length} characters)`, where);
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) {
    throw new SignError(code, `${what} is not canonical base64 (its unused bits or padding differ from the encoding of the bytes it decodes to)`, where);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One block of a PEM text: its label (`CERTIFICATE`) and its decoded bytes. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** How `decodePem` reads a text. */
export interface DecodePemOptions {
  /** When true, nothing but PEM blocks and line ends may appear (signature files); else text between blocks is skipped, as openssl does. */
  readonly strict: boolean;
  /** The code of the error thrown on a fault. */
  readonly code: SignErrorCode;
  /** Where the text came from, for errors. */
  readonly where?: Location;
}

/**
 * Decodes every `-----BEGIN X-----` ... `-----END X-----` block of a PEM text (RFC 7468). Line ends may be LF or
 * CRLF; inside a block only base64 lines are allowed (no RFC 1421 headers), and their concatenation must be canonical.
 *
 * @example
 * ```ts
 * const [cert] = decodePem(pemText, { strict: false, code: 'CERT_MALFORMED' });
 * ```
 */
export function decodePem(text: string, options: DecodePemOptions): PemBlock[] {
  const where = options.where ?? {};
  const fail = (detail: string, line: number): SignError => new SignError(options.code, detail, { ...where, line });
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(line);
    if (begin === null) {
      if (line.startsWith('-----')) throw fail(`expected '-----BEGIN <label>-----', found '${clip(line)}'`, i + 1);
      if (options.strict && line !== '') throw fail(`expected a PEM block, found '${clip(line)}'`, i + 1);
      i++;
      continue;
    }
    const label = begin[1] as string;
    const start = i + 1;
    let body = '';
    i++;
    for (;;) {
      if (i >= lines.length) throw fail(`the PEM block '${label}' begun on line ${start} has no '-----END ${label}-----' line`, i);
      const l = lines[i] as string;
      if (l.startsWith('-----END ')) {
        if (l !== `-----END ${label}-----`) throw fail(`expected '-----END ${label}-----', found '${clip(l)}'`, i + 1);
        break;
      }
      if (l.startsWith('-----')) throw fail(`the PEM block '${label}' begun on line ${start} has no '-----END ${label}-----' line before '${clip(l)}'`, i + 1);
      if (!/^[A-Za-z0-9+/=]+$/.test(l)) throw fail(`line of the PEM block '${label}' holds characters other than base64: '${clip(l)}'`, i + 1);
      body += l;
      i++;
    }
    const der = decodeBase64Strict(body, `the PEM block '${label}' begun on line ${start}`, options.code, { ...where, line: start });
    if (der.length === 0) throw fail(`the PEM block '${label}' is empty`, start);
    blocks.push({ label, der });
    i++;
  }
  return blocks;
}

/** Encodes DER bytes as a PEM block with 64-character lines and a final newline (what openssl writes). */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = encodeBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Shortens a line quoted in an error. */
function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 60 ? printable.slice(0, 57) + '...' : printable;
}

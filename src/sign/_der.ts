/**
 * Just enough DER (X.690) to read an extendedKeyUsage extension: a SEQUENCE OF OBJECT IDENTIFIER.
 *
 * Why our own: @peculiar/asn1 decodes object identifiers with arcs past 2^53 into a non-decimal form, and our own
 * EKU lives under a 128-bit UUID arc (see oids.ts). Arcs are decoded as BigInt here, so any OID reads exactly.
 *
 * Author: Claude.
 *
 * @module
 */

/** Thrown by the reader; the caller turns it into a SignError naming the certificate. */
export class DerError extends Error {
  constructor(detail: string, offset: number) {
    super(`${detail} (at byte ${offset} of the extension value)`);
    this.name = 'DerError';
  }
}

const TAG_SEQUENCE = 0x30;
const TAG_OID = 0x06;

/** Reads a tag and a definite, minimally encoded length at `offset`; returns where the content lies. */
function readHeader(bytes: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  if (offset + 2 > bytes.length) throw new DerError('expected a tag and a length, found the end of the value', offset);
  const tag = bytes[offset] as number;
  const first = bytes[offset + 1] as number;
  let length: number;
  let start: number;
  if (first < 0x80) {
    length = first;
    start = offset + 2;
  } else {
    // 1. Long form: the low 7 bits give the number of length octets (0x80 alone is BER's indefinite length).
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError(`length of ${count} octets is not allowed in DER here`, offset + 1);
    if (offset + 2 + count > bytes.length) throw new DerError('length octets run past the end of the value', offset + 1);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    // 2. DER wants the shortest form: no leading zero octet, and the long form only for lengths of 128 or more.
    if (bytes[offset + 2] === 0 || length < 0x80) throw new DerError('length is not minimally encoded', offset + 1);
    start = offset + 2 + count;
  }
  const end = start + length;
  if (end > bytes.length) throw new DerError(`content of ${length} bytes runs past the end of the value (${bytes.length} bytes)`, offset);
  return { tag, start, end };
}

/** Decodes the content octets of an OBJECT IDENTIFIER into dotted-decimal text. */
export function decodeObjectIdentifier(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) throw new DerError('an object identifier has no content', start);
  const arcs: bigint[] = [];
  let value = 0n;
  let fresh = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    // A subidentifier may not start with 0x80: that would be a non-minimal encoding (X.690 8.19.2).
    if (fresh && b === 0x80) throw new DerError('an object identifier arc has a leading 0x80 octet', i);
    value = (value << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (!fresh) throw new DerError('the last arc of an object identifier is cut short', end - 1);
  // The first subidentifier packs the first two arcs as 40 * X + Y (X.690 8.19.4).
  const head = arcs[0] as bigint;
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join('.');
}

/** Decodes an extendedKeyUsage extension value (`SEQUENCE SIZE (1..MAX) OF KeyPurposeId`) into OID strings. */
export function decodeExtendedKeyUsage(value: Uint8Array): string[] {
  const outer = readHeader(value, 0);
  if (outer.tag !== TAG_SEQUENCE) throw new DerError(`expected a SEQUENCE (tag 0x30), found tag 0x${outer.tag.toString(16)}`, 0);
  if (outer.end !== value.length) throw new DerError(`${value.length - outer.end} bytes follow the SEQUENCE`, outer.end);
  const oids: string[] = [];
  let at = outer.start;
  while (at < outer.end) {
    const item = readHeader(value, at);
    if (item.tag !== TAG_OID) throw new DerError(`expected an OBJECT IDENTIFIER (tag 0x06), found tag 0x${item.tag.toString(16)}`, at);
    if (item.end > outer.end) throw new DerError('an object identifier runs past its SEQUENCE', at);
    oids.push(decodeObjectIdentifier(value, item.start, item.end));
    at = item.end;
  }
  if (oids.length === 0) throw new DerError('the SEQUENCE of key purposes is empty (RFC 5280 requires at least one)', 0);
  return oids;
}

/**
 * The revocation list the production policy consults: certificate serial numbers and image digests that must no
 * longer be trusted, whatever their signatures say. It is a local file the administrator maintains (no CRL or OCSP
 * fetch: verification is offline).
 *
 * ```json
 * {
 *   "revokedSerials": ["3a7f09c2d1e4b5a6978812ab34cd56ef"],
 *   "revokedImageDigests": ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
 * }
 * ```
 *
 * Serials are hex (any case, colons allowed, as `openssl x509 -serial` or a browser prints them) and match a
 * certificate anywhere in the path (signer, intermediate or root). Digests are `sha256:<hex>` or bare hex. Both
 * fields are optional; nothing else is allowed.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Location } from '../internal/errors.ts';
import { normalizeSerial } from './certificate.ts';
import { SignError } from './errors.ts';

/** A parsed revocation list: normalised serials, and image SHA-256s as lowercase hex. */
export interface RevocationList {
  readonly serials: ReadonlySet<string>;
  readonly imageDigests: ReadonlySet<string>;
}

/** An empty list. */
export const NO_REVOCATIONS: RevocationList = { serials: new Set(), imageDigests: new Set() };

/** Builds a list from arrays (serials in any of the accepted forms; digests with or without `sha256:`). */
export function revocationList(input: { readonly serials?: readonly string[]; readonly imageDigests?: readonly string[] }, where: Location = {}): RevocationList {
  const serials = (input.serials ?? []).map((s, i) => {
    if (!/^[0-9a-fA-F]+(:[0-9a-fA-F]+)*$/.test(s)) throw new SignError('REVOCATION_LIST_INVALID', `revokedSerials[${i}] '${s.slice(0, 80)}' is not a hex serial number`, where);
    return normalizeSerial(s);
  });
  const digests = (input.imageDigests ?? []).map((d, i) => {
    const hex = (d.startsWith('sha256:') ? d.slice(7) : d).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new SignError('REVOCATION_LIST_INVALID', `revokedImageDigests[${i}] '${d.slice(0, 80)}' is not a SHA-256 ('sha256:' and 64 hex digits)`, where);
    return hex;
  });
  return { serials: new Set(serials), imageDigests: new Set(digests) };
}

/**
 * Parses the JSON revocation list (see the module comment). Throws REVOCATION_LIST_INVALID naming the fault.
 *
 * @example
 * ```ts
 * const revocations = parseRevocationList(readFileSync('/etc/bpfship/revoked.json', 'utf8'), { file: 'revoked.json' });
 * ```
 */
export function parseRevocationList(text: string, where: Location = {}): RevocationList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SignError('REVOCATION_LIST_INVALID', `the revocation list is not JSON: ${(e as Error).message}`, where);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SignError('REVOCATION_LIST_INVALID', 'the revocation list should be a JSON object', where);
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (k !== 'revokedSerials' && k !== 'revokedImageDigests') throw new SignError('REVOCATION_LIST_INVALID', `the revocation list has the unexpected field '${k}' (expected 'revokedSerials', 'revokedImageDigests')`, where);
  }
  const strings = (field: string): string[] => {
    const v = obj[field];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new SignError('REVOCATION_LIST_INVALID', `${field} should be an array of strings`, where);
    return v as string[];
  };
  return revocationList({ serials: strings('revokedSerials'), imageDigests: strings('revokedImageDigests') }, where);
}

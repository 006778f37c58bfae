/**
 * Content digests as the store and its API write them: `sha256:<64 lowercase hex>`, the OCI convention, so that a
 * digest says which hash it is and an OCI registry can hold the same blobs later.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { StoreError } from './errors.ts';

/** The only algorithm the store uses. */
export const DIGEST_ALGORITHM = 'sha256';

const DIGEST = /^sha256:([0-9a-f]{64})$/;
const HEX = /^[0-9a-f]{64}$/;

/**
 * The digest of some bytes.
 *
 * @example
 * ```ts
 * digestOf(new TextEncoder().encode('abc')); // 'sha256:ba7816bf...'
 * ```
 */
export function digestOf(bytes: Uint8Array | string): string {
  return `${DIGEST_ALGORITHM}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Whether `text` is a digest in the store's form. */
export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

/**
 * The hex part of a digest given as `sha256:<hex>` or as the bare hex (what blob URLs carry), or undefined when it
 * is neither (upper-case hex is refused: one digest, one spelling).
 */
export function digestHex(text: string): string | undefined {
  if (HEX.test(text)) return text;
  return DIGEST.exec(text)?.[1];
}

/** The hex part of a digest; throws DIGEST_INVALID naming what was given. */
export function requireDigestHex(text: string): string {
  const hex = digestHex(text);
  if (hex === undefined) throw new StoreError('DIGEST_INVALID', `expected a digest 'sha256:' followed by 64 lowercase hex digits, got '${text.slice(0, 80)}'`);
  return hex;
}

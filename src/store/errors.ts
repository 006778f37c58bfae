/**
 * The store's error: a stored artifact or record that is not what it should be, or a store that cannot be used.
 * Callers are expected to catch it: the service answers a corrupt blob with a 500 naming the digest instead of
 * serving wrong bytes.
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError, type Location } from '../internal/errors.ts';

/** What went wrong, as a stable machine-readable code. */
export const StoreErrorCode = {
  /** A blob's bytes on disk no longer hash to its digest (damaged disk, edited file): never served. */
  BLOB_CORRUPT: 'BLOB_CORRUPT',
  /** The index names a blob whose file is gone. */
  BLOB_MISSING: 'BLOB_MISSING',
  /** A digest that is not `sha256:` and 64 lowercase hex digits. */
  DIGEST_INVALID: 'DIGEST_INVALID',
  /** An image name outside the allowed alphabet or length. */
  NAME_INVALID: 'NAME_INVALID',
  /** A build names a blob the store does not hold. */
  BUILD_INCOMPLETE: 'BUILD_INCOMPLETE',
  /** A build record (`OUT.so.build.json`) that does not parse. */
  BUILD_RECORD_INVALID: 'BUILD_RECORD_INVALID',
  /** The store's directory or index cannot be opened or written, or was made by a newer bpfship. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
} as const;

/** A {@link StoreErrorCode} value. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** A fault of the store or of what it holds; `code` says which. */
export class StoreError extends BpfshipError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super(code, detail, where, options);
    this.name = 'StoreError';
  }
}

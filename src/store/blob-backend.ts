/**
 * Where a store keeps the bytes of its blobs: a directory on this machine (blob-directory.ts) or an OCI registry
 * (oci-blob-backend.ts). A backend only holds bytes by digest; what a blob is (its media type, size, which builds
 * need it) is the index's business (index-backend.ts). Every read is hashed again before it is returned, whatever
 * the backend: a damaged blob is an error, never wrong bytes.
 *
 * Author: Claude.
 *
 * @module
 */
import type { BlobDescriptor, StoredBuild } from './store.ts';

/** The bytes of the blobs (see the module comment). */
export interface BlobBackend {
  /** `directory` or `oci`. */
  readonly kind: string;
  /** Where, for messages and the health check: a directory, or `oci://HOST:PORT/REPOSITORY` (never a credential). */
  readonly location: string;
  /** Stores the bytes unless an intact copy is there (a damaged copy is replaced). */
  put(bytes: Uint8Array): Promise<{ readonly digest: string; readonly size: number }>;
  /**
   * The bytes of a blob, checked against its digest; undefined when the backend does not hold it.
   *
   * @throws {StoreError} BLOB_CORRUPT when the bytes hash to something else; STORE_UNAVAILABLE when the backend
   *   cannot be read.
   */
  get(digest: string): Promise<Uint8Array | undefined>;
  /** Whether the backend holds the blob (without reading or checking it). */
  exists(digest: string): Promise<boolean>;
  /** Throws StoreError STORE_UNAVAILABLE when the backend cannot be reached or written. */
  ping(): Promise<void>;
  /**
   * Called while a build is being published, after its version is assigned and before the index commits it: a
   * registry writes its manifests and tags here. A throw aborts the publish (nothing is committed).
   */
  announce?(build: StoredBuild, blobs: readonly BlobDescriptor[]): Promise<void>;
  /**
   * Why this backend cannot publish under `name`, or undefined (a registry's tags are shorter than image names
   * may be).
   */
  nameProblem?(name: string): string | undefined;
  close(): Promise<void>;
}

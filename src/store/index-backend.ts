/**
 * Where a store keeps its index: which blobs exist (digest, media type, size), the builds published under each
 * image name with their versions, each name's latest version, and the builds refused by verification. SQLite in a
 * directory (sqlite-index.ts, the embedded store's) or PostgreSQL (postgres-index.ts, shared by several service
 * instances).
 *
 * Versions of a name are assigned inside the publishing transaction, under a lock on the name, so that concurrent
 * publishers (several processes included) get consecutive versions with no gap and no duplicate; the index's
 * `UNIQUE (name, version)` backs that up.
 *
 * Author: Claude.
 *
 * @module
 */
import type { BlobDescriptor, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, StoredBuild } from './store.ts';

/** Runs inside the publishing transaction once the version is known; a throw rolls the publish back. */
export type BeforeCommit = (build: StoredBuild) => Promise<void>;

/** The index (see the module comment). */
export interface IndexBackend {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** Where, for messages and the health check (a file, or `postgres://HOST:PORT/DB` without its password). */
  readonly location: string;
  /** Records a blob (a second record of the same digest keeps the first media type). */
  addBlob(blob: BlobDescriptor, now: string): Promise<void>;
  /** A blob's record, or undefined. */
  blob(digest: string): Promise<BlobDescriptor | undefined>;
  /** Every blob record, by digest. */
  blobs(): Promise<BlobDescriptor[]>;
  /**
   * Publishes a build with the next version of its name and makes it the latest, in one transaction; `beforeCommit`
   * runs inside it. Throws StoreError BUILD_INCOMPLETE when a digest names no recorded blob.
   */
  publish(build: NewBuild, beforeCommit?: BeforeCommit): Promise<StoredBuild>;
  latest(name: string): Promise<StoredBuild | undefined>;
  build(name: string, version: number): Promise<StoredBuild | undefined>;
  /** Every build, by name and version (for `bpfship store check`). */
  builds(): Promise<StoredBuild[]>;
  images(): Promise<ImageSummary[]>;
  addFailure(failure: NewFailedBuild): Promise<FailedBuild>;
  /** The refused builds of a name, newest first. */
  failures(name: string, limit: number): Promise<FailedBuild[]>;
  /** Throws when the index cannot be read. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

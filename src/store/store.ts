/**
 * The artifact store behind the build service: blobs addressed by their SHA-256, and the builds published under
 * image names. A store is a blob backend (a directory, or an OCI registry) and an index (SQLite, or PostgreSQL)
 * put together by artifact-store.ts; the embedded store (a directory plus SQLite, embedded-store.ts) is the default.
 * The interface is asynchronous and says nothing about files.
 *
 * Author: Claude.
 *
 * @module
 */
import type { BuildDigests } from './media-types.ts';

/** A stored blob's description. */
export interface BlobDescriptor {
  /** `sha256:<hex>`. */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/** A blob read back: its bytes always hash to its digest (the store checks before it returns them). */
export interface StoredBlob extends BlobDescriptor {
  readonly bytes: Uint8Array;
}

/** What the verifier said of one program of a published build. */
export interface BuiltProgram {
  readonly name: string;
  readonly section: string;
  /** The program type it was verified and built as (`xdp`). */
  readonly type: string;
  readonly verdict: 'accepted';
  /** Hex SHA-256 of the program-info text (what the runtime recomputes). */
  readonly programInfoHash: string;
  /** Instructions the verifier processed over all paths. */
  readonly insnsProcessed: number;
}

/** Which tools made a build: what a rebuild must use to get the same bytes. */
export interface Toolchain {
  readonly verifier: { readonly name: string; readonly version: string };
  readonly bpf2c: string;
  readonly compiler: { readonly name: string; readonly version: string; readonly flags: readonly string[] };
}

/** A build to publish: its artifacts are already stored as blobs. */
export interface NewBuild {
  readonly name: string;
  /** The digests of the artifacts, each already in the store (the optional ones when the build has them). */
  readonly digests: BuildDigests;
  readonly programs: readonly BuiltProgram[];
  /** The signing certificate's subject. */
  readonly signer: string;
  readonly toolchain: Toolchain;
  /** RFC 3339 UTC. */
  readonly createdAt: string;
  /** The name of the token that published it (`--token-file`), when the service asks for one. */
  readonly publishedBy?: string;
}

/** A published build. */
export interface StoredBuild extends NewBuild {
  /** A random id (UUID), unique across names. */
  readonly id: string;
  /** 1 for a name's first build, then one more per build. */
  readonly version: number;
}

/** A build that did not pass verification: kept for the record, with no artifact stored. */
export interface NewFailedBuild {
  readonly name: string;
  /** The digest of the ELF that was refused (its bytes are not stored). */
  readonly elfDigest: string;
  /** Why: `VERIFICATION_FAILED`, `PROGRAM_MALFORMED`, `BPF2C_UNSUPPORTED`. */
  readonly code: string;
  readonly message: string;
  /** The verifier's diagnostics as compiler-style text. */
  readonly diagnostics: string;
  readonly createdAt: string;
}

/** A recorded failed build. */
export interface FailedBuild extends NewFailedBuild {
  readonly id: string;
}

/** One image name and its latest build. */
export interface ImageSummary {
  readonly name: string;
  readonly latestVersion: number;
  /** When the latest build was published. */
  readonly updatedAt: string;
}

/** A blob that is not as the index says: gone from the backend, or its bytes no longer hash to its digest. */
export interface DamagedBlob {
  readonly digest: string;
  readonly problem: 'missing' | 'corrupt';
}

/** What the health check reports of a store. */
export interface StoreHealth {
  /** `ok`; `degraded` when some blobs are known to be damaged (the rest is served); `unavailable` when the index or the blob backend does not answer. */
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly kind: string;
  readonly index: { readonly kind: string; readonly location: string; readonly ok: boolean; readonly error?: string };
  readonly blobs: { readonly kind: string; readonly location: string; readonly ok: boolean; readonly error?: string };
  /** Blobs known to be damaged: found so by reads, or by a scan the store can afford at each check. */
  readonly damaged: readonly DamagedBlob[];
}

/** A blob `bpfship store check` found damaged, with the builds that need it. */
export interface BlobProblem extends DamagedBlob {
  readonly mediaType: string;
  readonly detail: string;
  readonly neededBy: readonly { readonly name: string; readonly version: number; readonly artifact: string }[];
}

/** What `bpfship store check` found. */
export interface StoreCheckReport {
  /** Blobs in the index. */
  readonly blobs: number;
  /** Builds in the index. */
  readonly builds: number;
  /** Bytes read and hashed. */
  readonly bytesChecked: number;
  readonly problems: readonly BlobProblem[];
}

/** The artifact store (see the module comment). */
export interface Store {
  /** What kind of store this is, for the health check and logs (`embedded`, `oci+postgres`...). */
  readonly kind: string;
  /**
   * Stores a blob unless it is already there (same digest: deduplicated); a blob present but damaged is replaced
   * by these good bytes. Returns its description.
   */
  putBlob(bytes: Uint8Array, mediaType: string): Promise<BlobDescriptor>;
  /** The blob with this digest, checked against it; undefined when absent. Throws StoreError BLOB_CORRUPT, BLOB_MISSING. */
  getBlob(digest: string): Promise<StoredBlob | undefined>;
  /** The index's record of a blob, without reading its bytes (for `If-None-Match`); undefined when absent. */
  describeBlob(digest: string): Promise<BlobDescriptor | undefined>;
  /** Why this store cannot publish under `name` (beyond the image-name rule every store has), or undefined. */
  nameProblem(name: string): string | undefined;
  /**
   * Publishes a build as the latest of its name, with the next version of that name. Atomic: either the build is
   * published and is the latest, or nothing changed. Throws BUILD_INCOMPLETE when a digest names no stored blob.
   */
  publishBuild(build: NewBuild): Promise<StoredBuild>;
  /** Records a build refused by verification. */
  recordFailedBuild(failure: NewFailedBuild): Promise<FailedBuild>;
  /** The latest build of a name, or undefined. */
  latestBuild(name: string): Promise<StoredBuild | undefined>;
  /** A given version of a name, or undefined. */
  build(name: string, version: number): Promise<StoredBuild | undefined>;
  /** The recorded failures of a name, newest first. */
  failedBuilds(name: string, limit?: number): Promise<FailedBuild[]>;
  /** Every image name with its latest version, sorted by name. */
  listImages(): Promise<ImageSummary[]>;
  /** Throws when the store cannot serve. */
  check(): Promise<void>;
  /** The store's state for the health check: never throws. */
  health(): Promise<StoreHealth>;
  /** Reads and hashes every blob of the index; lists the missing and corrupt ones with the builds that need them. */
  checkBlobs(progress?: (checked: number, total: number) => void): Promise<StoreCheckReport>;
  close(): Promise<void>;
}

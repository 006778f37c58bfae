/**
 * The artifact store behind the build service: blobs addressed by their SHA-256, and the builds published under
 * image names. The embedded store (a directory plus SQLite, embedded-store.ts) is the default; the interface is
 * asynchronous and says nothing about files so that an OCI registry for blobs and PostgreSQL for the index can
 * implement it later.
 *
 * @module
 */
import type { ArtifactKind } from './media-types.ts';

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
  /** The digests of the artifacts, each already in the store. */
  readonly digests: Readonly<Record<ArtifactKind, string>>;
  readonly programs: readonly BuiltProgram[];
  /** The signing certificate's subject. */
  readonly signer: string;
  readonly toolchain: Toolchain;
  /** RFC 3339 UTC. */
  readonly createdAt: string;
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

/** The artifact store (see the module comment). */
export interface Store {
  /** What kind of store this is, for the health check and logs (`embedded`). */
  readonly kind: string;
  /**
   * Stores a blob unless it is already there (same digest: deduplicated); a blob present but damaged is replaced
   * by these good bytes. Returns its description.
   */
  putBlob(bytes: Uint8Array, mediaType: string): Promise<BlobDescriptor>;
  /** The blob with this digest, checked against it; undefined when absent. Throws StoreError BLOB_CORRUPT, BLOB_MISSING. */
  getBlob(digest: string): Promise<StoredBlob | undefined>;
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
  /** Throws when the store cannot serve (the health check). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded store: what `bpfship serve --data DIR` uses with no other setup. Blobs are files in a
 * content-addressed directory, the index is one SQLite file:
 *
 * ```text
 * DIR/index.sqlite            blobs, builds, images (latest versions), failed builds (build-index.ts)
 * DIR/blobs/sha256/ab/ab12…   one read-only file per blob, named by the SHA-256 of its bytes
 * DIR/tmp/                    blobs being written (renamed into blobs/ when complete)
 * ```
 *
 * better-sqlite3 is loaded when a store is opened, not when this module is imported, so that commands which never
 * open a store do not load the native addon.
 *
 * @module
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobDirectory } from './blob-directory.ts';
import { BuildIndex } from './build-index.ts';
import { requireDigestHex } from './digest.ts';
import { StoreError } from './errors.ts';
import type { BlobDescriptor, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, Store, StoredBlob, StoredBuild } from './store.ts';

/** Temporary files older than this are left-overs of a crash, removed when a store is opened. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** The embedded store over a directory (see the module comment); open it with {@link openEmbeddedStore}. */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  /** The store's directory. */
  readonly dir: string;
  readonly #blobs: BlobDirectory;
  readonly #index: BuildIndex;
  readonly #now: () => Date;

  /** Use {@link openEmbeddedStore}. */
  constructor(dir: string, blobs: BlobDirectory, index: BuildIndex, now: () => Date) {
    this.dir = dir;
    this.#blobs = blobs;
    this.#index = index;
    this.#now = now;
  }

  /** The file holding a blob (for tools and tests; the API never exposes paths). */
  blobPath(digest: string): string {
    return this.#blobs.pathOf(digest);
  }

  async putBlob(bytes: Uint8Array, mediaType: string): Promise<BlobDescriptor> {
    const { digest, size } = await this.#blobs.put(bytes);
    // The file is complete before the index names it.
    this.#index.addBlob({ digest, mediaType, size }, this.#now().toISOString());
    return this.#index.blob(digest) ?? { digest, mediaType, size };
  }

  async getBlob(digest: string): Promise<StoredBlob | undefined> {
    requireDigestHex(digest);
    const record = this.#index.blob(digest);
    if (record === undefined) return undefined;
    const bytes = await this.#blobs.readChecked(digest);
    if (bytes === undefined) throw new StoreError('BLOB_MISSING', `blob ${digest} is in the index but its file is gone`, { file: this.#blobs.pathOf(digest) });
    return { ...record, bytes };
  }

  async publishBuild(build: NewBuild): Promise<StoredBuild> {
    return this.#index.publish(build);
  }

  async recordFailedBuild(failure: NewFailedBuild): Promise<FailedBuild> {
    return this.#index.addFailure(failure);
  }

  async latestBuild(name: string): Promise<StoredBuild | undefined> {
    return this.#index.latest(name);
  }

  async build(name: string, version: number): Promise<StoredBuild | undefined> {
    return this.#index.build(name, version);
  }

  async failedBuilds(name: string, limit = 20): Promise<FailedBuild[]> {
    return this.#index.failures(name, limit);
  }

  async listImages(): Promise<ImageSummary[]> {
    return this.#index.images();
  }

  async check(): Promise<void> {
    this.#index.ping();
  }

  async close(): Promise<void> {
    this.#index.close();
  }
}

/** Options of {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** The clock (tests). */
  readonly now?: () => Date;
}

/**
 * Opens (creating when needed) the embedded store in `dir`.
 *
 * @example
 * ```ts
 * const store = await openEmbeddedStore('/var/lib/bpfship');
 * const blob = await store.putBlob(elf, MediaType.elf);
 * ```
 * @throws {StoreError} STORE_UNAVAILABLE when the directory or the index cannot be opened.
 */
export async function openEmbeddedStore(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  const blobs = new BlobDirectory(join(dir, 'blobs'), join(dir, 'tmp'));
  const indexPath = join(dir, 'index.sqlite');
  let index: BuildIndex;
  try {
    await mkdir(blobs.root, { recursive: true });
    await mkdir(blobs.tmp, { recursive: true });
    await removeStaleTemporaries(blobs.tmp);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(indexPath);
    try {
      index = new BuildIndex(db);
    } catch (e) {
      db.close();
      throw e;
    }
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the store: ${(e as Error).message}`, { file: dir }, { cause: e });
  }
  return new EmbeddedStore(dir, blobs, index, options.now ?? (() => new Date()));
}

async function removeStaleTemporaries(tmp: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(tmp)) {
    const path = join(tmp, name);
    const s = await stat(path).catch(() => undefined);
    if (s !== undefined && now - s.mtimeMs > STALE_TMP_MS) await rm(path, { force: true, recursive: true });
  }
}

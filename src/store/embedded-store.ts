/**
 * The embedded store: what `bpfship serve --data DIR` uses with no other setup. Blobs are files in a
 * content-addressed directory, the index is one SQLite file:
 *
 * ```text
 * DIR/index.sqlite            blobs, builds, images (latest versions), failed builds (sqlite-index.ts)
 * DIR/blobs/sha256/ab/ab12…   one read-only file per blob, named by the SHA-256 of its bytes
 * DIR/tmp/                    blobs being written (renamed into blobs/ when complete)
 * ```
 *
 * better-sqlite3 is loaded when a store is opened, not when this module is imported, so that commands which never
 * open a store do not load the native addon.
 *
 * Author: Claude.
 *
 * @module
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactStore, type ArtifactStoreOptions } from './artifact-store.ts';
import { BlobDirectory } from './blob-directory.ts';
import { StoreError } from './errors.ts';
import { openSqliteIndex, type SqliteIndex } from './sqlite-index.ts';

/** Temporary files older than this are left-overs of a crash, removed when a store is opened. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** The embedded store over a directory (see the module comment); open it with {@link openEmbeddedStore}. */
export class EmbeddedStore extends ArtifactStore {
  /** The store's directory. */
  readonly dir: string;
  readonly #blobs: BlobDirectory;

  /** Use {@link openEmbeddedStore}. */
  constructor(dir: string, blobs: BlobDirectory, index: SqliteIndex, options: ArtifactStoreOptions = {}) {
    super(blobs, index, options);
    this.dir = dir;
    this.#blobs = blobs;
  }

  /** The file holding a blob (for tools and tests; the API never exposes paths). */
  blobPath(digest: string): string {
    return this.#blobs.pathOf(digest);
  }
}

/** Options of {@link openEmbeddedStore}. */
export type EmbeddedStoreOptions = ArtifactStoreOptions;

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
  const blobs = await openBlobDirectory(dir);
  const index = await openSqliteIndex(join(dir, 'index.sqlite'));
  return new EmbeddedStore(dir, blobs, index, options);
}

/** The blob directory of a store directory (`DIR/blobs`, `DIR/tmp`), created when absent, stale temporaries removed. */
export async function openBlobDirectory(dir: string): Promise<BlobDirectory> {
  const blobs = new BlobDirectory(join(dir, 'blobs'), join(dir, 'tmp'));
  try {
    await mkdir(blobs.root, { recursive: true });
    await mkdir(blobs.tmp, { recursive: true });
    await removeStaleTemporaries(blobs.tmp);
  } catch (e) {
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the store: ${(e as Error).message}`, { file: dir }, { cause: e });
  }
  return blobs;
}

async function removeStaleTemporaries(tmp: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(tmp)) {
    const path = join(tmp, name);
    const s = await stat(path).catch(() => undefined);
    if (s !== undefined && now - s.mtimeMs > STALE_TMP_MS) await rm(path, { force: true, recursive: true });
  }
}

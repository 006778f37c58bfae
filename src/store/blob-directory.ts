/**
 * A content-addressed directory of blobs: each blob is a file named by the SHA-256 of its bytes,
 * `<root>/sha256/<hex[0:2]>/<hex>`. Identical bytes are stored once. A blob is written into `<tmp>` first, flushed,
 * then renamed into place, so a reader never sees half a blob and a crash leaves at most a stray temporary file.
 * Every read hashes the bytes again and refuses a file that no longer matches its name.
 *
 * Author: Claude.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { access, chmod, constants, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobBackend } from './blob-backend.ts';
import { digestOf, requireDigestHex } from './digest.ts';
import { StoreError } from './errors.ts';

/** What {@link BlobDirectory.put} did. */
export interface PutBlobResult {
  readonly digest: string;
  readonly size: number;
  /** False when the blob was already there, intact. */
  readonly written: boolean;
}

/** The blob files of a store (see the module comment). */
export class BlobDirectory implements BlobBackend {
  readonly kind = 'directory';
  /** Where the blobs go. */
  readonly root: string;
  /** A directory on the same file system as `root`, for writes in progress (a rename must not cross devices). */
  readonly tmp: string;

  constructor(root: string, tmp: string) {
    this.root = root;
    this.tmp = tmp;
  }

  get location(): string {
    return this.root;
  }

  /** The file a digest is stored in (whether or not it exists). */
  pathOf(digest: string): string {
    const hex = requireDigestHex(digest);
    return join(this.root, 'sha256', hex.slice(0, 2), hex);
  }

  /** Stores `bytes` unless an intact copy is there; replaces a damaged copy. */
  async put(bytes: Uint8Array): Promise<PutBlobResult> {
    const digest = digestOf(bytes);
    const path = this.pathOf(digest);
    const existing = await this.readChecked(digest).catch((e: unknown) => {
      if (e instanceof StoreError && e.code === 'BLOB_CORRUPT') return undefined; // rewritten below
      throw e;
    });
    if (existing !== undefined) return { digest, size: bytes.length, written: false };
    await mkdir(dirname(path), { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    const tmp = join(this.tmp, `${digest.slice(7, 23)}.${randomUUID()}.tmp`);
    try {
      const file = await open(tmp, 'wx', 0o644);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      // Read-only: a blob never changes once written (root can still write it, hence the check on read).
      await chmod(tmp, 0o444);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new StoreError('STORE_UNAVAILABLE', `cannot write blob ${digest}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
    return { digest, size: bytes.length, written: true };
  }

  get(digest: string): Promise<Uint8Array | undefined> {
    return this.readChecked(digest);
  }

  async exists(digest: string): Promise<boolean> {
    const path = this.pathOf(digest);
    try {
      return (await stat(path)).isFile();
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return false;
      throw new StoreError('STORE_UNAVAILABLE', `cannot look for blob ${digest}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  }

  async ping(): Promise<void> {
    try {
      await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
      await access(this.tmp, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (e) {
      throw new StoreError('STORE_UNAVAILABLE', `the blob directory cannot be used: ${(e as Error).message}`, { file: this.root }, { cause: e });
    }
  }

  async close(): Promise<void> {
    // Nothing is held open.
  }

  /**
   * The bytes of a blob, checked against its digest; undefined when there is no such file.
   *
   * @throws {StoreError} BLOB_CORRUPT when the file's bytes hash to something else.
   */
  async readChecked(digest: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(digest);
    let buffer: Buffer;
    try {
      buffer = await readFile(path);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw new StoreError('STORE_UNAVAILABLE', `cannot read blob ${digest}: ${(e as Error).message}`, { file: path }, { cause: e });
    }
    const actual = digestOf(buffer);
    if (actual !== digest) {
      throw new StoreError('BLOB_CORRUPT', `blob ${digest} is damaged: its ${buffer.length} bytes on disk hash to ${actual}; it will not be served until it is stored again`, { file: path });
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
}

/**
 * A store made of a blob backend and an index (see store.ts): the embedded store is a directory and SQLite; a
 * store shared by several service instances is an OCI registry and PostgreSQL. This is where the ordering rules
 * live, whatever the parts:
 *
 * - a blob's bytes are written (and checked) before the index records it, so the index never names half a blob;
 * - a build is published only when every blob it names is recorded (BUILD_INCOMPLETE otherwise), and in one index
 *   transaction, inside which the blob backend announces it (a registry writes its manifests and tags); a failure
 *   anywhere publishes nothing;
 * - every read is checked against its digest; a blob found damaged (missing, or bytes that hash to something else)
 *   is remembered for the health check until good bytes are stored again.
 *
 * Author: Claude.
 *
 * @module
 */
import type { BlobBackend } from './blob-backend.ts';
import { requireDigestHex } from './digest.ts';
import { StoreError } from './errors.ts';
import type { IndexBackend } from './index-backend.ts';
import { buildArtifacts } from './media-types.ts';
import type {
  BlobDescriptor,
  BlobProblem,
  DamagedBlob,
  FailedBuild,
  ImageSummary,
  NewBuild,
  NewFailedBuild,
  Store,
  StoreCheckReport,
  StoredBlob,
  StoredBuild,
  StoreHealth,
} from './store.ts';

/** How many blobs the health check looks for on each call when the backend is a local directory (a stat each). */
const HEALTH_SCAN_LIMIT = 100_000;

/** Options of {@link ArtifactStore}. */
export interface ArtifactStoreOptions {
  /** The clock (tests). */
  readonly now?: () => Date;
}

/** A blob backend and an index as one {@link Store} (see the module comment). */
export class ArtifactStore implements Store {
  readonly kind: string;
  readonly blobBackend: BlobBackend;
  readonly indexBackend: IndexBackend;
  readonly #now: () => Date;
  /** Blobs found damaged by reads, until stored again. */
  readonly #damaged = new Map<string, DamagedBlob['problem']>();

  constructor(blobs: BlobBackend, index: IndexBackend, options: ArtifactStoreOptions = {}) {
    this.blobBackend = blobs;
    this.indexBackend = index;
    this.kind = blobs.kind === 'directory' && index.kind === 'sqlite' ? 'embedded' : `${blobs.kind === 'directory' ? 'directory' : blobs.kind}+${index.kind}`;
    this.#now = options.now ?? (() => new Date());
  }

  async putBlob(bytes: Uint8Array, mediaType: string): Promise<BlobDescriptor> {
    const { digest, size } = await this.blobBackend.put(bytes);
    this.#damaged.delete(digest);
    // The bytes are complete before the index names them.
    await this.indexBackend.addBlob({ digest, mediaType, size }, this.#now().toISOString());
    return (await this.indexBackend.blob(digest)) ?? { digest, mediaType, size };
  }

  async getBlob(digest: string): Promise<StoredBlob | undefined> {
    requireDigestHex(digest);
    const record = await this.indexBackend.blob(digest);
    if (record === undefined) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.blobBackend.get(digest);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'BLOB_CORRUPT') this.#damaged.set(digest, 'corrupt');
      throw e;
    }
    if (bytes === undefined) {
      this.#damaged.set(digest, 'missing');
      throw new StoreError('BLOB_MISSING', `blob ${digest} is in the index but gone from ${this.blobBackend.location}`, this.blobBackend.kind === 'directory' ? { file: this.blobBackend.location } : {});
    }
    this.#damaged.delete(digest);
    return { ...record, bytes };
  }

  describeBlob(digest: string): Promise<BlobDescriptor | undefined> {
    requireDigestHex(digest);
    return this.indexBackend.blob(digest);
  }

  nameProblem(name: string): string | undefined {
    return this.blobBackend.nameProblem?.(name);
  }

  async publishBuild(build: NewBuild): Promise<StoredBuild> {
    const artifacts = buildArtifacts(build.digests);
    const found = await Promise.all(artifacts.map(([, digest]) => this.indexBackend.blob(digest)));
    const blobs: BlobDescriptor[] = [];
    artifacts.forEach(([kind, digest], i) => {
      const blob = found[i];
      if (blob === undefined) throw new StoreError('BUILD_INCOMPLETE', `build of '${build.name}' names ${kind} blob ${digest}, which is not in the store`);
      blobs.push(blob);
    });
    const announce = this.blobBackend.announce?.bind(this.blobBackend);
    return this.indexBackend.publish(build, announce === undefined ? undefined : (stored) => announce(stored, blobs));
  }

  recordFailedBuild(failure: NewFailedBuild): Promise<FailedBuild> {
    return this.indexBackend.addFailure(failure);
  }

  latestBuild(name: string): Promise<StoredBuild | undefined> {
    return this.indexBackend.latest(name);
  }

  build(name: string, version: number): Promise<StoredBuild | undefined> {
    return this.indexBackend.build(name, version);
  }

  failedBuilds(name: string, limit = 20): Promise<FailedBuild[]> {
    return this.indexBackend.failures(name, limit);
  }

  listImages(): Promise<ImageSummary[]> {
    return this.indexBackend.images();
  }

  async check(): Promise<void> {
    await this.indexBackend.ping();
    await this.blobBackend.ping();
  }

  async health(): Promise<StoreHealth> {
    const probe = async (f: () => Promise<void>): Promise<{ ok: boolean; error?: string }> => {
      try {
        await f();
        return { ok: true };
      } catch (e) {
        return { ok: false, error: e instanceof StoreError ? e.detail : (e as Error).message };
      }
    };
    const index = await probe(() => this.indexBackend.ping());
    const blobs = await probe(() => this.blobBackend.ping());
    // A local directory can afford to look for every blob (a stat each) at every check: a deleted file shows at once.
    if (index.ok && blobs.ok && this.blobBackend.kind === 'directory') {
      const records = await this.indexBackend.blobs();
      for (const r of records.slice(0, HEALTH_SCAN_LIMIT)) {
        if (!(await this.blobBackend.exists(r.digest))) this.#damaged.set(r.digest, 'missing');
        else if (this.#damaged.get(r.digest) === 'missing') this.#damaged.delete(r.digest);
      }
    }
    const damaged = [...this.#damaged].map(([digest, problem]) => ({ digest, problem })).sort((a, b) => a.digest.localeCompare(b.digest));
    return {
      status: !index.ok || !blobs.ok ? 'unavailable' : damaged.length > 0 ? 'degraded' : 'ok',
      kind: this.kind,
      index: { kind: this.indexBackend.kind, location: this.indexBackend.location, ...index },
      blobs: { kind: this.blobBackend.kind, location: this.blobBackend.location, ...blobs },
      damaged,
    };
  }

  async checkBlobs(progress?: (checked: number, total: number) => void): Promise<StoreCheckReport> {
    const records = await this.indexBackend.blobs();
    const builds = await this.indexBackend.builds();
    const neededBy = new Map<string, { name: string; version: number; artifact: string }[]>();
    for (const b of builds) {
      for (const [kind, digest] of buildArtifacts(b.digests)) {
        const list = neededBy.get(digest) ?? [];
        list.push({ name: b.name, version: b.version, artifact: kind });
        neededBy.set(digest, list);
      }
    }
    const problems: BlobProblem[] = [];
    let bytesChecked = 0;
    let checked = 0;
    for (const record of records) {
      let problem: BlobProblem['problem'] | undefined;
      let detail = '';
      try {
        const bytes = await this.blobBackend.get(record.digest);
        if (bytes === undefined) {
          problem = 'missing';
          detail = `gone from ${this.blobBackend.location}`;
        } else {
          bytesChecked += bytes.length;
          if (bytes.length !== record.size) {
            problem = 'corrupt';
            detail = `${bytes.length} bytes, the index says ${record.size}`;
          }
        }
      } catch (e) {
        if (!(e instanceof StoreError) || e.code !== 'BLOB_CORRUPT') throw e;
        problem = 'corrupt';
        detail = e.detail;
      }
      if (problem !== undefined) {
        this.#damaged.set(record.digest, problem);
        problems.push({ digest: record.digest, mediaType: record.mediaType, problem, detail, neededBy: neededBy.get(record.digest) ?? [] });
      } else {
        this.#damaged.delete(record.digest);
      }
      progress?.(++checked, records.length);
    }
    return { blobs: records.length, builds: builds.length, bytesChecked, problems };
  }

  async close(): Promise<void> {
    try {
      await this.indexBackend.close();
    } finally {
      await this.blobBackend.close();
    }
  }
}

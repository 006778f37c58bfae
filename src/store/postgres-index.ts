/**
 * The index in PostgreSQL (`bpfship serve --index postgres://...`), shared by several service instances: the same
 * tables as the SQLite index (blobs, builds, images, failed builds), created by numbered migrations
 * (postgres-migrations.ts).
 *
 * Publishing is one transaction: a transaction-level advisory lock on the name (`pg_advisory_xact_lock`) serializes
 * publishers of that name across every instance, the next version is the highest plus one, the build is inserted and
 * the name's latest version moved, the blob backend announces the build (a registry tags it), and only then the
 * transaction commits. A publisher that dies at any point holds no lock any more (PostgreSQL ends its session) and
 * has committed nothing, so versions have no gaps and no duplicates; `UNIQUE (name, version)` backs that up.
 *
 * Author: Claude.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { DIGEST_COLUMN, type BuildRow as BuildRowOf } from './_build-columns.ts';
import { KeyedMutex } from './_mutex.ts';
import { StoreError } from './errors.ts';
import type { BeforeCommit, IndexBackend } from './index-backend.ts';
import { ARTIFACT_KINDS, buildArtifacts, type ArtifactKind, type BuildDigests } from './media-types.ts';
import { ADVISORY_LOCK_NAMESPACE, POSTGRES_MIGRATIONS, type Migration } from './postgres-migrations.ts';
import type { BlobDescriptor, BuiltProgram, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, StoredBuild, Toolchain } from './store.ts';

type BuildRow = BuildRowOf<Date, BuiltProgram[], Toolchain>;

/** `postgres://user@host:port/db` without the password, for messages. */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.href;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** The index in PostgreSQL (see the module comment); open it with {@link openPostgresIndex}. */
export class PostgresIndex implements IndexBackend {
  readonly kind = 'postgres';
  readonly location: string;
  readonly #pool: Pool;
  /** Publishes of one name in this process take turns before they take a connection (see publish). */
  readonly #publishing = new KeyedMutex();

  /** Use {@link openPostgresIndex}. */
  constructor(pool: Pool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  async addBlob(blob: BlobDescriptor, now: string): Promise<void> {
    await this.#query('record a blob', 'INSERT INTO blobs (digest, media_type, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING', [blob.digest, blob.mediaType, blob.size, now]);
  }

  async blob(digest: string): Promise<BlobDescriptor | undefined> {
    const r = await this.#query<{ digest: string; media_type: string; size: string }>('read a blob record', 'SELECT digest, media_type, size FROM blobs WHERE digest = $1', [digest]);
    const row = r[0];
    return row === undefined ? undefined : { digest: row.digest, mediaType: row.media_type, size: Number(row.size) };
  }

  async blobs(): Promise<BlobDescriptor[]> {
    const rows = await this.#query<{ digest: string; media_type: string; size: string }>('list the blobs', 'SELECT digest, media_type, size FROM blobs ORDER BY digest');
    return rows.map((r) => ({ digest: r.digest, mediaType: r.media_type, size: Number(r.size) }));
  }

  publish(build: NewBuild, beforeCommit?: BeforeCommit): Promise<StoredBuild> {
    // Publishers of one name take turns anyway (the advisory lock); within this process they queue here, so that a
    // burst of one name holds one connection, not the whole pool, while it waits.
    return this.#publishing.run(build.name, () => this.#publishNow(build, beforeCommit));
  }

  async #publishNow(build: NewBuild, beforeCommit: BeforeCommit | undefined): Promise<StoredBuild> {
    const client = await this.#connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK_NAMESPACE, build.name]);
      const artifacts = buildArtifacts(build.digests);
      const present = await client.query<{ digest: string }>('SELECT digest FROM blobs WHERE digest = ANY($1::text[])', [artifacts.map(([, d]) => d)]);
      const have = new Set(present.rows.map((r) => r.digest));
      for (const [kind, digest] of artifacts) {
        if (!have.has(digest)) throw new StoreError('BUILD_INCOMPLETE', `build of '${build.name}' names ${kind} blob ${digest}, which is not in the store`);
      }
      const last = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM builds WHERE name = $1', [build.name]);
      const version = (last.rows[0]?.v ?? 0) + 1;
      const id = randomUUID();
      await client.query(
        `INSERT INTO builds (id, name, version, created_at, ${ARTIFACT_KINDS.map((k) => DIGEST_COLUMN[k]).join(', ')}, ${DIGEST_COLUMN.objectSignature}, signer, programs, toolchain, published_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [id, build.name, version, build.createdAt, ...ARTIFACT_KINDS.map((k) => build.digests[k]), build.digests.objectSignature ?? null, build.signer, JSON.stringify(build.programs), JSON.stringify(build.toolchain), build.publishedBy ?? null],
      );
      await client.query(
        'INSERT INTO images (name, latest_version, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version, updated_at = excluded.updated_at',
        [build.name, version, build.createdAt],
      );
      const stored: StoredBuild = { ...build, id, version };
      if (beforeCommit !== undefined) await beforeCommit(stored);
      await client.query('COMMIT');
      return stored;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      if (e instanceof StoreError) throw e;
      throw unavailable(`publish ${build.name}`, e, this.location);
    } finally {
      client.release(broken);
    }
  }

  async latest(name: string): Promise<StoredBuild | undefined> {
    const rows = await this.#query<BuildRow>('read the latest build', 'SELECT b.* FROM builds b JOIN images i ON i.name = b.name AND i.latest_version = b.version WHERE i.name = $1', [name]);
    return rows[0] === undefined ? undefined : buildFromRow(rows[0]);
  }

  async build(name: string, version: number): Promise<StoredBuild | undefined> {
    const rows = await this.#query<BuildRow>('read a build', 'SELECT * FROM builds WHERE name = $1 AND version = $2', [name, version]);
    return rows[0] === undefined ? undefined : buildFromRow(rows[0]);
  }

  async builds(): Promise<StoredBuild[]> {
    return (await this.#query<BuildRow>('list the builds', 'SELECT * FROM builds ORDER BY name, version')).map(buildFromRow);
  }

  async images(): Promise<ImageSummary[]> {
    const rows = await this.#query<{ name: string; latest_version: number; updated_at: Date }>('list the images', 'SELECT name, latest_version, updated_at FROM images ORDER BY name');
    return rows.map((r) => ({ name: r.name, latestVersion: r.latest_version, updatedAt: r.updated_at.toISOString() }));
  }

  async addFailure(failure: NewFailedBuild): Promise<FailedBuild> {
    const id = randomUUID();
    await this.#query(
      'record a failed build',
      'INSERT INTO failed_builds (id, name, created_at, elf_digest, code, message, diagnostics) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [id, failure.name, failure.createdAt, failure.elfDigest, failure.code, failure.message, failure.diagnostics],
    );
    return { ...failure, id };
  }

  async failures(name: string, limit: number): Promise<FailedBuild[]> {
    const rows = await this.#query<{ id: string; name: string; created_at: Date; elf_digest: string; code: string; message: string; diagnostics: string }>(
      'read the failed builds',
      'SELECT * FROM failed_builds WHERE name = $1 ORDER BY created_at DESC, id LIMIT $2',
      [name, limit],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at.toISOString(), elfDigest: r.elf_digest, code: r.code, message: r.message, diagnostics: r.diagnostics }));
  }

  async ping(): Promise<void> {
    await this.#query('reach the database', 'SELECT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #connect(): Promise<PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (e) {
      throw unavailable('connect', e, this.location);
    }
  }

  async #query<R extends object>(what: string, sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.#pool.query<R>(sql, params as unknown[])).rows;
    } catch (e) {
      throw unavailable(what, e, this.location);
    }
  }
}

function unavailable(what: string, e: unknown, location: string): StoreError {
  return new StoreError('STORE_UNAVAILABLE', `cannot ${what} in ${location}: ${(e as Error).message}`, {}, { cause: e });
}

function buildFromRow(row: BuildRow): StoredBuild {
  const required = Object.fromEntries(ARTIFACT_KINDS.map((k) => [k, row[DIGEST_COLUMN[k] as keyof BuildRow] as string])) as Record<ArtifactKind, string>;
  const digests: BuildDigests = row.object_signature_digest !== null ? { ...required, objectSignature: row.object_signature_digest } : required;
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    digests,
    programs: row.programs,
    signer: row.signer,
    toolchain: row.toolchain,
    ...(row.published_by !== null ? { publishedBy: row.published_by } : {}),
  };
}

/** Options of {@link openPostgresIndex}. */
export interface PostgresIndexOptions {
  /** Connections at most (default 10). */
  readonly maxConnections?: number;
  /** The migrations to apply (tests); default {@link POSTGRES_MIGRATIONS}. */
  readonly migrations?: readonly Migration[];
}

/**
 * Connects to PostgreSQL at `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DATABASE`, or libpq's `?host=/socket/dir`)
 * and brings the schema up to date.
 *
 * @throws {StoreError} STORE_UNAVAILABLE when the database cannot be reached or was migrated by a newer bpfship.
 */
export async function openPostgresIndex(url: string, options: PostgresIndexOptions = {}): Promise<PostgresIndex> {
  const location = redactPostgresUrl(url);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    application_name: 'bpfship',
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, options.migrations ?? POSTGRES_MIGRATIONS, location);
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (e instanceof StoreError) throw e;
    throw unavailable('open the index', e, location);
  }
  return new PostgresIndex(pool, location);
}

async function migrate(pool: Pool, migrations: readonly Migration[], location: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, 0)', [ADVISORY_LOCK_NAMESPACE]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS bpfship_schema_migrations (
        version     integer PRIMARY KEY,
        description text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now())`);
      const applied = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM bpfship_schema_migrations');
      const current = applied.rows[0]?.v ?? 0;
      const known = migrations.at(-1)?.version ?? 0;
      if (current > known) {
        throw new StoreError('STORE_UNAVAILABLE', `the index in ${location} has schema version ${current}, newer than this bpfship's (${known}): use a newer bpfship`);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO bpfship_schema_migrations (version, description) VALUES ($1, $2)', [m.version, m.description]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK');
          throw e;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, 0)', [ADVISORY_LOCK_NAMESPACE]);
    }
  } finally {
    client.release();
  }
}

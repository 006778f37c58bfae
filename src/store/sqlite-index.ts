/**
 * The embedded store's index, in SQLite (better-sqlite3): which blobs are stored (digest, media type, size), the
 * builds published under each image name with their versions, each name's latest version, and the builds refused
 * by verification. The blobs' bytes are elsewhere (a directory or a registry); the index is what makes a blob or a
 * build exist, and it is written after the bytes, so it never names a blob that was not completely written.
 *
 * Schema version 2 (`PRAGMA user_version`): tables `blobs`, `builds` (with `published_by` since version 2),
 * `images`, `failed_builds`; a version 1 index is migrated when opened. Versions of a name are assigned inside an
 * IMMEDIATE transaction, so concurrent publishers (several service processes on one directory included) never get
 * the same version; `UNIQUE (name, version)` backs that up.
 *
 * Two connections: reads go through one, and every write through the other, one at a time (a {@link Mutex}): a
 * publishing transaction may wait for a registry (`beforeCommit`) between its first and last statement, and
 * meanwhile readers see only what was committed.
 *
 * Author: Claude.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { DIGEST_COLUMN, type BuildRow as BuildRowOf } from './_build-columns.ts';
import { Mutex } from './_mutex.ts';
import { StoreError } from './errors.ts';
import type { BeforeCommit, IndexBackend } from './index-backend.ts';
import { ARTIFACT_KINDS, buildArtifacts, type ArtifactKind, type BuildDigests } from './media-types.ts';
import type { BlobDescriptor, BuiltProgram, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, StoredBuild, Toolchain } from './store.ts';

/** The schema this code writes; an index made by a newer bpfship is refused rather than misread. */
export const INDEX_SCHEMA_VERSION = 3;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS blobs (
  digest     TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  size       INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS builds (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  version             INTEGER NOT NULL,
  created_at          TEXT NOT NULL,
  elf_digest          TEXT NOT NULL REFERENCES blobs (digest),
  generated_c_digest  TEXT NOT NULL REFERENCES blobs (digest),
  image_digest        TEXT NOT NULL REFERENCES blobs (digest),
  signature_digest    TEXT NOT NULL REFERENCES blobs (digest),
  build_record_digest TEXT NOT NULL REFERENCES blobs (digest),
  signer              TEXT NOT NULL,
  programs            TEXT NOT NULL,
  toolchain           TEXT NOT NULL,
  UNIQUE (name, version)
);
CREATE TABLE IF NOT EXISTS images (
  name           TEXT PRIMARY KEY,
  latest_version INTEGER NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_builds (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  elf_digest  TEXT NOT NULL,
  code        TEXT NOT NULL,
  message     TEXT NOT NULL,
  diagnostics TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_builds_by_name ON failed_builds (name, created_at);
`;

/** Each schema version's step from the one before (index 0: from nothing to version 1). */
const MIGRATIONS: readonly string[] = [
  SCHEMA_V1,
  'ALTER TABLE builds ADD COLUMN published_by TEXT;',
  // Version 3: the ELF object's signature for the kernel (null for builds published before).
  'ALTER TABLE builds ADD COLUMN object_signature_digest TEXT REFERENCES blobs (digest);',
];

type BuildRow = BuildRowOf<string, string, string>;

interface FailedRow {
  id: string;
  name: string;
  created_at: string;
  elf_digest: string;
  code: string;
  message: string;
  diagnostics: string;
}

/** The index in one SQLite file (see the module comment); open it with {@link openSqliteIndex}. */
export class SqliteIndex implements IndexBackend {
  readonly kind = 'sqlite';
  readonly location: string;
  readonly #db: Database;
  readonly #writer: Database;
  readonly #writes = new Mutex();

  /** Use {@link openSqliteIndex}. */
  constructor(reader: Database, writer: Database) {
    this.#db = reader;
    this.#writer = writer;
    this.location = reader.name;
  }

  async addBlob(blob: BlobDescriptor, now: string): Promise<void> {
    await this.#writes.run(() => {
      this.#writer.prepare('INSERT OR IGNORE INTO blobs (digest, media_type, size, created_at) VALUES (?, ?, ?, ?)').run(blob.digest, blob.mediaType, blob.size, now);
    });
  }

  async blob(digest: string): Promise<BlobDescriptor | undefined> {
    const row = this.#db.prepare('SELECT digest, media_type, size FROM blobs WHERE digest = ?').get(digest) as { digest: string; media_type: string; size: number } | undefined;
    return row === undefined ? undefined : { digest: row.digest, mediaType: row.media_type, size: row.size };
  }

  async blobs(): Promise<BlobDescriptor[]> {
    const rows = this.#db.prepare('SELECT digest, media_type, size FROM blobs ORDER BY digest').all() as { digest: string; media_type: string; size: number }[];
    return rows.map((r) => ({ digest: r.digest, mediaType: r.media_type, size: r.size }));
  }

  publish(build: NewBuild, beforeCommit?: BeforeCommit): Promise<StoredBuild> {
    return this.#writes.run(async () => {
      const db = this.#writer;
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const [kind, digest] of buildArtifacts(build.digests)) {
          if (db.prepare('SELECT 1 FROM blobs WHERE digest = ?').get(digest) === undefined) {
            throw new StoreError('BUILD_INCOMPLETE', `build of '${build.name}' names ${kind} blob ${digest}, which is not in the store`);
          }
        }
        const last = db.prepare('SELECT MAX(version) AS v FROM builds WHERE name = ?').get(build.name) as { v: number | null };
        const version = (last.v ?? 0) + 1;
        const id = randomUUID();
        db.prepare(
          `INSERT INTO builds (id, name, version, created_at, ${ARTIFACT_KINDS.map((k) => DIGEST_COLUMN[k]).join(', ')}, ${DIGEST_COLUMN.objectSignature}, signer, programs, toolchain, published_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, build.name, version, build.createdAt, ...ARTIFACT_KINDS.map((k) => build.digests[k]), build.digests.objectSignature ?? null, build.signer, JSON.stringify(build.programs), JSON.stringify(build.toolchain), build.publishedBy ?? null);
        db.prepare('INSERT INTO images (name, latest_version, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version, updated_at = excluded.updated_at').run(
          build.name,
          version,
          build.createdAt,
        );
        const stored: StoredBuild = { ...build, id, version };
        if (beforeCommit !== undefined) await beforeCommit(stored);
        db.exec('COMMIT');
        return stored;
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async latest(name: string): Promise<StoredBuild | undefined> {
    const row = this.#db.prepare('SELECT b.* FROM builds b JOIN images i ON i.name = b.name AND i.latest_version = b.version WHERE i.name = ?').get(name) as BuildRow | undefined;
    return row === undefined ? undefined : buildFromRow(row);
  }

  async build(name: string, version: number): Promise<StoredBuild | undefined> {
    const row = this.#db.prepare('SELECT * FROM builds WHERE name = ? AND version = ?').get(name, version) as BuildRow | undefined;
    return row === undefined ? undefined : buildFromRow(row);
  }

  async builds(): Promise<StoredBuild[]> {
    return (this.#db.prepare('SELECT * FROM builds ORDER BY name, version').all() as BuildRow[]).map(buildFromRow);
  }

  async images(): Promise<ImageSummary[]> {
    const rows = this.#db.prepare('SELECT name, latest_version, updated_at FROM images ORDER BY name').all() as { name: string; latest_version: number; updated_at: string }[];
    return rows.map((r) => ({ name: r.name, latestVersion: r.latest_version, updatedAt: r.updated_at }));
  }

  async addFailure(failure: NewFailedBuild): Promise<FailedBuild> {
    const id = randomUUID();
    await this.#writes.run(() => {
      this.#writer
        .prepare('INSERT INTO failed_builds (id, name, created_at, elf_digest, code, message, diagnostics) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, failure.name, failure.createdAt, failure.elfDigest, failure.code, failure.message, failure.diagnostics);
    });
    return { ...failure, id };
  }

  async failures(name: string, limit: number): Promise<FailedBuild[]> {
    const rows = this.#db.prepare('SELECT * FROM failed_builds WHERE name = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(name, limit) as FailedRow[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, elfDigest: r.elf_digest, code: r.code, message: r.message, diagnostics: r.diagnostics }));
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.#writes.run(() => {
      this.#writer.close();
      this.#db.close();
    });
  }
}

/**
 * Opens (creating or migrating when needed) the index in the SQLite file `path`.
 *
 * @throws {StoreError} STORE_UNAVAILABLE when the file cannot be opened, or was made by a newer bpfship.
 */
export async function openSqliteIndex(path: string): Promise<SqliteIndex> {
  const { default: Database } = await import('better-sqlite3');
  const opened: Database[] = [];
  try {
    const writer = new Database(path);
    opened.push(writer);
    configure(writer);
    migrate(writer);
    const reader = new Database(path);
    opened.push(reader);
    configure(reader);
    return new SqliteIndex(reader, writer);
  } catch (e) {
    for (const db of opened) db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the index: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}

function configure(db: Database): void {
  // WAL lets the health check and readers go on while a build is published; FULL makes a publish durable.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

/** Brings the schema to {@link INDEX_SCHEMA_VERSION}, one step per version, each in its own transaction. */
function migrate(db: Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > INDEX_SCHEMA_VERSION) {
      throw new StoreError('STORE_UNAVAILABLE', `the store's index has schema version ${version}, newer than this bpfship's (${INDEX_SCHEMA_VERSION}): use a newer bpfship`, { file: db.name });
    }
    for (let v = version; v < INDEX_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${INDEX_SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

function buildFromRow(row: BuildRow): StoredBuild {
  const required = Object.fromEntries(ARTIFACT_KINDS.map((k) => [k, row[DIGEST_COLUMN[k] as keyof BuildRow] as string])) as Record<ArtifactKind, string>;
  const digests: BuildDigests = row.object_signature_digest !== null ? { ...required, objectSignature: row.object_signature_digest } : required;
  let programs: BuiltProgram[];
  let toolchain: Toolchain;
  try {
    programs = JSON.parse(row.programs) as BuiltProgram[];
    toolchain = JSON.parse(row.toolchain) as Toolchain;
  } catch (e) {
    throw new StoreError('STORE_UNAVAILABLE', `build ${row.name}:${row.version} has a damaged index entry: ${(e as Error).message}`, {}, { cause: e });
  }
  return { id: row.id, name: row.name, version: row.version, createdAt: row.created_at, digests, programs, signer: row.signer, toolchain, ...(row.published_by !== null ? { publishedBy: row.published_by } : {}) };
}

/**
 * The embedded store's index, in SQLite (better-sqlite3): which blobs are stored (digest, media type, size), the
 * builds published under each image name with their versions, each name's latest version, and the builds refused
 * by verification. The blobs' bytes are files (blob-directory.ts); the index is what makes a blob or a build
 * exist, and it is written after the files, so it never names a file that was not completely written.
 *
 * Schema version 1 (`PRAGMA user_version`): tables `blobs`, `builds`, `images`, `failed_builds`. Versions of a name
 * are assigned inside an IMMEDIATE transaction, so concurrent publishers (several service processes on one
 * directory included) never get the same version; `UNIQUE (name, version)` backs that up.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { ARTIFACT_KINDS, type ArtifactKind } from './media-types.ts';
import type { BlobDescriptor, BuiltProgram, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, StoredBuild, Toolchain } from './store.ts';

/** The schema this code writes; a store made by a newer bpfship is refused rather than misread. */
export const INDEX_SCHEMA_VERSION = 1;

const SCHEMA = `
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

const DIGEST_COLUMN: Readonly<Record<ArtifactKind, string>> = {
  elf: 'elf_digest',
  generatedC: 'generated_c_digest',
  image: 'image_digest',
  signature: 'signature_digest',
  buildRecord: 'build_record_digest',
};

interface BuildRow {
  id: string;
  name: string;
  version: number;
  created_at: string;
  elf_digest: string;
  generated_c_digest: string;
  image_digest: string;
  signature_digest: string;
  build_record_digest: string;
  signer: string;
  programs: string;
  toolchain: string;
}

interface FailedRow {
  id: string;
  name: string;
  created_at: string;
  elf_digest: string;
  code: string;
  message: string;
  diagnostics: string;
}

/** The index over an open better-sqlite3 database (see the module comment). */
export class BuildIndex {
  readonly #db: Database;

  /** Creates the schema when absent; refuses a schema newer than {@link INDEX_SCHEMA_VERSION}. */
  constructor(db: Database) {
    this.#db = db;
    // WAL lets the health check and readers go on while a build is published; FULL makes a publish durable.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > INDEX_SCHEMA_VERSION) {
      throw new StoreError('STORE_UNAVAILABLE', `the store's index has schema version ${version}, newer than this bpfship's (${INDEX_SCHEMA_VERSION}): use a newer bpfship`, { file: db.name });
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${INDEX_SCHEMA_VERSION}`);
  }

  /** Records a blob (a second record of the same digest keeps the first media type). */
  addBlob(blob: BlobDescriptor, now: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO blobs (digest, media_type, size, created_at) VALUES (?, ?, ?, ?)').run(blob.digest, blob.mediaType, blob.size, now);
  }

  /** A blob's record, or undefined. */
  blob(digest: string): BlobDescriptor | undefined {
    const row = this.#db.prepare('SELECT digest, media_type, size FROM blobs WHERE digest = ?').get(digest) as { digest: string; media_type: string; size: number } | undefined;
    return row === undefined ? undefined : { digest: row.digest, mediaType: row.media_type, size: row.size };
  }

  /** Publishes a build with the next version of its name and makes it the latest, in one transaction. */
  publish(build: NewBuild): StoredBuild {
    const publish = this.#db.transaction((b: NewBuild): StoredBuild => {
      for (const kind of ARTIFACT_KINDS) {
        if (this.blob(b.digests[kind]) === undefined) throw new StoreError('BUILD_INCOMPLETE', `the build's ${kind} ${b.digests[kind]} is not in the store; store the blobs first`);
      }
      const last = this.#db.prepare('SELECT MAX(version) AS v FROM builds WHERE name = ?').get(b.name) as { v: number | null };
      const version = (last.v ?? 0) + 1;
      const id = randomUUID();
      this.#db
        .prepare(
          `INSERT INTO builds (id, name, version, created_at, ${ARTIFACT_KINDS.map((k) => DIGEST_COLUMN[k]).join(', ')}, signer, programs, toolchain)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, b.name, version, b.createdAt, ...ARTIFACT_KINDS.map((k) => b.digests[k]), b.signer, JSON.stringify(b.programs), JSON.stringify(b.toolchain));
      this.#db
        .prepare('INSERT INTO images (name, latest_version, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version, updated_at = excluded.updated_at')
        .run(b.name, version, b.createdAt);
      return { ...b, id, version };
    });
    return publish.immediate(build);
  }

  /** The latest build of a name. */
  latest(name: string): StoredBuild | undefined {
    const row = this.#db.prepare('SELECT b.* FROM builds b JOIN images i ON i.name = b.name AND i.latest_version = b.version WHERE i.name = ?').get(name) as BuildRow | undefined;
    return row === undefined ? undefined : buildFromRow(row);
  }

  /** A version of a name. */
  build(name: string, version: number): StoredBuild | undefined {
    const row = this.#db.prepare('SELECT * FROM builds WHERE name = ? AND version = ?').get(name, version) as BuildRow | undefined;
    return row === undefined ? undefined : buildFromRow(row);
  }

  /** Every name with its latest version. */
  images(): ImageSummary[] {
    const rows = this.#db.prepare('SELECT name, latest_version, updated_at FROM images ORDER BY name').all() as { name: string; latest_version: number; updated_at: string }[];
    return rows.map((r) => ({ name: r.name, latestVersion: r.latest_version, updatedAt: r.updated_at }));
  }

  /** Records a refused build. */
  addFailure(failure: NewFailedBuild): FailedBuild {
    const id = randomUUID();
    this.#db
      .prepare('INSERT INTO failed_builds (id, name, created_at, elf_digest, code, message, diagnostics) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, failure.name, failure.createdAt, failure.elfDigest, failure.code, failure.message, failure.diagnostics);
    return { ...failure, id };
  }

  /** The refused builds of a name, newest first. */
  failures(name: string, limit: number): FailedBuild[] {
    const rows = this.#db.prepare('SELECT * FROM failed_builds WHERE name = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(name, limit) as FailedRow[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, elfDigest: r.elf_digest, code: r.code, message: r.message, diagnostics: r.diagnostics }));
  }

  /** A trivial query: throws when the database cannot be read. */
  ping(): void {
    this.#db.prepare('SELECT 1').get();
  }

  close(): void {
    this.#db.close();
  }
}

function buildFromRow(row: BuildRow): StoredBuild {
  const digests = Object.fromEntries(ARTIFACT_KINDS.map((k) => [k, row[DIGEST_COLUMN[k] as keyof BuildRow] as string])) as Record<ArtifactKind, string>;
  let programs: BuiltProgram[];
  let toolchain: Toolchain;
  try {
    programs = JSON.parse(row.programs) as BuiltProgram[];
    toolchain = JSON.parse(row.toolchain) as Toolchain;
  } catch (e) {
    throw new StoreError('STORE_UNAVAILABLE', `build ${row.name}:${row.version} has a damaged index entry: ${(e as Error).message}`, {}, { cause: e });
  }
  return { id: row.id, name: row.name, version: row.version, createdAt: row.created_at, digests, programs, signer: row.signer, toolchain };
}

/**
 * The PostgreSQL index's schema, as numbered migrations applied in order when a store is opened. Each runs in its
 * own transaction and is recorded in `bpfship_schema_migrations`; opening takes a session advisory lock first, so
 * two service instances starting at once do not migrate twice. An index migrated by a newer bpfship (a version
 * above the last one here) is refused rather than misread.
 *
 * A migration, once released, never changes: a new one is added at the end.
 *
 * Author: Claude.
 *
 * @module
 */

/** One step of the schema. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** The advisory lock key space of bpfship (`'bpfs'`); the second key is 0 for migrations, a name's hash for publishing. */
export const ADVISORY_LOCK_NAMESPACE = 0x62706673;

/** Every migration, in order. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'blobs, builds, images, failed builds',
    sql: `
CREATE TABLE blobs (
  digest     text PRIMARY KEY CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
  media_type text NOT NULL,
  size       bigint NOT NULL CHECK (size >= 0),
  created_at timestamptz NOT NULL
);
CREATE TABLE builds (
  id                  uuid PRIMARY KEY,
  name                text NOT NULL,
  version             integer NOT NULL CHECK (version > 0),
  created_at          timestamptz NOT NULL,
  elf_digest          text NOT NULL REFERENCES blobs (digest),
  generated_c_digest  text NOT NULL REFERENCES blobs (digest),
  image_digest        text NOT NULL REFERENCES blobs (digest),
  signature_digest    text NOT NULL REFERENCES blobs (digest),
  build_record_digest text NOT NULL REFERENCES blobs (digest),
  signer              text NOT NULL,
  programs            json NOT NULL,
  toolchain           json NOT NULL,
  published_by        text,
  UNIQUE (name, version)
);
CREATE TABLE images (
  name           text PRIMARY KEY,
  latest_version integer NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE TABLE failed_builds (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL,
  elf_digest  text NOT NULL,
  code        text NOT NULL,
  message     text NOT NULL,
  diagnostics text NOT NULL
);
CREATE INDEX failed_builds_by_name ON failed_builds (name, created_at DESC);
`,
  },
  {
    version: 2,
    description: "the ELF object's signature for the kernel",
    sql: `ALTER TABLE builds ADD COLUMN object_signature_digest text REFERENCES blobs (digest);`,
  },
];

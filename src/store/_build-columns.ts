/**
 * The `builds` table as both indexes (SQLite and PostgreSQL) lay it out: one digest column per artifact kind, and
 * the row type with the column values each driver returns (text in SQLite; `Date` and parsed JSON in PostgreSQL).
 *
 * Author: Claude.
 *
 * @module
 */
import type { ArtifactKind, OptionalArtifactKind } from './media-types.ts';

/** The digest column of each artifact kind (an optional kind's is NULL for a build without it). */
export const DIGEST_COLUMN: Readonly<Record<ArtifactKind | OptionalArtifactKind, string>> = {
  elf: 'elf_digest',
  generatedC: 'generated_c_digest',
  image: 'image_digest',
  signature: 'signature_digest',
  buildRecord: 'build_record_digest',
  objectSignature: 'object_signature_digest',
};

/** A row of `builds`; `Time` and `Json` are what the driver returns for timestamps and JSON columns. */
export interface BuildRow<Time, Programs, Toolchain> {
  id: string;
  name: string;
  version: number;
  created_at: Time;
  elf_digest: string;
  generated_c_digest: string;
  image_digest: string;
  signature_digest: string;
  build_record_digest: string;
  /** The ELF object's signature for the kernel (SQLite schema 3, PostgreSQL migration 2); NULL before. */
  object_signature_digest: string | null;
  signer: string;
  programs: Programs;
  toolchain: Toolchain;
  published_by: string | null;
}

/**
 * The `builds` table as both indexes (SQLite and PostgreSQL) lay it out: one digest column per artifact kind, and
 * the row type with the column values each driver returns (text in SQLite; `Date` and parsed JSON in PostgreSQL).
 *
 * @module
 */
import type { ArtifactKind } from './media-types.ts';

/** The digest column of each artifact kind. */
export const DIGEST_COLUMN: Readonly<Record<ArtifactKind, string>> = {
  elf: 'elf_digest',
  generatedC: 'generated_c_digest',
  image: 'image_digest',
  signature: 'signature_digest',
  buildRecord: 'build_record_digest',
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
  signer: string;
  programs: Programs;
  toolchain: Toolchain;
  published_by: string | null;
}

/**
 * Opens the store `bpfship serve` and `bpfship store check` are pointed at: blobs in a directory (the default,
 * `DATA/blobs`) or an OCI registry (`oci://HOST:PORT/REPOSITORY`), the index in SQLite (the default,
 * `DATA/index.sqlite`) or PostgreSQL (`postgres://...`). A directory and SQLite together are the embedded store.
 *
 * Author: Claude.
 *
 * @module
 */
import { join } from 'node:path';
import { ArtifactStore } from './artifact-store.ts';
import type { BlobBackend } from './blob-backend.ts';
import { openBlobDirectory, openEmbeddedStore } from './embedded-store.ts';
import type { IndexBackend } from './index-backend.ts';
import { OciBlobBackend } from './oci-blob-backend.ts';
import { parseOciRepository } from './oci-reference.ts';
import { openPostgresIndex } from './postgres-index.ts';
import type { RegistryCredentials } from './registry-client.ts';
import { openSqliteIndex } from './sqlite-index.ts';

/** Where a store's parts are. */
export interface StoreLocation {
  /** The local directory: the blobs when `blobs` is not a registry, the SQLite index when `index` is not PostgreSQL. */
  readonly data?: string;
  /** `oci://HOST:PORT/REPOSITORY`, or undefined for `DATA/blobs`. */
  readonly blobs?: string;
  /** `postgres://...`, or undefined for `DATA/index.sqlite`. */
  readonly index?: string;
  /** Reach the registry over plain HTTP even when it is not on loopback. */
  readonly plainHttp?: boolean;
  readonly registryCredentials?: RegistryCredentials;
}

/** Whether a location needs a local directory (`data`). */
export function needsDataDirectory(location: StoreLocation): boolean {
  return location.blobs === undefined || location.index === undefined;
}

/**
 * Opens a store (see the module comment).
 *
 * @example
 * ```ts
 * const store = await openStore({ blobs: 'oci://127.0.0.1:5000/bpf', index: 'postgres://bpfship@127.0.0.1:5432/bpfship' });
 * ```
 * @throws {StoreError} STORE_UNAVAILABLE when a part cannot be opened or reached; TypeError for a malformed location.
 */
export async function openStore(location: StoreLocation): Promise<ArtifactStore> {
  const data = location.data;
  if (needsDataDirectory(location) && data === undefined) throw new TypeError('expected a data directory for the parts of the store that are not a registry or PostgreSQL');
  if (location.blobs === undefined && location.index === undefined) return openEmbeddedStore(data as string);
  let blobs: BlobBackend;
  if (location.blobs !== undefined) {
    const repository = parseOciRepository(location.blobs, location.plainHttp !== undefined ? { plainHttp: location.plainHttp } : {});
    blobs = new OciBlobBackend(repository, location.registryCredentials !== undefined ? { credentials: location.registryCredentials } : {});
    await blobs.ping();
  } else {
    blobs = await openBlobDirectory(data as string);
  }
  let index: IndexBackend;
  if (location.index !== undefined) {
    if (!/^postgres(?:ql)?:\/\//.test(location.index)) throw new TypeError(`expected the index as postgres://USER@HOST:PORT/DATABASE, got '${location.index.slice(0, 80)}'`);
    index = await openPostgresIndex(location.index);
  } else {
    index = await openSqliteIndex(join(data as string, 'index.sqlite'));
  }
  return new ArtifactStore(blobs, index);
}

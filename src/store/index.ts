/**
 * The store layer: where the build service keeps what it builds. A content-addressed blob directory and a SQLite
 * index make the embedded store (no setup); an OCI registry (blobs, one artifact per build) and PostgreSQL (the
 * index) make a store several service instances share. Also the build record, the format shared by `bpfship build`
 * and the service.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { openEmbeddedStore, MediaType } from './store/index.ts';
 * const store = await openEmbeddedStore('data');
 * const { digest } = await store.putBlob(so, MediaType.image);
 * const blob = await store.getBlob(digest); // checked against its digest
 * ```
 * @module
 */
export { StoreError, StoreErrorCode } from './errors.ts';
export { digestOf, digestHex, isDigest, requireDigestHex, DIGEST_ALGORITHM } from './digest.ts';
export { imageNameProblem, IMAGE_NAME_PATTERN, MAX_IMAGE_NAME_LENGTH } from './image-name.ts';
export { MediaType, ARTIFACT_KINDS, OPTIONAL_ARTIFACT_KINDS, buildArtifacts, type ArtifactKind, type OptionalArtifactKind, type BuildDigests } from './media-types.ts';
export {
  BUILD_RECORD_MEDIA_TYPE,
  buildRecordFor,
  buildRecordPath,
  formatBuildRecord,
  parseBuildRecord,
  recordDisagreement,
  type BuildRecord,
  type RecordedArtifact,
} from './build-record.ts';
export type {
  BlobDescriptor,
  BlobProblem,
  BuiltProgram,
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
  Toolchain,
} from './store.ts';
export type { BlobBackend } from './blob-backend.ts';
export type { BeforeCommit, IndexBackend } from './index-backend.ts';
export { ArtifactStore, type ArtifactStoreOptions } from './artifact-store.ts';
export { BlobDirectory, type PutBlobResult } from './blob-directory.ts';
export { SqliteIndex, openSqliteIndex, INDEX_SCHEMA_VERSION } from './sqlite-index.ts';
export { PostgresIndex, openPostgresIndex, redactPostgresUrl, type PostgresIndexOptions } from './postgres-index.ts';
export { POSTGRES_MIGRATIONS, ADVISORY_LOCK_NAMESPACE, type Migration } from './postgres-migrations.ts';
export { EmbeddedStore, openEmbeddedStore, openBlobDirectory, type EmbeddedStoreOptions } from './embedded-store.ts';
export { openStore, needsDataDirectory, type StoreLocation } from './open-store.ts';
export { OciBlobBackend, type OciBlobBackendOptions } from './oci-blob-backend.ts';
export { RegistryClient, RegistryError, MAX_MANIFEST_BYTES, type RegistryClientOptions, type RegistryCredentials, type FetchedManifest } from './registry-client.ts';
export {
  parseOciRepository,
  parseOciArtifactReference,
  isLoopbackHost,
  OCI_REPOSITORY_PATTERN,
  OCI_TAG_PATTERN,
  type OciRepository,
  type OciArtifactReference,
} from './oci-reference.ts';
export {
  OciMediaType,
  OciAnnotation,
  EMPTY_CONFIG,
  EMPTY_CONFIG_DESCRIPTOR,
  MAX_OCI_IMAGE_NAME_LENGTH,
  buildTag,
  referrersTag,
  imageManifest,
  attestationManifest,
  referrersIndexWith,
  parseManifest,
  parseIndex,
  type OciDescriptor,
  type OciManifestBytes,
  type ParsedManifest,
} from './oci-artifact.ts';

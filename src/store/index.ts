/**
 * The store layer: where the build service keeps what it builds. A content-addressed blob directory and a SQLite
 * index make the embedded store (no setup); the {@link Store} interface leaves room for an OCI registry and
 * PostgreSQL. Also the build record, the format shared by `bpfship build` and the service.
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
export { MediaType, ARTIFACT_KINDS, type ArtifactKind } from './media-types.ts';
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
export type { BlobDescriptor, BuiltProgram, FailedBuild, ImageSummary, NewBuild, NewFailedBuild, Store, StoredBlob, StoredBuild, Toolchain } from './store.ts';
export { BlobDirectory, type PutBlobResult } from './blob-directory.ts';
export { BuildIndex, INDEX_SCHEMA_VERSION } from './build-index.ts';
export { EmbeddedStore, openEmbeddedStore, type EmbeddedStoreOptions } from './embedded-store.ts';

/**
 * Blobs in an OCI registry: `bpfship serve --store oci://HOST:PORT/REPOSITORY`. Every artifact of a build is a blob
 * of the repository (identical bytes once); publishing a build writes its manifests and tags (oci-artifact.ts) from
 * inside the index's transaction, so that a build the index shows is always complete in the registry: the image
 * manifest and the attestation manifest (its subject the image) by digest, then the referrers tag (when the
 * registry does not serve the referrers API) and the `NAME-VERSION` tag. A publisher that dies half-way leaves
 * untagged manifests, or at worst a `NAME-VERSION` tag the index never committed (a build nobody was answered
 * for, validly signed), which the next publish of that version replaces.
 *
 * Author: Claude.
 *
 * @module
 */
import type { BlobBackend } from './blob-backend.ts';
import { digestOf, requireDigestHex } from './digest.ts';
import { StoreError } from './errors.ts';
import {
  attestationManifest,
  buildTag,
  EMPTY_CONFIG,
  imageManifest,
  MAX_OCI_IMAGE_NAME_LENGTH,
  OciMediaType,
  referrersIndexWith,
  referrersTag,
} from './oci-artifact.ts';
import type { OciRepository } from './oci-reference.ts';
import { RegistryClient, RegistryError, type RegistryCredentials } from './registry-client.ts';
import type { BlobDescriptor, StoredBuild } from './store.ts';

/** The largest blob read back from the registry: 256 MiB (ELF objects and images are limited far below). */
const MAX_BLOB_BYTES = 256 << 20;

/** Options of {@link OciBlobBackend}. */
export interface OciBlobBackendOptions {
  readonly credentials?: RegistryCredentials;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
}

/** The blobs of a store in a registry repository (see the module comment). */
export class OciBlobBackend implements BlobBackend {
  readonly kind = 'oci';
  readonly registry: RegistryClient;
  #configPushed = false;

  constructor(repository: OciRepository, options: OciBlobBackendOptions = {}) {
    this.registry = new RegistryClient({
      baseUrl: repository.baseUrl,
      repository: repository.repository,
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  get location(): string {
    return this.registry.location;
  }

  async put(bytes: Uint8Array): Promise<{ readonly digest: string; readonly size: number }> {
    const digest = digestOf(bytes);
    await this.#registry(`store blob ${digest}`, () => this.registry.putBlob(bytes, digest));
    return { digest, size: bytes.length };
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    requireDigestHex(digest);
    const bytes = await this.#registry(`read blob ${digest}`, () => this.registry.getBlob(digest, MAX_BLOB_BYTES));
    if (bytes === undefined) return undefined;
    const actual = digestOf(bytes);
    if (actual !== digest) {
      throw new StoreError('BLOB_CORRUPT', `blob ${digest} is damaged in ${this.location}: its ${bytes.length} bytes hash to ${actual}; it will not be served until it is stored again`);
    }
    return bytes;
  }

  exists(digest: string): Promise<boolean> {
    requireDigestHex(digest);
    return this.#registry(`look for blob ${digest}`, () => this.registry.blobExists(digest));
  }

  ping(): Promise<void> {
    return this.#registry('reach the registry', () => this.registry.ping());
  }

  nameProblem(name: string): string | undefined {
    if (name.length > MAX_OCI_IMAGE_NAME_LENGTH) {
      return `expected an image name of at most ${MAX_OCI_IMAGE_NAME_LENGTH} characters for an OCI store (its tags NAME-VERSION have at most 128), got ${name.length}`;
    }
    return undefined;
  }

  async announce(build: StoredBuild, blobs: readonly BlobDescriptor[]): Promise<void> {
    const signature = blobs.find((b) => b.digest === build.digests.signature);
    if (signature === undefined) throw new Error(`internal: no descriptor for the signature of ${build.name} ${build.version}`);
    const objectSignature = build.digests.objectSignature === undefined ? undefined : blobs.find((b) => b.digest === build.digests.objectSignature);
    await this.#registry(`publish ${build.name} ${build.version}`, async () => {
      if (!this.#configPushed) {
        await this.registry.putBlob(EMPTY_CONFIG);
        this.#configPushed = true;
      }
      // This runs under the name's lock (every publisher of the name waits for it): two rounds of requests, not five.
      // 1. The image manifest and its attestation, by digest (the registry does not require a subject to exist).
      const image = imageManifest(build, blobs);
      const attestation = attestationManifest(build, signature, image.descriptor, objectSignature);
      const [, { subjectIndexed }] = await Promise.all([
        this.registry.putManifest(image.digest, image.bytes, OciMediaType.imageManifest),
        this.registry.putManifest(attestation.digest, attestation.bytes, OciMediaType.imageManifest),
      ]);
      // 2. The tags. Without the referrers API the referrers tag lists the attestation; the image manifest holds the
      // build's id, so no other publisher ever wrote that tag: it is written whole, not read and amended.
      const referrers = subjectIndexed ? undefined : referrersIndexWith(undefined, { ...attestation.descriptor, annotations: { 'org.opencontainers.image.created': build.createdAt } });
      await Promise.all([
        ...(referrers !== undefined ? [this.registry.putManifest(referrersTag(image.digest), referrers.bytes, OciMediaType.imageIndex)] : []),
        this.registry.putManifest(buildTag(build.name, build.version), image.bytes, OciMediaType.imageManifest),
      ]);
    });
  }

  async close(): Promise<void> {
    // fetch keeps no state of ours to release.
  }

  async #registry<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof RegistryError) throw new StoreError('STORE_UNAVAILABLE', `cannot ${what}: ${e.message}`, {}, { cause: e });
      throw e;
    }
  }
}

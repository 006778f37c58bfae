/**
 * How a published build looks in an OCI registry: one OCI artifact per build, in the store's repository.
 *
 * ```text
 * REPOSITORY:NAME-VERSION   image manifest, artifactType application/vnd.bpfship.image.v1, config: the empty descriptor
 *   layers  NAME.so             application/vnd.bpfship.native-image.v1
 *           NAME.so.build.json  application/vnd.bpfship.build-record.v1+json
 *           NAME.o              application/vnd.bpfship.elf.v1
 *           NAME.bpf2c.c        application/vnd.bpfship.generated-c.v1
 *   annotations dev.bpfship.name, dev.bpfship.version, dev.bpfship.build-id, dev.bpfship.elf.digest,
 *               dev.bpfship.programs (JSON), dev.bpfship.signer, org.opencontainers.image.created
 * attestation manifest       artifactType application/vnd.bpfship.signature.v1+json, subject: the image manifest
 *   layers  NAME.so.sig         application/vnd.bpfship.signature.v1+json (DSSE envelope, in-toto statement, chain)
 *           NAME.o.sig          the same, for the ELF object signed for the kernel (builds that have it)
 * REPOSITORY:sha256-HEX      the referrers tag (OCI 1.1's fallback, the `sha256-<digest>` scheme cosign uses): an
 *                            image index listing the attestation, for registries without the referrers API
 * ```
 *
 * Layer titles (`org.opencontainers.image.title`) are the file names `oras pull` writes. The annotations are for
 * people and tools listing the registry; nothing trusts them: `bpfship fetch` checks the image against the signed
 * statement (whose subject names `NAME.so` and carries its digest).
 *
 * Author: Claude.
 *
 * @module
 */
import { cFileName } from '../native/index.ts';
import { buildRecordPath } from './build-record.ts';
import { digestOf } from './digest.ts';
import type { ArtifactKind, OptionalArtifactKind } from './media-types.ts';
import type { BlobDescriptor, BuiltProgram, StoredBuild } from './store.ts';

/** The media types of the OCI side. */
export const OciMediaType = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  /** The empty config of an artifact (`{}`). */
  empty: 'application/vnd.oci.empty.v1+json',
  /** The artifactType of a build. */
  image: 'application/vnd.bpfship.image.v1',
  nativeImage: 'application/vnd.bpfship.native-image.v1',
  buildRecord: 'application/vnd.bpfship.build-record.v1+json',
  elf: 'application/vnd.bpfship.elf.v1',
  generatedC: 'application/vnd.bpfship.generated-c.v1',
  /** The signature file: the artifactType of the attestation, and its layer's media type. */
  signature: 'application/vnd.bpfship.signature.v1+json',
} as const;

/** The annotation keys. */
export const OciAnnotation = {
  name: 'dev.bpfship.name',
  version: 'dev.bpfship.version',
  buildId: 'dev.bpfship.build-id',
  elfDigest: 'dev.bpfship.elf.digest',
  programs: 'dev.bpfship.programs',
  signer: 'dev.bpfship.signer',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
} as const;

/** The bytes of the empty config, `{}`. */
export const EMPTY_CONFIG = new TextEncoder().encode('{}');

/** An OCI content descriptor. */
export interface OciDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A manifest ready to push: its bytes, digest and descriptor. */
export interface OciManifestBytes {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly descriptor: OciDescriptor;
}

/** The empty config's descriptor. */
export const EMPTY_CONFIG_DESCRIPTOR: OciDescriptor = { mediaType: OciMediaType.empty, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.length };

/** The artifacts of a build that are layers of its image manifest, in order, with their media types. */
const IMAGE_LAYERS: readonly (readonly [Exclude<ArtifactKind, 'signature'>, string])[] = [
  ['image', OciMediaType.nativeImage],
  ['buildRecord', OciMediaType.buildRecord],
  ['elf', OciMediaType.elf],
  ['generatedC', OciMediaType.generatedC],
];

/** The tag of a build: `NAME-VERSION`. */
export function buildTag(name: string, version: number): string {
  return `${name}-${version}`;
}

/** The longest image name whose every version (up to 9 digits) still makes a valid tag (128 characters). */
export const MAX_OCI_IMAGE_NAME_LENGTH = 128 - 1 - 9;

/** The referrers tag of a manifest: `sha256-HEX`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

function manifestBytes(value: unknown, mediaType: string, artifactType?: string): OciManifestBytes {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const digest = digestOf(bytes);
  return { bytes, digest, descriptor: { mediaType, digest, size: bytes.length, ...(artifactType !== undefined ? { artifactType } : {}) } };
}

/** File names of the layers (`org.opencontainers.image.title`). */
function titles(name: string): Readonly<Record<ArtifactKind | OptionalArtifactKind, string>> {
  const image = `${name}.so`;
  return { image, buildRecord: buildRecordPath(image), elf: `${name}.o`, generatedC: cFileName(`${name}.o`), signature: `${image}.sig`, objectSignature: `${name}.o.sig` };
}

/** The image manifest of a build (see the module comment); `blobs` holds the descriptor of every artifact. */
export function imageManifest(build: StoredBuild, blobs: readonly BlobDescriptor[]): OciManifestBytes {
  const byDigest = new Map(blobs.map((b) => [b.digest, b]));
  const title = titles(build.name);
  const layers = IMAGE_LAYERS.map(([kind, mediaType]) => {
    const blob = byDigest.get(build.digests[kind]);
    if (blob === undefined) throw new Error(`internal: no descriptor for the ${kind} of ${build.name} ${build.version}`);
    return { mediaType, digest: blob.digest, size: blob.size, annotations: { [OciAnnotation.title]: title[kind] } };
  });
  const programs = build.programs.map((p: BuiltProgram) => ({ name: p.name, section: p.section, type: p.type, programInfoHash: p.programInfoHash }));
  return manifestBytes(
    {
      schemaVersion: 2,
      mediaType: OciMediaType.imageManifest,
      artifactType: OciMediaType.image,
      config: EMPTY_CONFIG_DESCRIPTOR,
      layers,
      annotations: {
        [OciAnnotation.created]: build.createdAt,
        [OciAnnotation.name]: build.name,
        [OciAnnotation.version]: String(build.version),
        [OciAnnotation.buildId]: build.id,
        [OciAnnotation.elfDigest]: build.digests.elf,
        [OciAnnotation.programs]: JSON.stringify(programs),
        [OciAnnotation.signer]: build.signer,
      },
    },
    OciMediaType.imageManifest,
    OciMediaType.image,
  );
}

/**
 * The attestation manifest of a build: its signature file as the first layer (and the object's signature for the
 * kernel as the second, when the build has one), the image manifest as subject.
 */
export function attestationManifest(build: StoredBuild, signature: BlobDescriptor, subject: OciDescriptor, objectSignature?: BlobDescriptor): OciManifestBytes {
  const layer = (blob: BlobDescriptor, title: string): OciDescriptor => ({ mediaType: OciMediaType.signature, digest: blob.digest, size: blob.size, annotations: { [OciAnnotation.title]: title } });
  const layers = [layer(signature, titles(build.name).signature), ...(objectSignature !== undefined ? [layer(objectSignature, titles(build.name).objectSignature)] : [])];
  return manifestBytes(
    {
      schemaVersion: 2,
      mediaType: OciMediaType.imageManifest,
      artifactType: OciMediaType.signature,
      config: EMPTY_CONFIG_DESCRIPTOR,
      layers,
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { [OciAnnotation.created]: build.createdAt, [OciAnnotation.signer]: build.signer },
    },
    OciMediaType.imageManifest,
    OciMediaType.signature,
  );
}

/**
 * The referrers index of a manifest with `referrer` added (when not already listed): `existing` is the index the
 * referrers tag points to now, if any (OCI 1.1: read, add, write back).
 */
export function referrersIndexWith(existing: Uint8Array | undefined, referrer: OciDescriptor): OciManifestBytes {
  const manifests: OciDescriptor[] = existing !== undefined ? parseIndex(existing) : [];
  if (!manifests.some((m) => m.digest === referrer.digest)) manifests.push(referrer);
  return manifestBytes({ schemaVersion: 2, mediaType: OciMediaType.imageIndex, manifests }, OciMediaType.imageIndex);
}

/** A manifest as bpfship reads it back (fetch). */
export interface ParsedManifest {
  readonly artifactType: string | undefined;
  readonly layers: readonly OciDescriptor[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly subject: OciDescriptor | undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function descriptor(x: unknown, what: string): OciDescriptor {
  if (!isObject(x)) throw new TypeError(`${what} should be a descriptor object`);
  const { mediaType, digest, size, artifactType, annotations } = x;
  if (typeof mediaType !== 'string') throw new TypeError(`${what}.mediaType should be a string`);
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new TypeError(`${what}.digest should be sha256:<64 lowercase hex digits>`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new TypeError(`${what}.size should be a non-negative integer`);
  return {
    mediaType,
    digest,
    size,
    ...(typeof artifactType === 'string' ? { artifactType } : {}),
    ...(isObject(annotations) ? { annotations: Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string')) } : {}),
  };
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new TypeError(`${what} is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw new TypeError(`${what} should be a JSON object`);
  return value;
}

/**
 * Reads an image manifest (the fields bpfship uses).
 *
 * @throws {TypeError} naming the field that is not as the OCI spec says.
 */
export function parseManifest(bytes: Uint8Array): ParsedManifest {
  const m = parseJson(bytes, 'the manifest');
  if (m['schemaVersion'] !== 2) throw new TypeError('the manifest should have schemaVersion 2');
  if (m['mediaType'] !== undefined && m['mediaType'] !== OciMediaType.imageManifest) throw new TypeError(`the manifest has media type ${String(m['mediaType'])}, not ${OciMediaType.imageManifest}`);
  const layers = m['layers'];
  if (!Array.isArray(layers)) throw new TypeError('the manifest should have a layers array');
  const annotations = isObject(m['annotations']) ? Object.fromEntries(Object.entries(m['annotations']).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  return {
    artifactType: typeof m['artifactType'] === 'string' ? m['artifactType'] : undefined,
    layers: layers.map((l, i) => descriptor(l, `layers[${i}]`)),
    annotations,
    subject: m['subject'] !== undefined ? descriptor(m['subject'], 'subject') : undefined,
  };
}

/**
 * Reads an image index's manifest descriptors.
 *
 * @throws {TypeError} naming the field that is not as the OCI spec says.
 */
export function parseIndex(bytes: Uint8Array): OciDescriptor[] {
  const index = parseJson(bytes, 'the index');
  if (index['schemaVersion'] !== 2) throw new TypeError('the index should have schemaVersion 2');
  const manifests = index['manifests'];
  if (!Array.isArray(manifests)) throw new TypeError('the index should have a manifests array');
  return manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
}

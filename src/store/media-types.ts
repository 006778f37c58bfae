/**
 * The media types of the artifacts a build stores, served as each blob's Content-Type. The signature's and the
 * build record's are the ones their own formats define (src/sign/signature-file.ts, build-record.ts); they are
 * spelled out here so that the store layer does not load the sign layer, and a test holds them equal.
 *
 * Author: Claude.
 *
 * @module
 */
import { BUILD_RECORD_MEDIA_TYPE } from './build-record.ts';

/** The artifact kinds of a build and their media types. */
export const MediaType = {
  /** The ELF object as uploaded (relocatable ELF: freedesktop's `application/x-object`). */
  elf: 'application/x-object',
  /** bpf2c's C file. */
  generatedC: 'text/x-c; charset=utf-8',
  /** The native image (a shared object: freedesktop's `application/x-sharedlib`). */
  image: 'application/x-sharedlib',
  /** `IMAGE.sig`: the DSSE envelope with the in-toto statement and the certificate chain. */
  signature: 'application/vnd.bpfship.signature.v1+json',
  /** `IMAGE.build.json`. */
  buildRecord: BUILD_RECORD_MEDIA_TYPE,
  /** `NAME.o.sig`: the ELF object signed for the kernel (`bpfship deploy`), a signature file as the image's is. */
  objectSignature: 'application/vnd.bpfship.signature.v1+json',
} as const;

/** A {@link MediaType} value. */
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** The artifact kinds of a build, in the order the API lists them. */
export const ARTIFACT_KINDS = ['elf', 'generatedC', 'image', 'signature', 'buildRecord'] as const;

/** One of {@link ARTIFACT_KINDS}. */
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/**
 * Artifacts a build may have besides those every build has: the ELF object's signature for the kernel, which builds
 * published before bpfship signed objects do not have.
 */
export const OPTIONAL_ARTIFACT_KINDS = ['objectSignature'] as const;

/** One of {@link OPTIONAL_ARTIFACT_KINDS}. */
export type OptionalArtifactKind = (typeof OPTIONAL_ARTIFACT_KINDS)[number];

/** The digests of a build's artifacts: every required one, and the optional ones it has. */
export type BuildDigests = Readonly<Record<ArtifactKind, string>> & { readonly [K in OptionalArtifactKind]?: string };

/** The artifacts a build has, required then optional, in the order the API lists them, with their digests. */
export function buildArtifacts(digests: BuildDigests): [ArtifactKind | OptionalArtifactKind, string][] {
  const out: [ArtifactKind | OptionalArtifactKind, string][] = ARTIFACT_KINDS.map((k) => [k, digests[k]]);
  for (const k of OPTIONAL_ARTIFACT_KINDS) {
    const d = digests[k];
    if (d !== undefined) out.push([k, d]);
  }
  return out;
}

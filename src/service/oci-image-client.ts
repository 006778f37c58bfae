/**
 * The runtime's side of an OCI store: fetch a published build straight from the registry (`bpfship fetch
 * oci://HOST:PORT/REPOSITORY:NAME-VERSION`), without the service, and check it in memory before anything is
 * written. In order, stopping at the first failure:
 *
 * 1. the image manifest by tag or digest (a tag `NAME` that is not a tag itself means the highest `NAME-N` tag);
 *    it must be a bpfship image (artifactType), name its build in its annotations, and the tag must be that
 *    build's `NAME-VERSION`;
 * 2. the `.so` layer is downloaded (size-limited) and must hash to its descriptor's digest (FETCH_DIGEST_MISMATCH);
 * 3. the attestations of the manifest: through the referrers API, else the `sha256-<digest>` referrers tag; each
 *    attestation's subject must be this manifest, its signature layer must hash to its digest;
 * 4. the image and a signature verify exactly as `bpfship verify-signature` verifies files (chain, DSSE, in-toto
 *    statement with the image's digest as its subject, verdicts, revocations), and the signed subject is
 *    `NAME.so`.
 *
 * The registry is not trusted: the annotations only say which build to look for; the bytes are checked against
 * the signature. See oci-artifact.ts for the layout.
 *
 * Author: Claude.
 *
 * @module
 */
import { MAX_SIGNATURE_FILE_BYTES, verifyImage, verifyKernelObject, type Certificate, type RevocationList } from '../sign/index.ts';
import {
  buildTag,
  digestOf,
  imageNameProblem,
  OciAnnotation,
  OciMediaType,
  parseIndex,
  parseManifest,
  parseOciArtifactReference,
  referrersTag,
  RegistryClient,
  RegistryError,
  type FetchedManifest,
  type OciArtifactReference,
  type OciDescriptor,
  type ParsedManifest,
  type RegistryCredentials,
} from '../store/index.ts';
import { DEFAULT_MAX_IMAGE_BYTES, FetchProblem, requireSignedName, type FetchOutcome, type RefusedFetch } from './image-client.ts';

/** Attestations of one image tried at most (a registry could list thousands). */
const MAX_ATTESTATIONS = 16;

/** What {@link fetchSignedOciImage} needs. */
export interface FetchSignedOciImageOptions {
  /** `oci://HOST[:PORT]/REPOSITORY:NAME-VERSION`, `...:NAME` (the highest version) or `...@sha256:HEX`. */
  readonly reference: string;
  readonly trustedRoots: readonly Certificate[];
  readonly revocations?: RevocationList;
  readonly credentials?: RegistryCredentials;
  /** Plain HTTP even off loopback. */
  readonly plainHttp?: boolean;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  readonly maxImageBytes?: number;
  /** Verification time; default now. */
  readonly time?: Date;
  /** What to fetch: the native image (the default), or the ELF object and its signature for the kernel (`NAME.o.sig`). */
  readonly artifact?: 'image' | 'object';
}

/**
 * Fetches and verifies a build from a registry (see the module comment). Never throws for what the network or the
 * registry does.
 *
 * @example
 * ```ts
 * const r = await fetchSignedOciImage({ reference: 'oci://127.0.0.1:5000/bpf:xdp-firewall-3', trustedRoots });
 * if (r.ok) writeBoth(r.image, r.signature); else console.error(`${r.code}: ${r.message}`);
 * ```
 */
export async function fetchSignedOciImage(options: FetchSignedOciImageOptions): Promise<FetchOutcome> {
  try {
    return await fetchAndVerify(options);
  } catch (e) {
    if (e instanceof FetchProblem) return { ok: false, code: e.code, message: e.message };
    if (e instanceof RegistryError) {
      const code = e.status === 0 ? 'FETCH_UNREACHABLE' : e.registryCode === 'TOO_LARGE' ? 'FETCH_TOO_LARGE' : e.registryCode === 'DIGEST_MISMATCH' ? 'FETCH_DIGEST_MISMATCH' : 'FETCH_HTTP_ERROR';
      return { ok: false, code, message: e.message };
    }
    return { ok: false, code: 'FETCH_INTERNAL', message: `internal fault while fetching, nothing accepted: ${e instanceof Error ? e.message : String(e)}` };
  }
}

async function fetchAndVerify(options: FetchSignedOciImageOptions): Promise<FetchOutcome> {
  let ref: OciArtifactReference;
  try {
    ref = parseOciArtifactReference(options.reference, options.plainHttp !== undefined ? { plainHttp: options.plainHttp } : {});
  } catch (e) {
    throw new FetchProblem('FETCH_URL_INVALID', (e as Error).message);
  }
  const registry = new RegistryClient({
    baseUrl: ref.baseUrl,
    repository: ref.repository,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  const where = `oci://${ref.host}/${ref.repository}`;

  // 1. The manifest.
  const { manifest: fetched, tag } = await resolveManifest(registry, ref, where);
  let manifest: ParsedManifest;
  try {
    manifest = parseManifest(fetched.bytes);
  } catch (e) {
    throw new FetchProblem('FETCH_PROTOCOL', `${where}@${fetched.digest} is not an OCI image manifest: ${(e as Error).message}`);
  }
  if (manifest.artifactType !== OciMediaType.image) {
    throw new FetchProblem('FETCH_PROTOCOL', `${where}@${fetched.digest} is not a bpfship image (artifactType ${manifest.artifactType ?? 'none'}, expected ${OciMediaType.image})`);
  }
  const name = manifest.annotations[OciAnnotation.name] ?? '';
  const versionText = manifest.annotations[OciAnnotation.version] ?? '';
  if (imageNameProblem(name) !== undefined || !/^[1-9][0-9]{0,8}$/.test(versionText)) {
    throw new FetchProblem('FETCH_PROTOCOL', `${where}@${fetched.digest} does not name its build (annotations ${OciAnnotation.name}, ${OciAnnotation.version})`);
  }
  const version = Number(versionText);
  if (tag !== undefined && tag !== buildTag(name, version)) {
    throw new FetchProblem('FETCH_PROTOCOL', `${where}:${tag} holds the build of ${name} version ${version} (tag ${buildTag(name, version)}), not what the tag says`);
  }

  // 2. The image (or the ELF object).
  const object = options.artifact === 'object';
  const layerType = object ? OciMediaType.elf : OciMediaType.nativeImage;
  const imageLayers = manifest.layers.filter((l) => l.mediaType === layerType);
  if (imageLayers.length !== 1) throw new FetchProblem('FETCH_PROTOCOL', `${where}@${fetched.digest} has ${imageLayers.length} ${object ? 'ELF object' : 'native image'} layers, expected 1`);
  const imageLayer = imageLayers[0] as OciDescriptor;
  const image = await downloadBlob(registry, imageLayer, options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES, object ? 'the object' : 'the image', where);

  // 3. The attestations, 4. verified.
  const candidates = (await attestationsOf(registry, fetched.digest)).slice(0, MAX_ATTESTATIONS);
  if (candidates.length === 0) {
    throw new FetchProblem('FETCH_SIGNATURE_MISSING', `${where}@${fetched.digest} (${name} version ${version}) has no attestation: neither the referrers API nor the tag ${referrersTag(fetched.digest)} lists one`);
  }
  let refusal: RefusedFetch | undefined;
  for (const candidate of candidates) {
    const attestation = await registry.getManifest(candidate.digest, [OciMediaType.imageManifest]);
    if (attestation === undefined) continue;
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(attestation.bytes);
    } catch (e) {
      refusal = { ok: false, code: 'FETCH_PROTOCOL', message: `attestation ${candidate.digest}: ${(e as Error).message}` };
      continue;
    }
    // The image's signature is the first signature layer; the object's (builds that have one) is titled NAME.o.sig.
    const layer = object
      ? parsed.layers.find((l) => l.mediaType === OciMediaType.signature && l.annotations?.[OciAnnotation.title] === `${name}.o.sig`)
      : parsed.layers.find((l) => l.mediaType === OciMediaType.signature);
    if (object && layer === undefined && parsed.subject?.digest === fetched.digest) {
      refusal = { ok: false, code: 'FETCH_SIGNATURE_MISSING', message: `${where}@${fetched.digest} (${name} version ${version}) has no object signed for the kernel (published before the service signed objects): publish it again` };
      continue;
    }
    if (parsed.subject?.digest !== fetched.digest || layer === undefined) {
      refusal = { ok: false, code: 'FETCH_PROTOCOL', message: `attestation ${candidate.digest} is not a bpfship signature of ${fetched.digest}` };
      continue;
    }
    const signature = await downloadBlob(registry, layer, MAX_SIGNATURE_FILE_BYTES, 'the signature', where);
    const input = {
      image,
      signature,
      signatureSource: { file: `${where}@${layer.digest}` },
      trustedRoots: options.trustedRoots,
      ...(options.revocations !== undefined ? { revocations: options.revocations } : {}),
      ...(options.time !== undefined ? { time: options.time } : {}),
    };
    const verification = object ? verifyKernelObject(input) : verifyImage(input);
    if (!verification.ok) {
      refusal = { ok: false, code: verification.code, message: verification.message, verification };
      continue;
    }
    requireSignedName(verification, name, object ? '.o' : '.so');
    return {
      ok: true,
      build: {
        name,
        version,
        digests: { image: imageLayer.digest, signature: layer.digest },
        imageUrl: `${where}@${imageLayer.digest}`,
        signatureUrl: `${where}@${layer.digest}`,
      },
      image,
      signature,
      verification,
    };
  }
  return refusal ?? { ok: false, code: 'FETCH_SIGNATURE_MISSING', message: `${where}@${fetched.digest}: the attestations listed for it are gone from the registry` };
}

/** The manifest a reference names, and the tag it was found under (none for a digest). */
async function resolveManifest(registry: RegistryClient, ref: OciArtifactReference, where: string): Promise<{ manifest: FetchedManifest; tag: string | undefined }> {
  const accept = [OciMediaType.imageManifest];
  if (ref.digest !== undefined) {
    const manifest = await registry.getManifest(ref.digest, accept);
    if (manifest === undefined) throw new FetchProblem('FETCH_NOT_FOUND', `${where} has no manifest ${ref.digest}`);
    return { manifest, tag: undefined };
  }
  const tag = ref.tag as string;
  const direct = await registry.getManifest(tag, accept);
  if (direct !== undefined) return { manifest: direct, tag };
  // Not a tag: a name, whose latest version is the highest NAME-N tag.
  if (imageNameProblem(tag) === undefined) {
    const versions = (await registry.tags()).filter((t) => t.startsWith(`${tag}-`) && /^[1-9][0-9]{0,8}$/.test(t.slice(tag.length + 1))).map((t) => Number(t.slice(tag.length + 1)));
    if (versions.length > 0) {
      const latest = buildTag(tag, Math.max(...versions));
      const manifest = await registry.getManifest(latest, accept);
      if (manifest !== undefined) return { manifest, tag: latest };
    }
  }
  throw new FetchProblem('FETCH_NOT_FOUND', `${where} has no tag ${tag} (and no ${tag}-VERSION tags)`);
}

/** The attestation descriptors of a manifest: the referrers API, else the referrers tag. */
async function attestationsOf(registry: RegistryClient, digest: string): Promise<OciDescriptor[]> {
  const listed = (await registry.referrers(digest, OciMediaType.signature)) ?? (await registry.getManifest(referrersTag(digest), [OciMediaType.imageIndex]));
  if (listed === undefined) return [];
  try {
    return parseIndex(listed.bytes).filter((d) => d.artifactType === OciMediaType.signature);
  } catch (e) {
    throw new FetchProblem('FETCH_PROTOCOL', `the referrers of ${digest} are not an OCI index: ${(e as Error).message}`);
  }
}

/** Downloads a blob into memory and checks it against its descriptor. */
async function downloadBlob(registry: RegistryClient, descriptor: OciDescriptor, limit: number, what: string, where: string): Promise<Uint8Array> {
  if (descriptor.size > limit) throw new FetchProblem('FETCH_TOO_LARGE', `${what} ${where}@${descriptor.digest} is ${descriptor.size} bytes, more than the ${limit} accepted`);
  const bytes = await registry.getBlob(descriptor.digest, limit);
  if (bytes === undefined) throw new FetchProblem('FETCH_NOT_FOUND', `${what} ${descriptor.digest} is gone from ${where}`);
  const actual = digestOf(bytes);
  if (actual !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new FetchProblem('FETCH_DIGEST_MISMATCH', `${what} downloaded from ${where}@${descriptor.digest} has digest ${actual} (${bytes.length} bytes), not the ${descriptor.digest} (${descriptor.size} bytes) its manifest names`);
  }
  return bytes;
}

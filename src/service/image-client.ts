/**
 * The runtime's side of the service: fetch a published image and its signature, and check them before anything
 * is written. In order, stopping at the first failure:
 *
 * 1. `GET /v1/images/NAME[/VERSION]`: the build must be the one asked for (name, version) and name its image's
 *    and signature's digests and URLs, on the service's own origin;
 * 2. the image and the signature are downloaded, within size limits, into memory;
 * 3. their SHA-256 must be the digests the build announced (FETCH_DIGEST_MISMATCH);
 * 4. the pair is verified exactly as `bpfship verify-signature` verifies files (sign/verify.ts): the chain to the
 *    trusted roots, the DSSE signature, the in-toto statement, the image's digest as its subject, the verdicts;
 *    and the signed subject's name must be `NAME.so` (FETCH_NAME_MISMATCH: another image, validly signed).
 *
 * The service is not trusted: a tampered image, a signature by an unknown key or a lying build record all fail
 * at 3 or 4. The result is plain data; only a fetched, verified pair comes back with `ok: true`.
 *
 * With `artifact: 'object'`, the same for the ELF object and its signature for the kernel (`NAME.o`, `NAME.o.sig`,
 * what `bpfship deploy` loads): verified as `verify-signature` verifies an object (the kernel-object statement),
 * and the signed subject must be named `NAME.o`. A build published before the service signed objects has none
 * (FETCH_NOT_FOUND).
 *
 * Author: Claude.
 *
 * @module
 */
import {
  MAX_SIGNATURE_FILE_BYTES,
  verifyImage,
  verifyKernelObject,
  type Certificate,
  type KernelObjectStatement,
  type RevocationList,
  type SignatureVerification,
  type Verified,
  type VerifiedImage,
} from '../sign/index.ts';
import { digestOf, imageNameProblem, isDigest } from '../store/index.ts';

/** The largest image fetched by default: 64 MiB. */
export const DEFAULT_MAX_IMAGE_BYTES = 64 << 20;

/** The largest build description read: 1 MiB. */
const MAX_BUILD_JSON_BYTES = 1 << 20;

/** What {@link fetchSignedImage} needs. */
export interface FetchSignedImageOptions {
  /** The service's address, e.g. `http://127.0.0.1:8470` (a path prefix is kept: `https://host/bpfship/`). */
  readonly serviceUrl: string;
  readonly name: string;
  /** A given version; default the latest. */
  readonly version?: number;
  readonly trustedRoots: readonly Certificate[];
  readonly revocations?: RevocationList;
  /** A read token (`Authorization: Bearer`), for a service started with `--read-token-file`. */
  readonly token?: string;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  readonly maxImageBytes?: number;
  /** Verification time; default now. */
  readonly time?: Date;
  /** What to fetch: the native image and its signature (the default), or the ELF object and its signature for the kernel. */
  readonly artifact?: 'image' | 'object';
}

/** The build as the service described it (the fields the client relies on). */
export interface FetchedBuild {
  readonly name: string;
  readonly version: number;
  /** The digests of what was fetched: the image (or, for `artifact: 'object'`, the ELF object) and its signature. */
  readonly digests: { readonly image: string; readonly signature: string };
  /** Absolute URLs the artifacts were fetched from. */
  readonly imageUrl: string;
  readonly signatureUrl: string;
}

/** A fetched image whose signature verified. */
export interface FetchedImage {
  readonly ok: true;
  readonly build: FetchedBuild;
  /** The image's bytes (or the object's, for `artifact: 'object'`). */
  readonly image: Uint8Array;
  readonly signature: Uint8Array;
  readonly verification: VerifiedImage | Verified<KernelObjectStatement>;
}

/** A refused fetch: why, by code (FETCH_* or a verification code such as CHAIN_UNTRUSTED_ROOT) and message. */
export interface RefusedFetch {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
  /** The signature check's result, when the fetch got that far. */
  readonly verification?: SignatureVerification;
}

/** The outcome of {@link fetchSignedImage}. */
export type FetchOutcome = FetchedImage | RefusedFetch;

/** A fault on the way, turned into a {@link RefusedFetch} (shared with oci-image-client.ts). */
export class FetchProblem extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Fetches and verifies an image (see the module comment). Never throws for what the network or the service does.
 *
 * @example
 * ```ts
 * const r = await fetchSignedImage({ serviceUrl: 'http://127.0.0.1:8470', name: 'xdp-firewall', trustedRoots });
 * if (r.ok) writeBoth(r.image, r.signature); else console.error(`${r.code}: ${r.message}`);
 * ```
 */
export async function fetchSignedImage(options: FetchSignedImageOptions): Promise<FetchOutcome> {
  try {
    return await fetchAndVerify(options);
  } catch (e) {
    if (e instanceof FetchProblem) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'FETCH_INTERNAL', message: `internal fault while fetching, nothing accepted: ${e instanceof Error ? e.message : String(e)}` };
  }
}

async function fetchAndVerify(options: FetchSignedImageOptions): Promise<FetchOutcome> {
  const nameProblem = imageNameProblem(options.name);
  if (nameProblem !== undefined) throw new FetchProblem('FETCH_NAME_INVALID', nameProblem);
  if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) throw new FetchProblem('FETCH_VERSION_INVALID', `expected a version number (1, 2, ...), got ${options.version}`);
  let base: URL;
  try {
    base = new URL(options.serviceUrl.endsWith('/') ? options.serviceUrl : options.serviceUrl + '/');
  } catch {
    throw new FetchProblem('FETCH_URL_INVALID', `expected the service's URL (http://HOST:PORT), got '${options.serviceUrl}'`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new FetchProblem('FETCH_URL_INVALID', `expected an http or https URL, got '${options.serviceUrl}'`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const download = (url: URL, limit: number, what: string, ms: number): Promise<Uint8Array> => downloadFrom(url, limit, what, ms, options.token);

  // 1. The build.
  const buildUrl = new URL(`v1/images/${options.name}${options.version !== undefined ? `/${options.version}` : ''}`, base);
  const buildBytes = await download(buildUrl, MAX_BUILD_JSON_BYTES, 'the build description', timeoutMs);
  const build = parseBuild(buildBytes, buildUrl, options);

  // 2. The artifacts, 3. checked against what the build announced.
  const object = options.artifact === 'object';
  const subject = object ? 'object' : 'image';
  const image = await download(new URL(build.imageUrl), options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES, `the ${subject}`, timeoutMs);
  const signature = await download(new URL(build.signatureUrl), MAX_SIGNATURE_FILE_BYTES, 'the signature', timeoutMs);
  for (const [what, bytes, announced] of [[subject, image, build.digests.image], ['signature', signature, build.digests.signature]] as const) {
    const actual = digestOf(bytes);
    if (actual !== announced) throw new FetchProblem('FETCH_DIGEST_MISMATCH', `the ${what} downloaded from ${what === 'signature' ? build.signatureUrl : build.imageUrl} has digest ${actual}, but the build announced ${announced}`);
  }

  // 4. The signature, as verify-signature checks it.
  const input = {
    image,
    signature,
    signatureSource: { file: build.signatureUrl },
    trustedRoots: options.trustedRoots,
    ...(options.revocations !== undefined ? { revocations: options.revocations } : {}),
    ...(options.time !== undefined ? { time: options.time } : {}),
  };
  const verification = object ? verifyKernelObject(input) : verifyImage(input);
  if (!verification.ok) return { ok: false, code: verification.code, message: verification.message, verification };
  requireSignedName(verification, options.name, object ? '.o' : '.so');
  return { ok: true, build, image, signature, verification };
}

/**
 * The signed statement must name the image `NAME.so` (the build service signs it under that name; the object
 * `NAME.o`): what the service or a registry says about which image this is is not trusted, the signature is.
 * Throws FETCH_NAME_MISMATCH.
 */
export function requireSignedName(verification: VerifiedImage | Verified<KernelObjectStatement>, name: string, extension: '.so' | '.o' = '.so'): void {
  const hex = verification.imageDigest.slice('sha256:'.length);
  const subject = verification.statement.subject.find((s) => s.digest.sha256 === hex);
  const what = extension === '.so' ? 'an image' : 'an object';
  if (subject?.name !== `${name}${extension}`) {
    throw new FetchProblem('FETCH_NAME_MISMATCH', `the signature is for ${what} named '${subject?.name ?? '?'}', not '${name}${extension}': valid, but not of '${name}'`);
  }
}

/** GETs a URL into memory, refusing more than `limit` bytes and any status but 200. */
async function downloadFrom(url: URL, limit: number, what: string, timeoutMs: number, token: string | undefined): Promise<Uint8Array> {
  // Aborting (not cancelling the body) is what makes undici drop the connection at once when a body is refused.
  const abort = new AbortController();
  let response: Response;
  try {
    // Connection: close, because an idle keep-alive connection would keep a short-lived process (`bpfship fetch`)
    // waiting for the server's keep-alive timeout (72 s with fastify) before it can exit.
    response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
      headers: { connection: 'close', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchProblem('FETCH_UNREACHABLE', `cannot fetch ${what} from ${url.href}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (response.status !== 200) {
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.message !== undefined) detail = `${body.error.code ?? ''}: ${body.error.message}`;
    } catch {
      // not our error body: the text itself
    }
    throw new FetchProblem(response.status === 404 ? 'FETCH_NOT_FOUND' : 'FETCH_HTTP_ERROR', `${url.href} answered ${response.status} for ${what}${detail !== '' ? ` (${detail})` : ''}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    abort.abort();
    throw new FetchProblem('FETCH_TOO_LARGE', `${what} at ${url.href} is ${declared} bytes, more than the ${limit} accepted`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      if (reader === undefined) break;
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        abort.abort();
        throw new FetchProblem('FETCH_TOO_LARGE', `${what} at ${url.href} is more than the ${limit} bytes accepted`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FetchProblem) throw e;
    throw new FetchProblem('FETCH_UNREACHABLE', `the download of ${what} from ${url.href} broke off: ${(e as Error).message}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Checks the build description (see step 1 of the module comment). */
function parseBuild(bytes: Uint8Array, url: URL, options: FetchSignedImageOptions): FetchedBuild {
  const bad = (what: string): FetchProblem => new FetchProblem('FETCH_PROTOCOL', `${url.href} did not answer a bpfship build: ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const obj = (x: unknown, what: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(`${what} should be an object`);
    return x as Record<string, unknown>;
  };
  const b = obj(value, 'the answer');
  const digests = obj(b['digests'], 'digests');
  const artifacts = obj(b['artifacts'], 'artifacts');
  if (b['name'] !== options.name) throw bad(`it is for image '${String(b['name'])}', not '${options.name}'`);
  const version = b['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw bad('version should be a positive integer');
  if (options.version !== undefined && version !== options.version) throw bad(`it is version ${version}, not ${options.version}`);
  const digest = (x: unknown, what: string): string => {
    if (typeof x !== 'string' || !isDigest(x)) throw bad(`${what} should be a digest sha256:<64 hex digits>`);
    return x;
  };
  const sameOrigin = (x: unknown, what: string): string => {
    if (typeof x !== 'string') throw bad(`${what} should be a URL`);
    let target: URL;
    try {
      target = new URL(x, url);
    } catch {
      throw bad(`${what} '${x.slice(0, 80)}' is not a URL`);
    }
    // The signature guards the bytes; this keeps a service from sending its clients to fetch from other hosts.
    if (target.origin !== url.origin) throw bad(`${what} points to another origin (${target.origin})`);
    return target.href;
  };
  if (options.artifact === 'object') {
    if (digests['objectSignature'] === undefined) {
      throw new FetchProblem('FETCH_NOT_FOUND', `version ${version} of '${options.name}' has no object signed for the kernel (it was published before the service signed objects): publish it again`);
    }
    return {
      name: options.name,
      version,
      digests: { image: digest(digests['elf'], 'digests.elf'), signature: digest(digests['objectSignature'], 'digests.objectSignature') },
      imageUrl: sameOrigin(artifacts['elf'], 'artifacts.elf'),
      signatureUrl: sameOrigin(artifacts['objectSignature'], 'artifacts.objectSignature'),
    };
  }
  return {
    name: options.name,
    version,
    digests: { image: digest(digests['image'], 'digests.image'), signature: digest(digests['signature'], 'digests.signature') },
    imageUrl: sameOrigin(artifacts['image'], 'artifacts.image'),
    signatureUrl: sameOrigin(artifacts['signature'], 'artifacts.signature'),
  };
}

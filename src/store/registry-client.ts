/**
 * A client of the OCI distribution API (v1.1; Docker's registry v2 API is the same), the part bpfship needs: blobs
 * (HEAD, GET, a two-step upload), manifests by tag or digest (PUT, GET, HEAD), tag lists (paged), and the
 * referrers API. Written here rather than taken from npm: the registry clients there read Docker images only (no
 * upload, no artifacts, no referrers), and the API is a dozen requests (docs/design.md).
 *
 * Authentication follows the registry's challenge: a 401 with `WWW-Authenticate: Basic` is answered with the
 * credentials; `Bearer realm=...,service=...,scope=...` by fetching a token from the realm (with the credentials
 * when there are some: anonymous pulls work without), cached per scope until the registry refuses it. Credentials are
 * never sent to another host than the registry's or its token realm's, and never logged.
 *
 * Every answer is bounded: a body past its limit is refused while it arrives, and every request has a timeout.
 *
 * An answer that says the registry could not serve the request this time is retried, a bounded number of times
 * with a growing pause (100, 200, 400, 800 ms, each within ±50 %: about 1.5 s in all), before it is thrown: no
 * answer (a connection refused or cut off; a timeout is not retried), 429, 500, 502, 503, 504, and a manifest PUT
 * refused with MANIFEST_BLOB_UNKNOWN. The last two are what the distribution registry (2.8, filesystem driver)
 * answers while another client uploads a blob it already holds: every upload's commit rewrites the blob's link file
 * in the repository in place (truncated, then written), and a request that reads the link meanwhile finds it empty:
 * a HEAD or GET of the blob is answered 500 UNKNOWN, a manifest naming it 400 DIGEST_INVALID and
 * MANIFEST_BLOB_UNKNOWN. Whole operations are retried (an upload from its HEAD), never one request of a half-used
 * upload session. Uploads of the same bytes through one client at the same time share one upload, so that a service
 * publishing several builds of one ELF at once does not race with itself.
 *
 * Author: Claude.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from './digest.ts';

/** Credentials for a registry (e.g. from `auth.json`). */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** `http://HOST:PORT` or `https://HOST:PORT`. */
  readonly baseUrl: string;
  readonly repository: string;
  readonly credentials?: RegistryCredentials;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  /** How many times an operation is tried again after an answer that may change (see the module comment); default 4. */
  readonly retries?: number;
  /** The pause before the first retry, doubled before each next one (each within ±50 %); default 100 ms. */
  readonly retryDelayMs?: number;
}

/** A manifest (or index) as the registry served it. */
export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  /** The SHA-256 of the bytes (computed here, never taken from the registry's headers). */
  readonly digest: string;
}

/** HTTP statuses that say the registry could not serve the request this time: asked again, it may. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** An answer the registry should not have given, or no answer. */
export class RegistryError extends Error {
  /** The HTTP status, or 0 when the registry could not be reached. */
  readonly status: number;
  /** The distribution spec's error code (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `DENIED`...) when the registry gave one. */
  readonly registryCode: string | undefined;
  /**
   * Whether the registry may answer otherwise when asked again (see the module comment); when the error reaches a
   * caller of {@link RegistryClient}, the retries are spent.
   */
  readonly transient: boolean;

  constructor(message: string, status: number, registryCode?: string, transient = TRANSIENT_STATUSES.has(status)) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
    this.registryCode = registryCode;
    this.transient = transient;
  }
}

/** Manifests are at most 4 MiB (the distribution spec lets registries refuse larger ones). */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** A client of one repository (see the module comment). */
export class RegistryClient {
  readonly baseUrl: string;
  readonly repository: string;
  readonly #credentials: RegistryCredentials | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  /** Uploads under way, by digest: a second upload of the same bytes waits for the first (see the module comment). */
  readonly #uploads = new Map<string, Promise<void>>();
  /** Bearer tokens by scope. */
  readonly #tokens = new Map<string, string>();
  /** How the registry last asked to be authenticated: none until it asks. */
  #challenge: { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service: string | undefined } | undefined;

  constructor(options: RegistryClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.repository = options.repository;
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 4;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    if (!Number.isInteger(this.#retries) || this.#retries < 0) throw new RangeError(`expected a number of registry retries of at least 0, got ${this.#retries}`);
  }

  /** `oci://HOST:PORT/REPOSITORY`, for messages. */
  get location(): string {
    return `oci://${new URL(this.baseUrl).host}/${this.repository}`;
  }

  /** `GET /v2/`: throws unless the registry answers as an OCI registry (authenticating when asked). */
  ping(): Promise<void> {
    return this.#retrying(async () => {
      const r = await this.#request('GET', '/v2/', { scope: undefined });
      await this.#expect(r, [200], 'the API root');
      await r.body?.cancel();
    });
  }

  /** Whether the repository holds a blob. */
  blobExists(digest: string): Promise<boolean> {
    return this.#retrying(() => this.#blobExists(digest));
  }

  /** A blob's bytes (at most `limit`), or undefined when the repository does not hold it. Not checked: the caller hashes. */
  getBlob(digest: string, limit: number): Promise<Uint8Array | undefined> {
    return this.#retrying(async () => {
      const r = await this.#request('GET', `/v2/${this.repository}/blobs/${digest}`, { scope: 'pull' });
      if (r.status === 404) {
        await r.body?.cancel();
        return undefined;
      }
      await this.#expect(r, [200], `blob ${digest}`);
      return readBounded(r, limit, `blob ${digest}`);
    });
  }

  /**
   * Uploads a blob (POST, then PUT with the digest) unless the repository already holds it (a HEAD first). A call
   * for bytes this client is uploading already waits for that upload instead of starting another.
   */
  putBlob(bytes: Uint8Array, digest = digestOf(bytes)): Promise<void> {
    const running = this.#uploads.get(digest);
    if (running !== undefined) return running;
    const upload = this.#retrying(() => this.#putBlob(bytes, digest)).finally(() => this.#uploads.delete(digest));
    this.#uploads.set(digest, upload);
    return upload;
  }

  async #blobExists(digest: string): Promise<boolean> {
    const r = await this.#request('HEAD', `/v2/${this.repository}/blobs/${digest}`, { scope: 'pull' });
    if (r.status === 404) return false;
    await this.#expect(r, [200], `blob ${digest}`);
    return true;
  }

  async #putBlob(bytes: Uint8Array, digest: string): Promise<void> {
    if (await this.#blobExists(digest)) return;
    const start = await this.#request('POST', `/v2/${this.repository}/blobs/uploads/`, { scope: 'push', headers: { 'content-length': '0' } });
    await this.#expect(start, [202], `the upload of blob ${digest}`);
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (location === null) throw new RegistryError(`${this.location}: the registry started an upload without a Location`, start.status);
    const url = new URL(location, this.baseUrl + '/');
    url.searchParams.set('digest', digest);
    const done = await this.#request('PUT', url, {
      scope: 'push',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    });
    await this.#expect(done, [201], `the upload of blob ${digest}`);
    await done.body?.cancel();
  }

  /**
   * Stores a manifest under a tag or its digest. Returns whether the registry said it indexed the manifest's
   * `subject` (`OCI-Subject`: it serves the referrers API, so no referrers tag is needed). The blobs it names must be
   * in the repository already: a refusal with MANIFEST_BLOB_UNKNOWN is retried (see the module comment), then thrown.
   */
  putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<{ readonly digest: string; readonly subjectIndexed: boolean }> {
    return this.#retrying(async () => {
      const r = await this.#request('PUT', `/v2/${this.repository}/manifests/${reference}`, {
        scope: 'push',
        body: bytes,
        headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      });
      await this.#expect(r, [201], `manifest ${reference}`, ['MANIFEST_BLOB_UNKNOWN']);
      await r.body?.cancel();
      return { digest: digestOf(bytes), subjectIndexed: r.headers.get('oci-subject') !== null };
    });
  }

  /** A manifest or index by tag or digest, or undefined when unknown. A digest reference is checked against the bytes. */
  getManifest(reference: string, accept: readonly string[]): Promise<FetchedManifest | undefined> {
    return this.#retrying(() => this.#getManifest(reference, accept));
  }

  async #getManifest(reference: string, accept: readonly string[]): Promise<FetchedManifest | undefined> {
    const r = await this.#request('GET', `/v2/${this.repository}/manifests/${reference}`, { scope: 'pull', headers: { accept: accept.join(', ') } });
    if (r.status === 404) {
      await r.body?.cancel();
      return undefined;
    }
    await this.#expect(r, [200], `manifest ${reference}`);
    const bytes = await readBounded(r, MAX_MANIFEST_BYTES, `manifest ${reference}`);
    const digest = digestOf(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(`${this.location}: manifest ${reference} came back with digest ${digest}`, r.status, 'DIGEST_MISMATCH');
    }
    let mediaType = r.headers.get('content-type') ?? '';
    try {
      const declared = (JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown }).mediaType;
      if (typeof declared === 'string') mediaType = declared;
    } catch {
      // not JSON: the caller refuses it
    }
    return { bytes, mediaType: mediaType.split(';')[0]?.trim() ?? '', digest };
  }

  /** Whether a tag or digest names a manifest in the repository. */
  manifestExists(reference: string, accept: readonly string[]): Promise<boolean> {
    return this.#retrying(async () => {
      const r = await this.#request('HEAD', `/v2/${this.repository}/manifests/${reference}`, { scope: 'pull', headers: { accept: accept.join(', ') } });
      if (r.status === 404) return false;
      await this.#expect(r, [200], `manifest ${reference}`);
      return true;
    });
  }

  /** Every tag of the repository (following the `Link` pages), or [] when the repository does not exist yet. */
  tags(): Promise<string[]> {
    return this.#retrying(() => this.#tags());
  }

  async #tags(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `/v2/${this.repository}/tags/list?n=1000`;
    for (let page = 0; next !== undefined && page < 10_000; page++) {
      const r = await this.#request('GET', new URL(next, this.baseUrl + '/'), { scope: 'pull' });
      if (r.status === 404 && page === 0) {
        await r.body?.cancel();
        return [];
      }
      await this.#expect(r, [200], 'the tag list');
      const body = JSON.parse(new TextDecoder().decode(await readBounded(r, 16 << 20, 'the tag list'))) as { tags?: unknown };
      if (Array.isArray(body.tags)) out.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      const link = r.headers.get('link');
      next = link === null ? undefined : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
    }
    return out;
  }

  /**
   * The referrers API: the index of manifests whose subject is `digest` (filtered by artifact type), or undefined
   * when the registry does not serve the API (it answers 404), so that the caller falls back to the tag scheme.
   */
  referrers(digest: string, artifactType?: string): Promise<FetchedManifest | undefined> {
    return this.#retrying(() => this.#referrers(digest, artifactType));
  }

  async #referrers(digest: string, artifactType?: string): Promise<FetchedManifest | undefined> {
    const query = artifactType !== undefined ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const r = await this.#request('GET', `/v2/${this.repository}/referrers/${digest}${query}`, { scope: 'pull', headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    if (r.status === 404) {
      await r.body?.cancel();
      return undefined;
    }
    await this.#expect(r, [200], `the referrers of ${digest}`);
    const bytes = await readBounded(r, MAX_MANIFEST_BYTES, `the referrers of ${digest}`);
    return { bytes, mediaType: 'application/vnd.oci.image.index.v1+json', digest: digestOf(bytes) };
  }

  /**
   * Runs `operation` until it succeeds, throws something other than a transient {@link RegistryError}, or has been
   * tried `1 + retries` times (see the module comment).
   */
  async #retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (e) {
        if (!(e instanceof RegistryError) || !e.transient) throw e;
        if (attempt >= this.#retries) {
          throw attempt === 0 ? e : new RegistryError(`${e.message} (tried ${attempt + 1} times)`, e.status, e.registryCode, e.transient);
        }
        await sleep(this.#retryDelayMs * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  async #request(
    method: string,
    path: string | URL,
    options: { readonly scope: 'pull' | 'push' | undefined; readonly body?: Uint8Array; readonly headers?: Record<string, string> },
  ): Promise<Response> {
    const url = typeof path === 'string' ? new URL(path, this.baseUrl + '/') : path;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      const auth = await this.#authorization(options.scope);
      if (auth !== undefined && url.origin === new URL(this.baseUrl).origin) headers['authorization'] = auth;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(options.body !== undefined ? { body: options.body } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new RegistryError(`${this.location}: cannot reach the registry (${method} ${url.pathname}): ${cause?.code ?? cause?.message ?? (e as Error).message}`, 0, undefined, !isTimeout(e));
      }
      if (response.status !== 401 || attempt > 0) return response;
      // Authenticate as the registry asks, then try once more.
      const challenge = response.headers.get('www-authenticate') ?? '';
      await response.body?.cancel();
      if (!this.#learnChallenge(challenge)) return new Response(null, { status: 401, headers: response.headers });
      if (this.#challenge?.scheme === 'bearer') this.#tokens.delete(this.#scope(options.scope));
    }
  }

  #scope(scope: 'pull' | 'push' | undefined): string {
    return scope === undefined ? '' : `repository:${this.repository}:${scope === 'push' ? 'pull,push' : 'pull'}`;
  }

  #learnChallenge(header: string): boolean {
    const scheme = /^\s*(\w+)/.exec(header)?.[1]?.toLowerCase();
    if (scheme === 'basic' && this.#credentials !== undefined) {
      this.#challenge = { scheme: 'basic' };
      return true;
    }
    if (scheme === 'bearer') {
      const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]?.toLowerCase(), m[2]]));
      const realm = params['realm'];
      if (realm === undefined) return false;
      this.#challenge = { scheme: 'bearer', realm, service: params['service'] };
      return true;
    }
    return false;
  }

  async #authorization(scope: 'pull' | 'push' | undefined): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    const basic = this.#credentials !== undefined ? `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}` : undefined;
    if (challenge.scheme === 'basic') return basic;
    const key = this.#scope(scope);
    const cached = this.#tokens.get(key);
    if (cached !== undefined) return `Bearer ${cached}`;
    const url = new URL(challenge.realm);
    if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
    if (key !== '') url.searchParams.set('scope', key);
    let response: Response;
    try {
      response = await fetch(url, { headers: basic !== undefined ? { authorization: basic } : {}, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (e) {
      throw new RegistryError(`${this.location}: cannot reach the registry's token service ${url.origin}: ${(e as Error).message}`, 0, undefined, !isTimeout(e));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new RegistryError(`${this.location}: the token service ${url.origin} answered ${response.status}${this.#credentials === undefined ? ' (no credentials were given)' : ''}`, response.status, 'UNAUTHORIZED');
    }
    const body = JSON.parse(new TextDecoder().decode(await readBounded(response, 1 << 20, 'a token'))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (token === undefined) throw new RegistryError(`${this.location}: the token service ${url.origin} answered no token`, 200, 'UNAUTHORIZED');
    this.#tokens.set(key, token);
    return `Bearer ${token}`;
  }

  /**
   * Throws unless the answer's status is one of `statuses`; the error is transient for the statuses of
   * {@link TRANSIENT_STATUSES} and when the registry's error body lists one of `transientCodes`.
   */
  async #expect(response: Response, statuses: readonly number[], what: string, transientCodes: readonly string[] = []): Promise<void> {
    if (statuses.includes(response.status)) return;
    const text = await response.text().catch(() => '');
    let codes: string[] = [];
    let message = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      codes = (body.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
      if (codes[0] !== undefined) message = `${codes.join(', ')}: ${body.errors?.[0]?.message ?? ''}`;
    } catch {
      // not the spec's error body
    }
    const transient = TRANSIENT_STATUSES.has(response.status) || codes.some((c) => transientCodes.includes(c));
    throw new RegistryError(`${this.location}: ${what}: the registry answered ${response.status}${message !== '' ? ` (${message.trim()})` : ''}`, response.status, codes[0], transient);
  }
}

/** Reads a body into memory, refusing more than `limit` bytes (announced or arriving). */
async function readBounded(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw new RegistryError(`${what} is ${declared} bytes, more than the ${limit} accepted`, response.status, 'TOO_LARGE');
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  for (;;) {
    if (reader === undefined) break;
    let step;
    try {
      step = await reader.read();
    } catch (e) {
      throw new RegistryError(`the download of ${what} broke off: ${(e as Error).message}`, response.status, undefined, !isTimeout(e));
    }
    if (step.done) break;
    total += step.value.length;
    if (total > limit) {
      await reader.cancel();
      throw new RegistryError(`${what} is more than the ${limit} bytes accepted`, response.status, 'TOO_LARGE');
    }
    chunks.push(step.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether a fetch failed because its own timeout signal fired (retrying would only wait as long again). */
function isTimeout(e: unknown): boolean {
  return e instanceof Error && (e.name === 'TimeoutError' || (e.cause instanceof Error && e.cause.name === 'TimeoutError'));
}

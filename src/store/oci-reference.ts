/**
 * OCI references as bpfship writes them: `oci://HOST[:PORT]/REPOSITORY` for a store (`bpfship serve --store`) and
 * `oci://HOST[:PORT]/REPOSITORY:TAG` or `...@sha256:HEX` for one artifact (`bpfship fetch`). The repository follows
 * the distribution spec's rule (path components of lowercase letters and digits with separators, joined by `/`),
 * tags theirs (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`).
 *
 * The transport is HTTPS, except for a registry on a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`), which
 * is reached over plain HTTP as Docker does by default; `plainHttp` forces plain HTTP anywhere (a test network).
 *
 * Author: Claude.
 *
 * @module
 */

/** The distribution spec's repository name rule. */
export const OCI_REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** The distribution spec's tag rule. */
export const OCI_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A registry and a repository in it. */
export interface OciRepository {
  /** `HOST[:PORT]` as given (IPv6 in brackets). */
  readonly host: string;
  readonly repository: string;
  /** `http://HOST:PORT` or `https://HOST:PORT`: where the `/v2/` API is. */
  readonly baseUrl: string;
}

/** One artifact in a repository: by tag or by digest. */
export interface OciArtifactReference extends OciRepository {
  readonly tag?: string;
  readonly digest?: string;
}

/** Whether a host (without port) is a loopback name or address. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function parseHostAndPath(text: string, what: string): { host: string; rest: string; baseUrl: (plain: boolean) => string } {
  const m = /^oci:\/\/((?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?)\/(.+)$/.exec(text);
  if (m === null) throw new TypeError(`expected ${what} oci://HOST[:PORT]/REPOSITORY..., got '${text.slice(0, 200)}'`);
  const host = m[1] as string;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    throw new TypeError(`expected ${what} with a valid host, got '${host}'`);
  }
  return { host, rest: m[2] as string, baseUrl: (plain) => `${plain || isLoopbackHost(hostname) ? 'http' : 'https'}://${host}` };
}

/**
 * Parses `oci://HOST[:PORT]/REPOSITORY` (a store).
 *
 * @example
 * ```ts
 * parseOciRepository('oci://127.0.0.1:5000/bpf/images'); // { host: '127.0.0.1:5000', repository: 'bpf/images', baseUrl: 'http://127.0.0.1:5000' }
 * ```
 * @throws {TypeError} naming what was expected.
 */
export function parseOciRepository(text: string, options: { readonly plainHttp?: boolean } = {}): OciRepository {
  const { host, rest, baseUrl } = parseHostAndPath(text, 'a registry repository');
  if (!OCI_REPOSITORY_PATTERN.test(rest) || rest.length > 255) {
    throw new TypeError(`expected a repository name of lowercase letters and digits (separated by '.', '_', '__' or '-', path components joined by '/'), got '${rest.slice(0, 200)}'`);
  }
  return { host, repository: rest, baseUrl: baseUrl(options.plainHttp === true) };
}

/**
 * Parses `oci://HOST[:PORT]/REPOSITORY:TAG` or `oci://HOST[:PORT]/REPOSITORY@sha256:HEX` (one artifact).
 *
 * @throws {TypeError} naming what was expected.
 */
export function parseOciArtifactReference(text: string, options: { readonly plainHttp?: boolean } = {}): OciArtifactReference {
  const { host, rest, baseUrl } = parseHostAndPath(text, 'an artifact reference');
  let repository = rest;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    repository = rest.slice(0, at);
    digest = rest.slice(at + 1);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new TypeError(`expected a digest sha256:<64 lowercase hex digits> after '@', got '${digest.slice(0, 80)}'`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0 || rest.indexOf('/', colon) >= 0) throw new TypeError(`expected REPOSITORY:TAG (e.g. bpf/images:xdp-firewall-3) or REPOSITORY@sha256:..., got '${rest.slice(0, 200)}'`);
    repository = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
    if (!OCI_TAG_PATTERN.test(tag)) throw new TypeError(`expected a tag of at most 128 letters, digits, '.', '_' or '-' (not starting with '.' or '-'), got '${tag.slice(0, 200)}'`);
  }
  if (!OCI_REPOSITORY_PATTERN.test(repository) || repository.length > 255) {
    throw new TypeError(`expected a repository name of lowercase letters and digits (separated by '.', '_', '__' or '-', path components joined by '/'), got '${repository.slice(0, 200)}'`);
  }
  return { host, repository, baseUrl: baseUrl(options.plainHttp === true), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

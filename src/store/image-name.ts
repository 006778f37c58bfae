/**
 * Image names: what `POST /v1/builds?name=NAME` publishes under and `bpfship fetch URL NAME` asks for. They follow
 * the OCI distribution spec's rule for a repository path component (lowercase letters and digits, separated by
 * one `.`, `_`, `__` or any run of `-`), so that every name can later be an OCI repository unchanged; and they
 * can never be a path (`..`, `/`) in a store on disk.
 *
 * Author: Claude.
 *
 * @module
 */

/** The longest name accepted. */
export const MAX_IMAGE_NAME_LENGTH = 128;

/** The OCI path-component rule (see the module comment). */
export const IMAGE_NAME_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Why `name` is not a valid image name, or undefined when it is.
 *
 * @example
 * ```ts
 * imageNameProblem('xdp-firewall'); // undefined
 * imageNameProblem('Firewall');     // "expected lowercase letters and digits ..."
 * ```
 */
export function imageNameProblem(name: string): string | undefined {
  if (name === '') return 'expected an image name, got an empty one';
  if (name.length > MAX_IMAGE_NAME_LENGTH) return `expected an image name of at most ${MAX_IMAGE_NAME_LENGTH} characters, got ${name.length}`;
  if (!IMAGE_NAME_PATTERN.test(name)) {
    return `expected an image name of lowercase letters and digits, separated by '.', '_', '__' or '-' (e.g. 'xdp-firewall'), got '${name.slice(0, 80)}'`;
  }
  return undefined;
}

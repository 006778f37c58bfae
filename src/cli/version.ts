/**
 * bpfship's version, read from the package's own package.json (one file, one source of the number): from
 * src/cli/ (tsx) and dist/cli/ (the package) alike it is two directories up.
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

let version: string | undefined;

/** The `version` field of bpfship's package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

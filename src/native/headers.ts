/**
 * The two C headers a generated file needs: bpf2c's runtime ABI (src/bpf2c/bpfship_native.h) and the runtime
 * core's API (src/core/bpfship_core.h). Builds copy them beside the C file, so their bytes, not their
 * location, decide the output.
 *
 * Author: Claude.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A header's name and text. */
export interface HeaderFile {
  readonly name: string;
  readonly text: string;
}

const here = dirname(fileURLToPath(import.meta.url));
// From src/native/ (tsx) or dist/native/ (compiled; the package ships src/ too).
const roots = [resolve(here, '..'), resolve(here, '..', '..', 'src')];

function find(relative: string): string {
  for (const r of roots) {
    const p = join(r, relative);
    if (existsSync(p)) return p;
  }
  throw new Error(`cannot find ${relative} (looked in ${roots.join(', ')}); the package is incomplete`);
}

let loaded: readonly HeaderFile[] | undefined;

/** bpfship_native.h and bpfship_core.h, read once. */
export function nativeHeaders(): readonly HeaderFile[] {
  loaded ??= [
    { name: 'bpfship_native.h', text: readFileSync(find('bpf2c/bpfship_native.h'), 'utf8') },
    { name: 'bpfship_core.h', text: readFileSync(find('core/bpfship_core.h'), 'utf8') },
  ];
  return loaded;
}

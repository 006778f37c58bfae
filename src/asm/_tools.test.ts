/**
 * Shared by the asm tests (it holds no tests itself): the corpus file list and the llvm-objdump runner. Named
 * `.test.ts` because it reads files (node:fs), which the layer's own sources must not.
 *
 * Author: Claude.
 *
 * @module
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, PROGRAMS_OBJ, SHARED } from '../internal/test-files.ts';

/** The objects the differential tests run over: the whole corpus (broken objects included) and the examples. */
export const CORPUS_DIRS = [CORPUS, PROGRAMS_OBJ];
/** The bpf_conformance tests. */
export const CONFORMANCE_DIR = join(SHARED, 'conformance');
/** The example programs' directory (sources and objects), where `llvm-objdump -S` finds the sources. */
export const PROGRAMS_DIR = join(SHARED, 'programs');
/** The llvm-objdump the listings are compared with. */
export const OBJDUMP = 'llvm-objdump-19';

/** Every file under the corpus directories, recursively, sorted. */
export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  for (const d of CORPUS_DIRS) walk(d);
  return out;
}

/** Whether the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Reads a file. */
export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/**
 * Runs llvm-objdump; throws (failing the test) when it is not installed. Returns undefined when it rejects the
 * file (exit status non-zero).
 */
export function objdump(args: readonly string[], cwd?: string): string | undefined {
  try {
    return execFileSync(OBJDUMP, args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'], ...(cwd === undefined ? {} : { cwd }) }).toString();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${OBJDUMP} is not installed; the differential tests need it`);
    return undefined;
  }
}

/** Fails when llvm-objdump is missing (the differential tests must not pass silently without it). */
export function requireObjdump(): void {
  try {
    execFileSync(OBJDUMP, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${OBJDUMP} is not installed; the differential tests need it`);
  }
}

/** The `.data` files of the conformance suite (not the negative ones). */
export function conformanceFiles(): string[] {
  return readdirSync(CONFORMANCE_DIR).filter((n) => n.endsWith('.data')).sort().map((n) => join(CONFORMANCE_DIR, n));
}

/** The negative `.data` files. */
export function negativeConformanceFiles(): string[] {
  const dir = join(CONFORMANCE_DIR, 'negative');
  return readdirSync(dir).filter((n) => n.endsWith('.data')).sort().map((n) => join(dir, n));
}

/** A deterministic pseudo-random generator (so failures reproduce). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * Test support: the shared test data and the reference tools tests compare against. Only tests import this.
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `../shared` beside the checkout. */
export const SHARED = resolve(import.meta.dirname, '..', '..', '..', 'shared');
export const CORPUS = join(SHARED, 'corpus', 'ebpf-samples');
export const PROGRAMS_OBJ = join(SHARED, 'programs', 'obj');

/** Every file below `dir`, sorted, recursively. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** True when the file starts with the ELF magic. */
export function isElf(path: string): boolean {
  const b = readFileSync(path);
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Every ELF object of the corpus and of the example programs, except the deliberately broken ones. */
export function corpusObjects(): string[] {
  return [...filesBelow(CORPUS), ...filesBelow(PROGRAMS_OBJ)].filter((f) => !f.includes('/invalid/') && isElf(f));
}

/** The deliberately malformed objects of the corpus. */
export function invalidObjects(): string[] {
  return filesBelow(join(CORPUS, 'invalid'));
}

/**
 * Runs a reference tool and returns its stdout. A missing tool throws (the set-up command installs every tool the
 * tests use, so a missing one is a set-up fault to report, not a reason to skip).
 */
export function runTool(tool: string, args: readonly string[]): { stdout: string; status: number; stderr: string } {
  try {
    const stdout = execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return { stdout, status: 0, stderr: '' };
  } catch (e) {
    const err = e as { code?: string; status?: number; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${tool} is not installed: run the README's set-up command (bash scripts/setup.sh)`);
    return { stdout: err.stdout ?? '', status: err.status ?? 1, stderr: err.stderr ?? '' };
  }
}

/**
 * Compares `actual` with the golden file at `path`; with `UPDATE_GOLDEN=1` in the environment, rewrites the file
 * instead. Generated output (disassembly, inspect reports, generated C) is reviewed as diffs of these files.
 */
export function assertGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`golden file ${path} is missing: run the test with UPDATE_GOLDEN=1 to create it`);
  }
  if (expected !== actual) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    let i = 0;
    while (i < a.length && a[i] === e[i]) i++;
    throw new Error(`output differs from ${path} at line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n(run with UPDATE_GOLDEN=1 to accept the new output)`);
  }
}

/** Where libbpf, bpftool and the kernel expect the BPF filesystem. */
export const BPFFS = '/sys/fs/bpf';

/**
 * Makes sure a BPF filesystem is mounted at /sys/fs/bpf, mounting one when the machine has none (some machines boot
 * without it; `mount -t bpf` needs root). Returns why it cannot, or undefined when bpffs is there.
 *
 * Check before creating anything under /sys/fs/bpf: with no bpffs mounted it is a sysfs directory where mkdir fails
 * with ENOENT, and Node 20's `mkdirSync(..., { recursive: true })` then retries forever.
 */
export function ensureBpffs(): string | undefined {
  const mounted = (): boolean =>
    readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => {
      const [, where, type] = l.split(' ');
      return where === BPFFS && type === 'bpf';
    });
  if (mounted()) return undefined;
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string };
    return `no BPF filesystem at ${BPFFS}, and mounting one failed (${String(err.stderr ?? err.message).trim()}): not root?`;
  }
  return mounted() ? undefined : `mount -t bpf succeeded but no BPF filesystem is mounted at ${BPFFS}`;
}

/**
 * The BPF filesystem, where deployments pin their programs, maps and links so that they outlive the process that
 * loaded them. bpffs holds only BPF objects and directories: the deployment records live elsewhere (state.ts).
 *
 * Some machines boot without bpffs mounted at /sys/fs/bpf. There /sys/fs/bpf is a plain sysfs directory in which
 * nothing can be created, and Node 20's `mkdirSync(..., { recursive: true })` retries such a failure forever: every
 * directory here is made one level at a time, each parent checked to be on bpffs first.
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DeployError } from './errors.ts';

/** Where libbpf, bpftool and the kernel documentation expect the BPF filesystem. */
export const DEFAULT_BPFFS = '/sys/fs/bpf';

/** `BPF_FS_MAGIC` from linux/magic.h: statfs's f_type of a bpffs. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** Whether `path` (which must exist) is on a BPF filesystem. */
export function onBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** The mount points of bpffs instances, from /proc/mounts. */
export function bpffsMounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'bpf' && f[1] !== undefined)
    .map((f) => unescapeMountPath(f[1] as string));
}

/** /proc/mounts writes space, tab, newline and backslash in paths as octal escapes. */
export function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Makes sure `dir` can hold pins: it or its nearest existing ancestor must be on bpffs. When the ancestor is the
 * default mount point /sys/fs/bpf without a bpffs, one is mounted there (`mount -t bpf`, root only), as systemd
 * does at boot on most distributions. Returns what was done, for messages.
 *
 * @throws {DeployError} naming the directory and what to do, when no bpffs can be used there.
 */
export function ensureBpffsFor(dir: string): 'present' | 'mounted' {
  const target = resolve(dir);
  let existing = target;
  while (!existsSync(existing)) existing = dirname(existing);
  if (onBpffs(existing)) return 'present';
  // The one place a bpffs is mounted: the default mount point, for a directory below it.
  const belowDefault = target === DEFAULT_BPFFS || target.startsWith(DEFAULT_BPFFS + '/');
  if (!belowDefault || !existsSync(DEFAULT_BPFFS)) {
    throw new DeployError(`${dir} is not on a BPF filesystem (${existing} is not bpffs), and pins need one: mount it first (mount -t bpf bpf DIR) or choose a directory below one`);
  }
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', DEFAULT_BPFFS], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string };
    throw new DeployError(`no BPF filesystem is mounted at ${DEFAULT_BPFFS}, and mounting one failed (${String(err.stderr ?? err.message).trim()}): run as root, or mount it first with: mount -t bpf bpf ${DEFAULT_BPFFS}`);
  }
  if (!onBpffs(DEFAULT_BPFFS)) throw new DeployError(`mount -t bpf succeeded, but ${DEFAULT_BPFFS} is still not a BPF filesystem`);
  return 'mounted';
}

/**
 * Creates `dir` and its missing parents one level at a time, each under a directory checked to be on bpffs.
 * Returns the directories created, outermost first (what a rollback removes, innermost first).
 *
 * @throws {DeployError} when a parent is not on bpffs or a directory cannot be made.
 */
export function makeBpffsDirectories(dir: string): string[] {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  while (!existsSync(at)) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (!onBpffs(at)) throw new DeployError(`${at} is not on a BPF filesystem: cannot create ${target} there`);
  const created: string[] = [];
  for (const d of missing) {
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(d, { mode: 0o700 });
        created.push(d);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'EEXIST') break; // made by a concurrent deployment meanwhile
        // A concurrent removal took an empty parent away between our steps: make it again, once.
        if (code === 'ENOENT' && attempt === 0 && created.length === 0) {
          created.push(...makeBpffsDirectories(dirname(d)));
          continue;
        }
        throw new DeployError(`cannot create the pin directory ${d}: ${(e as Error).message}`);
      }
      break;
    }
  }
  return created;
}

/** Removes a pin (an unlink of the bpffs file: the object lives on while something else holds it). */
export function unpin(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw e;
  }
}

/** Removes `dir` when it is empty; false when it is not (or is gone). */
export function removeEmptyDirectory(dir: string): boolean {
  try {
    if (readdirSync(dir).length > 0) return false;
    rmdirSync(dir);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return false;
    throw e;
  }
}

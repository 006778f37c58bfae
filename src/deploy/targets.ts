/**
 * Resolving attach points to what the kernel takes: an interface's index in this network namespace, a cgroup v2
 * directory. Checked before anything is decided or loaded, so that a typo is a usage error, not a half deployment.
 *
 * cgroup v2 is not always mounted at /sys/fs/cgroup: hybrid layouts mount it at /sys/fs/cgroup/unified beside the
 * v1 hierarchies. The mounts are read from /proc/mounts to say where it is when a path is not a cgroup v2 directory.
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync, statfsSync, statSync } from 'node:fs';
import type { AttachPoint } from './attach-point.ts';
import { unescapeMountPath } from './bpffs.ts';
import { DeployError } from './errors.ts';
import type { Libbpf } from './libbpf.ts';

/** `CGROUP2_SUPER_MAGIC` from linux/magic.h. */
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** An attach point with its target resolved. */
export interface ResolvedAttachPoint {
  readonly point: AttachPoint;
  /** The interface index (xdp, tc). */
  readonly ifindex?: number;
  /** The cgroup directory (cgroup kinds). */
  readonly cgroupPath?: string;
}

/** Where cgroup v2 is mounted, from /proc/mounts (none, one, or several for bind mounts). */
export function cgroup2Mounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup2' && f[1] !== undefined)
    .map((f) => unescapeMountPath(f[1] as string));
}

/** Whether `path` is a directory of a cgroup v2 hierarchy. */
export function isCgroup2Directory(path: string): boolean {
  try {
    return statSync(path).isDirectory() && statfsSync(path).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Resolves the target of `point`.
 *
 * @throws {DeployError} naming the interface or directory and what was expected.
 */
export function resolveAttachPoint(lib: Libbpf, point: AttachPoint): ResolvedAttachPoint {
  if (point.family === 'cgroup') {
    if (!isCgroup2Directory(point.target)) {
      const mounts = cgroup2Mounts();
      const where = mounts.length === 0 ? 'no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)' : `cgroup v2 is mounted at ${mounts.join(', ')}`;
      throw new DeployError(`attach point '${point.text}': ${point.target} is not a cgroup v2 directory (${where})`);
    }
    return { point, cgroupPath: point.target };
  }
  const ifindex = lib.ifNameToIndex(point.target);
  if (ifindex === 0) throw new DeployError(`attach point '${point.text}': there is no interface named '${point.target}' in this network namespace`);
  return { point, ifindex };
}

/**
 * Removing a deployment: `bpfship deploy remove NAME` and `undeploy(...)`. Everything its record lists is taken
 * away, newest first: each link is detached (BPF_LINK_DETACH, so it goes even if another process holds the link
 * open) and unpinned, each clsact filter deleted, the maps and the program unpinned (the kernel frees them once
 * nothing holds them), the directories the deployment created removed when empty, and the record deleted.
 *
 * A map pinned by name (`LIBBPF_PIN_BY_NAME`) is shared by design: it is unpinned only when this deployment
 * created it and no other deployment's record names the same pin; while another still uses it, that one becomes its
 * owner (its record says it created the pin) and unpins it when it goes. A pin that existed before any deployment
 * is never removed. A clsact qdisc bpfship created is left in place
 * (it holds no BPF object once the filter is gone, and other tools may have added filters to it).
 *
 * Removal goes on past a failing step and reports every failure; the record is kept until all steps succeed, so
 * running it again finishes the job.
 *
 * Author: Claude.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { removeEmptyDirectory, unpin } from './bpffs.ts';
import { deleteRecord, readRecord, readRecords, stateDirectory, writeRecord, type DeploymentRecord } from './deployment-record.ts';
import { DEFAULT_PIN_BASE, detachPinnedLink } from './deploy.ts';
import { DeployError } from './errors.ts';
import { linkInfo } from './kernel-objects.ts';
import { LibbpfError, loadLibbpf, TcAttachPoint, type Libbpf } from './libbpf.ts';

/** What {@link undeploy} is asked. */
export interface UndeployOptions {
  readonly name: string;
  readonly stateDir?: string;
}

/** What was removed. */
export interface Undeployed {
  /** The record as it was. */
  readonly record: DeploymentRecord;
  /** One line per step done (`detached xdp:veth0 (link 44)`). */
  readonly steps: readonly string[];
  /** By-name pins left because another deployment uses them, or because this one did not create them. */
  readonly kept: readonly string[];
}

/**
 * Removes deployment `name` (see the module comment).
 *
 * @example
 * ```ts
 * undeploy({ name: 'fw' }).steps; // ['detached xdp:veth0 (link 44)', 'unpinned ...', ...]
 * ```
 * @throws {DeployError} when there is no such deployment, or naming every step that failed (the record is kept).
 */
export function undeploy(options: UndeployOptions): Undeployed {
  const stateDir = stateDirectory(options.stateDir);
  const record = readRecord(stateDir, options.name);
  if (record === undefined) throw new DeployError(`there is no deployment named '${options.name}' (bpfship deploy list shows them; state directory ${stateDir})`);
  const lib = loadLibbpf();
  const steps: string[] = [];
  const kept: string[] = [];
  const failures: string[] = [];
  const step = (what: string, fn: () => boolean | void): void => {
    try {
      if (fn() !== false) steps.push(what);
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
    }
  };

  for (const a of [...record.attachments].reverse()) {
    if (a.via === 'link') {
      step(`detached ${a.point} (link ${a.linkId})`, () => detachLink(lib, a.pin, a.linkId, record.program?.id));
      step(`unpinned ${a.pin}`, () => unpin(a.pin));
    } else {
      const hook = { ifindex: a.ifindex, attach_point: a.direction === 'ingress' ? TcAttachPoint.ingress : TcAttachPoint.egress, parent: 0 };
      step(`deleted the tc filter at ${a.point} (handle ${a.handle}, priority ${a.priority})`, () => {
        if (lib.tcQuery(hook, a) === undefined) return false; // gone with its interface or qdisc
        lib.tcDetach(hook, a);
        return true;
      });
    }
  }
  const others = readRecords(stateDir).filter((r) => r.name !== record.name);
  for (const m of [...record.maps].reverse()) {
    if (m.pinnedByName) {
      const user = others.find((r) => r.maps.some((o) => o.pin === m.pin));
      if (user !== undefined && m.created) {
        // The map is still used: whoever uses it now owns the pin, and unpins it when it goes.
        step(`handed ${m.pin} over to deployment '${user.name}'`, () => writeRecord(stateDir, { ...user, maps: user.maps.map((o) => (o.pin === m.pin ? { ...o, created: true } : o)) }));
        kept.push(`${m.pin} (also used by deployment '${user.name}')`);
        continue;
      }
      if (!m.created || user !== undefined) {
        kept.push(`${m.pin} (${m.created ? `also used by deployment '${user?.name ?? '?'}'` : 'it existed before this deployment'})`);
        continue;
      }
    }
    step(`unpinned map ${m.name} (${m.pin})`, () => unpin(m.pin));
  }
  if (record.program !== null) {
    const pin = record.program.pin;
    step(`unpinned program ${record.program.name} (${pin})`, () => unpin(pin));
  }
  step(`removed ${record.pinDir}`, () => {
    if (!existsSync(record.pinDir)) return false;
    if (!removeEmptyDirectory(record.pinDir)) throw new Error(`${record.pinDir} is not empty: something else was pinned there`);
    return true;
  });
  // The directories this deployment made, and bpfship's own directory of deployments once it is empty.
  const parents = new Set([...record.createdDirectories].reverse().filter((d) => d !== record.pinDir));
  if (dirname(record.pinDir) === DEFAULT_PIN_BASE) parents.add(DEFAULT_PIN_BASE);
  for (const d of parents) {
    if (existsSync(d)) step(`removed ${d}`, () => removeEmptyDirectory(d));
  }
  if (failures.length > 0) {
    writeRecord(stateDir, record);
    throw new DeployError(`deployment '${record.name}' was not removed completely:\n  ${failures.join('\n  ')}\n(its record is kept; run bpfship deploy remove ${record.name} again once the cause is fixed)`);
  }
  deleteRecord(stateDir, record.name);
  return { record, steps, kept };
}

/**
 * Detaches the link pinned at `pin`, or by id when the pin is gone (only if that link still holds our program: ids
 * are reused); false when the link is gone already.
 */
function detachLink(lib: Libbpf, pin: string, id: number, programId: number | undefined): boolean {
  if (existsSync(pin)) {
    detachPinnedLink(lib, pin);
    return true;
  }
  let fd: number;
  try {
    fd = lib.linkFdById(id);
  } catch (e) {
    if (e instanceof LibbpfError && e.errno === 2) return false; // ENOENT: no such link any more
    throw e;
  }
  try {
    if (linkInfo(lib, fd).progId !== programId) return false;
    lib.linkDetach(fd);
  } finally {
    lib.close_fd(fd);
  }
  return true;
}

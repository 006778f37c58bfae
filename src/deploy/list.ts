/**
 * What is deployed: `bpfship deploy list` and `deploy maps`. The records say what bpfship did; the kernel is asked
 * whether it still holds: each pin is opened and its object's id compared with the record, each link checked to
 * be attached (an XDP link whose interface went away stays pinned but detached), each clsact filter queried.
 *
 * Author: Claude.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readRecord, readRecords, stateDirectory, type DeploymentRecord, type MapRecord } from './deployment-record.ts';
import { DeployError } from './errors.ts';
import { linkInfo, mapInfo, programInfo, withFd, type MapInfo } from './kernel-objects.ts';
import { loadLibbpf, TcAttachPoint, type Libbpf } from './libbpf.ts';
import { dumpMap } from './map-dump.ts';

/** A deployment and what the kernel says of it. */
export interface DeploymentStatus {
  readonly record: DeploymentRecord;
  /** Whatever no longer holds (`link 44 at xdp:veth0 is detached (its interface is gone)`); empty when all is well. */
  readonly problems: readonly string[];
}

/**
 * Every deployment of the state directory, checked against the kernel.
 *
 * @example
 * ```ts
 * for (const d of listDeployments()) console.log(d.record.name, d.problems.length === 0 ? 'ok' : d.problems);
 * ```
 */
export function listDeployments(options: { readonly stateDir?: string } = {}): DeploymentStatus[] {
  const problems: string[] = [];
  const records = readRecords(stateDirectory(options.stateDir), problems);
  if (problems.length > 0) throw new DeployError(problems.join('\n'));
  if (records.length === 0) return [];
  const lib = loadLibbpf();
  return records.map((record) => ({ record, problems: check(lib, record) }));
}

function check(lib: Libbpf, r: DeploymentRecord): string[] {
  const out: string[] = [];
  if (r.state !== 'deployed') out.push(`the deployment did not finish (state '${r.state}'): remove it with bpfship deploy remove ${r.name}`);
  const pinned = (what: string, pin: string, id: number, info: (fd: number) => { readonly id: number }): boolean => {
    if (!existsSync(pin)) {
      out.push(`${what} is no longer pinned at ${pin}`);
      return false;
    }
    try {
      const now = withFd(lib, () => lib.objGet(pin), info).id;
      if (now !== id) out.push(`${pin} now holds ${what.split(' ')[0]} ${now}, not ${id}`);
      return now === id;
    } catch (e) {
      out.push(`${pin}: ${(e as Error).message}`);
      return false;
    }
  };
  if (r.program !== null) pinned(`program ${r.program.name} (id ${r.program.id})`, r.program.pin, r.program.id, (fd) => programInfo(lib, fd));
  for (const m of r.maps) pinned(`map ${m.name} (id ${m.id})`, m.pin, m.id, (fd) => mapInfo(lib, fd));
  for (const a of r.attachments) {
    if (a.via === 'link') {
      if (!pinned(`link ${a.linkId} at ${a.point}`, a.pin, a.linkId, (fd) => linkInfo(lib, fd))) continue;
      const info = withFd(lib, () => lib.objGet(a.pin), (fd) => linkInfo(lib, fd));
      if (info.ifindex === 0 || info.cgroupId === 0n) out.push(`link ${a.linkId} at ${a.point} is detached (its ${info.ifindex === 0 ? 'interface' : 'cgroup'} is gone)`);
    } else {
      const hook = { ifindex: a.ifindex, attach_point: a.direction === 'ingress' ? TcAttachPoint.ingress : TcAttachPoint.egress, parent: 0 };
      const progId = lib.tcQuery(hook, a);
      if (progId === undefined) out.push(`the tc filter at ${a.point} (handle ${a.handle}, priority ${a.priority}) is gone`);
      else if (r.program !== null && progId !== r.program.id) out.push(`the tc filter at ${a.point} now runs program ${progId}`);
    }
  }
  return out;
}

/** One pinned map of a deployment, as the kernel describes it, with its entries in bpftool's layout. */
export interface DeployedMap {
  readonly record: MapRecord;
  readonly info: MapInfo;
  /** `bpftool map dump`'s text. */
  readonly dump: string;
}

/**
 * The maps of deployment `name` with their entries (`deploy maps NAME`); with `map`, only that one.
 *
 * @throws {DeployError} when there is no such deployment or map, or a map is no longer pinned.
 */
export function deploymentMaps(options: { readonly name: string; readonly map?: string; readonly stateDir?: string }): DeployedMap[] {
  const stateDir = stateDirectory(options.stateDir);
  const record = readRecord(stateDir, options.name);
  if (record === undefined) throw new DeployError(`there is no deployment named '${options.name}' (bpfship deploy list shows them)`);
  const maps = options.map === undefined ? record.maps : record.maps.filter((m) => m.name === options.map);
  if (options.map !== undefined && maps.length === 0) throw new DeployError(`deployment '${options.name}' has no map named '${options.map}' (its maps: ${record.maps.map((m) => m.name).join(', ') || 'none'})`);
  const lib = loadLibbpf();
  return maps.map((m) => {
    if (!existsSync(m.pin)) throw new DeployError(`map ${m.name} of deployment '${options.name}' is no longer pinned at ${m.pin}`);
    return withFd(lib, () => lib.objGet(m.pin), (fd) => {
      const info = mapInfo(lib, fd);
      return { record: m, info, dump: dumpMap(lib, fd, info) };
    });
  });
}

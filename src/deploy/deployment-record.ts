/**
 * The record of a deployment: what bpfship loaded, pinned and attached under a name, so that `deploy list` can
 * show it and `deploy remove` can take all of it away. bpffs holds only BPF objects, so records live in a state
 * directory: `$BPFSHIP_STATE_DIR`, else `/run/bpfship` (a tmpfs, like bpffs itself: both are gone after a reboot,
 * so a record never outlives what it describes). One JSON file per deployment, `deployments/NAME.json`, created
 * exclusively (two deployments of one name cannot race) and replaced atomically (a reader never sees half of one).
 *
 * ```json
 * {
 *   "format": "bpfship-deployment/1",
 *   "name": "fw", "state": "deployed", "deployedAt": "2026-08-01T12:00:00.000Z",
 *   "object": { "name": "xdp_firewall.o", "digest": "sha256:..." },
 *   "policy": "production",
 *   "signer": { "subject": "CN=...", "issuer": "CN=...", "serialNumber": "...", "fingerprint256": "...", "verified": true },
 *   "pinDir": "/sys/fs/bpf/bpfship/fw", "createdDirectories": ["/sys/fs/bpf/bpfship", "/sys/fs/bpf/bpfship/fw"],
 *   "program": { "name": "xdp_firewall", "section": "xdp", "type": "xdp", "id": 812, "tag": "4f1d...", "pin": "/sys/fs/bpf/bpfship/fw/prog_xdp_firewall" },
 *   "maps": [{ "name": "verdicts", "id": 301, "pin": "/sys/fs/bpf/bpfship/fw/map_verdicts", "pinnedByName": false, "created": true }],
 *   "attachments": [{ "point": "xdp:veth0", "kind": "xdp", "target": "veth0", "ifindex": 7, "via": "link", "linkId": 44, "pin": "/sys/fs/bpf/bpfship/fw/link_0_xdp" }]
 * }
 * ```
 *
 * `state` is `deploying` from the moment the name is taken until everything is attached; a record left in that
 * state (the deploying process was killed) still lists every pin made, so `deploy remove` cleans it up.
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DeployError } from './errors.ts';

/** The record format's name and version. */
export const DEPLOYMENT_RECORD_FORMAT = 'bpfship-deployment/1';

/** The state directory when neither an option nor `$BPFSHIP_STATE_DIR` names one. */
export const DEFAULT_STATE_DIR = '/run/bpfship';

/** How a program is attached at one point. */
export type AttachmentRecord =
  | {
      /** As given, `xdp:veth0`. */
      readonly point: string;
      readonly kind: string;
      readonly target: string;
      /** A BPF link (xdp, tcx, cgroup), pinned so it outlives the process. */
      readonly via: 'link';
      readonly attachType: string;
      readonly ifindex?: number;
      readonly linkId: number;
      readonly pin: string;
    }
  | {
      readonly point: string;
      readonly kind: string;
      readonly target: string;
      /** A cls_bpf filter on a clsact qdisc (kernels before tcx): it lives as long as the qdisc. */
      readonly via: 'clsact';
      readonly ifindex: number;
      readonly direction: 'ingress' | 'egress';
      readonly handle: number;
      readonly priority: number;
      /** Whether bpfship created the clsact qdisc. */
      readonly qdiscCreated: boolean;
    };

/** One map of a deployment. */
export interface MapRecord {
  readonly name: string;
  readonly id: number;
  readonly pin: string;
  /** Pinned by libbpf under the pin root because the object asks for it (`LIBBPF_PIN_BY_NAME`), shareable. */
  readonly pinnedByName: boolean;
  /** Whether this deployment created the map (false: an existing pinned map was reused). */
  readonly created: boolean;
}

/** A deployment (see the module comment). */
export interface DeploymentRecord {
  readonly format: typeof DEPLOYMENT_RECORD_FORMAT;
  readonly name: string;
  readonly state: 'deploying' | 'deployed';
  readonly deployedAt: string;
  readonly object: { readonly name: string; readonly digest: string };
  readonly policy: string;
  readonly signer: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly fingerprint256: string; readonly verified: boolean } | null;
  readonly pinDir: string;
  /** The bpffs directories this deployment made (outermost first); removed again when empty. */
  readonly createdDirectories: readonly string[];
  readonly program: { readonly name: string; readonly section: string; readonly type: string; readonly id: number; readonly tag: string; readonly pin: string } | null;
  readonly maps: readonly MapRecord[];
  readonly attachments: readonly AttachmentRecord[];
}

/** A deployment name: what the pin directory and the record file are called (bpffs refuses names with a dot). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/** Checks a deployment name. @throws {DeployError} */
export function checkDeploymentName(name: string): void {
  if (!NAME.test(name)) throw new DeployError(`'${name}' is not a deployment name: 1 to 64 letters, digits, '_' or '-', not starting with '-' (bpffs takes no dots)`);
}

/** The state directory: the option, else `$BPFSHIP_STATE_DIR`, else {@link DEFAULT_STATE_DIR}. */
export function stateDirectory(option?: string): string {
  return option ?? (process.env['BPFSHIP_STATE_DIR'] || DEFAULT_STATE_DIR);
}

function recordsDirectory(stateDir: string): string {
  return join(stateDir, 'deployments');
}

/** The record file of deployment `name`. */
export function recordPath(stateDir: string, name: string): string {
  return join(recordsDirectory(stateDir), `${name}.json`);
}

/**
 * Takes the name: creates the record file exclusively with `record` (state `deploying`).
 *
 * @throws {DeployError} when a deployment of that name exists, or the state directory cannot be written.
 */
export function createRecord(stateDir: string, record: DeploymentRecord): void {
  const dir = recordsDirectory(stateDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new DeployError(`cannot create the state directory ${dir}: ${(e as Error).message}`);
  }
  const path = recordPath(stateDir, record.name);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') throw new DeployError(`a deployment named '${record.name}' exists already (${path}): remove it first (bpfship deploy remove ${record.name}) or choose another name`);
    throw new DeployError(`cannot create the deployment record ${path}: ${(e as Error).message}`);
  }
  try {
    writeAll(fd, JSON.stringify(record, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the record of `record.name` atomically (a temporary file renamed over it). */
export function writeRecord(stateDir: string, record: DeploymentRecord): void {
  const path = recordPath(stateDir, record.name);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeAll(fd, JSON.stringify(record, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Deletes the record of `name` (gone already is fine). */
export function deleteRecord(stateDir: string, name: string): void {
  rmSync(recordPath(stateDir, name), { force: true });
}

/**
 * Reads the record of `name`, or undefined when there is none.
 *
 * @throws {DeployError} when the file is there but is not a record.
 */
export function readRecord(stateDir: string, name: string): DeploymentRecord | undefined {
  const path = recordPath(stateDir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new DeployError(`cannot read the deployment record ${path}: ${(e as Error).message}`);
  }
  return parseRecord(text, path);
}

/** Every record of the state directory, by name. Unreadable files are reported through `problems`. */
export function readRecords(stateDir: string, problems: string[] = []): DeploymentRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDirectory(stateDir)).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw new DeployError(`cannot read the state directory ${recordsDirectory(stateDir)}: ${(e as Error).message}`);
  }
  const out: DeploymentRecord[] = [];
  for (const f of names) {
    try {
      const r = readRecord(stateDir, f.slice(0, -'.json'.length));
      if (r !== undefined) out.push(r);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return out;
}

/** Parses a record, checking the fields the removal relies on. @throws {DeployError} */
export function parseRecord(text: string, path: string): DeploymentRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DeployError(`${path}: not a deployment record (not JSON: ${(e as Error).message})`);
  }
  const r = value as Partial<DeploymentRecord> | null;
  if (r === null || typeof r !== 'object' || r.format !== DEPLOYMENT_RECORD_FORMAT) throw new DeployError(`${path}: not a deployment record (expected format '${DEPLOYMENT_RECORD_FORMAT}')`);
  if (typeof r.name !== 'string' || typeof r.pinDir !== 'string' || !Array.isArray(r.maps) || !Array.isArray(r.attachments) || !Array.isArray(r.createdDirectories)) {
    throw new DeployError(`${path}: a deployment record without its name, pin directory, maps or attachments`);
  }
  return r as DeploymentRecord;
}

function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < b.length) done += writeSync(fd, b, done, b.length - done);
}

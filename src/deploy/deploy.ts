/**
 * Deploying an eBPF object into the Linux kernel under a load policy: `bpfship deploy` and `deploy(...)`.
 *
 * 1. The request is checked before anything is decided: the deployment name (taken by creating its record
 *    exclusively), the attach points (interfaces, cgroup directories), the program and whether it can attach there.
 * 2. The policy decides on the object's bytes and its signature (src/policy: under production, a signature by a
 *    trusted signer over an attestation of exactly these bytes, every program accepted by bpfship's verifier, the
 *    program-info hashes recomputed), and writes its decision to the audit log. A refusal stops here: nothing was
 *    loaded, pinned or attached.
 * 3. The very buffer the policy checked is handed to libbpf (`bpf_object__open_mem`, never the file again); the
 *    program gets the type and expected attach type bpfship's verifier proved it against (from the section name);
 *    only that program is loaded. libbpf creates the maps, honouring `LIBBPF_PIN_BY_NAME` under the pin root, and
 *    the kernel's verifier runs: a refusal is reported with the kernel's log.
 * 4. The program and the maps are pinned in the deployment's bpffs directory, `--map` entries are written, and the
 *    program is attached at each point with a BPF link pinned there too (a clsact filter for tc on kernels without
 *    tcx), so the deployment outlives this process.
 * 5. The record (deployment-record.ts) is rewritten after every pin; on any failure everything done is undone in
 *    reverse order and the record deleted.
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AttachType, ProgramType, type ProgramTypeName } from '../abi/index.ts';
import { BpfshipError, type Location } from '../internal/errors.ts';
import type { AllowedLoad, LoadPolicy } from '../policy/index.ts';
import { readObject, type ObjectSpec, type ProgramSpec } from '../spec/index.ts';
import { attachMismatch, attachTypeId, parseAttachPoint } from './attach-point.ts';
import { DEFAULT_BPFFS, ensureBpffsFor, makeBpffsDirectories, removeEmptyDirectory, unpin } from './bpffs.ts';
import {
  checkDeploymentName,
  createRecord,
  DEPLOYMENT_RECORD_FORMAT,
  deleteRecord,
  readRecord,
  recordPath,
  stateDirectory,
  writeRecord,
  type AttachmentRecord,
  type DeploymentRecord,
  type MapRecord,
} from './deployment-record.ts';
import { DeployError, KernelRefusedError } from './errors.ts';
import { mapInfo, programInfo } from './kernel-objects.ts';
import { captureLibbpfOutput, LibbpfError, loadLibbpf, TcAttachPoint, type Libbpf, type MapHandle, type ObjectHandle } from './libbpf.ts';
import { resolveAttachPoint, type ResolvedAttachPoint } from './targets.ts';

/** A map entry to write after the load and before the program is attached (a firewall's block list). */
export interface MapEntry {
  /** The map's name as libbpf names it (the variable's name; `NAME.rodata` style for global data). */
  readonly map: string;
  /** Key and value bytes as stored (little-endian numbers). */
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** How tc attach points attach: tcx links when the kernel has them (Linux 6.6+), else clsact filters. */
export type TcMode = 'auto' | 'tcx' | 'clsact';

/** What {@link deploy} is asked. */
export interface DeployOptions {
  /** The object's bytes, read once: what the policy checks is what libbpf opens. */
  readonly object: Uint8Array;
  /** The object's file name (audit log, messages, libbpf's object name). */
  readonly objectName: string;
  /** The signature file's content (`prog.o.sig`), undefined when there is none. */
  readonly signature?: Uint8Array | string | undefined;
  readonly signatureSource?: Location;
  /** Why a signature file that exists could not be read (a refusal the policy audits), when that is so. */
  readonly signatureUnreadable?: string;
  readonly policy: LoadPolicy;
  /** The deployment's name: its pin directory and record. */
  readonly name: string;
  /** The program to deploy (its function name); optional when the object has one. */
  readonly program?: string;
  /** Attach points, `KIND:TARGET` (attach-point.ts); at least one. */
  readonly attach: readonly string[];
  readonly mapEntries?: readonly MapEntry[];
  /** The deployment's bpffs directory; default `/sys/fs/bpf/bpfship/NAME`. */
  readonly pinDir?: string;
  /** Where maps the object pins by name (`LIBBPF_PIN_BY_NAME`) go, as libbpf's pin_root_path; default /sys/fs/bpf. */
  readonly pinRoot?: string;
  /** The state directory (deployment-record.ts). */
  readonly stateDir?: string;
  readonly tcMode?: TcMode;
  /** The kernel verifier log's buffer (default 16 MiB; a log that does not fit fails the load with ENOSPC). */
  readonly verifierLogSize?: number;
  /** Called once the policy allowed the bytes and before libbpf opens them (a seam for tests and hosts). */
  readonly afterCheck?: (decision: AllowedLoad) => void;
}

/** A finished deployment. */
export interface Deployment {
  readonly record: DeploymentRecord;
  readonly decision: AllowedLoad;
}

/** The deployments' directory under the default bpffs. */
export const DEFAULT_PIN_BASE = join(DEFAULT_BPFFS, 'bpfship');

const DEFAULT_VERIFIER_LOG_SIZE = 16 << 20;

/**
 * Deploys a program of an object into the kernel (see the module comment).
 *
 * @example
 * ```ts
 * const policy = LoadPolicy.production({ trustedRoots: readTrustedRoots(['root-ca.pem']), auditLog: AuditLog.open('audit.log') });
 * const { record } = deploy({ object, objectName: 'xdp_firewall.o', signature, policy, name: 'fw', attach: ['xdp:eth0'] });
 * record.program?.id; // the kernel's program id
 * ```
 * @throws {DeployError} for a request that cannot be carried out as given (nothing loaded);
 *   {@link PolicyRefusedError} when the policy refuses (nothing loaded; the refusal is in the audit log);
 *   {@link KernelRefusedError} when the kernel refuses the program or an attachment (everything undone).
 */
export function deploy(options: DeployOptions): Deployment {
  checkDeploymentName(options.name);
  if (options.attach.length === 0) throw new DeployError('nothing to attach: give at least one attach point (KIND:TARGET, e.g. xdp:eth0)');
  const points = options.attach.map(parseAttachPoint);
  const lib = libbpf();
  const resolved = points.map((p) => resolveAttachPoint(lib, p));
  const stateDir = stateDirectory(options.stateDir);
  const pinRoot = resolve(options.pinRoot ?? DEFAULT_BPFFS);
  const pinDir = resolve(options.pinDir ?? join(DEFAULT_PIN_BASE, options.name));
  if (readRecord(stateDir, options.name) !== undefined) {
    throw new DeployError(`a deployment named '${options.name}' exists already (${recordPath(stateDir, options.name)}): remove it first (bpfship deploy remove ${options.name}) or choose another name`);
  }
  if (existsSync(pinDir)) throw new DeployError(`the pin directory ${pinDir} exists already: remove what is pinned there, or deploy under another name`);

  // The object is read here for the program and its attach points; a malformed object is the policy's to judge
  // first (production refuses it for its signature's sake), then reported.
  let spec: ObjectSpec | undefined;
  let specError: BpfshipError | undefined;
  try {
    spec = readObject(options.object, { name: options.objectName });
  } catch (e) {
    if (!(e instanceof BpfshipError)) throw e;
    specError = e;
  }
  const program = spec === undefined ? undefined : chooseProgram(spec, options.program, options.objectName);
  if (program !== undefined) {
    for (const r of resolved) {
      const why = attachMismatch(r.point, program.name, program.sectionName, program.kind.programType, program.kind.attachType);
      if (why !== undefined) throw new DeployError(`attach point '${r.point.text}': ${why}`);
    }
  }

  const record: Mutable = {
    format: DEPLOYMENT_RECORD_FORMAT,
    name: options.name,
    state: 'deploying',
    deployedAt: new Date().toISOString(),
    object: { name: options.objectName, digest: '' },
    policy: options.policy.name,
    signer: null,
    pinDir,
    createdDirectories: [],
    program: null,
    maps: [],
    attachments: [],
  };
  createRecord(stateDir, record);
  let decision: AllowedLoad;
  try {
    decision = options.policy.admit({
      bytes: options.object,
      name: options.objectName,
      input: 'object',
      mode: 'kernel',
      signature: options.signature,
      ...(options.signatureSource !== undefined ? { signatureSource: options.signatureSource } : {}),
      ...(options.signatureUnreadable !== undefined ? { signatureUnreadable: options.signatureUnreadable } : {}),
      deployment: { name: options.name, program: program?.name ?? options.program ?? '(unreadable object)', attach: points.map((p) => p.text) },
    });
  } catch (e) {
    deleteRecord(stateDir, options.name);
    throw e;
  }
  record.object = { name: options.objectName, digest: decision.imageDigest };
  const s = decision.signer;
  record.signer = s === undefined ? null : { subject: s.subject, issuer: s.issuer, serialNumber: s.serialNumber, fingerprint256: s.fingerprint256, verified: decision.verification !== undefined };

  const undo = new Rollback();
  try {
    options.afterCheck?.(decision);
    if (spec === undefined || program === undefined) throw specError ?? new DeployError(`${options.objectName}: the object cannot be read`);
    writeRecord(stateDir, record);
    loadAndAttach({ options, lib, spec, program, resolved, pinDir, pinRoot, stateDir, record, undo });
  } catch (e) {
    const leftovers = undo.run();
    if (leftovers.length === 0) deleteRecord(stateDir, options.name);
    else writeRecord(stateDir, record);
    if (leftovers.length > 0 && e instanceof Error) {
      e.message += `\n(some of the deployment could not be undone: ${leftovers.join('; ')}; its record is kept: bpfship deploy remove ${options.name})`;
    }
    throw e;
  }
  return { record: record as DeploymentRecord, decision };
}

/** The record while it is being filled. */
type Mutable = { -readonly [K in keyof DeploymentRecord]: DeploymentRecord[K] };

interface Work {
  readonly options: DeployOptions;
  readonly lib: Libbpf;
  readonly spec: ObjectSpec;
  readonly program: ProgramSpec;
  readonly resolved: readonly ResolvedAttachPoint[];
  readonly pinDir: string;
  readonly pinRoot: string;
  readonly stateDir: string;
  readonly record: Mutable;
  readonly undo: Rollback;
}

function loadAndAttach(w: Work): void {
  const { options, lib, program, record, undo } = w;
  ensureBpffsFor(w.pinDir);
  if (w.spec.maps.some((m) => m.pinning !== 0)) ensureBpffsFor(w.pinRoot);

  // 3. libbpf opens the checked buffer itself.
  let obj: ObjectHandle;
  try {
    obj = lib.openMem(options.object, libbpfObjectName(options.objectName), w.pinRoot);
  } catch (e) {
    if (!(e instanceof LibbpfError)) throw e;
    const said = e.libbpfLog.length > 0 ? `; libbpf said: ${e.libbpfLog.join(' / ')}` : '';
    throw new DeployError(`${options.objectName}: libbpf ${lib.version} cannot open the object: ${e.errnoName} (${e.errno})${said}`, { cause: e });
  }
  undo.push('close the object', () => lib.close(obj));
  let prog;
  for (const p of lib.programs(obj)) {
    const chosen = lib.programName(p) === program.name;
    lib.setAutoload(p, chosen);
    if (chosen) prog = p;
  }
  if (prog === undefined) throw new DeployError(`libbpf does not see program '${program.name}' in ${options.objectName}`);
  lib.setType(prog, ProgramType[program.kind.programType as ProgramTypeName]);
  if (program.kind.attachType !== undefined) lib.setExpectedAttachType(prog, AttachType[program.kind.attachType as keyof typeof AttachType]);
  const logSize = options.verifierLogSize ?? DEFAULT_VERIFIER_LOG_SIZE;
  const log = lib.malloc(logSize);
  undo.push('free the log buffer', () => lib.free(log));
  lib.setLogBuffer(prog, log, logSize);
  const maps = lib.maps(obj);
  const pinnedBefore = new Map(maps.map((m) => [m, (() => {
    const path = lib.mapPinPath(m);
    return path !== undefined && existsSync(path);
  })()]));

  const loaded = captureLibbpfOutput(() => lib.load(obj));
  if (loaded.error !== undefined) {
    const e = loaded.error;
    if (!(e instanceof LibbpfError)) throw e;
    const text = lib.read(log, logSize);
    const end = text.indexOf(0);
    const verifierLog = new TextDecoder().decode(text.subarray(0, end < 0 ? text.length : end));
    const stage = verifierLog === '' ? 'creating the maps or loading the object' : `the kernel's verifier refused program '${program.name}'`;
    throw new KernelRefusedError('load', `${options.objectName}: ${stage}: ${e.errnoName} (${e.errno})${hintFor(e.errno)}`, e.errno, e.errnoName, verifierLog, loaded.lines, { cause: e });
  }
  const progFd = lib.programFd(prog);

  // Maps pinned by name under the pin root: libbpf pinned (or reused) them during the load.
  const byName: MapRecord[] = [];
  for (const m of maps) {
    const path = lib.mapPinPath(m);
    if (path === undefined || !lib.mapIsPinned(m)) continue;
    const created = pinnedBefore.get(m) !== true;
    byName.push({ name: lib.mapName(m), id: mapInfo(lib, lib.mapFd(m)).id, pin: path, pinnedByName: true, created });
    if (created) undo.push(`unpin ${path}`, () => void unpin(path));
  }

  // 4. Pins.
  const dirs = makeBpffsDirectories(w.pinDir);
  record.createdDirectories = dirs;
  undo.push('remove the pin directories', () => {
    for (const d of [...dirs].reverse()) removeEmptyDirectory(d);
  });
  const info = programInfo(lib, progFd);
  const progPin = join(w.pinDir, `prog_${pinName(program.name)}`);
  pinOrUndo(lib, progFd, progPin, undo);
  record.program = { name: program.name, section: program.sectionName, type: program.kind.programType, id: info.id, tag: info.tag, pin: progPin };
  record.maps = [...byName];
  for (const m of maps) {
    if (byName.some((b) => b.name === lib.mapName(m))) continue;
    const fd = lib.mapFd(m);
    if (fd < 0) continue; // not created (a map only other programs used, or .kconfig without values)
    const pin = join(w.pinDir, `map_${pinName(lib.mapName(m))}`);
    pinOrUndo(lib, fd, pin, undo);
    record.maps = [...record.maps, { name: lib.mapName(m), id: mapInfo(lib, fd).id, pin, pinnedByName: false, created: true }];
  }
  writeRecord(w.stateDir, record);

  for (const entry of options.mapEntries ?? []) writeMapEntry(lib, maps, entry, options.objectName);

  for (const [index, r] of w.resolved.entries()) {
    const attachment = attach(lib, progFd, r, index, w);
    record.attachments = [...record.attachments, attachment];
    writeRecord(w.stateDir, record);
  }
  record.state = 'deployed';
  writeRecord(w.stateDir, record);
  // Done: the pins hold everything; the fds this process held go.
  lib.close(obj);
  lib.free(log);
}

/** Pins `fd` at `path`, and registers its removal. */
function pinOrUndo(lib: Libbpf, fd: number, path: string, undo: Rollback): void {
  lib.objPin(fd, path);
  undo.push(`unpin ${path}`, () => void unpin(path));
}

/** Attaches the program at one point; the attachment is registered for undoing. */
function attach(lib: Libbpf, progFd: number, r: ResolvedAttachPoint, index: number, w: Work): AttachmentRecord {
  const p = r.point;
  const base = { point: p.text, kind: p.kind, target: p.target };
  const refused = (e: unknown): never => {
    if (!(e instanceof LibbpfError)) throw e;
    throw new KernelRefusedError('attach', `the kernel refused to attach program '${w.program.name}' at ${p.text}: ${e.errnoName} (${e.errno})${attachHint(e.errno, p.family)}`, e.errno, e.errnoName, '', e.libbpfLog, { cause: e });
  };
  if (p.family === 'tc' && tcMode(lib, w.options.tcMode ?? 'auto', r.ifindex as number) === 'clsact') {
    const ifindex = r.ifindex as number;
    const direction = p.kind === 'tc-ingress' ? 'ingress' : 'egress';
    const hook = { ifindex, attach_point: direction === 'ingress' ? TcAttachPoint.ingress : TcAttachPoint.egress, parent: 0 };
    let created: 'created' | 'exists';
    let opts;
    try {
      created = lib.tcHookCreate(hook);
      opts = lib.tcAttach(hook, { prog_fd: progFd, flags: 0, prog_id: 0, handle: 0, priority: 0 });
    } catch (e) {
      return refused(e);
    }
    const { handle, priority } = opts;
    w.undo.push(`detach the tc filter from ${p.target}`, () => lib.tcDetach(hook, { handle, priority }));
    return { ...base, via: 'clsact', ifindex, direction, handle, priority, qdiscCreated: created === 'created' };
  }
  let target: number;
  let closeTarget = (): void => {};
  if (p.family === 'cgroup') {
    try {
      target = openSync(r.cgroupPath as string, 'r');
    } catch (e) {
      throw new DeployError(`attach point '${p.text}': cannot open ${r.cgroupPath}: ${(e as Error).message}`);
    }
    closeTarget = () => closeSync(target);
  } else {
    target = r.ifindex as number;
  }
  let linkFd: number;
  try {
    linkFd = lib.linkCreate(progFd, target, attachTypeId(p.attachType), p.xdpFlags);
  } catch (e) {
    return refused(e);
  } finally {
    closeTarget();
  }
  const pin = join(w.pinDir, `link_${index}_${p.kind}`);
  let linkId: number;
  try {
    lib.objPin(linkFd, pin);
    linkId = new DataView(lib.objInfo(linkFd, 8).buffer).getUint32(4, true);
  } catch (e) {
    lib.linkDetach(linkFd);
    unpin(pin);
    throw e;
  } finally {
    lib.close_fd(linkFd);
  }
  // Newest first on the way back: detach the link, then remove its pin.
  w.undo.push(`unpin ${pin}`, () => void unpin(pin));
  w.undo.push(`detach the link at ${p.text}`, () => detachPinnedLink(lib, pin));
  return { ...base, via: 'link', attachType: p.attachType, ...(r.ifindex !== undefined ? { ifindex: r.ifindex } : {}), linkId, pin };
}

/** Detaches the link pinned at `path` (BPF_LINK_DETACH, so it goes even while something else holds it). */
export function detachPinnedLink(lib: Libbpf, path: string): void {
  if (!existsSync(path)) return;
  const fd = lib.objGet(path);
  try {
    lib.linkDetach(fd);
  } finally {
    lib.close_fd(fd);
  }
}

let tcxAvailable: boolean | undefined;

/** Which tc attachment to use: tcx when asked or, in auto mode, when the kernel has it (BPF_PROG_QUERY knows it). */
function tcMode(lib: Libbpf, mode: TcMode, ifindex: number): 'tcx' | 'clsact' {
  if (mode !== 'auto') return mode;
  if (tcxAvailable === undefined) {
    try {
      lib.progQueryCount(ifindex, AttachType.tcx_ingress);
      tcxAvailable = true;
    } catch (e) {
      if (!(e instanceof LibbpfError)) throw e;
      tcxAvailable = false;
    }
  }
  return tcxAvailable ? 'tcx' : 'clsact';
}

/** Writes one `--map` entry. */
function writeMapEntry(lib: Libbpf, maps: readonly MapHandle[], entry: MapEntry, objectName: string): void {
  const map = maps.find((m) => lib.mapName(m) === entry.map);
  if (map === undefined) throw new DeployError(`--map ${entry.map}: ${objectName} has no map of that name (its maps: ${maps.map((m) => lib.mapName(m)).join(', ')})`);
  const fd = lib.mapFd(map);
  const info = mapInfo(lib, fd);
  if (entry.key.length !== info.keySize || entry.value.length !== info.valueSize) {
    throw new DeployError(`--map ${entry.map}: the map's keys are ${info.keySize} bytes and its values ${info.valueSize} bytes, but the entry has a ${entry.key.length}-byte key and a ${entry.value.length}-byte value`);
  }
  try {
    lib.mapUpdate(fd, entry.key, entry.value, 0);
  } catch (e) {
    if (!(e instanceof LibbpfError)) throw e;
    throw new KernelRefusedError('map-update', `--map ${entry.map}: the kernel refused the entry: ${e.errnoName} (${e.errno})`, e.errno, e.errnoName, '', e.libbpfLog, { cause: e });
  }
}

/** The program to deploy: the one named, or the object's only program. */
function chooseProgram(spec: ObjectSpec, name: string | undefined, objectName: string): ProgramSpec {
  const names = spec.programs.map((p) => p.name).join(', ');
  if (name !== undefined) {
    const p = spec.programs.find((q) => q.name === name);
    if (p === undefined) throw new DeployError(`${objectName} has no program named '${name}' (its programs: ${names || 'none'})`);
    return p;
  }
  const only = spec.programs[0];
  if (spec.programs.length !== 1 || only === undefined) throw new DeployError(`${objectName} has ${spec.programs.length} programs (${names || 'none'}): choose one with --program`);
  return only;
}

/** A name bpffs takes: it refuses names with a dot (`.rodata`), which it keeps for itself. */
function pinName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** libbpf names internal maps after the object (`xdp_fire.rodata`): the file's base name without `.o`. */
function libbpfObjectName(file: string): string {
  return basename(file).replace(/\.o$/, '').replace(/[^A-Za-z0-9_.]/g, '_') || 'object';
}

/** What to try after an errno at load. */
function hintFor(errno: number): string {
  if (errno === 1) return ' (loading programs needs root, or CAP_BPF with CAP_NET_ADMIN/CAP_PERFMON; see docs/deploy.md)';
  if (errno === 28) return ' (the verifier log did not fit its buffer: the real error may be hidden)';
  return '';
}

/** What to try after an errno at attach. */
function attachHint(errno: number, family: string): string {
  if (errno === 16 || errno === 17) return family === 'xdp' ? ' (another XDP program is attached there: detach it first)' : ' (something is attached there already)';
  if (errno === 95) return ' (the driver does not support this mode: try xdpgeneric)';
  return '';
}

/** Undo actions, run newest first; a failing one does not stop the others. */
export class Rollback {
  private readonly steps: { readonly what: string; readonly run: () => void }[] = [];
  /** Registers an action. */
  push(what: string, run: () => void): void {
    this.steps.push({ what, run });
  }
  /** Runs every action, newest first; returns what failed. */
  run(): string[] {
    const failed: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        step.run();
      } catch (e) {
        failed.push(`${step.what}: ${(e as Error).message}`);
      }
    }
    this.steps.length = 0;
    return failed;
  }
}

let bound: Libbpf | undefined;
/** libbpf, with a DeployError when it is missing. */
function libbpf(): Libbpf {
  if (bound !== undefined) return bound;
  try {
    bound = loadLibbpf();
  } catch (e) {
    throw new DeployError((e as Error).message, { cause: e });
  }
  return bound;
}

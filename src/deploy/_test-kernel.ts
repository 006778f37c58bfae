/**
 * Test support for deployment into the running kernel: a network namespace with a veth pair (one end here, one
 * there), extra veth pairs, a cgroup of the test's own, a TCP client run inside the namespace, the kernel's BPF
 * objects as bpftool lists them, and signing with the sign layer's test PKI. Only tests import this.
 *
 * The tests need root and a BPF filesystem; they fail (never skip) without them. Every name carries the process id
 * so that parallel runs never collide, and `cleanup()` removes everything, even after a failure.
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBpffs, PROGRAMS_OBJ } from '../internal/test-files.ts';
import { identity, makeHierarchy } from '../sign/_test-pki.ts';
import { formatSignatureFile, type CertifiedKey } from '../sign/index.ts';
import { signObjectForKernel } from './sign-object.ts';
import { cgroup2Mounts } from './targets.ts';
import { readRecords } from './deployment-record.ts';
import { undeploy } from './undeploy.ts';

/** The deploy layer's test objects. */
export const DEPLOY_TESTDATA = join(import.meta.dirname, 'testdata');

/** Fails (throws) unless the process is root and a BPF filesystem is mounted or can be. */
export function requireRootAndBpffs(): void {
  if (process.getuid?.() !== 0) throw new Error('the deployment tests load programs into the kernel and need root (run the suite as root)');
  const problem = ensureBpffs();
  if (problem !== undefined) throw new Error(problem);
}

/** Runs a command, throwing with its stderr when it fails. */
export function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Runs a command, ignoring failure (cleanup). */
function quietly(cmd: string, args: readonly string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // gone already
  }
}

/** The kernel's BPF objects of one kind, as `bpftool -j KIND show` lists them. */
export function kernelObjects(kind: 'prog' | 'map' | 'link'): { id: number; name?: string; prog_id?: number }[] {
  return JSON.parse(run('bpftool', ['-j', kind, 'show'])) as { id: number; name?: string; prog_id?: number }[];
}

/** The highest id of each kind now: objects made later have larger ids (the kernel allocates them cyclically upward). */
export function idMarks(): { prog: number; map: number; link: number } {
  const max = (k: 'prog' | 'map' | 'link'): number => Math.max(0, ...kernelObjects(k).map((o) => o.id));
  return { prog: max('prog'), map: max('map'), link: max('link') };
}

/**
 * The objects made since `marks` whose names are among `names` (program and map names, as the kernel truncates
 * them to 15 characters), and links to such programs; polled for a while, since the kernel frees closed maps and
 * programs after an RCU grace period.
 */
export async function madeSince(marks: { prog: number; map: number; link: number }, names: readonly string[]): Promise<string[]> {
  const wanted = new Set(names.map((n) => n.slice(0, 15)));
  const list = (): string[] => {
    const progs = kernelObjects('prog').filter((p) => p.id > marks.prog && p.name !== undefined && wanted.has(p.name));
    const maps = kernelObjects('map').filter((m) => m.id > marks.map && m.name !== undefined && wanted.has(m.name));
    const progIds = new Set(progs.map((p) => p.id));
    const links = kernelObjects('link').filter((l) => l.id > marks.link && l.prog_id !== undefined && progIds.has(l.prog_id));
    return [...progs.map((p) => `prog ${p.id} ${p.name}`), ...maps.map((m) => `map ${m.id} ${m.name}`), ...links.map((l) => `link ${l.id}`)];
  };
  return poll(list);
}

/** Whether the kernel still has these objects (by id), polled while they are being freed. */
export async function stillThere(ids: { progs?: readonly number[]; maps?: readonly number[]; links?: readonly number[] }): Promise<string[]> {
  return poll(() => {
    const out: string[] = [];
    const progs = new Set(kernelObjects('prog').map((p) => p.id));
    const maps = new Set(kernelObjects('map').map((m) => m.id));
    const links = new Set(kernelObjects('link').map((l) => l.id));
    for (const id of ids.progs ?? []) if (progs.has(id)) out.push(`prog ${id}`);
    for (const id of ids.maps ?? []) if (maps.has(id)) out.push(`map ${id}`);
    for (const id of ids.links ?? []) if (links.has(id)) out.push(`link ${id}`);
    return out;
  });
}

/** Calls `list` until it is empty, for up to 3 s; returns the last answer. */
async function poll(list: () => string[]): Promise<string[]> {
  let found = list();
  for (let i = 0; i < 30 && found.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    found = list();
  }
  return found;
}

/** The test PKI: a trusted hierarchy and a stranger's, with the signer's files written for the CLI. */
export interface TestKeys {
  readonly trusted: { root: CertifiedKey; intermediate: CertifiedKey; signer: CertifiedKey };
  readonly stranger: { root: CertifiedKey; intermediate: CertifiedKey; signer: CertifiedKey };
  readonly rootPem: string;
  readonly strangerRootPem: string;
  readonly signerKey: string;
  readonly signerCert: string;
  readonly intermediatePem: string;
  /** The signature file of `object` (named `name`) by the trusted (or the stranger's) signer. */
  sign(object: Uint8Array, name: string, by?: 'trusted' | 'stranger'): string;
}

/** Makes the test PKI and writes its files to `dir`. */
export async function makeTestKeys(dir: string): Promise<TestKeys> {
  const trusted = await makeHierarchy('ed25519', 'deploy');
  const stranger = await makeHierarchy('ed25519', 'stranger');
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return {
    trusted,
    stranger,
    rootPem: write('root-ca.pem', trusted.root.certificate.toPem()),
    strangerRootPem: write('stranger-root-ca.pem', stranger.root.certificate.toPem()),
    signerKey: write('signer.key', trusted.signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    signerCert: write('signer.pem', trusted.signer.certificate.toPem()),
    intermediatePem: write('intermediate-ca.pem', trusted.intermediate.certificate.toPem()),
    sign(object, name, by = 'trusted') {
      const h = by === 'trusted' ? trusted : stranger;
      return formatSignatureFile(signObjectForKernel({ object, objectName: name, signer: identity(h.signer, h.intermediate) }).signature);
    },
  };
}

/** A shared example object's bytes. */
export function exampleObject(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name)));
}

/** A deploy test object's bytes. */
export function testObject(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DEPLOY_TESTDATA, name)));
}

/**
 * The kernel fixture of one test file: a namespace `bsnsPID` holding one end of a veth pair (`bsvPIDb`,
 * 10.201.X.Y+2/30) whose other end (`bsvPIDa`, .Y+1) is here; extra veth pairs on demand; a cgroup of our own; a
 * temporary directory; all removed by `cleanup()` with every deployment left in `stateDir`.
 */
export class KernelFixture {
  readonly pid = process.pid;
  readonly netns = `bsns${process.pid}`;
  readonly hostIf = `bsv${process.pid}a`;
  readonly nsIf = `bsv${process.pid}b`;
  readonly hostIp: string;
  readonly nsIp: string;
  readonly dir = mkdtempSync(join(tmpdir(), 'bpfship-deploy-'));
  readonly stateDir = join(this.dir, 'state');
  readonly auditLog = join(this.dir, 'audit.log');
  private readonly extraPairs: string[] = [];
  private cgroup: string | undefined;
  private netnsMade = false;

  constructor() {
    const third = (this.pid >> 6) & 255;
    const fourth = (this.pid & 63) * 4;
    this.hostIp = `10.201.${third}.${fourth + 1}`;
    this.nsIp = `10.201.${third}.${fourth + 2}`;
  }

  /** Creates the namespace and the veth pair, addressed and up. */
  setUpNetwork(): void {
    run('ip', ['netns', 'add', this.netns]);
    this.netnsMade = true;
    run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    run('ip', ['link', 'set', this.nsIf, 'netns', this.netns]);
    run('ip', ['addr', 'add', `${this.hostIp}/30`, 'dev', this.hostIf]);
    run('ip', ['link', 'set', this.hostIf, 'up']);
    run('ip', ['-n', this.netns, 'addr', 'add', `${this.nsIp}/30`, 'dev', this.nsIf]);
    run('ip', ['-n', this.netns, 'link', 'set', this.nsIf, 'up']);
    run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
  }

  /** A veth pair of its own here (both ends up, no addresses): `[bsxPIDnA, bsxPIDnB]`. */
  vethPair(): [string, string] {
    const n = this.extraPairs.length;
    const a = `bsx${this.pid}${n}a`;
    const b = `bsx${this.pid}${n}b`;
    run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    this.extraPairs.push(a);
    run('ip', ['link', 'set', a, 'up']);
    run('ip', ['link', 'set', b, 'up']);
    return [a, b];
  }

  /** A cgroup v2 directory of our own, below the cgroup this process is in (made once). */
  makeCgroup(): string {
    if (this.cgroup !== undefined) return this.cgroup;
    const mount = cgroup2Mounts()[0];
    if (mount === undefined) throw new Error('no cgroup v2 hierarchy is mounted (/proc/mounts has no cgroup2 line)');
    const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    const dir = join(mount, own, `bpfship-test-${this.pid}`);
    mkdirSync(dir);
    this.cgroup = dir;
    return dir;
  }

  /**
   * Connects from inside the namespace to `host` on each port, sending `hello PORT` when connected; each port's
   * outcome: `connected`, `timeout` (nothing answered: dropped) or the error code (`ECONNREFUSED`).
   */
  async connectFromNamespace(host: string, ports: readonly number[], timeoutMs = 1500): Promise<Record<string, string>> {
    const script = join(this.dir, 'client.mjs');
    writeFileSync(script, `import net from 'node:net';
const [host, timeout, ...ports] = process.argv.slice(2);
const results = {};
await Promise.all(ports.map((p) => new Promise((done) => {
  const s = net.connect({ host, port: Number(p), timeout: Number(timeout) });
  s.on('connect', () => { results[p] = 'connected'; s.end('hello ' + p, done); });
  s.on('timeout', () => { results[p] = 'timeout'; s.destroy(); done(); });
  s.on('error', (e) => { results[p] = e.code; done(); });
})));
process.stdout.write(JSON.stringify(results));
`);
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, script, host, String(timeoutMs), ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`the client in ${this.netns} failed (${code}): ${err}`));
        else resolve(JSON.parse(out) as Record<string, string>);
      });
    });
  }

  /** Removes every deployment left in the state directory, the network, the cgroup and the directory. */
  cleanup(): void {
    for (const r of safe(() => readRecords(this.stateDir)) ?? []) safe(() => undeploy({ name: r.name, stateDir: this.stateDir }));
    if (this.netnsMade) quietly('ip', ['netns', 'delete', this.netns]);
    quietly('ip', ['link', 'delete', this.hostIf]);
    for (const a of this.extraPairs) quietly('ip', ['link', 'delete', a]);
    if (this.cgroup !== undefined) {
      const dir = this.cgroup;
      safe(() => {
        for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name));
        rmdirSync(dir);
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

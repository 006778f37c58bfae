/**
 * Real servers for tests and benchmarks, started here on loopback in temporary directories, stopped by their pid:
 * the distribution registry (Debian's `docker-registry`) and PostgreSQL 15 (Debian's `postgresql`, run as an
 * unprivileged user: PostgreSQL refuses to run as root, so as root it runs as `nobody`). `scripts/setup.sh`
 * installs both. Only tests and scripts/bench-service.ts import this.
 *
 * Author: Claude.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian puts PostgreSQL 15's programs. */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

/** The registry's program (Debian's `docker-registry` package). */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A server started for a test. */
export interface TestServer {
  /** Its temporary directory (removed by stop). */
  readonly dir: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Stops the server (by its pid) and removes its directory. */
  stop(): Promise<void>;
}

/** A registry on loopback. */
export interface TestRegistry extends TestServer {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Where the registry keeps blobs (its filesystem driver's root). */
  readonly storage: string;
  /** `oci://127.0.0.1:PORT/REPOSITORY`. */
  repository(name: string): string;
}

/** PostgreSQL on loopback. */
export interface TestPostgres extends TestServer {
  /** A new, empty database; its `postgres://` URL. */
  createDatabase(name: string): Promise<string>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) if (p.exitCode === null && p.pid !== undefined) p.kill('SIGKILL');
});

/** A TCP port free on 127.0.0.1 now (the caller binds it next; a clash is retried). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function requireProgram(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian's ${pkg} package (scripts/setup.sh does)`);
}

async function waitFor(what: string, log: () => string, exited: () => number | null, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited() !== null) throw new Error(`${what} exited with status ${exited()}: ${log().slice(-2000)}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s: ${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopper(child: ChildProcess, dir: string, signal: NodeJS.Signals): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, signal);
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * Starts the distribution registry on 127.0.0.1 with a filesystem store in a temporary directory.
 *
 * @example
 * ```ts
 * const registry = await startRegistry();
 * const store = await openStore({ data, blobs: registry.repository('bpf') });
 * await registry.stop();
 * ```
 */
export async function startRegistry(options: { readonly basicAuth?: { readonly username: string; readonly password: string } } = {}): Promise<TestRegistry> {
  requireProgram(REGISTRY_BIN, 'docker-registry');
  const dir = mkdtempSync(join(tmpdir(), 'bpfship-registry-'));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const auth: string[] = [];
  if (options.basicAuth !== undefined) {
    // The registry's htpasswd file takes bcrypt hashes only; python3's crypt module makes them.
    const hash = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', options.basicAuth.password], { encoding: 'utf8' });
    if (hash.status !== 0 || !hash.stdout.startsWith('$2')) throw new Error(`cannot make a bcrypt hash with python3: ${hash.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), `${options.basicAuth.username}:${hash.stdout.trim()}\n`);
    auth.push('auth:', '  htpasswd:', '    realm: bpfship-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storage}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        `  secret: ${Math.random().toString(36).slice(2)}`,
        ...auth,
        '',
      ].join('\n'),
    );
    const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let log = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => void (log += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => void (log += t));
    try {
      await waitFor('docker-registry', () => log, () => child.exitCode, async () => [200, 401].includes((await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) })).status));
    } catch (e) {
      running.delete(child);
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      if (attempt < 3 && /address already in use/.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const host = `127.0.0.1:${port}`;
    return { dir, port, host, storage, process: child, repository: (name) => `oci://${host}/${name}`, stop: stopper(child, dir, 'SIGTERM') };
  }
}

/** Runs a program as the user PostgreSQL runs as (see the module comment). */
function asPostgresUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

/**
 * Starts PostgreSQL 15 on 127.0.0.1 (and a socket in its directory), its cluster made by initdb in a temporary
 * directory; trust authentication for the `bpfship` user, loopback only. `fsync: false` (tests) skips flushes:
 * the data does not outlive the test anyway.
 */
export async function startPostgres(options: { readonly fsync?: boolean } = {}): Promise<TestPostgres> {
  requireProgram(join(POSTGRES_BIN, 'postgres'), 'postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'bpfship-postgres-'));
  const user = asPostgresUser();
  const data = join(dir, 'data');
  const socket = join(dir, 'socket');
  mkdirSync(socket);
  if (user.uid !== undefined) {
    chownSync(dir, user.uid, user.gid as number);
    chownSync(socket, user.uid, user.gid as number);
  }
  const env = { ...process.env, HOME: dir, LC_ALL: 'C.UTF-8' };
  const init = spawnSync(join(POSTGRES_BIN, 'initdb'), ['-D', data, '-U', 'bpfship', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { cwd: dir, env, encoding: 'utf8', ...user });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (status ${init.status}): ${init.stderr || init.stdout || init.error?.message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      join(POSTGRES_BIN, 'postgres'),
      ['-D', data, '-k', socket, '-h', '127.0.0.1', '-p', String(port), '-c', `fsync=${options.fsync === true ? 'on' : 'off'}`, '-c', 'max_connections=200', '-c', 'log_min_messages=warning'],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], ...user },
    );
    running.add(child);
    let log = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => void (log += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => void (log += t));
    const { default: pg } = await import('pg');
    const admin = `postgres://bpfship@127.0.0.1:${port}/postgres`;
    try {
      await waitFor('postgres', () => log, () => child.exitCode, async () => {
        const client = new pg.Client({ connectionString: admin });
        await client.connect();
        await client.end();
        return true;
      });
    } catch (e) {
      running.delete(child);
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return {
      dir,
      port,
      process: child,
      createDatabase: async (name) => {
        const client = new pg.Client({ connectionString: admin });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
        } finally {
          await client.end();
        }
        return `postgres://bpfship@127.0.0.1:${port}/${encodeURIComponent(name)}`;
      },
      // SIGINT: PostgreSQL's fast shutdown.
      stop: stopper(child, dir, 'SIGINT'),
    };
  }
}

/** The registry's file holding a blob (to damage it in a test). */
export function registryBlobFile(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** Reads a file (re-exported so tests need no node:fs for one read). */
export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/**
 * Shared by the service's tests (no tests of its own): a development PKI, a service over a fresh embedded store
 * with its log captured, and the example objects. Named `.test.ts` because only tests use it.
 *
 * Author: Claude.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { initDevKeys, readSigningIdentity, readTrustedRoots, type Certificate, type DevKeyPaths, type SigningIdentity } from '../sign/index.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../store/index.ts';
import { createService, type ServiceOptions } from './app.ts';

/** The example objects the tests publish. */
export const FIREWALL_OBJECT = join(PROGRAMS_OBJ, 'xdp_firewall.o');
export const BIND_MONITOR_OBJECT = join(PROGRAMS_OBJ, 'bind_monitor.o');

/** An example object's bytes. */
export function objectBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** A temporary directory with a development PKI in `keys/`. */
export interface TestPki {
  readonly dir: string;
  readonly keys: DevKeyPaths;
  readonly signer: SigningIdentity;
  readonly roots: Certificate[];
  remove(): void;
}

/** Makes a {@link TestPki}. */
export async function testPki(prefix: string): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keys = await initDevKeys(join(dir, 'keys'));
  return {
    dir,
    keys,
    signer: readSigningIdentity({ key: keys.signerKey, certificate: keys.signerCertificate, chain: [keys.intermediateCertificate] }),
    roots: readTrustedRoots([keys.rootCertificate]),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A service over a fresh store, with its log lines. */
export interface TestService {
  readonly app: FastifyInstance;
  readonly store: EmbeddedStore;
  readonly dataDir: string;
  /** Every JSON log line written so far, parsed. */
  readonly log: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts a service for `pki` in `pki.dir/<data>`. */
export async function testService(pki: TestPki, data: string, options: Partial<ServiceOptions> = {}): Promise<TestService> {
  const dataDir = join(pki.dir, data);
  const store = await openEmbeddedStore(dataDir);
  const log: Record<string, unknown>[] = [];
  const app = await createService({
    store,
    signer: pki.signer,
    trustedRoots: pki.roots,
    cache: join(pki.dir, 'cache'),
    log: { stream: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } },
    ...options,
  });
  return {
    app,
    store,
    dataDir,
    log,
    close: async () => {
      // A client that gave up on a body (a refused oversized image) leaves its connection to time out; tests do not wait.
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      await store.close();
    },
  };
}

/** `POST /v1/builds?name=NAME` with an ELF. */
export function postElf(app: FastifyInstance, name: string | undefined, elf: Uint8Array, contentType = 'application/octet-stream'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: name === undefined ? '/v1/builds' : `/v1/builds?name=${encodeURIComponent(name)}`,
    headers: { 'content-type': contentType },
    payload: Buffer.from(elf),
  });
}

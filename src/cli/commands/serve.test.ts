// `bpfship serve`: its arguments, what it refuses before it starts, and as a real process: where it says it
// listens, Host and token checks over TCP, TLS, SIGTERM semantics, and its log surviving SIGKILL. (fetch.test.ts
// runs it too; serve-cluster.test.ts runs two on one registry and one database.)
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as plainRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { FIREWALL_OBJECT, objectBytes, testPki, type TestPki } from '../../service/_support.test.ts';
import { openEmbeddedStore } from '../../store/index.ts';
import { startServe } from './_serve-process.test.ts';
import { UsageError } from '../io.ts';
import { parseListen } from './serve.ts';
import { cli } from './_test-cli.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

let pki: TestPki;
let other: TestPki;
before(async () => {
  pki = await testPki('serve-cli-');
  other = await testPki('serve-cli-other-');
});
after(() => {
  pki.remove();
  other.remove();
});

/** `bpfship serve ARGS...` in-process, through main(). */
function serve(args: readonly string[]): Promise<{ code: number; err: string }> {
  return cli(['serve', ...args]);
}

describe('parseListen', () => {
  it('takes HOST:PORT, [IPv6]:PORT and PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8470'), { host: '127.0.0.1', port: 8470 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen('8471'), { host: '127.0.0.1', port: 8471 });
    for (const bad of ['', 'host', 'host:', ':80', '1.2.3.4:65536', 'a:b:c', '[::1]', 'x:-1']) assert.throws(() => parseListen(bad), UsageError, bad);
  });
});

describe('bpfship serve refuses before it starts', () => {
  const keyArgs = (): string[] => ['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate];

  it('without a store or a key, or with unreadable files', async () => {
    assert.equal((await serve(['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate])).code, 2, 'no --data');
    const missing = await serve(['--data', join(pki.dir, 'd1'), '--sign-key', join(pki.dir, 'nope.key'), '--sign-cert', pki.keys.signerCertificate]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.key: no such file/);
    assert.ok(!existsSync(join(pki.dir, 'd1')), 'no store is created');
  });

  it('with a key that is not the certificate’s', async () => {
    const r = await serve(['--data', join(pki.dir, 'd2'), '--sign-key', other.keys.signerKey, '--sign-cert', pki.keys.signerCertificate]);
    assert.equal(r.code, 2);
    assert.match(r.err, /does not belong to the certificate/);
  });

  it('with a signer that does not chain to --trust', async () => {
    const r = await serve(['--data', join(pki.dir, 'd3'), ...keyArgs(), '--trust', other.keys.rootCertificate]);
    assert.equal(r.code, 2);
    assert.match(r.err, /the signing certificate does not chain to --trust: /);
  });

  it('with bad numbers or a bad address', async () => {
    for (const [option, value, pattern] of [
      ['--listen', 'nowhere', /--listen must be HOST:PORT/],
      ['--max-builds', '0', /--max-builds must be a positive integer/],
      ['--body-limit', '1e9', /--body-limit must be a positive integer/],
      ['--max-queued', '-1', /--max-queued must be a positive integer/],
    ] as const) {
      const r = await serve(['--data', join(pki.dir, 'd4'), ...keyArgs(), option, value]);
      assert.equal(r.code, 2, option);
      assert.match(r.err, pattern);
    }
  });
});

describe('bpfship serve refuses an unsafe or incomplete configuration', () => {
  const keyArgs = (): string[] => ['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate];

  it('listening off loopback without tokens, half a TLS pair, a bad token file, no --data for a local store', async () => {
    const wide = await serve(['--data', join(pki.dir, 'd5'), ...keyArgs(), '--listen', '0.0.0.0:0']);
    assert.equal(wide.code, 2);
    assert.match(wide.err, /--listen 0\.0\.0\.0:0 is reachable from other machines: give --token-file/);
    const tls = await serve(['--data', join(pki.dir, 'd5'), ...keyArgs(), '--tls-cert', pki.keys.signerCertificate]);
    assert.match(tls.err, /--tls-cert and --tls-key go together/);
    const tokens = join(pki.dir, 'bad.tokens');
    writeFileSync(tokens, 'ci short\n');
    const bad = await serve(['--data', join(pki.dir, 'd5'), ...keyArgs(), '--token-file', tokens]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad\.tokens:1: the token of 'ci' should be at least 20/);
    const noData = await serve([...keyArgs(), '--store', 'oci://127.0.0.1:1/x']);
    assert.match(noData.err, /--data DIR is needed unless both --store oci:\/\/\.\.\. and --index postgres:\/\/\.\.\. are given/);
    const unreachable = await serve(['--data', join(pki.dir, 'd6'), ...keyArgs(), '--store', 'oci://127.0.0.1:1/x']);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.err, /cannot open the store: cannot reach the registry: .*127\.0\.0\.1:1/);
  });
});

describe('bpfship serve as a process', () => {
  const keyArgs = (): string[] => ['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate, '--trust', pki.keys.rootCertificate];
  const TOKEN = 'serve-test-token-0123456789';
  const firewall = objectBytes(FIREWALL_OBJECT);

  it('says where it really listens (0.0.0.0 is every address), and checks Host and tokens over TCP', async () => {
    const tokens = join(pki.dir, 'publish.tokens');
    writeFileSync(tokens, `ci ${TOKEN}\n`);
    const server = await startServe(['--data', join(pki.dir, 'wide'), ...keyArgs(), '--listen', '0.0.0.0:0', '--token-file', tokens, '--log-level', 'warn']);
    try {
      assert.match(server.line, /serving on http:\/\/0\.0\.0\.0:\d+ \(every IPv4 address of this machine\) .*1 publish token, reads open/);
      assert.match(server.stderr(), /warning: tokens travel in clear text/);
      const port = new URL(server.url).port;
      const post = (headers: Record<string, string>): Promise<Response> =>
        fetch(`http://127.0.0.1:${port}/v1/builds?name=fw`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', connection: 'close', ...headers }, body: firewall });
      assert.equal((await post({})).status, 401);
      const rebound = await httpRequest(Number(port), { method: 'POST', path: '/v1/builds?name=fw', headers: { host: `evil.example.com:${port}`, origin: `http://evil.example.com:${port}`, 'content-type': 'application/octet-stream' }, body: firewall });
      assert.equal(rebound.status, 421);
      const published = await post({ authorization: `Bearer ${TOKEN}` });
      assert.equal(published.status, 201, await published.clone().text());
      assert.equal(((await published.json()) as { publishedBy: string }).publishedBy, 'ci');
    } finally {
      server.signal('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  it('serves HTTPS with --tls-cert/--tls-key, and bpfship fetch trusts it through NODE_EXTRA_CA_CERTS', async () => {
    const cert = join(pki.dir, 'tls.pem');
    const key = join(pki.dir, 'tls.key');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const server = await startServe(['--data', join(pki.dir, 'tls'), ...keyArgs(), '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key, '--log-level', 'warn']);
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const health = await httpsGet(`${server.url}/healthz`, readFileSync(cert));
      assert.equal(health.status, 200);
      const plain = await fetch(`http://${new URL(server.url).host}/healthz`).then(
        (r) => r.status,
        () => 'refused',
      );
      assert.notEqual(plain, 200, 'no plain HTTP on the TLS port');
      const published = await httpRequest(Number(new URL(server.url).port), { method: 'POST', path: '/v1/builds?name=fw', headers: { 'content-type': 'application/octet-stream' }, body: firewall, ca: readFileSync(cert) });
      assert.equal(published.status, 201);
      const out = join(pki.dir, 'tls-fw.so');
      const fetched = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'fetch', server.url, 'fw', '-o', out, '--trust', pki.keys.rootCertificate], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, timeout: 60_000 });
      assert.equal(fetched.status, 0, fetched.stderr);
      assert.ok(existsSync(out) && existsSync(`${out}.sig`));
    } finally {
      server.signal('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  it('on SIGTERM publishes the running build, answers the queued ones 503 and publishes none of them, logging each answer', async () => {
    const data = join(pki.dir, 'stop');
    const log = join(pki.dir, 'stop.log');
    const server = await startServe(['--data', data, ...keyArgs(), '--max-builds', '1', '--no-cache', '--grace', '120'], { logFile: log });
    const answers = [0, 1, 2, 3].map(() =>
      fetch(`${server.url}/v1/builds?name=fw`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', connection: 'close' }, body: firewall }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } })),
    );
    for (;;) {
      const health = (await (await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } })).json()) as { builds: { running: number; queued: number } };
      if (health.builds.running === 1 && health.builds.queued === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    server.signal('SIGTERM');
    const results = await Promise.all(answers);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 503, 503, 503]);
    assert.deepEqual(results.filter((r) => r.status === 503).map((r) => r.body.error?.code), ['SERVICE_STOPPING', 'SERVICE_STOPPING', 'SERVICE_STOPPING']);
    assert.equal(await server.exited, 0);
    assert.match(server.stderr(), /SIGTERM: stopping \(running builds have 120 s to finish; queued builds are refused\)/);
    const store = await openEmbeddedStore(data);
    try {
      assert.deepEqual((await store.listImages()).map((i) => [i.name, i.latestVersion]), [['fw', 1]], 'only the running build was published');
    } finally {
      await store.close();
    }
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method?: string; status?: number });
    assert.deepEqual(lines.filter((l) => l.method === 'POST').map((l) => l.status).sort(), [201, 503, 503, 503]);
  });

  it('has logged every answer it gave when it is killed with SIGKILL', async () => {
    const log = join(pki.dir, 'kill.log');
    const server = await startServe(['--data', join(pki.dir, 'kill'), ...keyArgs()], { logFile: log });
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${server.url}/v1/images/${i % 2 === 0 ? 'none' : 'x'}/${i + 1}`, { headers: { connection: 'close' } }).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([404]));
    server.signal('SIGKILL');
    assert.equal(await server.exited, 'SIGKILL');
    const urls = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { url: string }).url);
    for (let i = 0; i < 40; i++) assert.ok(urls.includes(`/v1/images/${i % 2 === 0 ? 'none' : 'x'}/${i + 1}`), `request ${i + 1} is in the log`);
  });
});

/** A request with any Host header (fetch would not send a foreign one), over HTTP or HTTPS (with `ca`). */
function httpRequest(port: number, options: { method: string; path: string; headers: Record<string, string>; body?: Uint8Array; ca?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolveRequest, reject) => {
    const send = options.ca !== undefined ? httpsRequest : plainRequest;
    const req = send({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: { connection: 'close', ...options.headers }, ...(options.ca !== undefined ? { ca: options.ca, servername: 'localhost' } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolveRequest({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body !== undefined ? Buffer.from(options.body) : undefined);
  });
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return httpRequest(Number(u.port), { method: 'GET', path: u.pathname, headers: {}, ca });
}

// End to end: `bpfship serve` as a process on an ephemeral loopback port; xdp_firewall.o POSTed to it; `bpfship
// fetch` downloads and checks the image and its signature; `bpfship run --policy production` runs them. And what
// fetch refuses (an untrusted root, a tampered image), writing nothing, and its wrong arguments.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { testRuntime } from '../../runtime/_support.test.ts';
import { FIREWALL_OBJECT, objectBytes, testPki, type TestPki } from '../../service/_support.test.ts';
import { cli } from './_test-cli.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

let pki: TestPki;
let other: TestPki;
let server: ChildProcess;
let serverErr = '';
let url: string;
let tamperer: Server | undefined;

/** `bpfship fetch ARGS...` in-process, through main(). */
function fetchCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(['fetch', ...args]);
}

/** `bpfship ARGS...` as a process. */
function bpfship(args: readonly string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

before(async () => {
  testRuntime(); // the runtime core, built when missing, for `run`
  pki = await testPki('fetch-cli-');
  other = await testPki('fetch-cli-other-');
  server = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--data', join(pki.dir, 'data'), '--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate, '--trust', pki.keys.rootCertificate, '--listen', '127.0.0.1:0', '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BPFSHIP_CACHE: join(pki.dir, 'unused-cache') } },
  );
  url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverErr}`)), 60_000);
    server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      serverErr += chunk;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(serverErr);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${serverErr}`)));
  });
});

after(async () => {
  tamperer?.close();
  tamperer?.closeAllConnections();
  if (server.exitCode === null) {
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0, 'serve stops cleanly on SIGTERM');
    assert.match(serverErr, /SIGTERM: stopping/);
  }
  pki.remove();
  other.remove();
});

describe('serve, fetch, run', () => {
  it('publishes xdp_firewall.o, fetches it, and runs it under the production policy', async () => {
    const post = await fetch(`${url}/v1/builds?name=xdp-firewall`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', connection: 'close' }, body: objectBytes(FIREWALL_OBJECT) });
    assert.equal(post.status, 201, await post.clone().text());
    const build = (await post.json()) as { digests: { image: string; signature: string } };

    const out = join(pki.dir, 'fw.so');
    const r = await fetchCli([url, 'xdp-firewall', '-o', out, '--trust', pki.keys.rootCertificate]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`fw\\.so: xdp-firewall version 1, ${build.digests.image}\\n`));
    assert.match(r.out, /programs {2}xdp_firewall \(xdp\) accepted/);
    const blob = await fetch(`${url}/v1/blobs/${build.digests.signature.slice(7)}`, { headers: { connection: 'close' } });
    assert.deepEqual(readFileSync(`${out}.sig`), Buffer.from(await blob.arrayBuffer()));

    const packet = join(pki.dir, 'packet.bin');
    writeFileSync(packet, new Uint8Array(64));
    const run = bpfship(['run', out, '--mode', 'native', '--policy', 'production', '--trust', pki.keys.rootCertificate, '--data', packet, '--audit-log', join(pki.dir, 'audit.log')]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^program xdp_firewall \(xdp, native\)\nreturn value: 2 \(XDP_PASS\)/);
    assert.match(run.err, /allowed by the production policy: fw\.so/);
    assert.equal(bpfship(['verify-signature', out, '--trust', pki.keys.rootCertificate]).code, 0);

    // A .sig that is a link to /dev/zero is refused at once, with an audit line, not read until memory runs out.
    const linked = join(pki.dir, 'linked.so');
    writeFileSync(linked, readFileSync(out));
    symlinkSync('/dev/zero', `${linked}.sig`);
    const audit = join(pki.dir, 'audit-zero.log');
    const zero = bpfship(['run', linked, '--mode', 'native', '--policy', 'production', '--trust', pki.keys.rootCertificate, '--data', packet, '--audit-log', audit]);
    assert.equal(zero.code, 1, zero.err);
    assert.match(zero.err, /refused by the production policy: SIGNATURE_UNREADABLE: the signature file cannot be read: the signature file is not a regular file \(a character device\)/);
    assert.equal((JSON.parse(readFileSync(audit, 'utf8').trim().split('\n').at(-1) ?? '{}') as { code?: string }).code, 'SIGNATURE_UNREADABLE');
  });

  it('fetches the ELF object and its signature for the kernel with --object, as deploy takes them', async () => {
    const out = join(pki.dir, 'xdp_firewall.o');
    const r = await fetchCli([url, 'xdp-firewall', '--object', '-o', out, '--trust', pki.keys.rootCertificate]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readFileSync(out), Buffer.from(objectBytes(FIREWALL_OBJECT)));
    assert.match(r.out, /programs {2}xdp_firewall \(xdp\) accepted/);
    const v = bpfship(['verify-signature', out, '--trust', pki.keys.rootCertificate]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /target {4}linux 6\.18 \(an eBPF object signed for the kernel\)/);
  });

  it('refuses a signer from an untrusted root, writing nothing', async () => {
    const out = join(pki.dir, 'untrusted.so');
    const r = await fetchCli([url, 'xdp-firewall', '-o', out, '--trust', other.keys.rootCertificate]);
    assert.equal(r.code, 1);
    assert.match(r.err, /refusing xdp-firewall from http:\/\/127\.0\.0\.1:\d+: CHAIN_UNTRUSTED_ROOT: .*\nnothing was written\n$/);
    assert.ok(!existsSync(out) && !existsSync(`${out}.sig`));
  });

  it('refuses a tampered image, leaving an earlier fetch as it was', async () => {
    // A service in front of the real one that flips a byte of every image it passes on.
    const image = (await (await fetch(`${url}/v1/images/xdp-firewall`, { headers: { connection: 'close' } })).json()) as { digests: { image: string } };
    tamperer = createServer((req, res) => {
      void fetch(`${url}${req.url ?? '/'}`, { headers: { connection: 'close' } }).then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        if (req.url?.endsWith(image.digests.image.slice(7)) === true) body[100] = (body[100] ?? 0) ^ 0xff;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => tamperer?.listen(0, '127.0.0.1', r));
    const tamperUrl = `http://127.0.0.1:${(tamperer.address() as AddressInfo).port}`;
    const out = join(pki.dir, 'fw.so');
    const before = [readFileSync(out), readFileSync(`${out}.sig`)];
    const r = await fetchCli([tamperUrl, 'xdp-firewall', '-o', out, '--trust', pki.keys.rootCertificate]);
    assert.equal(r.code, 1);
    assert.match(r.err, /FETCH_DIGEST_MISMATCH: the image downloaded from .* has digest sha256:[0-9a-f]{64}, but the build announced/);
    assert.deepEqual([readFileSync(out), readFileSync(`${out}.sig`)], before, 'the earlier pair is untouched');
    assert.deepEqual(readdirSync(pki.dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  });

  it('says what is wrong with its arguments (exit status 2)', async () => {
    const out = join(pki.dir, 'args.so');
    const trust = ['--trust', pki.keys.rootCertificate];
    for (const [args, pattern] of [
      [[url, 'xdp-firewall', '-o', out, ...trust, '--version', 'x'], /--version must be a version number/],
      [[url, 'Bad', '-o', out, ...trust], /image name: expected an image name of lowercase letters/],
      [['ftp://host', 'xdp-firewall', '-o', out, ...trust], /expected the service's URL/],
      [[url, 'xdp-firewall', '-o', out, '--trust', join(pki.dir, 'missing.pem')], /missing\.pem: no such file/],
      [[url, 'xdp-firewall', '-o', out], /required option '--trust/],
    ] as const) {
      const r = await fetchCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, pattern);
    }
    const missing = await fetchCli([url, 'xdp-firewall', '-o', out, ...trust, '--version', '5']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /FETCH_NOT_FOUND: .*image 'xdp-firewall' has no version 5/);
    assert.ok(!existsSync(out));
  });
});

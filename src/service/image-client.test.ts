// fetchSignedImage against a real listening service on an ephemeral port, and against a service that lies:
// tampered images, rewritten digests, foreign URLs, untrusted signers.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { digestOf } from '../store/index.ts';
import { FIREWALL_OBJECT, objectBytes, postElf, testPki, testService, type TestPki, type TestService } from './_support.test.ts';
import type { BuildView } from './build-view.ts';
import { fetchSignedImage } from './image-client.ts';

let pki: TestPki;
let other: TestPki;
let service: TestService;
let url: string;
let build: BuildView;
const servers: Server[] = [];

before(async () => {
  pki = await testPki('image-client-');
  other = await testPki('image-client-other-');
  service = await testService(pki, 'data');
  const r = await postElf(service.app, 'fw', objectBytes(FIREWALL_OBJECT));
  assert.equal(r.statusCode, 201, r.body);
  build = r.json<BuildView>();
  assert.equal((await postElf(service.app, 'fw', objectBytes(FIREWALL_OBJECT))).statusCode, 201);
  url = await service.app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  setTimeout(() => { for (const h of (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()) console.error("HANDLE", (h as object).constructor.name, String((h as {remotePort?: number}).remotePort ?? ""), String((h as {localPort?: number}).localPort ?? "")); }, 2000).unref();
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
  await service.close();
  pki.remove();
  other.remove();
});

/**
 * A service that forwards to the real one and rewrites what it answers: `tamper(path, body)` returns the body to
 * send instead. Listens on an ephemeral loopback port; returns its URL.
 */
async function lyingService(upstream: FastifyInstance, tamper: (path: string, body: Buffer) => Buffer): Promise<string> {
  const server = createServer((req, res) => {
    void upstream.inject({ method: 'GET', url: req.url ?? '/' }).then((r) => {
      const body = tamper(req.url ?? '/', r.rawPayload);
      res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'application/octet-stream'), 'content-length': body.length });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const flipLastByte = (b: Buffer): Buffer => {
  const c = Buffer.from(b);
  c[c.length - 1] = (c[c.length - 1] ?? 0) ^ 1;
  return c;
};

describe('fetchSignedImage', () => {
  it('fetches the latest image and its signature, verified', async () => {
    const r = await fetchSignedImage({ serviceUrl: url, name: 'fw', trustedRoots: pki.roots });
    assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
    assert.equal(r.build.version, 2);
    assert.equal(digestOf(r.image), build.digests.image);
    assert.equal(r.verification.imageDigest, build.digests.image);
    assert.match(r.verification.trustRoot.subject, /root CA/);
    assert.equal(r.build.imageUrl, `${url}${build.artifacts.image}`);
  });

  it('fetches the ELF object and its signature for the kernel, verified as an object', async () => {
    const r = await fetchSignedImage({ serviceUrl: url, name: 'fw', trustedRoots: pki.roots, artifact: 'object' });
    assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
    assert.equal(digestOf(r.image), build.digests.elf);
    assert.equal(r.build.imageUrl, `${url}${build.artifacts.elf}`);
    assert.equal(r.verification.statement.predicateType, 'https://bpfship.dev/attestation/kernel-object/v1');
    assert.equal(r.verification.statement.subject[0]?.name, 'fw.o');
  });

  it('fetches a given version, and says when there is none', async () => {
    const one = await fetchSignedImage({ serviceUrl: url + '/', name: 'fw', version: 1, trustedRoots: pki.roots });
    assert.ok(one.ok && one.build.version === 1);
    const none = await fetchSignedImage({ serviceUrl: url, name: 'fw', version: 7, trustedRoots: pki.roots });
    assert.ok(!none.ok);
    assert.equal(none.code, 'FETCH_NOT_FOUND');
    assert.match(none.message, /answered 404 for the build description \(VERSION_NOT_FOUND: image 'fw' has no version 7 \(the latest is 2\)\)/);
    const missing = await fetchSignedImage({ serviceUrl: url, name: 'nothing', trustedRoots: pki.roots });
    assert.ok(!missing.ok && missing.code === 'FETCH_NOT_FOUND');
  });

  it('refuses a signer that does not chain to the trusted roots', async () => {
    const r = await fetchSignedImage({ serviceUrl: url, name: 'fw', trustedRoots: other.roots });
    assert.ok(!r.ok);
    assert.equal(r.code, 'CHAIN_UNTRUSTED_ROOT');
    assert.equal(r.verification?.ok, false);
  });

  it('refuses a tampered image, whether or not the service rewrote its digest', async () => {
    const imagePath = build.artifacts.image.replace(/[0-9a-f]{64}$/, '');
    const plain = await lyingService(service.app, (path, body) => (path.startsWith(imagePath) && path.endsWith(build.digests.image.slice(7)) ? flipLastByte(body) : body));
    const r = await fetchSignedImage({ serviceUrl: plain, name: 'fw', version: 1, trustedRoots: pki.roots });
    assert.ok(!r.ok);
    assert.equal(r.code, 'FETCH_DIGEST_MISMATCH');
    assert.match(r.message, /the image downloaded from .* has digest sha256:[0-9a-f]{64}, but the build announced sha256:/);

    // A service that lies consistently: the build names the tampered image's digest. The signature still says no.
    const tampered = flipLastByte(Buffer.from((await service.app.inject({ method: 'GET', url: build.artifacts.image })).rawPayload));
    const tamperedDigest = digestOf(tampered);
    const consistent = await lyingService(service.app, (path, body) => {
      if (path.endsWith(build.digests.image.slice(7))) return tampered;
      if (path.startsWith('/v1/images/')) return Buffer.from(body.toString('utf8').replaceAll(build.digests.image, tamperedDigest).replaceAll(build.digests.image.slice(7), tamperedDigest.slice(7)));
      return body;
    });
    const lie = await fetchSignedImage({ serviceUrl: consistent, name: 'fw', version: 1, trustedRoots: pki.roots });
    assert.ok(!lie.ok);
    assert.equal(lie.code, 'FETCH_NOT_FOUND', 'the tampered digest names no blob upstream');
    const served = await lyingService(service.app, (path, body) => {
      if (path.startsWith('/v1/images/')) return Buffer.from(body.toString('utf8').replaceAll(build.digests.image, tamperedDigest));
      if (path.endsWith(build.digests.image.slice(7))) return tampered;
      return body;
    });
    const refused = await fetchSignedImage({ serviceUrl: served, name: 'fw', version: 1, trustedRoots: pki.roots });
    assert.ok(!refused.ok);
    assert.equal(refused.code, 'IMAGE_DIGEST_MISMATCH');
  });

  it('refuses a build description that is not the one asked for or sends the client elsewhere', async () => {
    const cases: [(text: string) => string, RegExp][] = [
      [(t) => t.replace('"name":"fw"', '"name":"other"'), /it is for image 'other', not 'fw'/],
      [(t) => t.replace('"version":1', '"version":2'), /it is version 2, not 1/],
      [(t) => t.replace(/"image":"\/v1\/blobs\//, '"image":"http://198.51.100.1/v1/blobs/'), /artifacts\.image points to another origin/],
      [(t) => t.replace(/"signature":"sha256:[0-9a-f]+"/, '"signature":"md5:00"'), /digests\.signature should be a digest/],
      [() => 'not json', /not JSON/],
    ];
    for (const [rewrite, pattern] of cases) {
      const lying = await lyingService(service.app, (path, body) => (path.startsWith('/v1/images/') ? Buffer.from(rewrite(body.toString('utf8'))) : body));
      const r = await fetchSignedImage({ serviceUrl: lying, name: 'fw', version: 1, trustedRoots: pki.roots });
      assert.ok(!r.ok);
      assert.equal(r.code, 'FETCH_PROTOCOL');
      assert.match(r.message, pattern);
    }
  });

  it('refuses what is too large, and says when the service cannot be reached', async () => {
    const big = await fetchSignedImage({ serviceUrl: url, name: 'fw', trustedRoots: pki.roots, maxImageBytes: 100 });
    assert.ok(!big.ok && big.code === 'FETCH_TOO_LARGE', JSON.stringify(big));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await fetchSignedImage({ serviceUrl: `http://127.0.0.1:${port}`, name: 'fw', trustedRoots: pki.roots });
    assert.ok(!unreachable.ok);
    assert.equal(unreachable.code, 'FETCH_UNREACHABLE');
    assert.match(unreachable.message, /ECONNREFUSED/);
    for (const [serviceUrl, name, code] of [['ftp://x', 'fw', 'FETCH_URL_INVALID'], ['not a url', 'fw', 'FETCH_URL_INVALID'], [url, 'Bad', 'FETCH_NAME_INVALID']] as const) {
      const r = await fetchSignedImage({ serviceUrl, name, trustedRoots: pki.roots });
      assert.ok(!r.ok && r.code === code, `${serviceUrl} ${name}: ${JSON.stringify(r)}`);
    }
  });
});

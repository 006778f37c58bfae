// The service through fastify's inject(): publishing, reading back, refusing what must be refused (malformed
// ELF, failed verification, bad names, wrong content types, oversized bodies, damaged blobs), and its log.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesBelow, CORPUS } from '../internal/test-files.ts';
import { verifyImage, verifyKernelObject } from '../sign/index.ts';
import { objectProgramsOf } from '../policy/index.ts';
import { ARTIFACT_KINDS, digestOf, MediaType, type StoreHealth } from '../store/index.ts';
import { BIND_MONITOR_OBJECT, FIREWALL_OBJECT, objectBytes, postElf, testPki, testService, type TestPki, type TestService } from './_support.test.ts';
import { DEFAULT_BODY_LIMIT } from './app.ts';
import type { BuildView } from './build-view.ts';
import type { ProblemBody } from './problem.ts';

let pki: TestPki;
let service: TestService;
before(async () => {
  pki = await testPki('service-app-');
  service = await testService(pki, 'data');
});
after(async () => {
  await service.close();
  pki.remove();
});

const firewall = objectBytes(FIREWALL_OBJECT);
let first: BuildView;

/** Every blob file of the store. */
function blobFiles(): string[] {
  return filesBelow(join(service.dataDir, 'blobs'));
}

describe('POST /v1/builds', () => {
  it('verifies, builds, signs, stores and publishes xdp_firewall.o', async () => {
    const r = await postElf(service.app, 'xdp-firewall', firewall);
    assert.equal(r.statusCode, 201, r.body);
    first = r.json<BuildView>();
    assert.equal(r.headers['location'], '/v1/images/xdp-firewall/1');
    assert.equal(first.name, 'xdp-firewall');
    assert.equal(first.version, 1);
    assert.equal(first.digests.elf, digestOf(firewall));
    assert.deepEqual(first.programs.map((p) => [p.name, p.section, p.type, p.verdict]), [['xdp_firewall', 'xdp', 'xdp', 'accepted']]);
    assert.ok((first.programs[0]?.insnsProcessed ?? 0) > 0);
    assert.match(first.signer, /CN=bpfship development signer/);
    assert.equal(first.toolchain.verifier.name, 'bpfship-verifier');
    assert.ok(first.toolchain.compiler.flags.includes('-O2'));
    // Every artifact is served with its media type, and is what its digest says.
    for (const kind of ARTIFACT_KINDS) {
      assert.equal(first.artifacts[kind], `/v1/blobs/${first.digests[kind].slice(7)}`);
      const blob = await service.app.inject({ method: 'GET', url: first.artifacts[kind] });
      assert.equal(blob.statusCode, 200, kind);
      assert.equal(blob.headers['content-type'], MediaType[kind], kind);
      assert.equal(digestOf(blob.rawPayload), first.digests[kind], kind);
      assert.equal(blob.headers['etag'], `"${first.digests[kind]}"`);
      assert.equal(blob.headers['content-digest'], `sha-256=:${Buffer.from(first.digests[kind].slice(7), 'hex').toString('base64')}:`);
    }
    const head = await service.app.inject({ method: 'HEAD', url: first.artifacts.image });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-type'], MediaType.image);
    assert.equal(head.rawPayload.length, 0);
    // The signature is a valid one over the image, chaining to the PKI's root.
    const image = (await service.app.inject({ method: 'GET', url: first.artifacts.image })).rawPayload;
    const signature = (await service.app.inject({ method: 'GET', url: first.artifacts.signature })).rawPayload;
    const verified = verifyImage({ image, signature, trustedRoots: pki.roots });
    assert.ok(verified.ok, verified.ok ? '' : verified.message);
    assert.equal(verified.statement.predicate.elf.name, 'xdp-firewall.o');
    assert.equal(verified.statement.subject[0]?.name, 'xdp-firewall.so');
    // The build record is the one `bpfship build` writes.
    const record = (await service.app.inject({ method: 'GET', url: first.artifacts.buildRecord })).json<{ image: { sha256: string }; verifier: { name: string } }>();
    assert.equal(`sha256:${record.image.sha256}`, first.digests.image);
    // The ELF object, signed for the kernel as sign-object signs it: what `bpfship deploy` checks.
    assert.equal(first.artifacts.objectSignature, `/v1/blobs/${first.digests.objectSignature?.slice(7)}`);
    const objectSignature = await service.app.inject({ method: 'GET', url: first.artifacts.objectSignature as string });
    assert.equal(objectSignature.headers['content-type'], MediaType.objectSignature);
    const objectVerified = verifyKernelObject({ image: firewall, signature: objectSignature.rawPayload, trustedRoots: pki.roots, expectedProgramInfo: new Map(objectProgramsOf(firewall, 'xdp-firewall.o').map((p) => [p.name, p.infoHash])) });
    assert.ok(objectVerified.ok, objectVerified.ok ? '' : objectVerified.message);
    assert.equal(objectVerified.statement.subject[0]?.name, 'xdp-firewall.o');
    assert.deepEqual(objectVerified.statement.predicate.target, { kernel: 'linux', abi: '6.18' });
    assert.equal(blobFiles().length, 6);
  });

  it('gives the same ELF the same image digest, as version 2, storing identical blobs once', async () => {
    const r = await postElf(service.app, 'xdp-firewall', firewall);
    assert.equal(r.statusCode, 201, r.body);
    const second = r.json<BuildView>();
    assert.equal(second.version, 2);
    assert.equal(second.digests.image, first.digests.image);
    assert.equal(second.digests.elf, first.digests.elf);
    assert.equal(second.digests.generatedC, first.digests.generatedC);
    assert.notEqual(second.digests.signature, first.digests.signature, 'a new signature (a new attestation time)');
    assert.equal(blobFiles().length, 9, 'only the new signatures (image and object) and build record were added');
    const latest = await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall' });
    assert.equal(latest.json<BuildView>().version, 2);
    const v1 = await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall/1' });
    assert.deepEqual(v1.json(), first);
    const list = await service.app.inject({ method: 'GET', url: '/v1/images' });
    assert.deepEqual(list.json<{ images: { name: string; latestVersion: number }[] }>().images.map((i) => [i.name, i.latestVersion]), [['xdp-firewall', 2]]);
  });

  it('answers 422 with the source-line diagnostic when verification fails, and stores no artifact', async () => {
    const before = blobFiles().length;
    const r = await postElf(service.app, 'bind-monitor', objectBytes(BIND_MONITOR_OBJECT));
    assert.equal(r.statusCode, 422, r.body);
    const body = r.json<ProblemBody>();
    assert.equal(body.error.code, 'VERIFICATION_FAILED');
    assert.match(body.error.message, /program 'bind_monitor' \(section 'cgroup\/bind4'\) failed verification/);
    assert.match(body.diagnostics ?? '', /bind_monitor\.c:33:16: error: possible NULL dereference of r7/);
    assert.match(body.diagnostics ?? '', /^ {3}33 \| {3}if \(\*count > \*limit\)/m);
    assert.match(body.diagnostics ?? '', /^ +\| +\^$/m);
    const programs = body.programs as { name: string; verdict: string; diagnostics: { line: number; column: number; code: string }[] }[];
    assert.deepEqual(programs.map((p) => [p.name, p.verdict, p.diagnostics[0]?.line, p.diagnostics[0]?.column]), [['bind_monitor', 'fail', 33, 16]]);
    assert.equal(blobFiles().length, before, 'no blob stored');
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images/bind-monitor' })).statusCode, 404);
    const failures = (await service.app.inject({ method: 'GET', url: '/v1/images/bind-monitor/failures' })).json<{ failures: { code: string; diagnostics: string; elfDigest: string }[] }>().failures;
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.code, 'VERIFICATION_FAILED');
    assert.equal(failures[0]?.elfDigest, digestOf(objectBytes(BIND_MONITOR_OBJECT)));
  });

  it('answers 400 naming the offset for a truncated or garbage ELF', async () => {
    const truncated = await postElf(service.app, 'fw', firewall.subarray(0, 3000));
    assert.equal(truncated.statusCode, 400);
    const t = truncated.json<ProblemBody>();
    assert.equal(t.error.code, 'ELF_MALFORMED');
    assert.equal(t.error.message, 'fw.o: at offset 0x3040: the section header table (28 headers at 0x3040) runs past the end of the file (3000 bytes)');
    assert.deepEqual(t.error.where, { file: 'fw.o', offset: 0x3040 });
    const garbage = await postElf(service.app, 'fw', new TextEncoder().encode('this is not an ELF object at all'));
    assert.equal(garbage.statusCode, 400);
    assert.match(garbage.json<ProblemBody>().error.message, /^fw\.o: at offset 0x0: not an ELF file/);
    const empty = await postElf(service.app, 'fw', new Uint8Array(0));
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json<ProblemBody>().error.code, 'ELF_MISSING');
  });

  it('refuses every deliberately broken corpus object with 400 or 422, never a fault', async (t) => {
    const counts: Record<number, number> = {};
    for (const file of filesBelow(join(CORPUS, 'invalid'))) {
      const r = await postElf(service.app, 'broken', objectBytes(file));
      assert.ok(r.statusCode === 400 || r.statusCode === 422, `${file}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
    }
    t.diagnostic(`broken corpus objects: ${JSON.stringify(counts)}`);
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images/broken' })).statusCode, 404);
  });

  it('answers 400 for a missing or invalid name', async () => {
    for (const [url, pattern] of [
      ['/v1/builds', /expected the image name as query parameter 'name'/],
      ['/v1/builds?name=', /expected an image name, got an empty one/],
      ['/v1/builds?name=Bad%2FName', /lowercase letters and digits.*got 'Bad\/Name'/],
      ['/v1/builds?name=..', /got '\.\.'/],
      ['/v1/builds?name=a&name=b', /got several/],
    ] as const) {
      const r = await service.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(firewall) });
      assert.equal(r.statusCode, 400, url);
      assert.equal(r.json<ProblemBody>().error.code, 'NAME_INVALID');
      assert.match(r.json<ProblemBody>().error.message, pattern);
    }
  });

  it('answers 415 for another content type and 413 past the body limit', async () => {
    const json = await service.app.inject({ method: 'POST', url: '/v1/builds?name=fw', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    assert.equal(json.statusCode, 415);
    assert.equal(json.json<ProblemBody>().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    for (const [type, payload] of [['application/json', '{"elf": "AAAA"}'], ['application/json', '{not json'], ['text/plain', 'ELF'], ['multipart/form-data; boundary=x', '--x--'], ['application/x-elf', 'ELF']] as const) {
      const r = await service.app.inject({ method: 'POST', url: '/v1/builds?name=fw', headers: { 'content-type': type }, payload });
      assert.equal(r.statusCode, 415, type);
      assert.equal(r.json<ProblemBody>().error.code, 'UNSUPPORTED_MEDIA_TYPE', type);
      assert.equal(r.json<ProblemBody>().error.message, `expected Content-Type application/octet-stream (an ELF object), got ${type}`);
    }
    const none = await service.app.inject({ method: 'POST', url: '/v1/builds?name=fw' });
    assert.equal(none.statusCode, 400);
    assert.equal(none.json<ProblemBody>().error.code, 'ELF_MISSING');
    const big = await postElf(service.app, 'fw', new Uint8Array(DEFAULT_BODY_LIMIT + 1));
    assert.equal(big.statusCode, 413);
    assert.deepEqual(big.json<ProblemBody>().error, { code: 'BODY_TOO_LARGE', message: `expected a request body of at most ${DEFAULT_BODY_LIMIT} bytes` });
  });
});

describe('concurrent builds', () => {
  it('of one name get distinct versions, and the last published is the latest', async () => {
    const parallel = await testService(pki, 'data-parallel');
    try {
      const answers = await Promise.all([1, 2, 3, 4].map(() => postElf(parallel.app, 'fw', firewall)));
      assert.deepEqual(answers.map((a) => a.statusCode), [201, 201, 201, 201]);
      const builds = answers.map((a) => a.json<BuildView>());
      assert.deepEqual(builds.map((b) => b.version).sort(), [1, 2, 3, 4]);
      assert.equal(new Set(builds.map((b) => b.digests.image)).size, 1, 'one image digest');
      assert.equal((await parallel.app.inject({ method: 'GET', url: '/v1/images/fw' })).json<BuildView>().version, 4);
    } finally {
      await parallel.close();
    }
  });
});

describe('a fault of the toolchain', () => {
  it('answers 500 with its code, and only the log gets the details', async () => {
    const broken = await testService(pki, 'data-no-cc', { cc: '/nonexistent/cc', cache: false });
    try {
      const r = await postElf(broken.app, 'fw', firewall);
      assert.equal(r.statusCode, 500);
      const body = r.json<ProblemBody>();
      assert.equal(body.error.code, 'NATIVE_NO_COMPILER');
      assert.match(body.error.message, /the build failed in the toolchain \(NATIVE_NO_COMPILER\), not because of the ELF/);
      assert.ok(!r.body.includes('/nonexistent/cc'), 'no detail in the answer');
      const line = broken.log.find((l) => l['status'] === 500);
      assert.match(String((line?.['error'] as { detail?: string }).detail), /\/nonexistent\/cc/);
      assert.equal((await broken.app.inject({ method: 'GET', url: '/v1/images' })).json<{ images: unknown[] }>().images.length, 0, 'nothing published');
    } finally {
      await broken.close();
    }
  });
});

describe('GET', () => {
  it('refuses a blob damaged on disk instead of serving wrong bytes', async () => {
    const path = service.store.blobPath(first.digests.image);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    chmodSync(path, 0o644);
    writeFileSync(path, bad);
    try {
      const r = await service.app.inject({ method: 'GET', url: first.artifacts.image });
      assert.equal(r.statusCode, 500);
      const body = r.json<ProblemBody>();
      assert.equal(body.error.code, 'BLOB_CORRUPT');
      assert.match(body.error.message, new RegExp(`blob ${first.digests.image} is damaged`));
      assert.ok(!r.body.includes(service.dataDir), 'the answer names no path on the server');
      assert.ok(!r.rawPayload.includes(bad.subarray(0, 64)), 'no byte of the blob is sent');
    } finally {
      writeFileSync(path, good);
    }
    assert.equal((await service.app.inject({ method: 'GET', url: first.artifacts.image })).statusCode, 200);
  });

  it('answers 404 and 400 with the same error body', async () => {
    for (const [url, status, code] of [
      ['/v1/images/nothing', 404, 'IMAGE_NOT_FOUND'],
      ['/v1/images/xdp-firewall/9', 404, 'VERSION_NOT_FOUND'],
      ['/v1/images/xdp-firewall/0', 400, 'VERSION_INVALID'],
      ['/v1/images/xdp-firewall/x', 400, 'VERSION_INVALID'],
      ['/v1/images/NOPE', 400, 'NAME_INVALID'],
      [`/v1/blobs/${'0'.repeat(64)}`, 404, 'BLOB_NOT_FOUND'],
      [`/v1/blobs/sha256:${'0'.repeat(64)}`, 404, 'BLOB_NOT_FOUND'],
      ['/v1/blobs/abc', 400, 'DIGEST_INVALID'],
      ['/v2/anything', 404, 'NOT_FOUND'],
    ] as const) {
      const r = await service.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, status, url);
      assert.equal(r.json<ProblemBody>().error.code, code, url);
    }
    const message = (await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall/9' })).json<ProblemBody>().error.message;
    assert.equal(message, "image 'xdp-firewall' has no version 9 (the latest is 2)");
  });

  it('/healthz answers with the store and the build pool, and says when a blob is missing', async () => {
    type Health = { status: string; store: StoreHealth; builds: { running: number; queued: number; concurrency: number } };
    const r = await service.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 200);
    const body = r.json<Health>();
    assert.equal(body.status, 'ok');
    assert.equal(body.store.kind, 'embedded');
    assert.deepEqual([body.store.index.kind, body.store.index.ok, body.store.blobs.kind, body.store.blobs.ok], ['sqlite', true, 'directory', true]);
    assert.deepEqual(body.store.damaged, []);
    assert.ok(body.builds.concurrency >= 1);
    // A blob file deleted behind the service's back shows at the next check, and goes when it is back.
    const path = service.store.blobPath(first.digests.buildRecord);
    const saved = readFileSync(path);
    rmSync(path, { force: true });
    try {
      const degraded = (await service.app.inject({ method: 'GET', url: '/healthz' })).json<Health>();
      assert.equal(degraded.status, 'degraded');
      assert.deepEqual(degraded.store.damaged, [{ digest: first.digests.buildRecord, problem: 'missing' }]);
      const missing = await service.app.inject({ method: 'GET', url: first.artifacts.buildRecord });
      assert.equal(missing.statusCode, 500);
      assert.equal(missing.json<ProblemBody>().error.code, 'BLOB_MISSING');
    } finally {
      writeFileSync(path, saved);
    }
    assert.equal((await service.app.inject({ method: 'GET', url: '/healthz' })).json<Health>().status, 'ok');
  });

  it('answers If-None-Match with 304 for blobs and builds, and a new latest with 200', async () => {
    const blob = await service.app.inject({ method: 'GET', url: first.artifacts.image });
    const etag = String(blob.headers['etag']);
    const cached = await service.app.inject({ method: 'GET', url: first.artifacts.image, headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
    assert.equal(cached.rawPayload.length, 0);
    assert.equal(cached.headers['etag'], etag);
    assert.equal((await service.app.inject({ method: 'GET', url: first.artifacts.image, headers: { 'if-none-match': '"sha256:other", W/' + etag } })).statusCode, 304);
    assert.equal((await service.app.inject({ method: 'GET', url: first.artifacts.image, headers: { 'if-none-match': '"sha256:other"' } })).statusCode, 200);
    assert.equal((await service.app.inject({ method: 'GET', url: `/v1/blobs/${'1'.repeat(64)}`, headers: { 'if-none-match': '*' } })).statusCode, 404, 'no 304 for a blob the store does not hold');

    const v1 = await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall/1' });
    assert.equal(v1.headers['etag'], `"${first.id}"`);
    assert.match(String(v1.headers['cache-control']), /immutable/);
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall/1', headers: { 'if-none-match': `"${first.id}"` } })).statusCode, 304);
    const latest = await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall' });
    const latestTag = String(latest.headers['etag']);
    assert.equal(latest.headers['cache-control'], 'no-cache');
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall', headers: { 'if-none-match': latestTag } })).statusCode, 304);
    const list = await service.app.inject({ method: 'GET', url: '/v1/images' });
    const listTag = String(list.headers['etag']);
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images', headers: { 'if-none-match': listTag } })).statusCode, 304);
    assert.equal((await postElf(service.app, 'xdp-firewall', firewall)).statusCode, 201);
    const newer = await service.app.inject({ method: 'GET', url: '/v1/images/xdp-firewall', headers: { 'if-none-match': latestTag } });
    assert.equal(newer.statusCode, 200, 'a new latest version is sent');
    assert.equal(newer.json<BuildView>().version, 3);
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/images', headers: { 'if-none-match': listTag } })).statusCode, 200);
  });
});

describe('the log', () => {
  it('has one JSON line per request, with no secret in it', async () => {
    const lines = service.log.filter((l) => l['msg'] === 'request');
    const other = service.log.filter((l) => l['msg'] !== 'request');
    assert.deepEqual(other, [], 'no line but the request lines');
    const requests = lines.length;
    await service.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(service.log.filter((l) => l['msg'] === 'request').length, requests + 1);
    const published = lines.find((l) => l['status'] === 201);
    assert.deepEqual(published?.['build'], { name: 'xdp-firewall', version: 1, image: first.digests.image });
    assert.equal(published?.['method'], 'POST');
    assert.equal(published?.['url'], '/v1/builds?name=xdp-firewall');
    const corrupt = lines.find((l) => l['status'] === 500);
    assert.equal(corrupt?.['level'], 50, 'a 5xx is logged at level error');
    assert.equal((corrupt?.['error'] as { code: string }).code, 'BLOB_CORRUPT');
    const text = JSON.stringify(service.log);
    const key = readFileSync(pki.keys.signerKey, 'utf8');
    assert.ok(!text.includes('PRIVATE KEY') && !text.includes(key.split('\n')[1] ?? 'x'), 'the signing key is never logged');
    assert.ok(!/"headers"/.test(text), 'headers are never logged');
    assert.ok(readdirSync(join(service.dataDir, 'tmp')).length === 0);
  });
});

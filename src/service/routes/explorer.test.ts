// The explorer's routes in the service (through inject; the page itself is driven by Chromium in
// test/explorer.test.ts): a published build's attestation and signer chain, and its programs' explore documents,
// verified in the explore worker.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import type { ExploreProgram } from '../../web/index.ts';
import { tokenHash } from '../token-file.ts';
import { objectBytes, postElf, testPki, testService, type TestPki, type TestService } from '../_support.test.ts';
// @ts-expect-error: a JavaScript module without types
import { ensurePageBuilt } from '../../../scripts/build-web.mjs';

let pki: TestPki;
let svc: TestService;
before(async () => {
  await (ensurePageBuilt as () => Promise<string>)();
  pki = await testPki('explorer-routes-');
  svc = await testService(pki, 'data', { log: false });
  const r = await postElf(svc.app, 'bind-monitor', objectBytes(join(PROGRAMS_OBJ, 'bind_monitor_fixed.o')));
  assert.equal(r.statusCode, 201, r.body);
});
after(async () => {
  await svc.close();
  pki.remove();
});

describe('explorer routes', () => {
  it('tells the page it is served by the service', async () => {
    const r = await svc.app.inject({ url: '/explorer-config.json' });
    assert.deepEqual(r.json(), { mode: 'service' });
  });

  it('describes a build: attestation, rule set, digests, signer chain, programs', async () => {
    const r = await svc.app.inject({ url: '/v1/explore/images/bind-monitor/1' });
    assert.equal(r.statusCode, 200, r.body);
    const d = r.json() as {
      build: { name: string; version: number; digests: Record<string, string> };
      attestation: { verifier: { name: string; version: string }; ruleSet: string; predicateType: string; programs: { name: string; verdict: string }[] };
      signers: { subject: string; issuer: string }[];
      object: { programs: { index: number; name: string }[] };
    };
    assert.equal(d.build.version, 1);
    assert.match(d.build.digests['elf'] ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(d.attestation.verifier.name, 'bpfship-verifier');
    assert.match(d.attestation.ruleSet, /linux/);
    assert.deepEqual(d.attestation.programs.map((p) => [p.name, p.verdict]), [['bind_monitor', 'accepted']]);
    // The signer, then its intermediate CA.
    assert.equal(d.signers.length, 2);
    assert.equal(d.signers[0]?.issuer, d.signers[1]?.subject);
    assert.deepEqual(d.object.programs.map((p) => [p.index, p.name]), [[0, 'bind_monitor']]);
  });

  it("gives a program's explore document, verified with its states recorded", async () => {
    const r = await svc.app.inject({ url: '/v1/explore/images/bind-monitor/1/programs/0' });
    assert.equal(r.statusCode, 200, r.body);
    const doc = r.json() as ExploreProgram;
    assert.equal(doc.report.verdict, 'pass');
    assert.ok((doc.report.recording?.states.length ?? 0) > 10);
    assert.ok(doc.listing.length > 30);
    // The uploaded object's source file is not at hand: the page shows the lines BTF recorded.
    assert.equal(doc.sources[0]?.text, undefined);
    // Cached: the same answer again.
    const again = await svc.app.inject({ url: '/v1/explore/images/bind-monitor/1/programs/0' });
    assert.equal(again.body, r.body);
  });

  it('refuses bad names, versions and program indexes', async () => {
    assert.equal((await svc.app.inject({ url: '/v1/explore/images/bind-monitor/7' })).statusCode, 404);
    assert.equal((await svc.app.inject({ url: '/v1/explore/images/bind-monitor/x' })).statusCode, 400);
    assert.equal((await svc.app.inject({ url: '/v1/explore/images/Bad_Name/1' })).statusCode, 400);
    assert.equal((await svc.app.inject({ url: '/v1/explore/images/bind-monitor/1/programs/5' })).statusCode, 404);
    assert.equal((await svc.app.inject({ url: '/v1/explore/images/bind-monitor/1/programs/-1' })).statusCode, 400);
  });

  it('serves the page at /, and only the files the build wrote', async () => {
    const r = await svc.app.inject({ url: '/' });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /<div id="app">/);
    assert.equal((await svc.app.inject({ url: '/explorer.js' })).statusCode, 200);
    assert.equal((await svc.app.inject({ url: '/../package.json' })).statusCode, 404);
    assert.equal((await svc.app.inject({ url: '/v1/nothing' })).statusCode, 404);
  });
});

describe('explorer routes with tokens', () => {
  let tokenPki: TestPki;
  let guarded: TestService;
  before(async () => {
    tokenPki = await testPki('explorer-tokens-');
    guarded = await testService(tokenPki, 'data', {
      log: false,
      access: { publishTokens: [{ name: 'ci', sha256: tokenHash('publish-secret') }], readTokens: [{ name: 'viewer', sha256: tokenHash('read-secret') }] },
    });
    const r = await guarded.app.inject({ method: 'POST', url: '/v1/builds?name=fw', headers: { 'content-type': 'application/octet-stream', authorization: 'Bearer publish-secret' }, payload: Buffer.from(objectBytes(join(PROGRAMS_OBJ, 'xdp_firewall.o'))) });
    assert.equal(r.statusCode, 201, r.body);
  });
  after(async () => {
    await guarded.close();
    tokenPki.remove();
  });

  it('serves the page without a token (it holds no data), and its data only with one', async () => {
    assert.equal((await guarded.app.inject({ url: '/' })).statusCode, 200);
    assert.equal((await guarded.app.inject({ url: '/explorer.js' })).statusCode, 200);
    assert.equal((await guarded.app.inject({ url: '/explorer-config.json' })).statusCode, 200);
    assert.equal((await guarded.app.inject({ url: '/v1/explore/images/fw/1' })).statusCode, 401);
    assert.equal((await guarded.app.inject({ url: '/v1/explore/images/fw/1/programs/0' })).statusCode, 401);
    const ok = await guarded.app.inject({ url: '/v1/explore/images/fw/1', headers: { authorization: 'Bearer read-secret' } });
    assert.equal(ok.statusCode, 200, ok.body);
    const doc = await guarded.app.inject({ url: '/v1/explore/images/fw/1/programs/0', headers: { authorization: 'Bearer read-secret' } });
    assert.equal((doc.json() as ExploreProgram).report.verdict, 'pass');
  });

  it('answers only to its own host names, the page included', async () => {
    const r = await guarded.app.inject({ url: '/', headers: { host: 'rebound.example.com' } });
    assert.equal(r.statusCode, 421);
  });
});

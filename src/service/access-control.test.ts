// Who may ask the service what: the Host check that stops DNS rebinding, browser origins, bearer tokens for
// publishing and (optionally) reading, and the health check that needs none. Through inject(): the hook is the
// same on a listening service (serve.test.ts checks one over TCP and TLS).
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { FIREWALL_OBJECT, objectBytes, testPki, testService, type TestPki, type TestService } from './_support.test.ts';
import type { BuildView } from './build-view.ts';
import type { ProblemBody } from './problem.ts';
import { parseTokenFile, TokenFileError } from './token-file.ts';

const PUBLISH_TOKEN = 'p'.repeat(12) + '0123456789abcdef';
const READ_TOKEN = 'r'.repeat(12) + '0123456789abcdef';
const firewall = objectBytes(FIREWALL_OBJECT);

let pki: TestPki;
let open: TestService;
let guarded: TestService;
before(async () => {
  pki = await testPki('service-access-');
  open = await testService(pki, 'open');
  guarded = await testService(pki, 'guarded', {
    access: {
      allowedHosts: ['bpfship.internal.example'],
      allowedOrigins: ['https://console.example.com'],
      publishTokens: parseTokenFile(`# publishers\nci ${PUBLISH_TOKEN}\n`, 'publish.tokens'),
      readTokens: parseTokenFile(`fleet ${READ_TOKEN}\n`, 'read.tokens'),
    },
  });
});
after(async () => {
  await open.close();
  await guarded.close();
  pki.remove();
});

function post(service: TestService, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  return service.app.inject({ method: 'POST', url: '/v1/builds?name=fw', headers: { 'content-type': 'application/octet-stream', ...headers }, payload: Buffer.from(firewall) });
}

describe('the Host and Origin checks', () => {
  it('refuse the DNS-rebinding request (Host evil.example.com, a foreign Origin) with 421, publishing nothing', async () => {
    const r = await post(open, { host: 'evil.example.com:8470', origin: 'http://evil.example.com:8470' });
    assert.equal(r.statusCode, 421);
    assert.equal(r.json<ProblemBody>().error.code, 'HOST_NOT_ALLOWED');
    const r2 = await post(open, { host: 'evil.example.com' });
    assert.equal(r2.statusCode, 421, 'the Host alone decides');
    assert.deepEqual((await open.app.inject({ method: 'GET', url: '/v1/images' })).json<{ images: unknown[] }>().images, []);
    // Every route has the check, routes added later and unknown paths included.
    for (const url of ['/v1/images', '/healthz', '/', '/anything/else']) {
      assert.equal((await open.app.inject({ method: 'GET', url, headers: { host: 'evil.example.com' } })).statusCode, 421, url);
    }
    const line = open.log.find((l) => l['status'] === 421);
    assert.equal((line?.['error'] as { code: string }).code, 'HOST_NOT_ALLOWED');
  });

  it('accept loopback names and addresses, and names given with --allowed-host', async () => {
    for (const host of ['localhost', 'localhost:8470', '127.0.0.1:8470', '127.1.2.3', '[::1]:8470', 'LOCALHOST']) {
      assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { host } })).statusCode, 200, host);
    }
    assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { host: 'bpfship.internal.example' } })).statusCode, 421);
    assert.equal((await guarded.app.inject({ method: 'GET', url: '/healthz', headers: { host: 'bpfship.internal.example:443' } })).statusCode, 200);
    for (const host of ['a b', 'user@localhost', '127.0.0.1.evil.example', 'localhost.evil.example']) {
      assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { host } })).statusCode, 421, JSON.stringify(host));
    }
  });

  it('refuse a browser Origin other than the service’s own or an allowed one (403)', async () => {
    const foreign = await post(open, { origin: 'http://evil.example.com' });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.json<ProblemBody>().error.code, 'ORIGIN_NOT_ALLOWED');
    assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { origin: 'null' } })).statusCode, 403);
    assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { host: 'localhost:8470', origin: 'http://localhost:8470' } })).statusCode, 200, 'a page the service served');
    assert.equal((await open.app.inject({ method: 'GET', url: '/v1/images', headers: { host: 'localhost:8470', origin: 'http://localhost:9999' } })).statusCode, 403, 'another port is another origin');
    const allowed = await guarded.app.inject({ method: 'GET', url: '/v1/images', headers: { origin: 'https://console.example.com', authorization: `Bearer ${READ_TOKEN}` } });
    assert.equal(allowed.statusCode, 200);
  });
});

describe('tokens', () => {
  it('a publish without a token gets 401 (with WWW-Authenticate), a wrong token 401, a read token 403', async () => {
    const none = await post(guarded, {});
    assert.equal(none.statusCode, 401);
    assert.equal(none.json<ProblemBody>().error.code, 'TOKEN_MISSING');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="bpfship"');
    for (const authorization of [`Bearer ${PUBLISH_TOKEN}x`, `Basic ${Buffer.from(`ci:${PUBLISH_TOKEN}`).toString('base64')}`, 'Bearer']) {
      const wrong = await post(guarded, { authorization });
      assert.equal(wrong.statusCode, 401, authorization);
      assert.equal(wrong.json<ProblemBody>().error.code, 'TOKEN_INVALID');
    }
    const reader = await post(guarded, { authorization: `Bearer ${READ_TOKEN}` });
    assert.equal(reader.statusCode, 403);
    assert.equal(reader.json<ProblemBody>().error.code, 'TOKEN_NOT_ALLOWED');
    assert.deepEqual((await guarded.app.inject({ method: 'GET', url: '/v1/images', headers: { authorization: `Bearer ${READ_TOKEN}` } })).json<{ images: unknown[] }>().images, []);
  });

  it('a publish token publishes; its name (never the token) is in the build and the log', async () => {
    const r = await post(guarded, { authorization: `Bearer ${PUBLISH_TOKEN}` });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json<BuildView>().publishedBy, 'ci');
    const line = guarded.log.find((l) => l['status'] === 201);
    assert.equal(line?.['client'], 'ci');
    assert.ok(!JSON.stringify(guarded.log).includes(PUBLISH_TOKEN) && !JSON.stringify(guarded.log).includes(READ_TOKEN), 'no token in the log');
  });

  it('with read tokens, reads need one (either kind); the health check needs none', async () => {
    const anonymous = await guarded.app.inject({ method: 'GET', url: '/v1/images/fw' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json<ProblemBody>().error.code, 'TOKEN_MISSING');
    const build = (await guarded.app.inject({ method: 'GET', url: '/v1/images/fw', headers: { authorization: `Bearer ${READ_TOKEN}` } })).json<BuildView>();
    assert.equal(build.version, 1);
    assert.equal((await guarded.app.inject({ method: 'GET', url: build.artifacts.image })).statusCode, 401, 'blobs too');
    assert.equal((await guarded.app.inject({ method: 'GET', url: build.artifacts.image, headers: { authorization: `Bearer ${PUBLISH_TOKEN}` } })).statusCode, 200);
    assert.equal((await guarded.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  it('without tokens configured (loopback), publishing and reading are open', async () => {
    const r = await post(open, {});
    assert.equal(r.statusCode, 201);
    assert.equal(r.json<BuildView>().publishedBy, undefined);
  });
});

describe('token files', () => {
  it('are NAME TOKEN lines; faults name the file and line, never the token', () => {
    const entries = parseTokenFile(`\n# comment\nci   ${PUBLISH_TOKEN}\n  alice\t${READ_TOKEN}  \n`, 't');
    assert.deepEqual(entries.map((e) => e.name), ['ci', 'alice']);
    for (const [text, pattern] of [
      [`${PUBLISH_TOKEN}\n`, /^t:1: expected 'NAME TOKEN'/],
      [`ci short\n`, /^t:1: the token of 'ci' should be at least 20 printable characters/],
      [`# x\nci ${PUBLISH_TOKEN}\nci ${READ_TOKEN}\n`, /^t:3: the name 'ci' is given twice/],
      [`c/i ${PUBLISH_TOKEN}\n`, /^t:1: expected a name of at most 64/],
      [`ci ${PUBLISH_TOKEN} extra\n`, /^t:1: expected 'NAME TOKEN'.*got 3 fields/],
    ] as const) {
      assert.throws(() => parseTokenFile(text, 't'), (e: unknown) => e instanceof TokenFileError && pattern.test(e.message) && !e.message.includes(PUBLISH_TOKEN), text);
    }
  });
});

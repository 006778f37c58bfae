// The OCI distribution client against a real registry (Debian's docker-registry, started here on loopback) that
// asks for Basic authentication: refused without credentials or with wrong ones, working with the right ones;
// blobs deduplicated, manifests by tag and digest, the tag list, a registry without the referrers API. Then against
// a scripted registry that falters as distribution 2.8 does while a blob is uploaded twice: the answers that may
// change are retried a bounded number of times, the others are not.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from './_test-servers.ts';
import { digestOf } from './digest.ts';
import { StoreError } from './errors.ts';
import { EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR, OciMediaType } from './oci-artifact.ts';
import { isLoopbackHost, parseOciArtifactReference, parseOciRepository } from './oci-reference.ts';
import { openStore } from './open-store.ts';
import { RegistryClient, RegistryError } from './registry-client.ts';

const credentials = { username: 'publisher', password: 'registry-password-1' };
let registry: TestRegistry;
before(async () => {
  registry = await startRegistry({ basicAuth: credentials });
});
after(async () => registry?.stop());

describe('the registry client', () => {
  it('is refused without credentials or with wrong ones, and authenticates as the registry asks', async () => {
    const baseUrl = `http://${registry.host}`;
    const anonymous = new RegistryClient({ baseUrl, repository: 'bpf/test' });
    await assert.rejects(anonymous.ping(), (e: unknown) => e instanceof RegistryError && e.status === 401);
    const wrong = new RegistryClient({ baseUrl, repository: 'bpf/test', credentials: { ...credentials, password: 'nope' } });
    await assert.rejects(wrong.putBlob(new TextEncoder().encode('x')), (e: unknown) => e instanceof RegistryError && e.status === 401 && !e.message.includes('nope'));
    const client = new RegistryClient({ baseUrl, repository: 'bpf/test', credentials });
    await client.ping();
    assert.deepEqual(await client.tags(), [], 'a repository not yet pushed to');
    const bytes = new TextEncoder().encode('layer bytes');
    assert.equal(await client.blobExists(digestOf(bytes)), false);
    await client.putBlob(bytes);
    await client.putBlob(bytes);
    await client.putBlob(EMPTY_CONFIG);
    assert.deepEqual(await client.getBlob(digestOf(bytes), 1024), bytes);
    await assert.rejects(client.getBlob(digestOf(bytes), 4), (e: unknown) => e instanceof RegistryError && e.registryCode === 'TOO_LARGE');
    const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.imageManifest, artifactType: OciMediaType.image, config: EMPTY_CONFIG_DESCRIPTOR, layers: [{ mediaType: OciMediaType.nativeImage, digest: digestOf(bytes), size: bytes.length }] }));
    const put = await client.putManifest('fw-1', manifest, OciMediaType.imageManifest);
    assert.equal(put.subjectIndexed, false);
    const byTag = await client.getManifest('fw-1', [OciMediaType.imageManifest]);
    assert.deepEqual(byTag?.bytes, manifest);
    assert.equal(byTag?.mediaType, OciMediaType.imageManifest);
    assert.equal((await client.getManifest(put.digest, [OciMediaType.imageManifest]))?.digest, put.digest);
    assert.equal(await client.getManifest('fw-2', [OciMediaType.imageManifest]), undefined);
    assert.ok(await client.manifestExists('fw-1', [OciMediaType.imageManifest]));
    assert.deepEqual(await client.tags(), ['fw-1']);
    assert.equal(await client.referrers(put.digest), undefined, 'distribution 2.8 has no referrers API');
  });

  it('opens a store only with the registry’s credentials', async () => {
    const repo = registry.repository('bpf/store');
    await assert.rejects(openStore({ data: '/nonexistent-unused', blobs: repo }), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNAVAILABLE' && /401/.test(e.message));
    const dir = mkdtempSync(join(tmpdir(), 'registry-auth-store-'));
    try {
      const store = await openStore({ data: dir, blobs: repo, registryCredentials: credentials });
      const blob = await store.putBlob(new TextEncoder().encode('authenticated'), 'text/plain');
      assert.equal(new TextDecoder().decode((await store.getBlob(blob.digest))?.bytes), 'authenticated');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A registry on loopback whose answers a test scripts; it counts the requests (`METHOD PATH`). */
async function scriptedRegistry(answer: (request: IncomingMessage, response: ServerResponse, seen: number) => void): Promise<{ baseUrl: string; count(key: string): number; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const key = `${request.method} ${request.url?.split('?')[0]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    request.resume();
    request.on('end', () => answer(request, response, counts.get(key) ?? 0));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    count: (key) => counts.get(key) ?? 0,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** The body distribution answers an error with. */
function registryErrors(response: ServerResponse, status: number, ...codes: string[]): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: codes.map((code) => ({ code, message: code.toLowerCase() })) }));
}

describe('the registry client when the registry falters', () => {
  const bytes = new TextEncoder().encode('image bytes');
  const digest = digestOf(bytes);
  const blobPath = `/v2/bpf/x/blobs/${digest}`;

  it('retries a HEAD answered 500 and makes one upload of bytes put several times at once', async () => {
    let stored = false;
    const registry = await scriptedRegistry((request, response, seen) => {
      if (request.method === 'HEAD') {
        // Distribution 2.8 answers so while another upload of the blob rewrites its link file.
        if (seen <= 2) return void response.writeHead(500).end();
        return void response.writeHead(stored ? 200 : 404).end();
      }
      if (request.method === 'POST') return void response.writeHead(202, { location: '/v2/bpf/x/blobs/uploads/1' }).end();
      stored = true;
      response.writeHead(201).end();
    });
    try {
      const client = new RegistryClient({ baseUrl: registry.baseUrl, repository: 'bpf/x', retryDelayMs: 1 });
      await Promise.all([1, 2, 3, 4].map(() => client.putBlob(bytes)));
      assert.deepEqual([registry.count(`HEAD ${blobPath}`), registry.count('POST /v2/bpf/x/blobs/uploads/'), registry.count('PUT /v2/bpf/x/blobs/uploads/1')], [3, 1, 1]);
      // Once the upload is done, a later put asks again (a HEAD) and uploads nothing.
      await client.putBlob(bytes);
      assert.deepEqual([registry.count(`HEAD ${blobPath}`), registry.count('POST /v2/bpf/x/blobs/uploads/')], [4, 1]);
    } finally {
      await registry.close();
    }
  });

  it('retries a manifest refused with MANIFEST_BLOB_UNKNOWN, not one refused for itself', async () => {
    const registry = await scriptedRegistry((request, response, seen) => {
      if (request.url === '/v2/bpf/x/manifests/fw-1') {
        if (seen === 1) return registryErrors(response, 400, 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN');
        return void response.writeHead(201).end();
      }
      registryErrors(response, 400, 'MANIFEST_INVALID');
    });
    try {
      const client = new RegistryClient({ baseUrl: registry.baseUrl, repository: 'bpf/x', retryDelayMs: 1 });
      await client.putManifest('fw-1', bytes, OciMediaType.imageManifest);
      assert.equal(registry.count('PUT /v2/bpf/x/manifests/fw-1'), 2);
      await assert.rejects(client.putManifest('fw-2', bytes, OciMediaType.imageManifest), (e: unknown) => e instanceof RegistryError && e.status === 400 && e.registryCode === 'MANIFEST_INVALID' && !e.transient);
      assert.equal(registry.count('PUT /v2/bpf/x/manifests/fw-2'), 1);
    } finally {
      await registry.close();
    }
  });

  it('gives up after its retries with the last answer, and does not retry a timeout', async () => {
    const registry = await scriptedRegistry((request, response) => {
      if (request.url === '/v2/') return; // never answers
      response.writeHead(503).end();
    });
    try {
      const client = new RegistryClient({ baseUrl: registry.baseUrl, repository: 'bpf/x', retries: 2, retryDelayMs: 1, timeoutMs: 200 });
      await assert.rejects(client.blobExists(digest), (e: unknown) => e instanceof RegistryError && e.status === 503 && e.transient && /answered 503 \(tried 3 times\)$/.test(e.message));
      assert.equal(registry.count(`HEAD ${blobPath}`), 3);
      await assert.rejects(client.ping(), (e: unknown) => e instanceof RegistryError && e.status === 0 && !e.transient && !/tried/.test(e.message));
      assert.equal(registry.count('GET /v2/'), 1);
    } finally {
      await registry.close();
    }
    // Nothing listens any more: refused connections are retried, then reported.
    const gone = new RegistryClient({ baseUrl: registry.baseUrl, repository: 'bpf/x', retries: 1, retryDelayMs: 1 });
    await assert.rejects(gone.ping(), (e: unknown) => e instanceof RegistryError && e.status === 0 && /ECONNREFUSED.*\(tried 2 times\)/.test(e.message));
  });
});

describe('OCI references', () => {
  it('parse stores and artifacts, with HTTPS off loopback', () => {
    assert.deepEqual(parseOciRepository('oci://127.0.0.1:5000/bpf/images'), { host: '127.0.0.1:5000', repository: 'bpf/images', baseUrl: 'http://127.0.0.1:5000' });
    assert.equal(parseOciRepository('oci://registry.example.com/bpf').baseUrl, 'https://registry.example.com');
    assert.equal(parseOciRepository('oci://registry.example.com/bpf', { plainHttp: true }).baseUrl, 'http://registry.example.com');
    assert.deepEqual(parseOciArtifactReference('oci://[::1]:5000/bpf:fw-3'), { host: '[::1]:5000', repository: 'bpf', baseUrl: 'http://[::1]:5000', tag: 'fw-3' });
    assert.equal(parseOciArtifactReference(`oci://localhost:5000/a/b@sha256:${'a'.repeat(64)}`).digest, `sha256:${'a'.repeat(64)}`);
    for (const bad of ['oci://host', 'http://host/repo', 'oci://host/Repo', 'oci://host/repo/', 'oci://host:5000/repo:-tag', 'oci://host/repo@sha256:abc']) {
      assert.throws(() => (bad.includes(':-') || bad.includes('@') ? parseOciArtifactReference(bad) : parseOciRepository(bad)), TypeError, bad);
    }
    assert.throws(() => parseOciArtifactReference('oci://host:5000/repo'), /expected REPOSITORY:TAG/);
    assert.ok(isLoopbackHost('127.0.0.2') && isLoopbackHost('[::1]') && isLoopbackHost('LOCALHOST') && !isLoopbackHost('127.0.0.1.nip.io'));
  });
});

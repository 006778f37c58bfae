// The OCI distribution client against a real registry (Debian's docker-registry, started here on loopback) that
// asks for Basic authentication: refused without credentials or with wrong ones, working with the right ones;
// blobs deduplicated, manifests by tag and digest, the tag list, a registry without the referrers API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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

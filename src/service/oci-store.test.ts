// The service over an OCI registry and PostgreSQL, both real and started here on loopback: each build becomes an
// OCI artifact that skopeo reads, `fetch oci://` verifies it in memory, a blob damaged in the registry is refused
// by fetch and by the service, and `store check` lists what is damaged with the builds that need it.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildTag,
  digestOf,
  OciAnnotation,
  OciMediaType,
  openStore,
  parseIndex,
  parseManifest,
  referrersTag,
  RegistryClient,
  type ArtifactStore,
} from '../store/index.ts';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { registryBlobFile, startPostgres, startRegistry, type TestPostgres, type TestRegistry } from '../store/_test-servers.ts';
import { FIREWALL_OBJECT, objectBytes, postElf, testPki, type TestPki } from './_support.test.ts';
import { createService } from './app.ts';
import type { BuildView } from './build-view.ts';
import { fetchSignedOciImage } from './oci-image-client.ts';
import type { ProblemBody } from './problem.ts';
import type { FastifyInstance } from 'fastify';

let pki: TestPki;
let registry: TestRegistry;
let postgres: TestPostgres;
let store: ArtifactStore;
let app: FastifyInstance;
let repo: string;
let client: RegistryClient;
const firewall = objectBytes(FIREWALL_OBJECT);
const FLOW_COUNTER_OBJECT = join(PROGRAMS_OBJ, 'flow_counter.o');

before(async () => {
  pki = await testPki('service-oci-');
  [registry, postgres] = await Promise.all([startRegistry(), startPostgres()]);
  repo = registry.repository('bpf/images');
  store = await openStore({ blobs: repo, index: await postgres.createDatabase('service') });
  app = await createService({ store, signer: pki.signer, trustedRoots: pki.roots, cache: join(pki.dir, 'cache'), log: false });
  client = new RegistryClient({ baseUrl: `http://${registry.host}`, repository: 'bpf/images' });
});
after(async () => {
  await app?.close();
  await store?.close();
  await registry?.stop();
  await postgres?.stop();
  pki?.remove();
});

let first: BuildView;

describe('publishing to a registry', () => {
  it('makes each build an OCI artifact tagged NAME-VERSION, with its attestation under the referrers tag', async () => {
    const r = await postElf(app, 'xdp-firewall', firewall);
    assert.equal(r.statusCode, 201, r.body);
    first = r.json<BuildView>();
    assert.equal(first.version, 1);
    const second = (await postElf(app, 'xdp-firewall', firewall)).json<BuildView>();
    assert.equal(second.version, 2);

    const tags = await client.tags();
    assert.ok(tags.includes('xdp-firewall-1') && tags.includes('xdp-firewall-2'), tags.join(' '));
    const manifest = await client.getManifest(buildTag('xdp-firewall', 1), [OciMediaType.imageManifest]);
    assert.ok(manifest !== undefined);
    const parsed = parseManifest(manifest.bytes);
    assert.equal(parsed.artifactType, OciMediaType.image);
    assert.deepEqual(
      parsed.layers.map((l) => [l.mediaType, l.digest, l.annotations?.[OciAnnotation.title]]),
      [
        [OciMediaType.nativeImage, first.digests.image, 'xdp-firewall.so'],
        [OciMediaType.buildRecord, first.digests.buildRecord, 'xdp-firewall.so.build.json'],
        [OciMediaType.elf, first.digests.elf, 'xdp-firewall.o'],
        [OciMediaType.generatedC, first.digests.generatedC, 'xdp-firewall.bpf2c.c'],
      ],
    );
    assert.equal(parsed.annotations[OciAnnotation.name], 'xdp-firewall');
    assert.equal(parsed.annotations[OciAnnotation.version], '1');
    assert.equal(parsed.annotations[OciAnnotation.elfDigest], first.digests.elf);
    assert.deepEqual(JSON.parse(parsed.annotations[OciAnnotation.programs] ?? '[]').map((p: { name: string }) => p.name), ['xdp_firewall']);
    // This registry (distribution 2.8) has no referrers API: the attestation is listed under the sha256-<hex> tag.
    assert.equal(await client.referrers(manifest.digest), undefined);
    const index = await client.getManifest(referrersTag(manifest.digest), [OciMediaType.imageIndex]);
    assert.ok(index !== undefined, 'the referrers tag');
    const [attestation] = parseIndex(index.bytes);
    assert.equal(attestation?.artifactType, OciMediaType.signature);
    const att = parseManifest((await client.getManifest(attestation?.digest ?? '', [OciMediaType.imageManifest]))?.bytes ?? new Uint8Array());
    assert.equal(att.subject?.digest, manifest.digest);
    assert.equal(att.layers[0]?.digest, first.digests.signature);
    // The ELF object's signature for the kernel is the attestation's second layer.
    assert.deepEqual([att.layers[1]?.digest, att.layers[1]?.annotations?.[OciAnnotation.title]], [first.digests.objectSignature, 'xdp-firewall.o.sig']);
  });

  it('is read by skopeo (inspect, and copy to an OCI layout) as registries and their tools expect', () => {
    const ref = `docker://${registry.host}/bpf/images:xdp-firewall-1`;
    const inspect = spawnSync('skopeo', ['inspect', '--tls-verify=false', '--raw', ref], { encoding: 'utf8' });
    assert.equal(inspect.status, 0, inspect.stderr);
    const raw = JSON.parse(inspect.stdout) as { artifactType: string; annotations: Record<string, string> };
    assert.equal(raw.artifactType, OciMediaType.image);
    assert.equal(raw.annotations[OciAnnotation.version], '1');
    // (skopeo inspect without --raw reads image configs, and says an artifact has none: that is skopeo's rule.)
    const layout = mkdtempSync(join(tmpdir(), 'skopeo-layout-'));
    try {
      const copy = spawnSync('skopeo', ['copy', '--src-tls-verify=false', ref, `oci:${layout}:xdp-firewall-1`], { encoding: 'utf8' });
      assert.equal(copy.status, 0, copy.stderr);
      // The copied layout holds the .so byte for byte.
      assert.equal(digestOf(readFileSync(join(layout, 'blobs', 'sha256', first.digests.image.slice(7)))), first.digests.image);
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
      assert.equal(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], 'xdp-firewall-1');
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }
  });

  it('refuses names too long for a NAME-VERSION tag before building', async () => {
    const r = await postElf(app, 'a'.repeat(119), firewall);
    assert.equal(r.statusCode, 400);
    assert.match(r.json<ProblemBody>().error.message, /at most 118 characters for an OCI store/);
  });
});

describe('an OCI registry with the SQLite index (one machine)', () => {
  it('numbers concurrent publishes and tags each in the registry', async () => {
    const data = mkdtempSync(join(tmpdir(), 'oci-sqlite-'));
    const local = await openStore({ data, blobs: registry.repository('bpf/local') });
    const service = await createService({ store: local, signer: pki.signer, trustedRoots: pki.roots, cache: join(pki.dir, 'cache'), log: false });
    try {
      assert.equal(local.kind, 'oci+sqlite');
      // Four builds of one ELF at once: the same ELF, C and image bytes for all four, built two at a time (one per
      // CPU), so that some look for a blob while another uploads it. Distribution 2.8 answers a read of a blob 500
      // while an upload of it rewrites its link file; the client shares uploads and retries (registry-client.ts).
      const answers = await Promise.all([1, 2, 3, 4].map(() => postElf(service, 'fw', firewall)));
      assert.deepEqual(answers.map((a) => a.statusCode), [201, 201, 201, 201], answers.filter((a) => a.statusCode !== 201).map((a) => a.body).join('\n'));
      assert.deepEqual(answers.map((a) => a.json<BuildView>().version).sort(), [1, 2, 3, 4]);
      const localTags = await new RegistryClient({ baseUrl: `http://${registry.host}`, repository: 'bpf/local' }).tags();
      assert.deepEqual(localTags.filter((t) => t.startsWith('fw-')).sort(), ['fw-1', 'fw-2', 'fw-3', 'fw-4']);
      const latest = await fetchSignedOciImage({ reference: `${registry.repository('bpf/local')}:fw`, trustedRoots: pki.roots });
      assert.ok(latest.ok && latest.build.version === 4);
    } finally {
      await service.close();
      await local.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('fetch oci://', () => {
  it('fetches and verifies a build by tag, by digest, and the latest by name', async () => {
    for (const reference of [`${repo}:xdp-firewall-1`, `${repo}:xdp-firewall`]) {
      const r = await fetchSignedOciImage({ reference, trustedRoots: pki.roots });
      assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
      assert.equal(r.build.name, 'xdp-firewall');
      assert.equal(r.build.version, reference.endsWith('-1') ? 1 : 2);
      assert.equal(r.verification.imageDigest, first.digests.image);
    }
    const manifest = await client.getManifest('xdp-firewall-1', [OciMediaType.imageManifest]);
    const byDigest = await fetchSignedOciImage({ reference: `${repo}@${manifest?.digest}`, trustedRoots: pki.roots });
    assert.ok(byDigest.ok);
    assert.equal(byDigest.build.version, 1);
    // The ELF object and its signature for the kernel, from the same build.
    const object = await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-1`, trustedRoots: pki.roots, artifact: 'object' });
    assert.ok(object.ok, object.ok ? '' : `${object.code}: ${object.message}`);
    assert.equal(object.verification.imageDigest, first.digests.elf);
    assert.equal(object.verification.statement.subject[0]?.name, 'xdp-firewall.o');
  });

  it('refuses an untrusted root, a missing tag, and a tag moved to another build', async () => {
    const other = await testPki('service-oci-other-');
    try {
      const untrusted = await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-1`, trustedRoots: other.roots });
      assert.equal(untrusted.ok, false);
      assert.equal(untrusted.ok ? '' : untrusted.code, 'CHAIN_UNTRUSTED_ROOT');
    } finally {
      other.remove();
    }
    const missing = await fetchSignedOciImage({ reference: `${repo}:nothing-1`, trustedRoots: pki.roots });
    assert.equal(missing.ok ? '' : missing.code, 'FETCH_NOT_FOUND');
    // Someone with push rights points xdp-firewall-9 at version 1's manifest: the annotations say version 1.
    const manifest = await client.getManifest('xdp-firewall-1', [OciMediaType.imageManifest]);
    await client.putManifest('xdp-firewall-9', manifest?.bytes ?? new Uint8Array(), OciMediaType.imageManifest);
    const moved = await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-9`, trustedRoots: pki.roots });
    assert.equal(moved.ok ? '' : moved.code, 'FETCH_PROTOCOL');
    // A build of another name relabelled as xdp-firewall-8, its attestation copied along (the signature is valid,
    // for flow-counter.so).
    const flow = (await postElf(app, 'flow-counter', objectBytes(FLOW_COUNTER_OBJECT))).json<BuildView>();
    const flowManifest = await client.getManifest(buildTag('flow-counter', flow.version), [OciMediaType.imageManifest]);
    const json = JSON.parse(new TextDecoder().decode(flowManifest?.bytes)) as { annotations: Record<string, string> };
    json.annotations[OciAnnotation.name] = 'xdp-firewall';
    json.annotations[OciAnnotation.version] = '8';
    const relabelled = new TextEncoder().encode(JSON.stringify(json));
    const put = await client.putManifest('xdp-firewall-8', relabelled, OciMediaType.imageManifest);
    const flowIndex = await client.getManifest(referrersTag(flowManifest?.digest ?? ''), [OciMediaType.imageIndex]);
    const attestation = parseIndex(flowIndex?.bytes ?? new Uint8Array())[0];
    const att = JSON.parse(new TextDecoder().decode((await client.getManifest(attestation?.digest ?? '', [OciMediaType.imageManifest]))?.bytes)) as { subject: unknown };
    att.subject = { mediaType: OciMediaType.imageManifest, digest: put.digest, size: relabelled.length };
    const copied = new TextEncoder().encode(JSON.stringify(att));
    await client.putManifest(digestOf(copied), copied, OciMediaType.imageManifest);
    const referrers = { schemaVersion: 2, mediaType: OciMediaType.imageIndex, manifests: [{ mediaType: OciMediaType.imageManifest, digest: digestOf(copied), size: copied.length, artifactType: OciMediaType.signature }] };
    await client.putManifest(referrersTag(put.digest), new TextEncoder().encode(JSON.stringify(referrers)), OciMediaType.imageIndex);
    const swapped = await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-8`, trustedRoots: pki.roots });
    assert.equal(swapped.ok ? '' : swapped.code, 'FETCH_NAME_MISMATCH', swapped.ok ? '' : swapped.message);
  });

  it('refuses a blob damaged in the registry, and so do the service and store check', async () => {
    const file = registryBlobFile(registry, first.digests.image);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[200] = (bad[200] ?? 0) ^ 0xff;
    chmodSync(file, 0o644);
    writeFileSync(file, bad);
    try {
      const r = await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-1`, trustedRoots: pki.roots });
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.code, 'FETCH_DIGEST_MISMATCH');
      const served = await app.inject({ method: 'GET', url: first.artifacts.image });
      assert.equal(served.statusCode, 500);
      assert.equal(served.json<ProblemBody>().error.code, 'BLOB_CORRUPT');
      const report = await store.checkBlobs();
      assert.deepEqual(report.problems.map((p) => [p.digest, p.problem]), [[first.digests.image, 'corrupt']]);
      assert.deepEqual(report.problems[0]?.neededBy.map((n) => `${n.name}:${n.version}:${n.artifact}`), ['xdp-firewall:1:image', 'xdp-firewall:2:image']);
      const health = (await app.inject({ method: 'GET', url: '/healthz' })).json<{ status: string }>();
      assert.equal(health.status, 'degraded');
    } finally {
      writeFileSync(file, good);
    }
    assert.ok((await fetchSignedOciImage({ reference: `${repo}:xdp-firewall-1`, trustedRoots: pki.roots })).ok);
    assert.deepEqual((await store.checkBlobs()).problems, []);
  });
});

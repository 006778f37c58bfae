// The embedded store: blobs by digest (deduplicated, checked on read, never half-written), builds with versions per
// name, the latest per name, failed builds, and what survives a reopen.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from './digest.ts';
import { openEmbeddedStore, type EmbeddedStore } from './embedded-store.ts';
import { StoreError } from './errors.ts';
import { ARTIFACT_KINDS, MediaType, type ArtifactKind, type BuildDigests } from './media-types.ts';
import type { NewBuild } from './store.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedded-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function storeArtifacts(store: EmbeddedStore, tag: string): Promise<Record<ArtifactKind, string>> {
  const digests = {} as Record<ArtifactKind, string>;
  for (const kind of ARTIFACT_KINDS) digests[kind] = (await store.putBlob(bytes(`${kind} of ${tag}`), MediaType[kind])).digest;
  return digests;
}

function newBuild(name: string, digests: BuildDigests, createdAt = '2026-08-01T12:00:00.000Z'): NewBuild {
  return {
    name,
    digests,
    programs: [{ name: 'xdp_fw', section: 'xdp', type: 'xdp', verdict: 'accepted', programInfoHash: 'a'.repeat(64), insnsProcessed: 10 }],
    signer: 'CN=test signer',
    toolchain: { verifier: { name: 'bpfship-verifier', version: '0.1.0' }, bpf2c: '0.1.0', compiler: { name: 'gcc', version: '12', flags: ['-O2'] } },
    createdAt,
  };
}

describe('blobs', () => {
  it('are stored once per digest, read back checked, with their media type', async () => {
    const store = await openEmbeddedStore(join(dir, 'blobs'));
    const a = await store.putBlob(bytes('hello'), MediaType.image);
    const again = await store.putBlob(bytes('hello'), MediaType.elf);
    assert.equal(a.digest, digestOf('hello'));
    assert.deepEqual(again, a, 'the first media type stays');
    const read = await store.getBlob(a.digest);
    assert.equal(new TextDecoder().decode(read?.bytes), 'hello');
    assert.equal(read?.mediaType, MediaType.image);
    assert.equal(read?.size, 5);
    const path = store.blobPath(a.digest);
    assert.equal(path, join(dir, 'blobs', 'blobs', 'sha256', a.digest.slice(7, 9), a.digest.slice(7)));
    assert.equal(statSync(path).mode & 0o777, 0o444, 'blob files are read-only');
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), [], 'no temporary file is left');
    assert.equal(await store.getBlob(digestOf('absent')), undefined);
    await assert.rejects(store.getBlob('sha256:xyz'), (e: unknown) => e instanceof StoreError && e.code === 'DIGEST_INVALID');
    await store.close();
  });

  it('refuses to return a blob damaged on disk, and repairs it when the good bytes are stored again', async () => {
    const store = await openEmbeddedStore(join(dir, 'corrupt'));
    const { digest } = await store.putBlob(bytes('the image bytes'), MediaType.image);
    const path = store.blobPath(digest);
    chmodSync(path, 0o644);
    writeFileSync(path, 'the imagE bytes');
    await assert.rejects(store.getBlob(digest), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'BLOB_CORRUPT');
      assert.match(e.detail, new RegExp(`blob ${digest} is damaged: its 15 bytes on disk hash to sha256:[0-9a-f]{64}`));
      return true;
    });
    await store.putBlob(bytes('the image bytes'), MediaType.image);
    assert.equal(new TextDecoder().decode((await store.getBlob(digest))?.bytes), 'the image bytes');
    rmSync(path, { force: true });
    await assert.rejects(store.getBlob(digest), (e: unknown) => e instanceof StoreError && e.code === 'BLOB_MISSING');
    await store.close();
  });
});

describe('builds', () => {
  it('get versions 1, 2, ... per name; the latest is the last published', async () => {
    const store = await openEmbeddedStore(join(dir, 'builds'));
    const one = await store.publishBuild(newBuild('fw', await storeArtifacts(store, 'one')));
    const two = await store.publishBuild(newBuild('fw', await storeArtifacts(store, 'two'), '2026-08-02T12:00:00.000Z'));
    const other = await store.publishBuild(newBuild('counter', await storeArtifacts(store, 'one')));
    assert.deepEqual([one.version, two.version, other.version], [1, 2, 1]);
    assert.notEqual(one.id, two.id);
    assert.deepEqual(await store.latestBuild('fw'), two);
    assert.deepEqual(await store.build('fw', 1), one);
    assert.equal(await store.build('fw', 3), undefined);
    assert.equal(await store.latestBuild('nothing'), undefined);
    assert.deepEqual(await store.listImages(), [
      { name: 'counter', latestVersion: 1, updatedAt: '2026-08-01T12:00:00.000Z' },
      { name: 'fw', latestVersion: 2, updatedAt: '2026-08-02T12:00:00.000Z' },
    ]);
    await store.close();
  });

  it('are published only when every artifact is stored', async () => {
    const store = await openEmbeddedStore(join(dir, 'incomplete'));
    const digests = await storeArtifacts(store, 'x');
    await assert.rejects(store.publishBuild(newBuild('fw', { ...digests, signature: digestOf('never stored') })), (e: unknown) => e instanceof StoreError && e.code === 'BUILD_INCOMPLETE' && /signature blob sha256:/.test(e.message));
    assert.equal(await store.latestBuild('fw'), undefined);
    assert.deepEqual(await store.listImages(), []);
    await store.close();
  });

  it('and failed builds survive a reopen', async () => {
    const path = join(dir, 'reopen');
    let store = await openEmbeddedStore(path);
    const published = await store.publishBuild(newBuild('fw', await storeArtifacts(store, 'r')));
    await store.recordFailedBuild({ name: 'fw', elfDigest: digestOf('bad'), code: 'VERIFICATION_FAILED', message: 'no', diagnostics: 'fw.c:1:1: error: no', createdAt: '2026-08-03T00:00:00.000Z' });
    await store.close();
    store = await openEmbeddedStore(path);
    assert.deepEqual(await store.latestBuild('fw'), published);
    const failures = await store.failedBuilds('fw');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.diagnostics, 'fw.c:1:1: error: no');
    assert.equal((await store.publishBuild(newBuild('fw', published.digests))).version, 2);
    await store.check();
    await store.close();
  });
});

describe('opening', () => {
  it('creates the layout, removes stale temporaries, and refuses an index from a newer bpfship', async () => {
    const path = join(dir, 'layout');
    const store = await openEmbeddedStore(path);
    await store.close();
    assert.ok(existsSync(join(path, 'index.sqlite')));
    const stale = join(path, 'tmp', 'left-over.tmp');
    writeFileSync(stale, 'x');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const { utimesSync } = await import('node:fs');
    utimesSync(stale, old, old);
    const fresh = join(path, 'tmp', 'in-progress.tmp');
    writeFileSync(fresh, 'y');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(path, 'index.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    await assert.rejects(openEmbeddedStore(path), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNAVAILABLE' && /schema version 99, newer than this bpfship's \(3\)/.test(e.message));
    assert.ok(!existsSync(stale), 'a stale temporary is removed');
    assert.ok(existsSync(fresh), 'a recent one may be a write in progress');
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(openEmbeddedStore(file), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNAVAILABLE');
  });
});

describe('an index made by the first bpfship (schema version 1)', () => {
  it('is migrated when opened: its builds stay, new builds record who published them and their object signature', async () => {
    const path = join(dir, 'v1');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path, { recursive: true });
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(path, 'index.sqlite'));
    db.exec(`CREATE TABLE blobs (digest TEXT PRIMARY KEY, media_type TEXT NOT NULL, size INTEGER NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE builds (id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
        elf_digest TEXT NOT NULL, generated_c_digest TEXT NOT NULL, image_digest TEXT NOT NULL, signature_digest TEXT NOT NULL,
        build_record_digest TEXT NOT NULL, signer TEXT NOT NULL, programs TEXT NOT NULL, toolchain TEXT NOT NULL, UNIQUE (name, version));
      CREATE TABLE images (name TEXT PRIMARY KEY, latest_version INTEGER NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE failed_builds (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, elf_digest TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, diagnostics TEXT NOT NULL);`);
    const d = digestOf('old');
    db.prepare('INSERT INTO blobs VALUES (?, ?, 3, ?)').run(d, MediaType.image, '2026-01-01T00:00:00.000Z');
    db.prepare("INSERT INTO builds VALUES ('old-id', 'fw', 1, '2026-01-01T00:00:00.000Z', ?, ?, ?, ?, ?, 'CN=old', '[]', '{}')").run(d, d, d, d, d);
    db.prepare("INSERT INTO images VALUES ('fw', 1, '2026-01-01T00:00:00.000Z')").run();
    db.pragma('user_version = 1');
    db.close();
    const store = await openEmbeddedStore(path);
    const old = await store.build('fw', 1);
    assert.equal(old?.id, 'old-id');
    assert.equal(old?.publishedBy, undefined);
    const next = await store.publishBuild({ ...newBuild('fw', await storeArtifacts(store, 'new')), publishedBy: 'ci' });
    assert.equal(next.version, 2);
    assert.equal((await store.latestBuild('fw'))?.publishedBy, 'ci');
    // Schema 3: a build may carry its object signed for the kernel; the old one has none.
    assert.equal(old?.digests.objectSignature, undefined);
    const objectSignature = (await store.putBlob(bytes('object signature'), MediaType.objectSignature)).digest;
    const third = await store.publishBuild(newBuild('fw', { ...(await storeArtifacts(store, 'third')), objectSignature }));
    assert.equal((await store.build('fw', third.version))?.digests.objectSignature, objectSignature);
    await assert.rejects(store.publishBuild(newBuild('fw', { ...(await storeArtifacts(store, 'fourth')), objectSignature: digestOf('never stored') })), (e: unknown) => e instanceof StoreError && e.code === 'BUILD_INCOMPLETE' && /objectSignature blob/.test(e.message));
    await store.close();
  });
});

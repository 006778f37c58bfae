// The PostgreSQL index against a real PostgreSQL 15 started here (loopback, a temporary directory, an
// unprivileged user): migrations, a schema from a newer bpfship refused, versions without gaps or duplicates under
// concurrent publishers on separate connection pools (as two service instances), and a publisher that fails
// inside its transaction leaving nothing.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type TestPostgres } from './_test-servers.ts';
import { digestOf } from './digest.ts';
import { StoreError } from './errors.ts';
import { ARTIFACT_KINDS, MediaType, type ArtifactKind, type BuildDigests } from './media-types.ts';
import { openPostgresIndex, redactPostgresUrl } from './postgres-index.ts';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import type { NewBuild } from './store.ts';

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(async () => postgres?.stop());

function newBuild(name: string, digests: BuildDigests): NewBuild {
  return {
    name,
    digests,
    programs: [{ name: 'xdp_fw', section: 'xdp', type: 'xdp', verdict: 'accepted', programInfoHash: 'a'.repeat(64), insnsProcessed: 10 }],
    signer: 'CN=test signer',
    toolchain: { verifier: { name: 'bpfship-verifier', version: '0.1.0' }, bpf2c: '0.1.0', compiler: { name: 'gcc', version: '12', flags: ['-O2'] } },
    createdAt: '2026-08-01T12:00:00.000Z',
  };
}

async function digestsIn(index: Awaited<ReturnType<typeof openPostgresIndex>>, tag: string): Promise<Record<ArtifactKind, string>> {
  const digests = {} as Record<ArtifactKind, string>;
  for (const kind of ARTIFACT_KINDS) {
    digests[kind] = digestOf(`${kind} ${tag}`);
    await index.addBlob({ digest: digests[kind], mediaType: MediaType[kind], size: 10 }, '2026-08-01T12:00:00.000Z');
  }
  return digests;
}

describe('the PostgreSQL index', () => {
  it('creates its schema by migrations, once, and refuses a schema from a newer bpfship', async () => {
    const url = await postgres.createDatabase('migrations');
    const [a, b] = await Promise.all([openPostgresIndex(url), openPostgresIndex(url)]);
    await a.close();
    await b.close();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT version, description FROM bpfship_schema_migrations ORDER BY version')).rows;
      assert.deepEqual(rows.map((r: { version: number }) => r.version), POSTGRES_MIGRATIONS.map((m) => m.version));
      await client.query("INSERT INTO bpfship_schema_migrations (version, description) VALUES (99, 'from the future')");
    } finally {
      await client.end();
    }
    await assert.rejects(openPostgresIndex(url), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNAVAILABLE' && /schema version 99, newer than this bpfship's \(2\)/.test(e.message));
  });

  it('numbers concurrent publishes from separate pools without gaps or duplicates', async () => {
    const url = await postgres.createDatabase('concurrent');
    const [a, b] = await Promise.all([openPostgresIndex(url, { maxConnections: 4 }), openPostgresIndex(url, { maxConnections: 4 })]);
    try {
      const digests = await digestsIn(a, 'c');
      // Each publish holds its transaction a little (as a registry push would), so that they really overlap.
      const slow = async (): Promise<void> => new Promise((r) => setTimeout(r, 2));
      const published = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).publish({ ...newBuild(i % 3 === 0 ? 'other' : 'fw', digests), publishedBy: `p${i}` }, slow)));
      for (const name of ['fw', 'other']) {
        const versions = published.filter((p) => p.name === name).map((p) => p.version).sort((x, y) => x - y);
        assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => i + 1), name);
        assert.equal((await b.latest(name))?.version, versions.length);
      }
      assert.equal((await a.builds()).length, 60);
      assert.equal((await a.build('fw', 1))?.programs[0]?.name, 'xdp_fw');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('commits nothing when the publish fails inside its transaction, and refuses unknown blobs', async () => {
    const url = await postgres.createDatabase('rollback');
    const index = await openPostgresIndex(url);
    try {
      const digests = await digestsIn(index, 'r');
      await assert.rejects(index.publish(newBuild('fw', digests), async () => Promise.reject(new Error('registry down'))), /registry down/);
      assert.equal(await index.latest('fw'), undefined);
      assert.equal((await index.publish(newBuild('fw', digests))).version, 1, 'the version was not used up');
      await assert.rejects(index.publish(newBuild('fw', { ...digests, image: digestOf('never') })), (e: unknown) => e instanceof StoreError && e.code === 'BUILD_INCOMPLETE');
      const failure = await index.addFailure({ name: 'fw', elfDigest: digests.elf, code: 'VERIFICATION_FAILED', message: 'no', diagnostics: 'fw.c:1:1: error', createdAt: '2026-08-01T12:00:01.000Z' });
      assert.deepEqual(await index.failures('fw', 5), [failure]);
      assert.deepEqual((await index.images()).map((i) => [i.name, i.latestVersion, i.updatedAt]), [['fw', 1, '2026-08-01T12:00:00.000Z']]);
      // Migration 2: the object signed for the kernel, kept when a build has one, absent when it has none.
      assert.equal((await index.build('fw', 1))?.digests.objectSignature, undefined);
      const objectSignature = digestOf('object signature r');
      await index.addBlob({ digest: objectSignature, mediaType: MediaType.objectSignature, size: 10 }, '2026-08-01T12:00:00.000Z');
      const second = await index.publish(newBuild('fw', { ...digests, objectSignature }));
      assert.equal((await index.build('fw', second.version))?.digests.objectSignature, objectSignature);
      await assert.rejects(index.publish(newBuild('fw', { ...digests, objectSignature: digestOf('never') })), (e: unknown) => e instanceof StoreError && e.code === 'BUILD_INCOMPLETE' && /objectSignature/.test(e.message));
    } finally {
      await index.close();
    }
  });

  it('says where it could not connect, without the password', async () => {
    const url = `postgres://bpfship:s3cret@127.0.0.1:1/none`;
    assert.equal(redactPostgresUrl(url), 'postgres://bpfship@127.0.0.1:1/none');
    await assert.rejects(openPostgresIndex(url), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNAVAILABLE' && e.message.includes('127.0.0.1:1') && !e.message.includes('s3cret'));
  });
});

// Two `bpfship serve` processes on one registry and one PostgreSQL database (all real, on loopback), 100
// publishes sent to each at once, one instance killed with SIGKILL in the middle of its burst. What must hold:
// every build answered 201 is in the index with the version it was answered with, is fetchable from the registry
// and verifies; the versions are 1..N with no gap and no duplicate; the surviving instance goes on publishing.
//
// The builds are real (each is verified, translated, signed and published); the native build cache makes the
// compile of the same ELF once per instance, which is what a service does with a repeated upload.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fetchSignedOciImage } from '../../service/index.ts';
import { FIREWALL_OBJECT, objectBytes, testPki, type TestPki } from '../../service/_support.test.ts';
import { openStore } from '../../store/index.ts';
import { startPostgres, startRegistry, type TestPostgres, type TestRegistry } from '../../store/_test-servers.ts';
import { startServe, type ServeProcess } from './_serve-process.test.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const BURST = 100;

let pki: TestPki;
let registry: TestRegistry;
let postgres: TestPostgres;
let index: string;
let repo: string;
const servers: ServeProcess[] = [];

before(async () => {
  pki = await testPki('serve-cluster-');
  [registry, postgres] = await Promise.all([startRegistry(), startPostgres()]);
  index = await postgres.createDatabase('cluster');
  repo = registry.repository('bpf/cluster');
});
after(async () => {
  for (const s of servers) {
    s.signal('SIGKILL');
    await s.exited;
  }
  await registry?.stop();
  await postgres?.stop();
  pki?.remove();
});

interface Answer {
  readonly instance: number;
  readonly status: number | 'connection lost';
  /** The error code of an answer other than 201. */
  readonly code?: string;
  readonly build?: { readonly id: string; readonly version: number; readonly digests: { readonly image: string; readonly signature: string } };
}

describe('two serve instances on one registry and one database', () => {
  it('publish 2 x 100 builds concurrently, survive a SIGKILL of one, and number the versions without gaps or duplicates', async () => {
    const keyArgs = ['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate, '--trust', pki.keys.rootCertificate];
    for (const i of [0, 1]) {
      servers.push(await startServe([...keyArgs, '--store', repo, '--index', index, '--data', join(pki.dir, `instance-${i}`), '--max-queued', String(2 * BURST), '--listen', '127.0.0.1:0', '--log-level', 'warn']));
    }
    const elf = objectBytes(FIREWALL_OBJECT);
    const publish = async (instance: number): Promise<Answer> => {
      try {
        const r = await fetch(`${servers[instance]?.url}/v1/builds?name=fw`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: elf });
        const body = (await r.json()) as NonNullable<Answer['build']> & { error?: { code: string; message: string } };
        return r.status === 201 ? { instance, status: 201, build: body } : { instance, status: r.status, code: `${body.error?.code}: ${body.error?.message}` };
      } catch {
        return { instance, status: 'connection lost' };
      }
    };
    // One build each first, so that both have compiled the image once (the cache serves the burst). Both upload the
    // same ELF, C and image at once, from two processes: the registry rewrites each blob's link file meanwhile and
    // answers reads of it 500 (registry-client.ts retries those).
    const warm = await Promise.all([publish(0), publish(1)]);
    assert.deepEqual(warm.map((a) => a.status), [201, 201], warm.map((a) => a.code ?? '').join(' '));

    let answeredByVictim = 0;
    let killed = false;
    const burst = [0, 1].flatMap((instance) =>
      Array.from({ length: BURST }, () =>
        publish(instance).then((a) => {
          if (instance === 0 && a.status === 201 && ++answeredByVictim === Math.floor(BURST / 3) && !killed) {
            killed = true;
            servers[0]?.signal('SIGKILL');
          }
          return a;
        }),
      ),
    );
    const answers = [...warm, ...(await Promise.all(burst))];
    const histogram = new Map<string, number>();
    for (const a of answers) histogram.set(`${a.instance}:${a.status}`, (histogram.get(`${a.instance}:${a.status}`) ?? 0) + 1);
    assert.ok(killed, `instance 0 was killed in the middle of its burst: ${JSON.stringify([...histogram])}`);
    assert.equal(await servers[0]?.exited, 'SIGKILL');
    const published = answers.filter((a) => a.status === 201);
    const lost = answers.filter((a) => a.instance === 0 && a.status !== 201);
    assert.ok(lost.length > 0, 'some builds of the killed instance were never answered');
    const refusedBySurvivor = answers.filter((a) => a.instance === 1 && a.status !== 201);
    assert.deepEqual(refusedBySurvivor, [], 'the survivor answered all with 201');

    // The survivor goes on.
    const after = await publish(1);
    assert.equal(after.status, 201);
    published.push(after);

    // The index: versions 1..N, and every 201 is there with the version and digests it was answered with.
    const store = await openStore({ blobs: repo, index });
    try {
      const builds = (await store.indexBackend.builds()).filter((b) => b.name === 'fw');
      assert.deepEqual(builds.map((b) => b.version), Array.from({ length: builds.length }, (_, i) => i + 1), 'no gap, no duplicate');
      const byVersion = new Map(builds.map((b) => [b.version, b]));
      const answeredVersions = published.map((a) => a.build?.version);
      assert.equal(new Set(answeredVersions).size, published.length, 'no version answered twice');
      for (const a of published) {
        const stored = byVersion.get(a.build?.version ?? 0);
        assert.equal(stored?.id, a.build?.id, `version ${a.build?.version}`);
        assert.equal(stored?.digests.signature, a.build?.digests.signature);
      }
      // Builds of the killed instance may have committed after their answer was lost: those are complete too.
      assert.ok(builds.length >= published.length && builds.length <= published.length + lost.length);
      assert.equal((await store.latestBuild('fw'))?.version, builds.length);
      assert.deepEqual((await store.checkBlobs()).problems, []);

      // Every build answered 201 is fetchable from the registry and verifies.
      for (const a of published) {
        const r = await fetchSignedOciImage({ reference: `${repo}:fw-${a.build?.version}`, trustedRoots: pki.roots });
        assert.ok(r.ok, r.ok ? '' : `fw-${a.build?.version}: ${r.code}: ${r.message}`);
        assert.equal(r.build.digests.signature, a.build?.digests.signature, `fw-${a.build?.version}`);
      }
    } finally {
      await store.close();
    }

    // And with the CLI, as a runtime host would.
    const out = join(pki.dir, 'fw.so');
    const cli = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'fetch', `${repo}:fw-${after.build?.version}`, '-o', out, '--trust', pki.keys.rootCertificate], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`fw\\.so: fw version ${after.build?.version}, sha256:`));
    assert.ok(existsSync(`${out}.sig`));
  });
});

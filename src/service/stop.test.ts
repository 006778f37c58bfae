// Stopping the service: new requests are answered 503 at once, builds waiting for a worker are answered 503 and
// never published, running builds are published when they finish within the grace period and abandoned (503,
// not published) past it. (serve.test.ts sends SIGTERM to a real `bpfship serve`.)
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FIREWALL_OBJECT, objectBytes, postElf, testPki, type TestPki } from './_support.test.ts';
import { createService } from './app.ts';
import type { ProblemBody } from './problem.ts';
import { openEmbeddedStore } from '../store/index.ts';
import { join } from 'node:path';

let pki: TestPki;
before(async () => {
  pki = await testPki('service-stop-');
});
after(() => pki.remove());

const firewall = objectBytes(FIREWALL_OBJECT);

/** A service with one build worker and no build cache (each build compiles: about half a second). */
async function slowService(data: string) {
  const store = await openEmbeddedStore(join(pki.dir, data));
  const app = await createService({ store, signer: pki.signer, trustedRoots: pki.roots, cache: false, builds: { concurrency: 1, maxQueued: 10 }, log: false });
  return { store, app };
}

async function untilRunning(app: Awaited<ReturnType<typeof slowService>>['app']): Promise<void> {
  while (app.bpfship.pool.running === 0) await new Promise((r) => setTimeout(r, 5));
}

describe('a stop', () => {
  it('publishes the running build within the grace period, answers the queued ones 503 and publishes none of them', async () => {
    const { store, app } = await slowService('grace');
    try {
      const answers = [postElf(app, 'fw', firewall), postElf(app, 'fw', firewall), postElf(app, 'fw', firewall)];
      await untilRunning(app);
      const stopped = app.bpfship.stop({ graceMs: 120_000 });
      const during = await app.inject({ method: 'GET', url: '/v1/images' });
      assert.equal(during.statusCode, 503, 'new requests are refused during the stop');
      assert.equal(during.json<ProblemBody>().error.code, 'SERVICE_STOPPING');
      const [running, ...queued] = await Promise.all(answers);
      assert.equal(running?.statusCode, 201, running?.body);
      for (const q of queued) {
        assert.equal(q.statusCode, 503);
        assert.equal(q.json<ProblemBody>().error.code, 'SERVICE_STOPPING');
        assert.match(q.json<ProblemBody>().error.message, /waiting for a worker and was not started/);
      }
      assert.deepEqual(await stopped, { abandoned: 0 });
      assert.deepEqual((await store.listImages()).map((i) => [i.name, i.latestVersion]), [['fw', 1]], 'only the running build was published');
    } finally {
      await store.close();
    }
  });

  it('abandons a build still running when the grace period ends: 503, nothing published', async () => {
    const { store, app } = await slowService('no-grace');
    try {
      const answer = postElf(app, 'fw', firewall);
      await untilRunning(app);
      const report = await app.bpfship.stop({ graceMs: 1 });
      assert.equal(report.abandoned, 1);
      const r = await answer;
      assert.equal(r.statusCode, 503);
      assert.equal(r.json<ProblemBody>().error.code, 'SERVICE_STOPPING');
      assert.match(r.json<ProblemBody>().error.message, /nothing was published/);
      assert.deepEqual(await store.listImages(), []);
    } finally {
      await store.close();
    }
  });
});

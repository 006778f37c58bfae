// The build pool: builds in worker threads, never more at once than CPUs, a bounded queue, and closing.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIREWALL_OBJECT, objectBytes } from './_support.test.ts';
import { BuildPool, ServiceStoppingError, BuildQueueFullError } from './build-pool.ts';

let cache: string;
before(() => {
  cache = mkdtempSync(join(tmpdir(), 'build-pool-'));
});
after(() => rmSync(cache, { recursive: true, force: true }));

const garbage = { elf: new TextEncoder().encode('not ELF'), sourceName: 'g.o', cache: false as const };

describe('BuildPool', () => {
  it('runs builds in worker threads and hands the image back', async () => {
    const pool = new BuildPool({ concurrency: 2 });
    try {
      const [built, refused] = await Promise.all([pool.run({ elf: objectBytes(FIREWALL_OBJECT), sourceName: 'fw.o', cache }), pool.run(garbage)]);
      assert.equal(built.kind, 'built');
      if (built.kind === 'built') {
        assert.ok(built.image.so instanceof Uint8Array && built.image.so.length > 1000);
        assert.ok(built.image.metadata.dataSections.every((d) => d.initialBytes instanceof Uint8Array));
      }
      assert.equal(refused.kind, 'refused');
      assert.equal(pool.running, 0);
    } finally {
      await pool.close();
    }
  });

  it('never runs more builds than CPUs, and refuses past the queue bound', async () => {
    assert.equal(new BuildPool({ concurrency: 1000 }).concurrency, Math.max(1, availableParallelism()));
    assert.throws(() => new BuildPool({ concurrency: 0 }), RangeError);
    const pool = new BuildPool({ concurrency: 1, maxQueued: 1 });
    try {
      const running = pool.run(garbage);
      const waiting = pool.run(garbage);
      assert.equal(pool.running, 1);
      assert.equal(pool.queued, 1);
      await assert.rejects(pool.run(garbage), BuildQueueFullError);
      assert.equal((await running).kind, 'refused');
      assert.equal((await waiting).kind, 'refused');
    } finally {
      await pool.close();
    }
  });

  it('rejects waiting and running builds when closed', async () => {
    const pool = new BuildPool({ concurrency: 1 });
    const running = assert.rejects(pool.run(garbage), (e: unknown) => e instanceof ServiceStoppingError && /stopped during the build/.test(e.message));
    const waiting = assert.rejects(pool.run(garbage), (e: unknown) => e instanceof ServiceStoppingError && /waiting for a worker/.test(e.message));
    await pool.close();
    await running;
    await waiting;
    await assert.rejects(pool.run(garbage), ServiceStoppingError);
  });

  it('stops: refuses the queue at once, lets running builds finish within the grace period', async () => {
    const pool = new BuildPool({ concurrency: 1 });
    try {
      const elf = objectBytes(FIREWALL_OBJECT);
      const running = pool.run({ elf, sourceName: 'fw.o', cache: false });
      const queued = pool.run({ elf, sourceName: 'fw.o', cache: false });
      const queuedRefused = assert.rejects(queued, (e: unknown) => e instanceof ServiceStoppingError && /waiting for a worker/.test(e.message));
      pool.stopAccepting();
      await queuedRefused;
      await assert.rejects(pool.run(garbage), ServiceStoppingError, 'nothing new is accepted');
      assert.equal(await pool.drain(60_000), 0);
      assert.equal((await running).kind, 'built', 'the running build finished');
    } finally {
      await pool.close();
    }
  });

  it('gives up on a build that takes too long', async () => {
    const pool = new BuildPool({ concurrency: 1, timeoutMs: 1 });
    try {
      const r = await pool.run({ elf: objectBytes(FIREWALL_OBJECT), sourceName: 'fw.o', cache: false });
      assert.equal(r.kind, 'failed');
      if (r.kind === 'failed') {
        assert.equal(r.code, 'BUILD_TIMEOUT');
        assert.match(r.message, /the build took longer than 0\.001 s/);
      }
      assert.equal(pool.running, 0);
    } finally {
      await pool.close();
    }
  });

  it('runs builds on the calling thread in-process, one at a time', async () => {
    const pool = new BuildPool({ mode: 'in-process', concurrency: 4 });
    assert.equal(pool.concurrency, 1);
    const outcomes = await Promise.all([pool.run(garbage), pool.run(garbage)]);
    assert.deepEqual(outcomes.map((o) => o.kind), ['refused', 'refused']);
    await pool.close();
  });
});

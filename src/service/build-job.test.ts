// One build as the service runs it, on the calling thread: built, refused by the verifier, malformed.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { BIND_MONITOR_OBJECT, FIREWALL_OBJECT, objectBytes } from './_support.test.ts';
import { runBuildJob } from './build-job.ts';

let cache: string;
before(() => {
  cache = mkdtempSync(join(tmpdir(), 'build-job-'));
});
after(() => rmSync(cache, { recursive: true, force: true }));

describe('runBuildJob', () => {
  it('builds a verified image, then the same bytes from the cache', () => {
    const elf = objectBytes(FIREWALL_OBJECT);
    const a = runBuildJob({ elf, sourceName: 'fw.o', cache });
    assert.equal(a.kind, 'built', JSON.stringify(a).slice(0, 300));
    if (a.kind !== 'built') return;
    assert.ok(a.image.verified);
    assert.equal(a.image.cached, false);
    assert.deepEqual(a.image.programs.map((p) => [p.name, p.section, p.type]), [['xdp_firewall', 'xdp', 'xdp']]);
    assert.equal(a.image.metadata.programs[0]?.name, 'xdp_firewall');
    const b = runBuildJob({ elf, sourceName: 'fw.o', cache });
    assert.ok(b.kind === 'built' && b.image.cached && b.image.soSha256 === a.image.soSha256);
    const uncached = runBuildJob({ elf, sourceName: 'fw.o', cache: false });
    assert.ok(uncached.kind === 'built' && uncached.image.soSha256 === a.image.soSha256, 'reproducible without the cache');
  });

  it('verifies under the rule set asked for (serve --rules), which the build carries to its attestation', () => {
    const elf = objectBytes(FIREWALL_OBJECT);
    const linux = runBuildJob({ elf, sourceName: 'fw.o', cache });
    const strict = runBuildJob({ elf, sourceName: 'fw.o', cache, rules: 'strict' });
    assert.ok(linux.kind === 'built' && strict.kind === 'built');
    assert.equal(linux.image.rules, 'linux');
    assert.equal(strict.image.rules, 'strict');
  });

  it('reports every program the verifier refuses, as text and as JSON', () => {
    const r = runBuildJob({ elf: objectBytes(BIND_MONITOR_OBJECT), sourceName: 'bm.o', cache });
    assert.equal(r.kind, 'refused');
    if (r.kind !== 'refused') return;
    assert.equal(r.status, 422);
    assert.equal(r.code, 'VERIFICATION_FAILED');
    assert.match(r.diagnostics ?? '', /bind_monitor\.c:33:16: error: possible NULL dereference/);
    assert.equal(r.programs?.length, 1);
  });

  it('answers a malformed ELF with 400 and its location', () => {
    const r = runBuildJob({ elf: objectBytes(join(PROGRAMS_OBJ, 'hello_world.o')).subarray(0, 64), sourceName: 'h.o', cache });
    assert.equal(r.kind, 'refused');
    if (r.kind !== 'refused') return;
    assert.equal(r.status, 400);
    assert.equal(r.code, 'ELF_MALFORMED');
    assert.equal(r.where?.file, 'h.o');
    assert.equal(typeof r.where?.offset, 'number');
  });

  it('turns a missing compiler into a failure, not a throw', () => {
    const r = runBuildJob({ elf: objectBytes(FIREWALL_OBJECT), sourceName: 'fw.o', cache: false, cc: '/nonexistent/cc' });
    assert.equal(r.kind, 'failed');
    if (r.kind === 'failed') assert.equal(r.code, 'NATIVE_NO_COMPILER');
  });
});

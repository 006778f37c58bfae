// `bpfship explore`: its JSON output, what it refuses, where it finds source files, and its server's Host check.
// (The page it serves is driven in Chromium by test/explorer.test.ts.)
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, PROGRAMS_OBJ, SHARED } from '../../internal/test-files.ts';
import { createLocalExplorer } from '../../service/local-explorer.ts';
import type { ExploreObject, ExploreProgram } from '../../web/index.ts';
import { sourceReader } from './explore.ts';
import { cli } from './_test-cli.ts';

const BIND = join(PROGRAMS_OBJ, 'bind_monitor.o');

/** `bpfship explore ARGS...` in-process, as main.ts reports errors. */
function explore(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(['explore', ...args]);
}

describe('bpfship explore', () => {
  it('prints the explore documents with --json, exit 1 when a program is refused', async () => {
    const r = await explore([BIND, '--json']);
    assert.equal(r.code, 1);
    const { object, programs } = JSON.parse(r.out) as { object: ExploreObject; programs: ExploreProgram[] };
    assert.deepEqual(object.programs.map((p) => [p.name, p.verdict]), [['bind_monitor', 'fail']]);
    assert.equal(programs[0]?.report.diagnostics[0]?.source?.line, 33);
    // The C file was found above the object (programs/examples/bind_monitor.c).
    assert.equal(programs[0]?.sources[0]?.text?.length, 41);
    assert.ok((programs[0]?.report.recording?.states.length ?? 0) > 0);
  });

  it('selects programs and types, and bounds the recording', async () => {
    const r = await explore([join(CORPUS, 'cilium', 'bpf_lxc.o'), '--json', '--type', 'sched_cls', '--program', 'tail_ipv4_to_ipv6', '--max-states', '1']);
    assert.equal(r.code, 0, r.err);
    const { object, programs } = JSON.parse(r.out) as { object: ExploreObject; programs: ExploreProgram[] };
    assert.deepEqual(object.programs.map((p) => [p.index, p.name, p.type, p.verdict]), [[0, 'tail_ipv4_to_ipv6', 'sched_cls', 'pass']]);
    assert.equal(programs[0]?.report.recording?.limits.maxStatesPerInsn, 1);
  });

  it('refuses what it cannot do, naming it', async () => {
    assert.match((await explore([BIND, '--listen', '0.0.0.0:0'])).err, /serves on loopback only/);
    assert.match((await explore([BIND, '--type', 'nonsense', '--json'])).err, /unknown program type 'nonsense'/);
    assert.match((await explore([BIND, '--program', 'nope', '--json'])).err, /no program matches name 'nope' \(programs: cgroup\/bind4\/bind_monitor\)/);
    assert.match((await explore([BIND, '--max-states', '0', '--json'])).err, /--max-states must be a positive integer/);
    const missing = await explore([join(PROGRAMS_OBJ, 'no-such.o'), '--json']);
    assert.equal(missing.code, 2);
  });

  it('finds a source file given relative to a directory above the object, or from the current directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-src-'));
    try {
      mkdirSync(join(dir, 'src'));
      mkdirSync(join(dir, 'build', 'obj'), { recursive: true });
      writeFileSync(join(dir, 'src', 'prog.c'), 'int x;\n');
      copyFileSync(BIND, join(dir, 'build', 'obj', 'prog.o'));
      const read = sourceReader(join(dir, 'build', 'obj', 'prog.o'));
      assert.equal(read('src/prog.c'), 'int x;\n');
      assert.equal(read('./src/prog.c'), 'int x;\n');
      assert.equal(read('src/absent.c'), undefined);
      assert.ok(sourceReader(BIND)('./examples/bind_monitor.c')?.includes('bind_monitor'));
      assert.equal(read(join(SHARED, 'programs', 'examples', 'bind_monitor.c'))?.includes('bind_monitor'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves on loopback names only (another Host is refused: DNS rebinding)", async () => {
    const app = await createLocalExplorer({ object: { format: 'bpfship-explore/1', file: 'x.o', verifier: { name: 'v', version: '1' }, programs: [] }, documents: new Map([[0, '{"ok":true}']]) });
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const port = new URL(address).port;
      const ok = await fetch(`${address}/api/explore/programs/0`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { ok: true });
      assert.equal((await fetch(`${address}/api/explore/programs/1`)).status, 404);
      assert.equal((await app.inject({ url: '/api/explore', headers: { host: `localhost:${port}` } })).statusCode, 200);
      assert.equal((await app.inject({ url: '/api/explore', headers: { host: `rebound.example.com:${port}` } })).statusCode, 421);
      assert.equal((await app.inject({ url: '/', headers: { host: `127.0.0.1:${Number(port) + 1}` } })).statusCode, 421);
    } finally {
      await app.close();
    }
  });
});

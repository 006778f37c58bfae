// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli } from '../src/cli/commands/_test-cli.ts';
import { PROGRAMS_OBJ } from '../src/internal/test-files.ts';

/** Runs `bpfship verify ...args` through main(), and captures the outcome. */
function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(['verify', ...args]);
}

describe('bpfship verify', () => {
  it('exits 1 and points at the source line for bind_monitor', async () => {
    const r = await run(join(PROGRAMS_OBJ, 'bind_monitor.o'));
    assert.equal(r.code, 1);
    assert.match(r.out, /bind_monitor\.c:33:\d+: error: possible NULL dereference of r7/);
    assert.match(r.out, /FAIL/);
  });

  it('exits 0 for a correct program, with JSON and SARIF output', async () => {
    const json = await run(join(PROGRAMS_OBJ, 'bind_monitor_fixed.o'), '--format', 'json');
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.out) as { programs: { section: string; name: string; type: string; verdict: string; insns_processed: number; diagnostics: unknown[] }[] };
    assert.deepEqual(Object.keys(parsed.programs[0] ?? {}).filter((k) => ['section', 'name', 'type', 'verdict', 'insns_processed', 'diagnostics'].includes(k)).length, 6);
    assert.equal(parsed.programs[0]?.verdict, 'pass');
    const sarif = await run(join(PROGRAMS_OBJ, 'bind_monitor.o'), '--format', 'sarif');
    assert.equal(sarif.code, 1);
    assert.equal((JSON.parse(sarif.out) as { version: string }).version, '2.1.0');
  });

  it('selects programs, prints the state log, and exits 2 on bad arguments or input', async () => {
    const sel = await run(join(PROGRAMS_OBJ, 'tail_chain.o'), '--program', 'stage1', '--log', '2');
    assert.equal(sel.code, 0);
    assert.match(sel.out, /stage1/);
    assert.doesNotMatch(sel.out, /stage2/);
    assert.match(sel.out, /R10=fp/);
    assert.equal((await run(join(PROGRAMS_OBJ, 'tail_chain.o'), '--program', 'nope')).code, 2);
    assert.equal((await run(join(PROGRAMS_OBJ, 'tail_chain.o'), '--type', 'nonsense')).code, 2);
    assert.equal((await run('/nonexistent.o')).code, 2);
    assert.equal((await run(join(PROGRAMS_OBJ, 'tail_chain.o'), '--format', 'xml')).code, 2);
  });
});

// The runtime core's C unit tests (maps and helpers, natively), run through scripts/build-core.sh --test so that
// their closing `N passed, N failed` line is part of the suite's result.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

describe('runtime core (C)', () => {
  it('passes its C unit tests', (t) => {
    const root = resolve(import.meta.dirname, '..');
    const r = spawnSync('bash', ['scripts/build-core.sh', '--test'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    const out = `${r.stdout}\n${r.stderr}`;
    // Each group prints its own count; the last line is the total.
    const summary = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
    assert.ok(summary !== null, `no summary line from the C tests:\n${out.slice(-3000)}`);
    t.diagnostic(`C unit tests: ${summary[0]}`);
    assert.equal(r.status, 0, out.slice(-3000));
    assert.equal(summary[2], '0', out.slice(-3000));
  });
});

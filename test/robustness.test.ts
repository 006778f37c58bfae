// Robustness: every deliberately broken corpus object, and thousands of seeded mutations of corpus objects, give
// either a result or a typed error (a BpfshipError naming the place), through every reader and printer. A variant
// still running after 10 s is reported as a hang: a real hang never ends, and a generous limit keeps a loaded machine
// (CI, or a developer's build beside the tests) from passing for one. `npm run fuzz` is the long run (100,000 variants
// and more, 1 s per variant).
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { corpusObjects, invalidObjects } from '../src/internal/test-files.ts';
import { fuzzObjects } from '../scripts/fuzz-run.ts';

describe('robustness of the readers', () => {
  it('handles every invalid corpus object and 2,500 mutated objects without a crash or a hang', async (t) => {
    const files = [...corpusObjects(), ...invalidObjects()];
    const r = await fuzzObjects(files, 20261124, 0, 2500, 10_000);
    t.diagnostic(`${r.variants} variants in ${r.seconds.toFixed(1)} s: ${r.typed} typed errors, ${r.accepted} read, ${r.failures.length} failures, ${r.hangs.length} hangs`);
    const report = [...r.failures, ...r.hangs].slice(0, 5).map((f) => `variant ${f.index} of ${f.file} (${f.description}): ${f.error}`).join('\n\n');
    assert.equal(r.failures.length + r.hangs.length, 0, report);
    assert.ok(r.typed > 0 && r.accepted > 0, 'the mutations produce both readable and unreadable objects');
  });
});

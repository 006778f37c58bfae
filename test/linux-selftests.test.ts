/**
 * Linux's own verifier tests (`../shared/linux-selftests`: the `verifier_*.c` of Linux 6.12, compiled, with Linux
 * 6.18's privileged verdict per program) through the verifier's library API, as `bpfship verify OBJ` verifies
 * them (default options: Linux's rules, the kernel BTF when this machine has one). Programs are matched to the rows
 * of `expected.tsv` as `../shared/tools/linux-selftests.py` matches them: section and function, then function
 * alone. The test fails below the floors it asserts; raise them as the verifier gets closer to Linux.
 *
 * Author: Claude.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { verifySelftests, SELFTESTS_DIR } from './linux-selftests-run.ts';

/** Today's figures (2026-12-07, checked against linux-selftests.py): rising is good, falling fails. */
const FLOORS = { kernelPassAccepted: 584, kernelFailRejected: 350 } as const;

test('Linux verifier selftests: bpfship agrees with Linux at least as often as before', { skip: !existsSync(join(SELFTESTS_DIR, 'expected.tsv')) && 'no ../shared/linux-selftests' }, async (t) => {
  const r = await verifySelftests();
  t.diagnostic(`linux selftests: ${r.objects} objects, ${r.rows.length} programs in ${(r.ms / 1000).toFixed(1)} s`);
  t.diagnostic(`kernel-pass programs accepted ${r.passAccepted}/${r.passTotal}; kernel-fail programs rejected ${r.failRejected}/${r.failTotal}`);
  for (const row of r.rows.filter((x) => x.truth === 'fail' && x.ours === 'pass')) {
    t.diagnostic(`kernel rejects, bpfship accepts: ${row.object} ${row.function}: ${row.kernelMsg}`);
  }
  const missing = r.rows.filter((x) => x.ours === 'missing');
  assert.deepEqual(missing.map((x) => `${x.object} ${x.section}/${x.function}`), [], 'every program of expected.tsv is verified');
  assert.ok(r.passAccepted >= FLOORS.kernelPassAccepted, `kernel-pass programs accepted: ${r.passAccepted}/${r.passTotal}, below the floor ${FLOORS.kernelPassAccepted}`);
  assert.ok(r.failRejected >= FLOORS.kernelFailRejected, `kernel-fail programs rejected: ${r.failRejected}/${r.failTotal}, below the floor ${FLOORS.kernelFailRejected}`);
});

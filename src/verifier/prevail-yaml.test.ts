// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../internal/test-files.ts';
import { parseYamlCases, runYamlCase, translateLine, type YamlResult } from './prevail-yaml.ts';

const DIR = join(SHARED, 'verifier-yaml');

describe('PREVAIL YAML tests', () => {
  it('translates PREVAIL assembly into LLVM syntax', () => {
    assert.equal(translateLine('assume r1 < 5'), 'if r1 >= 5 goto L___end');
    assert.equal(translateLine('w1 s8= r2'), 'w1 = (s8)w2');
    assert.equal(translateLine('lock *(u64 *)(r1 + 0) += r2 fetch'), 'r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)');
    assert.equal(translateLine('r0 = map_fd 1'), 'ld_pseudo r0, 5, 0');
    assert.equal(translateLine('if r1 == 0 goto <out> ; comment'), 'if r1 == 0 goto L_out');
  });

  it('agrees with PREVAIL on verdicts (agreement printed)', (t) => {
    const results: YamlResult[] = [];
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.yaml')).sort()) {
      for (const c of parseYamlCases(readFileSync(join(DIR, f), 'utf8'), f)) results.push(runYamlCase(c));
    }
    const by = (s: YamlResult['status']): number => results.filter((r) => r.status === s).length;
    const run = results.length - by('skipped');
    const agree = by('agree') + by('agree-verdict');
    t.diagnostic(`${results.length} cases: ${run} run, ${by('skipped')} skipped (pre-state or code not expressible here)`);
    t.diagnostic(`verdict agreement ${agree}/${run} (${((100 * agree) / run).toFixed(1)}%); same instruction ${by('agree')}, different instruction ${by('agree-verdict')}`);
    const stricter = results.filter((r) => r.status === 'disagree' && r.ours?.error === true);
    const laxer = results.filter((r) => r.status === 'disagree' && r.ours?.error === false);
    t.diagnostic(`we reject, PREVAIL accepts: ${stricter.length}; we accept, PREVAIL rejects: ${laxer.length}`);
    if (process.env['YAML_VERBOSE'] !== undefined) {
      for (const r of [...stricter, ...laxer]) t.diagnostic(`${r.case.file}: ${r.case.name}: PREVAIL ${r.expected.error ? `error at ${r.expected.insn}` : 'ok'}; ours ${r.ours?.error === true ? `error at ${r.ours.insn}: ${r.ours.message}` : 'ok'}`);
      for (const r of results.filter((x) => x.status === 'skipped')) t.diagnostic(`skipped ${r.case.file}: ${r.case.name}: ${r.note}`);
    }
    assert.ok(results.length >= 800);
    assert.ok(agree / run > 0.8, `agreement ${agree}/${run}`);
  });
});

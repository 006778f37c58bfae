// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { readObject } from '../spec/index.ts';
import { renderJson, renderSarif, renderText } from './render.ts';
import { verifyObject } from './verify.ts';

const load = (name: string) => readObject(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name))), { name });

describe('verifier: the example programs', () => {
  it('bind_monitor fails at the line marked BUG, naming the cause and where the value came from', () => {
    const report = verifyObject(load('bind_monitor.o'));
    const p = report.programs[0];
    assert.ok(p !== undefined);
    assert.equal(p.verdict, 'fail');
    const d = p.diagnostics[0];
    assert.ok(d !== undefined);
    assert.equal(d.code, 'null-dereference');
    assert.match(d.source?.text ?? '', /BUG: limit may be NULL/);
    assert.match(d.message, /possible NULL dereference of r7 \(returned by bpf_map_lookup_elem at bind_monitor\.c:25\)/);
    const text = renderText(report);
    assert.match(text, /^examples\/bind_monitor\.c:33:\d+: error: possible NULL dereference of r7/m);
    assert.match(text, /\|\s+\^/);
    assert.match(text, /r7 = map_value_or_null/);
    const json = JSON.parse(renderJson(report)) as { programs: { verdict: string; diagnostics: { line: number; insn: number }[] }[] };
    assert.equal(json.programs[0]?.verdict, 'fail');
    assert.equal(json.programs[0]?.diagnostics[0]?.line, 33);
    const sarif = JSON.parse(renderSarif(report)) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0]?.results[0]?.ruleId, 'null-dereference');
    assert.equal(sarif.runs[0]?.results[0]?.locations[0]?.physicalLocation.region.startLine, 33);
  });

  it('every other example and benchmark program passes', () => {
    const files = readdirSync(PROGRAMS_OBJ).filter((f) => f.endsWith('.o') && f !== 'bind_monitor.o').sort();
    assert.ok(files.length >= 8);
    for (const f of files) {
      const report = verifyObject(load(f));
      for (const p of report.programs) {
        assert.equal(p.verdict, 'pass', `${f} ${p.section}/${p.name}: ${p.diagnostics[0]?.message ?? ''}`);
      }
    }
  });
});

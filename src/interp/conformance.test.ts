// Author: Claude.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConformanceData } from '../asm/index.ts';
import { SHARED } from '../internal/test-files.ts';
import { ConformanceHost, checkConformanceTest, prepareConformanceProgram, runConformanceProgram } from './conformance.ts';
import { Interpreter } from './interpreter.ts';
import { conformanceInstructions } from './conformance.ts';

const DIR = join(SHARED, 'conformance');

describe('bpf_conformance suite in interpret mode', () => {
  it('passes all 313 tests', (t) => {
    const files = readdirSync(DIR).filter((n) => n.endsWith('.data')).sort();
    assert.equal(files.length, 313);
    const host = new ConformanceHost();
    const interp = new Interpreter(host);
    const failures: string[] = [];
    let passed = 0;
    const t0 = performance.now();
    for (const name of files) {
      const test = parseConformanceData(readFileSync(join(DIR, name), 'utf8'), name);
      const v = checkConformanceTest(test, name, { host, interp });
      if (v.passed) passed++;
      else failures.push(`${name}: ${v.reason ?? ''}`);
    }
    t.diagnostic(`${passed} passed, ${failures.length} failed (${(performance.now() - t0).toFixed(0)} ms)`);
    assert.deepEqual(failures, []);
    assert.equal(passed, 313);
  });

  it('refuses at load each of the 45 negative tests with a reserved field set', (t) => {
    const dir = join(DIR, 'negative');
    const files = readdirSync(dir).filter((n) => n.startsWith('unused-') && n.endsWith('.data')).sort();
    let refused = 0;
    for (const name of files) {
      const test = parseConformanceData(readFileSync(join(dir, name), 'utf8'), name);
      assert.throws(() => prepareConformanceProgram(conformanceInstructions(test, name), name), /malformed|addr_space_cast/, name);
      refused++;
    }
    t.diagnostic(`${refused} of ${files.length} refused`);
    assert.equal(refused, 45);
  });

  it('gives r1 = the memory copy and r2 its length, r1 = 0 without memory', () => {
    const prog = prepareConformanceProgram(conformanceInstructions(parseConformanceData('-- asm\nmov %r0, %r1\nexit\n-- result\n0\n')));
    assert.equal(runConformanceProgram(prog, new Uint8Array(0)).r0, 0n);
    assert.notEqual(runConformanceProgram(prog, new Uint8Array(4)).r0, 0n);
  });

  it('runs xdp_prolog programs over an xdp_md', () => {
    // The runner's prolog: r1 = ctx, loads data/data_end, checks the size, r2 = size.
    const asm = 'mov %r0, -1\nmov %r6, %r1\nldxw %r1, [%r6+0]\nldxw %r2, [%r6+4]\nmov %r3, %r1\nadd %r3, 4\njle %r3, %r2, +1\nexit\nmov %r2, 4\nldxw %r0, [%r1+0]\nexit';
    const prog = prepareConformanceProgram(conformanceInstructions(parseConformanceData(`-- asm\n${asm}\n-- result\n0\n`)));
    assert.equal(runConformanceProgram(prog, Uint8Array.from([1, 2, 3, 4]), { xdp: true }).r0, 0x04030201n);
  });
});

// The bpf_conformance suite in native mode: every test translated by bpf2c, compiled into one image, run.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceData } from '../../asm/index.ts';
import { conformanceInstructions } from '../../interp/index.ts';
import { SHARED } from '../../internal/test-files.ts';
import { nativeConformanceExecutor, runConformanceNative, type NativeConformanceTest } from './conformance-native.ts';

const DIR = join(SHARED, 'conformance');

function suite(): (NativeConformanceTest & { expected: bigint })[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.data')).sort().map((f) => {
    const t = parseConformanceData(readFileSync(join(DIR, f), 'utf8'), f);
    assert.ok(t.result !== undefined, `${f} has a result`);
    return { name: f, instructions: conformanceInstructions(t, f), mem: t.mem, expected: t.result };
  });
}

describe('bpf_conformance in native mode', () => {
  const tests = suite();

  for (const [label, options] of [
    ['gcc -O2', {}],
    ['clang-19 -O2', { cc: 'clang-19' }],
    ['gcc -O2 with UBSan (no undefined behaviour in the generated code)', { extraFlags: ['-fsanitize=undefined', '-fno-sanitize-recover=all'] }],
  ] as const) {
    it(`passes every test (${label})`, (t) => {
      const report = runConformanceNative(tests, options);
      const failed: string[] = [];
      report.outcomes.forEach((o, i) => {
        const expected = tests[i]?.expected;
        if (o.r0 !== expected) failed.push(`${o.name}: ${o.error ?? `expected 0x${expected?.toString(16)}, got 0x${o.r0?.toString(16)}`}`);
      });
      t.diagnostic(`${tests.length - failed.length}/${tests.length} conformance tests pass natively (${label}); bpf2c ${report.bpf2cMs.toFixed(0)} ms, compiler ${report.compileMs.toFixed(0)} ms${report.cached ? ' (cached)' : ''}, runs ${report.runMs.toFixed(1)} ms`);
      assert.deepEqual(failed, []);
      assert.equal(tests.length, 313);
    });
  }

  it('runs tests one at a time through the executor, building what prepare did not', () => {
    const executor = nativeConformanceExecutor();
    try {
      executor.prepare(tests.slice(0, 20));
      for (const t of tests.slice(0, 25)) assert.equal(executor.run(t.instructions, t.mem, { xdp: false }), t.expected, t.name);
    } finally {
      executor.close();
    }
  });
});

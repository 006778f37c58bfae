// Author: Claude.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { conformanceFiles, negativeConformanceFiles } from './_tools.test.ts';
import { parseConformanceData } from './conformance-data.ts';
import { AsmSyntaxError } from '../internal/errors.ts';

describe('parseConformanceData', () => {
  it('reads the sections', () => {
    const t = parseConformanceData([
      '# Copyright',
      '-- asm',
      'mov %r0, 1 # comment',
      'exit',
      '-- mem',
      'aa bb 11',
      '22',
      '-- result',
      '0x8977665544332211',
      '-- no register offset',
      'call instruction',
    ].join('\r\n'));
    assert.equal(t.asm, 'mov %r0, 1 # comment\nexit');
    assert.equal(t.asmLine, 3);
    assert.deepEqual([...t.mem], [0xaa, 0xbb, 0x11, 0x22]);
    assert.equal(t.result, 0x8977665544332211n);
    assert.equal(t.raw, undefined);
    assert.equal(t.error, undefined);
  });

  it('reads raw sections as 64-bit words or as bytes', () => {
    const words = parseConformanceData('-- raw\n0x5566778800000018\n0x1122334400000000\n0x95\n-- result\n12\n');
    assert.deepEqual([...(words.raw ?? [])].slice(0, 8), [0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55]);
    assert.equal(words.raw?.length, 24);
    assert.equal(words.result, 12n);
    const bytes = parseConformanceData('-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n');
    assert.deepEqual([...(bytes.raw ?? [])].slice(0, 8), [7, 0, 1, 0, 1, 0, 0, 0]);
    assert.equal(bytes.error, '');
  });

  it('reports unknown directives and bad numbers with the line', () => {
    assert.throws(() => parseConformanceData('-- asm\nexit\n-- Unknown directive\n', 'x.data'), (e: unknown) => e instanceof AsmSyntaxError && e.where.line === 3 && /unknown directive/.test(e.message));
    assert.throws(() => parseConformanceData('-- result\n0xzz\n', 'x.data'), (e: unknown) => e instanceof AsmSyntaxError && e.where.line === 2);
    assert.throws(() => parseConformanceData('-- mem\n1ff\n'), AsmSyntaxError);
  });

  it('reads every file of the suite', (t) => {
    let withResult = 0;
    let withMem = 0;
    const files = conformanceFiles();
    for (const path of files) {
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      assert.ok(test.asm !== undefined, path);
      if (test.result !== undefined) withResult++;
      if (test.mem.length > 0) withMem++;
    }
    let negatives = 0;
    for (const path of negativeConformanceFiles()) {
      try {
        parseConformanceData(readFileSync(path, 'utf8'), path);
        negatives++;
      } catch (e) {
        assert.ok(e instanceof AsmSyntaxError && path.endsWith('invalid_unknown_directive.data'), `${path}: ${String(e)}`);
      }
    }
    t.diagnostic(`${files.length} tests (${withResult} with a result, ${withMem} with memory); ${negatives} negative files parsed`);
    assert.equal(files.length, 313);
    assert.equal(withResult, 313);
  });
});

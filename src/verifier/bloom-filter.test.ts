// The verifier on bloom filter maps: push and peek only, the value pointer checked for value_size bytes, and (strict
// rules) a peek's value initialized, since a bloom filter reads it.
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testMap, testProgram } from './_test-program.ts';
import type { RuleSet } from './rules.ts';
import { verifyLinked } from './verify.ts';

const bloom = testMap({ name: 'bloom', type: 30, keySize: 0, valueSize: 4, maxEntries: 1000 });
const wide = testMap({ name: 'wide', type: 30, keySize: 0, valueSize: 16, maxEntries: 1000 });

/** `call id` with r1 = the bloom map, r2 = fp - `off` (the value), r3 = 0; the first diagnostic's code or 'pass'. */
function call(id: number, options: { off?: number; store?: boolean; map?: typeof bloom; rules?: RuleSet } = {}): string {
  const off = options.off ?? 4;
  const store = options.store ?? true ? `r1 = 7\n*(u32 *)(r10 - ${off}) = r1\n` : '';
  const text = `${store}r2 = r10\nr2 += -${off}\nld_pseudo r1, 5, 0\nr3 = 0\ncall ${id}\nr0 = 0\nexit`;
  const r = verifyLinked(testProgram(text), [options.map ?? bloom], { programType: 'xdp', gpl: true }, options.rules !== undefined ? { rules: options.rules } : {});
  return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
}
const code = (r: string): string => r.split(':')[0] ?? r;

describe('verifier: bloom filter maps', () => {
  it('accepts bpf_map_push_elem and bpf_map_peek_elem with a value on the stack', () => {
    assert.equal(call(87), 'pass');
    assert.equal(call(89), 'pass');
  });

  it('checks the value pointer for value_size bytes', () => {
    assert.equal(code(call(87, { off: 2, store: false })), 'out-of-bounds');
    assert.equal(code(call(89, { off: 2, store: false })), 'out-of-bounds');
    assert.equal(code(call(87, { map: wide, off: 8, store: false })), 'out-of-bounds');
  });

  it('refuses the helpers Linux refuses for a bloom filter (pop, lookup)', () => {
    assert.match(call(88), /^invalid-helper-argument: .*bloom/);
    assert.match(call(1), /^invalid-helper-argument: .*bloom/);
  });

  it('reads a peeked value: never-written bytes are refused under strict rules, accepted under Linux rules', () => {
    assert.equal(code(call(89, { store: false, rules: 'strict' })), 'uninitialized-stack');
    assert.equal(call(89, { store: false }), 'pass');
    assert.equal(code(call(87, { store: false, rules: 'strict' })), 'uninitialized-stack');
  });
});

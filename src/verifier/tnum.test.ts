// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './_random.ts';
import {
  type Tnum, U64_MASK, tnumAdd, tnumAnd, tnumConst, tnumContains, tnumIn, tnumIntersect, tnumLshift, tnumMul,
  tnumOr, tnumRange, tnumRshift, tnumSub, tnumXor, tnumArshift, formatTnum,
} from './tnum.ts';

/** A random tnum and some of its members. */
function sample(r: Random): { t: Tnum; xs: bigint[] } {
  const base = r.interesting();
  const mask = r.chance(0.3) ? 0n : r.chance(0.5) ? BigInt(r.u32() & 0xff) : r.u64() & r.u64();
  const t = { value: base & ~mask & U64_MASK, mask };
  const xs = [t.value, t.value | t.mask];
  for (let i = 0; i < 4; i++) xs.push(t.value | (r.u64() & t.mask));
  return { t, xs };
}

describe('tnum', () => {
  it('ranges contain their ends and constants are exact', () => {
    const t = tnumRange(4n, 7n);
    assert.deepEqual(t, { value: 4n, mask: 3n });
    assert.deepEqual(tnumRange(0n, U64_MASK), { value: 0n, mask: U64_MASK });
    assert.ok(tnumIn(tnumRange(0n, 255n), tnumConst(17n)));
    assert.ok(!tnumIn(tnumConst(17n), tnumRange(0n, 255n)));
    assert.equal(formatTnum({ value: 4n, mask: 3n }), '(0x4; 0x3)');
  });

  it('every operation contains the concrete results (randomized)', () => {
    const r = new Random(1);
    const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
      ['add', tnumAdd, (x, y) => x + y],
      ['sub', tnumSub, (x, y) => x - y],
      ['mul', tnumMul, (x, y) => x * y],
      ['and', tnumAnd, (x, y) => x & y],
      ['or', tnumOr, (x, y) => x | y],
      ['xor', tnumXor, (x, y) => x ^ y],
    ];
    for (let i = 0; i < 400; i++) {
      const a = sample(r);
      const b = sample(r);
      for (const [name, f, g] of ops) {
        const t = f(a.t, b.t);
        for (const x of a.xs) for (const y of b.xs) {
          assert.ok(tnumContains(t, BigInt.asUintN(64, g(x, y))), `${name} ${formatTnum(a.t)} ${formatTnum(b.t)} x=${x} y=${y}`);
        }
      }
      const k = r.int(64);
      for (const x of a.xs) {
        assert.ok(tnumContains(tnumLshift(a.t, k), BigInt.asUintN(64, x << BigInt(k))));
        assert.ok(tnumContains(tnumRshift(a.t, k), x >> BigInt(k)));
        assert.ok(tnumContains(tnumArshift(a.t, k, 64), BigInt.asUintN(64, BigInt.asIntN(64, x) >> BigInt(k))));
        const k32 = k & 31;
        const x32 = x & 0xffffffffn;
        const t32 = { value: a.t.value & 0xffffffffn, mask: a.t.mask & 0xffffffffn };
        assert.ok(tnumContains(tnumArshift(t32, k32, 32), BigInt.asUintN(32, BigInt.asIntN(32, x32) >> BigInt(k32))));
      }
      // Intersection keeps the common members.
      const both = a.xs.filter((x) => tnumContains(b.t, x));
      const t = tnumIntersect(a.t, b.t);
      for (const x of both) assert.ok(tnumContains(t, x));
    }
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AluOp, JumpOp } from '../asm/index.ts';
import { Random } from './_random.ts';
import { evalAlu, evalCondition } from './concrete.ts';
import {
  type Scalar, SCALAR_UNKNOWN, formatScalar, isConst, scalarConst, scalarContains, scalarFromTnum, scalarIn,
  scalarSignedRange, scalarUnsignedRange,
} from './scalar.ts';
import { scalarAlu, scalarByteSwap, scalarNeg, scalarSignExtend, scalarTruncate, scalarZext32 } from './scalar-alu.ts';
import { JSET_NOT, negateCondition, scalarBranchTaken, scalarRefine } from './scalar-branch.ts';
import { U64_MASK } from './tnum.ts';

/** An abstract scalar with concrete members known to be in it. */
interface Sample {
  s: Scalar;
  xs: bigint[];
}

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH];
const JMP_OPS = [JumpOp.JEQ, JumpOp.JNE, JumpOp.JGT, JumpOp.JGE, JumpOp.JLT, JumpOp.JLE, JumpOp.JSGT, JumpOp.JSGE, JumpOp.JSLT, JumpOp.JSLE, JumpOp.JSET, JSET_NOT];

function leaf(r: Random): Sample {
  const n = 1 + r.int(4);
  const base = r.interesting();
  const xs: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const spread = r.pick([0n, 1n, 7n, 255n, 0xffffn, 0xffffffffn, U64_MASK]);
    xs.push(BigInt.asUintN(64, base + (r.u64() & spread) - (r.chance(0.3) ? (r.u64() & spread) : 0n)));
  }
  const umin = xs.reduce((a, b) => (a < b ? a : b));
  const umax = xs.reduce((a, b) => (a > b ? a : b));
  const signed = xs.map((x) => BigInt.asIntN(64, x));
  const smin = signed.reduce((a, b) => (a < b ? a : b));
  const smax = signed.reduce((a, b) => (a > b ? a : b));
  const and = xs.reduce((a, b) => a & b);
  const or = xs.reduce((a, b) => a | b);
  let s: Scalar;
  switch (r.int(4)) {
    case 0: s = xs.length === 1 ? scalarConst(xs[0]!) : scalarUnsignedRange(umin, umax); break;
    case 1: s = scalarUnsignedRange(umin, umax); break;
    case 2: s = scalarSignedRange(smin, smax); break;
    default: s = scalarFromTnum({ value: and, mask: or ^ and }); break;
  }
  return { s, xs };
}

/** A sample built from leaves by a few random operations, so that all views carry information. */
function sample(r: Random, depth = 2): Sample {
  if (depth === 0 || r.chance(0.4)) return leaf(r);
  const a = sample(r, depth - 1);
  const b = sample(r, depth - 1);
  if (r.chance(0.25)) {
    // Narrow through a branch.
    const op = r.pick(JMP_OPS);
    const is32 = r.chance(0.3);
    const refined = scalarRefine(op, a.s, b.s, is32);
    const keep = a.xs.filter((x) => b.xs.some((y) => evalJ(op, is32, x, y)));
    if (refined !== undefined && keep.length > 0) return { s: refined[0], xs: keep };
    return a;
  }
  const op = r.pick(ALU_OPS);
  const is64 = r.chance(0.7);
  const signed = (op === AluOp.DIV || op === AluOp.MOD) && r.chance(0.3);
  const xs: bigint[] = [];
  for (const x of a.xs) for (const y of b.xs) xs.push(evalAlu(op, is64, signed ? 1 : 0, x, y));
  return { s: scalarAlu(op, is64, signed, a.s, b.s), xs: xs.slice(0, 6) };
}

function evalJ(op: number, is32: boolean, x: bigint, y: bigint): boolean {
  return op === JSET_NOT ? !evalCondition(JumpOp.JSET, is32, x, y) : evalCondition(op, is32, x, y);
}

function check(s: Scalar, x: bigint, what: () => string): void {
  if (!scalarContains(s, x)) assert.fail(`${what()}: ${x} (0x${x.toString(16)}) is not in ${formatScalar(s)}`);
}

describe('scalar domain', () => {
  it('constants and ranges', () => {
    assert.ok(isConst(scalarConst(5n)));
    assert.equal(formatScalar(scalarConst(5n)), '5');
    const r = scalarUnsignedRange(0n, 255n);
    assert.equal(r.smax, 255n);
    assert.equal(r.varOff.mask, 255n);
    assert.equal(r.u32max, 255n);
    const s = scalarSignedRange(-4n, 3n);
    assert.equal(s.s32min, -4n);
    assert.equal(s.s32max, 3n);
    assert.ok(scalarIn(SCALAR_UNKNOWN, r));
    assert.ok(!scalarIn(r, SCALAR_UNKNOWN));
    assert.ok(scalarIn(r, scalarConst(3n)));
  });

  it('add keeps ranges that do not wrap, and loses those that do', () => {
    const r = scalarAlu(AluOp.ADD, true, false, scalarUnsignedRange(0n, 10n), scalarConst(4n));
    assert.equal(r.umin, 4n);
    assert.equal(r.umax, 14n);
    const w = scalarAlu(AluOp.ADD, true, false, scalarUnsignedRange(0n, U64_MASK - 1n), scalarConst(4n));
    assert.equal(w.umin, 0n);
  });

  it('the 32-bit ALU zero-extends', () => {
    const r = scalarAlu(AluOp.ADD, false, false, scalarConst(0xffffffffn), scalarUnsignedRange(1n, 2n));
    assert.equal(r.umin, 0n);
    assert.equal(r.umax, 1n);
    assert.equal(scalarZext32(scalarConst(-1n)).umax, 0xffffffffn);
  });

  it('branches refine both operands', () => {
    const [a] = scalarRefine(JumpOp.JLT, scalarUnsignedRange(0n, 100n), scalarConst(16n), false)!;
    assert.equal(a.umax, 15n);
    const [b] = scalarRefine(JumpOp.JSGT, SCALAR_UNKNOWN, scalarConst(-1n), false)!;
    assert.equal(b.smin, 0n);
    assert.equal(scalarRefine(JumpOp.JEQ, scalarConst(1n), scalarConst(2n), false), undefined);
    assert.equal(scalarBranchTaken(JumpOp.JGT, scalarUnsignedRange(10n, 20n), scalarConst(5n), false), true);
    assert.equal(scalarBranchTaken(JumpOp.JGT, scalarUnsignedRange(10n, 20n), scalarConst(15n), false), undefined);
  });

  it('every ALU operation contains the concrete results (randomized)', () => {
    const r = new Random(7);
    for (let i = 0; i < 1500; i++) {
      const a = sample(r);
      const b = sample(r);
      for (const op of ALU_OPS) {
        for (const is64 of [true, false]) {
          for (const signed of op === AluOp.DIV || op === AluOp.MOD ? [false, true] : [false]) {
            const s = scalarAlu(op, is64, signed, a.s, b.s);
            for (const x of a.xs) for (const y of b.xs) {
              check(s, evalAlu(op, is64, signed ? 1 : 0, x, y), () => `op 0x${op.toString(16)} ${is64 ? 64 : 32}${signed ? 's' : ''} on ${formatScalar(a.s)}, ${formatScalar(b.s)} at ${x}, ${y}`);
            }
          }
        }
      }
      for (const x of a.xs) {
        check(scalarNeg(a.s, true), evalAlu(AluOp.NEG, true, 0, x, 0n), () => 'neg64');
        check(scalarNeg(a.s, false), evalAlu(AluOp.NEG, false, 0, x, 0n), () => 'neg32');
        for (const bytes of [1, 2, 4, 8]) check(scalarTruncate(a.s, bytes), x & ((1n << BigInt(bytes * 8)) - 1n), () => `truncate ${bytes} of ${formatScalar(a.s)}`);
        for (const bits of [8, 16, 32] as const) {
          check(scalarSignExtend(a.s, bits), evalAlu(AluOp.MOV, true, bits, 0n, x), () => `sext ${bits} of ${formatScalar(a.s)}`);
          if (bits !== 32) check(scalarSignExtend(a.s, bits, true), evalAlu(AluOp.MOV, false, bits, 0n, x), () => `sext32 ${bits}`);
        }
        for (const w of [16, 32, 64] as const) check(scalarByteSwap(a.s, w), evalAlu(AluOp.END, true, 1, x, BigInt(w)), () => `bswap ${w}`);
      }
    }
  });

  it('branch decisions and refinements are sound (randomized)', () => {
    const r = new Random(11);
    for (let i = 0; i < 1500; i++) {
      const a = sample(r);
      const b = sample(r);
      for (const op of JMP_OPS) {
        for (const is32 of [false, true]) {
          const taken = scalarBranchTaken(op, a.s, b.s, is32);
          const refined = scalarRefine(op, a.s, b.s, is32);
          for (const x of a.xs) for (const y of b.xs) {
            const c = evalJ(op, is32, x, y);
            const what = (): string => `op 0x${op.toString(16)}${is32 ? ' (32)' : ''} on ${formatScalar(a.s)}, ${formatScalar(b.s)} at ${x}, ${y}`;
            if (taken !== undefined) assert.equal(c, taken, `decided wrongly: ${what()}`);
            if (c) {
              assert.ok(refined !== undefined, `called dead: ${what()}`);
              check(refined[0], x, what);
              check(refined[1], y, what);
            }
          }
          // The negation is the other branch.
          assert.equal(negateCondition(negateCondition(op)), op);
        }
      }
    }
  });
});

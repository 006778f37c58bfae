/**
 * Conditional jumps on scalars: whether a comparison's outcome is already decided, and what each outcome teaches
 * about the operands (the kernel's `is_scalar_branch_taken` and `regs_refine_cond_op`).
 *
 * Author: Claude.
 *
 * @module
 */

import {
  JumpOp,
} from '../asm/index.ts';
import {
  type MutableScalar,
  type Scalar,
  finish,
  isEmpty,
  mutableScalar,
  syncBounds,
} from './scalar.ts';
import {
  type Tnum,
  U32_MASK,
  tnumAnd,
  tnumConst,
  tnumDisjoint,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumSubreg,
  tnumWithSubreg,
} from './tnum.ts';


/** The negation of JSET (`!(a & b)`), for the false branch of `if a & b goto`. */
export const JSET_NOT = 0x100;

/** The comparison that holds on the other branch: the false edge of `if a op b` is `if a negate(op) b`. */
export function negateCondition(op: number): number {
  switch (op) {
    case JumpOp.JEQ: return JumpOp.JNE;
    case JumpOp.JNE: return JumpOp.JEQ;
    case JumpOp.JGT: return JumpOp.JLE;
    case JumpOp.JLE: return JumpOp.JGT;
    case JumpOp.JGE: return JumpOp.JLT;
    case JumpOp.JLT: return JumpOp.JGE;
    case JumpOp.JSGT: return JumpOp.JSLE;
    case JumpOp.JSLE: return JumpOp.JSGT;
    case JumpOp.JSGE: return JumpOp.JSLT;
    case JumpOp.JSLT: return JumpOp.JSGE;
    case JumpOp.JSET: return JSET_NOT;
    case JSET_NOT: return JumpOp.JSET;
    default: throw new RangeError(`Not a comparison: 0x${op.toString(16)}`);
  }
}

/** The same comparison with its operands swapped: `a < b` is `b > a`. */
export function swapCondition(op: number): number {
  switch (op) {
    case JumpOp.JGT: return JumpOp.JLT;
    case JumpOp.JLT: return JumpOp.JGT;
    case JumpOp.JGE: return JumpOp.JLE;
    case JumpOp.JLE: return JumpOp.JGE;
    case JumpOp.JSGT: return JumpOp.JSLT;
    case JumpOp.JSLT: return JumpOp.JSGT;
    case JumpOp.JSGE: return JumpOp.JSLE;
    case JumpOp.JSLE: return JumpOp.JSGE;
    default: return op;
  }
}

interface Bounds {
  t: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

function bounds(s: Scalar, is32: boolean): Bounds {
  return is32
    ? { t: tnumSubreg(s.varOff), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max }
    : { t: s.varOff, umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax };
}

/**
 * Whether `a op b` holds for every value (true), for none (false), or is open (undefined). `is32` compares the
 * low 32 bits (class JMP32).
 */
export function scalarBranchTaken(op: number, a: Scalar, b: Scalar, is32: boolean): boolean | undefined {
  const x = bounds(a, is32);
  const y = bounds(b, is32);
  switch (op) {
    case JumpOp.JEQ:
    case JumpOp.JNE: {
      const eq = op === JumpOp.JEQ;
      if (tnumIsConst(x.t) && tnumIsConst(y.t)) return (x.t.value === y.t.value) === eq;
      const differ =
        x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin || tnumDisjoint(x.t, y.t) ||
        (!is32 && (a.u32min > b.u32max || a.u32max < b.u32min || a.s32min > b.s32max || a.s32max < b.s32min));
      return differ ? !eq : undefined;
    }
    case JumpOp.JSET:
    case JSET_NOT: {
      const set = op === JumpOp.JSET;
      let p = x;
      let q = y;
      if (!tnumIsConst(q.t)) [p, q] = [q, p];
      if (!tnumIsConst(q.t)) return undefined;
      if ((p.t.value & q.t.value) !== 0n) return set;
      if (((p.t.mask | p.t.value) & q.t.value) === 0n) return !set;
      return undefined;
    }
    case JumpOp.JGT:
      if (x.umin > y.umax) return true;
      if (x.umax <= y.umin) return false;
      return undefined;
    case JumpOp.JGE:
      if (x.umin >= y.umax) return true;
      if (x.umax < y.umin) return false;
      return undefined;
    case JumpOp.JLT:
      if (x.umax < y.umin) return true;
      if (x.umin >= y.umax) return false;
      return undefined;
    case JumpOp.JLE:
      if (x.umax <= y.umin) return true;
      if (x.umin > y.umax) return false;
      return undefined;
    case JumpOp.JSGT:
      if (x.smin > y.smax) return true;
      if (x.smax <= y.smin) return false;
      return undefined;
    case JumpOp.JSGE:
      if (x.smin >= y.smax) return true;
      if (x.smax < y.smin) return false;
      return undefined;
    case JumpOp.JSLT:
      if (x.smax < y.smin) return true;
      if (x.smin >= y.smax) return false;
      return undefined;
    case JumpOp.JSLE:
      if (x.smax <= y.smin) return true;
      if (x.smin > y.smax) return false;
      return undefined;
    default:
      return undefined;
  }
}

const max = (p: bigint, q: bigint): bigint => (p > q ? p : q);
const min = (p: bigint, q: bigint): bigint => (p < q ? p : q);

/** Reads and writes one width's bounds of a mutable scalar. */
interface Side {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

function getSide(m: MutableScalar, is32: boolean): Side {
  return is32 ? { umin: m.u32min, umax: m.u32max, smin: m.s32min, smax: m.s32max } : { umin: m.umin, umax: m.umax, smin: m.smin, smax: m.smax };
}

function setSide(m: MutableScalar, is32: boolean, s: Side): void {
  if (is32) {
    m.u32min = s.umin;
    m.u32max = s.umax;
    m.s32min = s.smin;
    m.s32max = s.smax;
  } else {
    m.umin = s.umin;
    m.umax = s.umax;
    m.smin = s.smin;
    m.smax = s.smax;
  }
}

function constOf(m: MutableScalar, is32: boolean): bigint | undefined {
  const mask = is32 ? m.varOff.mask & U32_MASK : m.varOff.mask;
  if (mask !== 0n) return undefined;
  return is32 ? m.varOff.value & U32_MASK : m.varOff.value;
}

/**
 * What holds of `a` and `b` when `a op b` is true (op may be {@link JSET_NOT}): the two operands narrowed, or
 * undefined when no values satisfy it (the branch is dead).
 *
 * @example
 * ```ts
 * const [a2] = scalarRefine(JumpOp.JLT, a, scalarConst(16n), false)!; // a2.umax <= 15
 * ```
 */
export function scalarRefine(op: number, a: Scalar, b: Scalar, is32: boolean): [Scalar, Scalar] | undefined {
  const A = mutableScalar(a);
  const B = mutableScalar(b);
  refine(op, A, B, is32);
  for (const m of [A, B]) {
    if (m.umin > m.umax || m.smin > m.smax || m.u32min > m.u32max || m.s32min > m.s32max) return undefined;
  }
  syncBounds(A);
  syncBounds(B);
  const ra = finish(A);
  const rb = finish(B);
  if (isEmpty(ra) || isEmpty(rb)) return undefined;
  return [ra, rb];
}

function refine(op: number, A: MutableScalar, B: MutableScalar, is32: boolean): void {
  switch (op) {
    case JumpOp.JEQ: {
      const x = getSide(A, is32);
      const y = getSide(B, is32);
      const both: Side = { umin: max(x.umin, y.umin), umax: min(x.umax, y.umax), smin: max(x.smin, y.smin), smax: min(x.smax, y.smax) };
      setSide(A, is32, both);
      setSide(B, is32, both);
      const ta = is32 ? tnumSubreg(A.varOff) : A.varOff;
      const tb = is32 ? tnumSubreg(B.varOff) : B.varOff;
      if (tnumDisjoint(ta, tb)) {
        // No common value: cross the bounds to mark the branch dead.
        A.umin = 1n;
        A.umax = 0n;
        return;
      }
      const t = tnumIntersect(ta, tb);
      A.varOff = is32 ? tnumWithSubreg(A.varOff, t) : t;
      B.varOff = is32 ? tnumWithSubreg(B.varOff, t) : t;
      return;
    }
    case JumpOp.JNE: {
      // Only a constant at the very edge of the other's range teaches anything.
      for (const [p, q] of [[A, B], [B, A]] as const) {
        const v = constOf(q, is32);
        if (v === undefined) continue;
        const s = getSide(p, is32);
        const sv = is32 ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v);
        if (s.umin === v) s.umin++;
        if (s.umax === v) s.umax--;
        if (s.smin === sv) s.smin++;
        if (s.smax === sv) s.smax--;
        setSide(p, is32, s);
      }
      return;
    }
    case JumpOp.JSET: {
      for (const [p, q] of [[A, B], [B, A]] as const) {
        const v = constOf(q, is32);
        if (v === undefined || v === 0n || (v & (v - 1n)) !== 0n) continue;
        // A single-bit mask: that bit is set.
        const t = tnumOr(is32 ? tnumSubreg(p.varOff) : p.varOff, tnumConst(v));
        p.varOff = is32 ? tnumWithSubreg(p.varOff, t) : t;
        return;
      }
      return;
    }
    case JSET_NOT: {
      for (const [p, q] of [[A, B], [B, A]] as const) {
        const v = constOf(q, is32);
        if (v === undefined) continue;
        const notV = is32 ? ~v & U32_MASK : BigInt.asUintN(64, ~v);
        const t = tnumAnd(is32 ? tnumSubreg(p.varOff) : p.varOff, tnumConst(notV));
        p.varOff = is32 ? tnumWithSubreg(p.varOff, t) : t;
        return;
      }
      return;
    }
    case JumpOp.JLE:
    case JumpOp.JLT: {
      const d = op === JumpOp.JLT ? 1n : 0n;
      const x = getSide(A, is32);
      const y = getSide(B, is32);
      x.umax = min(x.umax, y.umax - d);
      y.umin = max(y.umin, x.umin + d);
      setSide(A, is32, x);
      setSide(B, is32, y);
      return;
    }
    case JumpOp.JSLE:
    case JumpOp.JSLT: {
      const d = op === JumpOp.JSLT ? 1n : 0n;
      const x = getSide(A, is32);
      const y = getSide(B, is32);
      x.smax = min(x.smax, y.smax - d);
      y.smin = max(y.smin, x.smin + d);
      setSide(A, is32, x);
      setSide(B, is32, y);
      return;
    }
    case JumpOp.JGE:
    case JumpOp.JGT:
    case JumpOp.JSGE:
    case JumpOp.JSGT:
      refine(swapCondition(op), B, A, is32);
      return;
    default:
      return;
  }
}

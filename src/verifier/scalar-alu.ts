/**
 * Arithmetic on scalars: for each ALU operation, a scalar holding every result the operation can give on values of
 * its operands. Follows the Linux verifier's transfer functions (`adjust_scalar_min_max_vals` and the
 * `scalar*_min_max_*` family), computed with exact integers so that wrap-around is decided, not guessed: a range
 * whose exact result fits in one turn of the modular number line keeps its bounds, others lose them.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AluOp,
} from '../asm/index.ts';
import {
  evalAlu,
} from './concrete.ts';
import {
  type MutableScalar,
  type Scalar,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  SCALAR_UNKNOWN,
  U32_MAX,
  U64_MAX,
  finish,
  isConst,
  mutableScalar,
  scalarConst,
} from './scalar.ts';
import {
  type Tnum,
  TNUM_UNKNOWN,
  U32_MASK,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumCast,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumXor,
} from './tnum.ts';


/** One width's view of a scalar: its unsigned and signed bounds and its known bits, all `bits` wide. */
interface View {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  t: Tnum;
}

function view64(s: Scalar): View {
  return { umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax, t: s.varOff };
}

function view32(s: Scalar): View {
  return { umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max, t: tnumSubreg(s.varOff) };
}

type Range = readonly [bigint, bigint];

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * The exact integer interval [lo, hi] taken modulo 2^bits, as a signed or unsigned range; undefined when it wraps
 * (covers the boundary or a whole turn), in which case nothing is known.
 */
function wrapRange(lo: bigint, hi: bigint, bits: number, signed: boolean): Range | undefined {
  if (hi - lo >= 1n << BigInt(bits)) return undefined;
  const wl = signed ? BigInt.asIntN(bits, lo) : BigInt.asUintN(bits, lo);
  const wh = signed ? BigInt.asIntN(bits, hi) : BigInt.asUintN(bits, hi);
  return wl <= wh ? [wl, wh] : undefined;
}

function fullU(bits: number): Range {
  return bits === 64 ? [0n, U64_MAX] : [0n, U32_MAX];
}

function fullS(bits: number): Range {
  return bits === 64 ? [S64_MIN, S64_MAX] : [S32_MIN, S32_MAX];
}

/** Signed bounds from unsigned ones when the range does not cross the sign boundary. */
function signedFromUnsigned(u: Range, bits: number): Range {
  const lo = BigInt.asIntN(bits, u[0]);
  const hi = BigInt.asIntN(bits, u[1]);
  return lo <= hi ? [lo, hi] : fullS(bits);
}

/** The result of an operation at one width: known bits and both ranges. */
interface Result {
  t: Tnum;
  u: Range;
  s: Range;
}

/** The shift amount when `src` is a constant below `bits`, else undefined. */
function shiftAmount(src: View, bits: number): number | undefined {
  if (src.t.mask !== 0n || src.t.value >= BigInt(bits)) return undefined;
  return Number(src.t.value);
}

/**
 * `a op b` at width `bits` (32 or 64), or undefined when nothing is known (the operation is not tracked at this
 * width, or a shift amount is not a constant in range).
 */
function rangeOp(op: number, signedDiv: boolean, bits: 32 | 64, a: View, b: View): Result | undefined {
  const cast = (t: Tnum): Tnum => (bits === 64 ? t : tnumCast(t, 4));
  switch (op) {
    case AluOp.ADD:
      return {
        t: cast(tnumAdd(a.t, b.t)),
        u: wrapRange(a.umin + b.umin, a.umax + b.umax, bits, false) ?? fullU(bits),
        s: wrapRange(a.smin + b.smin, a.smax + b.smax, bits, true) ?? fullS(bits),
      };
    case AluOp.SUB:
      return {
        t: cast(tnumSub(a.t, b.t)),
        u: wrapRange(a.umin - b.umax, a.umax - b.umin, bits, false) ?? fullU(bits),
        s: wrapRange(a.smin - b.smax, a.smax - b.smin, bits, true) ?? fullS(bits),
      };
    case AluOp.MUL: {
      const c = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
      const lo = c.reduce(min);
      const hi = c.reduce(max);
      return {
        t: cast(tnumMul(a.t, b.t)),
        u: wrapRange(a.umin * b.umin, a.umax * b.umax, bits, false) ?? fullU(bits),
        s: wrapRange(lo, hi, bits, true) ?? fullS(bits),
      };
    }
    case AluOp.AND: {
      const t = tnumAnd(a.t, b.t);
      const u: Range = [t.value, min(a.umax, b.umax)];
      return { t, u, s: signedFromUnsigned(u, bits) };
    }
    case AluOp.OR: {
      const t = tnumOr(a.t, b.t);
      const u: Range = [max(a.umin, b.umin), t.value | t.mask];
      return { t, u, s: signedFromUnsigned(u, bits) };
    }
    case AluOp.XOR: {
      const t = tnumXor(a.t, b.t);
      const u: Range = [t.value, t.value | t.mask];
      return { t, u, s: signedFromUnsigned(u, bits) };
    }
    case AluOp.LSH: {
      const k = shiftAmount(b, bits);
      if (k === undefined) return undefined;
      const K = BigInt(k);
      const t = cast(tnumLshift(a.t, k));
      const u = wrapRange(a.umin << K, a.umax << K, bits, false) ?? fullU(bits);
      // A left shift multiplies by 2^k: exact unless the signed result overflows.
      const s = wrapRange(a.smin * (1n << K), a.smax * (1n << K), bits, true) ?? fullS(bits);
      return { t, u, s };
    }
    case AluOp.RSH: {
      const k = shiftAmount(b, bits);
      if (k !== undefined) {
        const K = BigInt(k);
        const t = tnumRshift(a.t, k);
        const u: Range = [a.umin >> K, a.umax >> K];
        return { t, u, s: k === 0 ? [a.smin, a.smax] : signedFromUnsigned(u, bits) };
      }
      // A shift by a bounded amount: the result lies between the largest shift of the smallest value and the
      // smallest shift of the largest value.
      if (b.umax < BigInt(bits)) {
        const u: Range = [a.umin >> b.umax, a.umax >> b.umin];
        return { t: fullTnum(bits), u, s: signedFromUnsigned(u, bits) };
      }
      return undefined;
    }
    case AluOp.ARSH: {
      const k = shiftAmount(b, bits);
      if (k === undefined) return undefined;
      const K = BigInt(k);
      const t = tnumArshift(a.t, k, bits);
      return { t, u: fullU(bits), s: [a.smin >> K, a.smax >> K] };
    }
    case AluOp.DIV: {
      if (signedDiv) return undefined;
      // Division by zero gives zero.
      const lo = b.umax === 0n ? 0n : a.umin / b.umax;
      const hi = b.umin === 0n ? a.umax : a.umax / b.umin;
      const u: Range = [b.umin === 0n ? 0n : lo, hi];
      return { t: fullTnum(bits), u, s: signedFromUnsigned(u, bits) };
    }
    case AluOp.MOD: {
      if (signedDiv) return undefined;
      // Modulo by zero leaves the dividend; otherwise the result is below the divisor and at most the dividend.
      const hi = b.umin === 0n ? a.umax : min(a.umax, b.umax - 1n);
      const u: Range = [0n, hi];
      return { t: fullTnum(bits), u, s: signedFromUnsigned(u, bits) };
    }
    default:
      return undefined;
  }
}

function fullTnum(bits: number): Tnum {
  return bits === 64 ? TNUM_UNKNOWN : { value: 0n, mask: U32_MASK };
}

/** Builds a scalar from a 64-bit result and an optional 32-bit result for its low half. */
function build64(r: Result, r32: Result | undefined): Scalar {
  const m: MutableScalar = mutableScalar(SCALAR_UNKNOWN);
  m.varOff = r.t;
  [m.umin, m.umax] = r.u;
  [m.smin, m.smax] = r.s;
  if (r32 !== undefined) {
    [m.u32min, m.u32max] = r32.u;
    [m.s32min, m.s32max] = r32.s;
  }
  return finish(m);
}

/** Builds a scalar whose value is the 32-bit result `r`, zero-extended. */
function build32(r: Result): Scalar {
  const m: MutableScalar = mutableScalar(SCALAR_UNKNOWN);
  m.varOff = tnumCast(r.t, 4);
  [m.u32min, m.u32max] = r.u;
  [m.s32min, m.s32max] = r.s;
  m.umin = r.u[0];
  m.umax = r.u[1];
  m.smin = r.u[0];
  m.smax = r.u[1];
  return finish(m);
}

/** Any value that fits in 32 bits (a 32-bit operation whose result is not tracked, zero-extended). */
const SCALAR_UNKNOWN32: Scalar = build32({ t: { value: 0n, mask: U32_MASK }, u: [0n, U32_MAX], s: [S32_MIN, S32_MAX] });

/** Operations whose low 32 result bits depend only on the low 32 bits of the operands. */
function lowHalfIsLocal(op: number, src: Scalar): boolean {
  switch (op) {
    case AluOp.ADD:
    case AluOp.SUB:
    case AluOp.MUL:
    case AluOp.AND:
    case AluOp.OR:
    case AluOp.XOR:
      return true;
    case AluOp.LSH:
      return isConst(src) && src.varOff.value < 32n;
    default:
      return false;
  }
}

/**
 * `dst op src` on scalars for ALU operation `op` (`AluOp` bits, not NEG, MOV or END), `is64` for class ALU64,
 * `signedDiv` when the instruction's offset selects `sdiv`/`smod`.
 *
 * @example
 * ```ts
 * scalarAlu(AluOp.ADD, true, false, scalarUnsignedRange(0n, 10n), scalarConst(4n)); // [4, 14]
 * ```
 */
export function scalarAlu(op: number, is64: boolean, signedDiv: boolean, dst: Scalar, src: Scalar): Scalar {
  if (isConst(dst) && isConst(src)) {
    return scalarConst(evalAlu(op, is64, signedDiv ? 1 : 0, dst.varOff.value, src.varOff.value));
  }
  if (is64) {
    const r = rangeOp(op, signedDiv, 64, view64(dst), view64(src));
    if (r === undefined) return SCALAR_UNKNOWN;
    const r32 = lowHalfIsLocal(op, src) ? rangeOp(op, signedDiv, 32, view32(dst), view32(src)) : undefined;
    return build64(r, r32);
  }
  const r = rangeOp(op, signedDiv, 32, view32(dst), view32(src));
  return r === undefined ? SCALAR_UNKNOWN32 : build32(r);
}

/** `-dst`, 64-bit or 32-bit (zero-extended). */
export function scalarNeg(dst: Scalar, is64: boolean): Scalar {
  return scalarAlu(AluOp.SUB, is64, false, scalarConst(0n), dst);
}

/** The low 32 bits, zero-extended (a 32-bit `mov`). */
export function scalarZext32(s: Scalar): Scalar {
  if (s.umax <= U32_MAX) return s;
  if (isConst(s)) return scalarConst(s.varOff.value & U32_MASK);
  return build32({ t: tnumSubreg(s.varOff), u: [s.u32min, s.u32max], s: [s.s32min, s.s32max] });
}

/**
 * The low `bytes` bytes, zero-extended (the kernel's `coerce_reg_to_size`): what a narrow load of a spilled scalar
 * gives, and a to-little-endian conversion.
 */
export function scalarTruncate(s: Scalar, bytes: number): Scalar {
  if (bytes >= 8) return s;
  if (bytes === 4) return scalarZext32(s);
  const bits = BigInt(bytes * 8);
  const mask = (1n << bits) - 1n;
  if (isConst(s)) return scalarConst(s.varOff.value & mask);
  const m: MutableScalar = mutableScalar(SCALAR_UNKNOWN);
  m.varOff = tnumCast(s.varOff, bytes);
  if (s.umin >> bits === s.umax >> bits) {
    m.umin = s.umin & mask;
    m.umax = s.umax & mask;
  } else {
    m.umin = 0n;
    m.umax = mask;
  }
  m.smin = m.umin;
  m.smax = m.umax;
  return finish(m);
}

/**
 * The low `bits` bits sign-extended to 64 bits (`movsx`, sign-extending loads); with `to32`, sign-extended to 32
 * bits and then zero-extended (the 32-bit `movsx`).
 */
export function scalarSignExtend(s: Scalar, bits: 8 | 16 | 32, to32 = false): Scalar {
  const n = BigInt(bits);
  const mask = (1n << n) - 1n;
  const half = 1n << (n - 1n);
  const sext = (x: bigint): bigint => BigInt.asIntN(bits, x);
  let out: Scalar;
  if (isConst(s)) {
    out = scalarConst(sext(s.varOff.value));
  } else {
    const m: MutableScalar = mutableScalar(SCALAR_UNKNOWN);
    // Known bits: the low part as it is, the upper part copies the sign bit (unknown if the sign bit is).
    const lowV = s.varOff.value & mask;
    const lowM = s.varOff.mask & mask;
    const upper = U64_MAX ^ mask;
    if ((lowM & half) !== 0n) m.varOff = { value: lowV, mask: lowM | upper };
    else if ((lowV & half) !== 0n) m.varOff = { value: lowV | upper, mask: lowM };
    else m.varOff = { value: lowV, mask: lowM };
    // Bounds: the low part's unsigned range, when it does not wrap, maps monotonically unless it straddles the
    // sign bit.
    if (s.umin >> n === s.umax >> n) {
      const lo = s.umin & mask;
      const hi = s.umax & mask;
      if (hi < half || lo >= half) {
        m.smin = sext(lo);
        m.smax = sext(hi);
      } else {
        m.smin = -half;
        m.smax = half - 1n;
      }
    } else if (s.smin >= -half && s.smax < half) {
      m.smin = s.smin;
      m.smax = s.smax;
    } else {
      m.smin = -half;
      m.smax = half - 1n;
    }
    out = finish(m);
  }
  return to32 ? scalarZext32(out) : out;
}

/**
 * A byte swap of the low `width` bits (16, 32 or 64): `be16`..`be64` on a little-endian machine, and `bswap`. The
 * known bits move with their bytes; the bounds come from them.
 */
export function scalarByteSwap(s: Scalar, width: 16 | 32 | 64): Scalar {
  const swap = (x: bigint): bigint => {
    let r = 0n;
    for (let i = 0; i < width / 8; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
    return r;
  };
  if (isConst(s)) return scalarConst(swap(s.varOff.value));
  const m: MutableScalar = mutableScalar(SCALAR_UNKNOWN);
  m.varOff = { value: swap(s.varOff.value), mask: swap(s.varOff.mask) };
  return finish(m);
}

/**
 * Tristate numbers ("tnums"): what is known about each bit of a 64-bit value.
 *
 * A tnum is a pair `(value, mask)`: a bit set in `mask` is unknown, a bit clear in `mask` is known and equal to the
 * same bit of `value` (which is 0 wherever `mask` is 1). The set of concrete values it stands for is
 * `{ x | (x & ~mask) === value }`.
 *
 * ```
 *   value: 0b0100      mask: 0b0011      means  0b01xx: one of 4, 5, 6, 7
 * ```
 *
 * The operations follow the Linux verifier's (kernel/bpf/tnum.c), which are proven sound and, for add, sub and the
 * bitwise operations, optimal. Values are unsigned 64-bit bigints in [0, 2^64).
 *
 * Author: Claude.
 *
 * @module
 */

/** 2^64 - 1. */
export const U64_MASK = (1n << 64n) - 1n;
/** 2^32 - 1. */
export const U32_MASK = 0xffffffffn;

/** What is known about the bits of a value. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** A tnum from its parts (the caller keeps `value & mask === 0`). */
export function tnum(value: bigint, mask: bigint): Tnum {
  return { value, mask };
}

/** Nothing is known. */
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MASK };

/** The constant `v` (taken modulo 2^64). */
export function tnumConst(v: bigint): Tnum {
  return { value: BigInt.asUintN(64, v), mask: 0n };
}

/** Whether every bit is known. */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

/** Whether nothing is known. */
export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64_MASK;
}

/**
 * Number of significant bits of `x` (0 for 0), as `fls64`. Range analysis calls this on every bounds sync, so the
 * u64 values it is meant for take two `Math.clz32` on the halves instead of printing the number in binary; anything
 * else (never passed today) keeps the printed length it always had.
 */
export function bitLength(x: bigint): number {
  if (x < 0n || x > U64_MASK) return x.toString(2).length;
  const hi = Number(x >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x));
}

/** `LOW_BITS[n]` is 2^n - 1 and `HIGH_BITS[n]` its complement in 64 bits, for n in 0..64: no bigint built per call. */
const LOW_BITS: readonly bigint[] = Array.from({ length: 65 }, (_, n) => (1n << BigInt(n)) - 1n);
const HIGH_BITS: readonly bigint[] = LOW_BITS.map((m) => U64_MASK ^ m);

/** The smallest tnum containing every value of the unsigned range [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = bitLength(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  return { value: min & (HIGH_BITS[bits] as bigint), mask: LOW_BITS[bits] as bigint };
}

/** `a << shift` (shift in 0..63). */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: (a.value << s) & U64_MASK, mask: (a.mask << s) & U64_MASK };
}

/** `a >> shift`, logical (shift in 0..63). */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** `a >> shift`, arithmetic, on a value `bits` wide (32 or 64). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  const w = BigInt(bits);
  const v = BigInt.asIntN(bits, a.value) >> s;
  const m = BigInt.asIntN(bits, a.mask) >> s;
  return { value: BigInt.asUintN(bits, v) & BigInt.asUintN(64, (1n << w) - 1n), mask: BigInt.asUintN(bits, m) };
}

/** `a + b` (modulo 2^64). */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64_MASK;
  const sv = (a.value + b.value) & U64_MASK;
  const sigma = (sm + sv) & U64_MASK;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MASK, mask: mu };
}

/** `a - b` (modulo 2^64). */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = BigInt.asUintN(64, a.value - b.value);
  const alpha = (dv + a.mask) & U64_MASK;
  const beta = BigInt.asUintN(64, dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MASK, mask: mu };
}

/** `-a` (modulo 2^64). */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub({ value: 0n, mask: 0n }, a);
}

/** `a & b`. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MASK };
}

/** `a | b`. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MASK };
}

/** `a ^ b`. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MASK, mask: mu };
}

/** `a * b` (modulo 2^64), by the kernel's shift-and-add over the unknown bits. */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  // acc collects the known product of the known parts, then adds "unknown times each set bit" terms.
  const hma = (acc: Tnum, value: bigint, mask: bigint): Tnum => {
    let v = value;
    let m = mask;
    let r = acc;
    while (m !== 0n) {
      if ((m & 1n) !== 0n) r = tnumAdd(r, { value: 0n, mask: v });
      m >>= 1n;
      v = (v << 1n) & U64_MASK;
    }
    return r;
  };
  const pi = (a.value * b.value) & U64_MASK;
  const acc = hma({ value: pi, mask: 0n }, a.mask, b.mask | b.value);
  return hma(acc, b.mask, a.value);
}

/**
 * The values both `a` and `b` allow. When they disagree on a known bit the result is meaningless (the caller has
 * an empty set); as in the kernel, the bit comes out as a known 1.
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MASK, mask: mu };
}

/** Whether `a` and `b` disagree on a bit both know, i.e. no value is in both. */
export function tnumDisjoint(a: Tnum, b: Tnum): boolean {
  return ((a.value ^ b.value) & ~(a.mask | b.mask) & U64_MASK) !== 0n;
}

/** The low `bytes` bytes of `a` (the rest known zero). */
export function tnumCast(a: Tnum, bytes: number): Tnum {
  const m = (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** The low 32 bits. */
export function tnumSubreg(a: Tnum): Tnum {
  return { value: a.value & U32_MASK, mask: a.mask & U32_MASK };
}

/** `a` with its low 32 bits known zero. */
export function tnumClearSubreg(a: Tnum): Tnum {
  const hi = U64_MASK ^ U32_MASK;
  return { value: a.value & hi, mask: a.mask & hi };
}

/** `a` with its low 32 bits replaced by those of `sub`. */
export function tnumWithSubreg(a: Tnum, sub: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(a), tnumSubreg(sub));
}

/** Whether the low 32 bits are all known. */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32_MASK) === 0n;
}

/** Whether every value of `b` is a value of `a` (b ⊆ a). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask);
}

/** Whether every value of `a` is a multiple of `size` (a power of two). */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Whether the concrete `x` (unsigned 64-bit) is a value of `a`. */
export function tnumContains(a: Tnum, x: bigint): boolean {
  return (BigInt.asUintN(64, x) & ~a.mask & U64_MASK) === a.value;
}

/** `(0x..; 0x..)`, as the kernel prints a tnum. */
export function formatTnum(a: Tnum): string {
  const h = (x: bigint): string => (x === 0n ? '0x0' : '0x' + x.toString(16));
  return `(${h(a.value)}; ${h(a.mask)})`;
}

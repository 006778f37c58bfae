/**
 * A small seeded pseudo-random generator (xorshift128+ over two 32-bit halves), so that randomized tests and the
 * program generator are reproducible from a seed.
 *
 * Author: Claude.
 *
 * @module
 */

/** A seeded random source. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }

  /** A uniform unsigned 64-bit bigint. */
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  /** An "interesting" 64-bit value: small, near a power of two or a boundary, or uniform. */
  interesting(): bigint {
    switch (this.int(6)) {
      case 0: return BigInt(this.int(20));
      case 1: return BigInt.asUintN(64, -BigInt(this.int(20)));
      case 2: { const k = BigInt(this.int(64)); return BigInt.asUintN(64, (1n << k) + BigInt(this.int(5)) - 2n); }
      case 3: return BigInt(this.u32());
      case 4: return BigInt.asUintN(64, BigInt(this.u32() | 0));
      default: return this.u64();
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

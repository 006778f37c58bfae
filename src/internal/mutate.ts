/**
 * Seeded, deterministic mutations of binary inputs for robustness runs: bit flips, byte and field overwrites with
 * boundary values, truncations and splices. The same seed gives the same variant on every machine, so a failure is
 * reproduced from its seed alone.
 *
 * Author: Claude.
 *
 * @module
 */

/** A small fast PRNG (mulberry32): deterministic across platforms, good enough to pick mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BOUNDARY_U32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff0, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];

/** The kinds of mutation, for reports. */
export type MutationKind = 'bitflip' | 'byte' | 'u16' | 'u32' | 'u64' | 'truncate' | 'splice' | 'zero-run' | 'header-field';

/** One variant with a description of what was done, for a failure report. */
export interface Variant {
  readonly bytes: Uint8Array;
  readonly description: string;
}

/**
 * Makes variant number `index` of `input` for `seed`. Mutations favour the places parsers trust most: the ELF
 * header (first 64 bytes), the section header table (`hotRanges`), and otherwise anywhere.
 */
export function mutate(input: Uint8Array, seed: number, index: number, hotRanges: readonly [number, number][] = []): Variant {
  const rnd = prng((seed * 0x9e3779b1) ^ (index * 0x85ebca77));
  const out = Uint8Array.from(input);
  const dv = new DataView(out.buffer);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const steps: string[] = [];
  const count = 1 + pick(3);
  let bytes: Uint8Array = out;
  for (let s = 0; s < count; s++) {
    const len = bytes.length;
    if (len === 0) break;
    // Where: a hot range half of the time.
    let at = pick(len);
    const hot = hotRanges.length > 0 && rnd() < 0.5 ? hotRanges[pick(hotRanges.length)] : undefined;
    if (hot !== undefined && hot[1] > hot[0]) at = Math.min(len - 1, hot[0] + pick(hot[1] - hot[0]));
    const roll = rnd();
    if (roll < 0.3) {
      const bit = pick(8);
      bytes[at] = (bytes[at] as number) ^ (1 << bit);
      steps.push(`bitflip@0x${at.toString(16)}:${bit}`);
    } else if (roll < 0.45) {
      const v = [0, 0xff, 0x7f, 0x80, 1][pick(5)] as number;
      bytes[at] = v;
      steps.push(`byte@0x${at.toString(16)}=0x${v.toString(16)}`);
    } else if (roll < 0.6 && at + 2 <= len) {
      const v = (BOUNDARY_U32[pick(BOUNDARY_U32.length)] as number) & 0xffff;
      dv.setUint16(at & ~1, v, true);
      steps.push(`u16@0x${(at & ~1).toString(16)}=0x${v.toString(16)}`);
    } else if (roll < 0.8 && (at & ~3) + 4 <= len) {
      const v = BOUNDARY_U32[pick(BOUNDARY_U32.length)] as number;
      dv.setUint32(at & ~3, v, true);
      steps.push(`u32@0x${(at & ~3).toString(16)}=0x${v.toString(16)}`);
    } else if (roll < 0.86 && (at & ~7) + 8 <= len) {
      const v = rnd() < 0.5 ? 0xffffffffffffffffn : BigInt(pick(0x100000)) << BigInt(pick(40));
      dv.setBigUint64(at & ~7, v, true);
      steps.push(`u64@0x${(at & ~7).toString(16)}=0x${v.toString(16)}`);
    } else if (roll < 0.92) {
      const n = Math.min(len - at, 1 + pick(64));
      bytes.fill(0, at, at + n);
      steps.push(`zero@0x${at.toString(16)}+${n}`);
    } else if (roll < 0.97) {
      bytes = bytes.subarray(0, at);
      steps.push(`truncate@0x${at.toString(16)}`);
    } else {
      const from = pick(len);
      const n = Math.min(len - at, len - from, 1 + pick(256));
      bytes.copyWithin(at, from, from + n);
      steps.push(`splice 0x${from.toString(16)}+${n}->0x${at.toString(16)}`);
    }
  }
  return { bytes: Uint8Array.from(bytes), description: steps.join(' ') };
}

/** The byte ranges of an ELF64 object most worth mutating: its header and section header table. */
export function elfHotRanges(input: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [[0, Math.min(64, input.length)]];
  if (input.length >= 64) {
    const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const shoff = Number(dv.getBigUint64(40, true));
    const shnum = dv.getUint16(60, true);
    if (shoff > 0 && shoff < input.length) ranges.push([shoff, Math.min(input.length, shoff + shnum * 64)]);
  }
  return ranges;
}

/**
 * Widening between iterations of a loop the verifier cannot count (`may_goto`, open-coded iterators): numbers that
 * changed since the previous iteration and that nothing has needed precisely become unknown (Linux's
 * `widen_imprecise_scalars`), so that a sum or a counter stops making every iteration's state new and the loop's
 * states converge to one that includes the next.
 *
 * Widening only forgets, so it is always sound; what it costs is precision a later check might have wanted, which
 * is why precise numbers (a counter used as an index, a value a branch decided) are kept and iterated instead.
 *
 * Author: Claude.
 *
 * @module
 */

import type { PreciseMarks } from './precision.ts';
import { type Reg, RegType, withReg } from './reg.ts';
import { SCALAR_UNKNOWN, scalarEquals } from './scalar.ts';
import { scalarTruncate } from './scalar-alu.ts';
import { type Frame, StackByte, type VerifierState } from './state.ts';

/** The number `r` holds, forgotten (an unknown 64-bit number, or of `width` bytes for a narrow spill). */
function forget(r: Reg, width = 8): Reg {
  return withReg(r, { value: width >= 8 ? SCALAR_UNKNOWN : scalarTruncate(SCALAR_UNKNOWN, width), id: 0, off: 0 });
}

/**
 * Widens `cur`, a state one iteration after `old` at the same instruction, in place: registers and spilled numbers
 * that are numbers in both, differ, and are not marked precise in `old` become unknown.
 */
export function widenImpreciseScalars(old: VerifierState, cur: VerifierState, precise: PreciseMarks): void {
  const n = Math.min(old.frames.length, cur.frames.length);
  for (let f = 0; f < n; f++) {
    const of = old.frames[f] as Frame;
    const cf = cur.frames[f] as Frame;
    const preciseRegs = precise.regs[f] ?? 0;
    for (let i = 0; i < 10; i++) {
      const o = of.regs[i] as Reg;
      const c = cf.regs[i] as Reg;
      if (o === c || o.type !== RegType.SCALAR || c.type !== RegType.SCALAR) continue;
      if ((preciseRegs & (1 << i)) !== 0 || scalarEquals(o.value, c.value)) continue;
      cf.regs[i] = forget(c);
    }
    const keep = precise.stack[f];
    for (let k = 0; k < cf.stack.length && k < of.stack.length; k++) {
      const o = of.stack[k];
      const c = cf.stack[k];
      if (o === undefined || c === undefined || o === c || keep?.has(k) === true) continue;
      if (o.spill?.type !== RegType.SCALAR || c.spill?.type !== RegType.SCALAR || o.bytes !== c.bytes) continue;
      if (scalarEquals(o.spill.value, c.spill.value)) continue;
      let width = 0;
      while (width < 8 && c.bytes[width] === StackByte.SPILL) width++;
      cf.stack[k] = { bytes: c.bytes, kinds: c.kinds, spill: forget(c.spill, width) };
    }
  }
}

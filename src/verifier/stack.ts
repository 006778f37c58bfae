/**
 * The stack of a frame: which bytes hold numbers, zeros or spilled registers, and which were never written.
 * Reads of never-written bytes give unknown numbers under the linux rule set (as Linux lets a root user read them)
 * and are rejected under strict, which proves initialization. Spilled registers keep their full state, so a
 * pointer or a bounded number saved to the stack comes back intact.
 *
 * Offsets are relative to the frame pointer: byte `fp+off` for off in [-512, -1]. Slot k covers
 * `fp-8k-8` .. `fp-8k-1`; position p in a slot counts from its lowest address.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Env } from './env.ts';
import {
  type Reg,
  REG_UNKNOWN,
  RegType,
  constReg,
  isNullScalar,
  scalarReg,
} from './reg.ts';
import {
  type Scalar,
  isConst,
} from './scalar.ts';
import {
  scalarSignExtend,
  scalarTruncate,
} from './scalar-alu.ts';
import {
  type Frame,
  MAX_STACK,
  SLOT_INVALID,
  type StackSlot,
  StackByte,
  stackSlot,
} from './state.ts';
import { bitLength } from './tnum.ts';


/** The slot and position of byte `fp+off`. */
function locate(off: number): { k: number; p: number } {
  const k = (-off - 1) >> 3;
  return { k, p: off + 8 * (k + 1) };
}

function slotOf(frame: Frame, k: number): StackSlot {
  return frame.stack[k] ?? SLOT_INVALID;
}

function setSlot(frame: Frame, k: number, slot: StackSlot): void {
  while (frame.stack.length < k) frame.stack.push(SLOT_INVALID);
  frame.stack[k] = slot;
}

function replaceBytes(bytes: string, p: number, n: number, code: string): string {
  return bytes.slice(0, p) + code.repeat(n) + bytes.slice(p + n);
}

/** How many bytes from position 0 a spill covers. */
function spillSize(slot: StackSlot): number {
  let n = 0;
  while (n < 8 && slot.bytes[n] === StackByte.SPILL) n++;
  return n;
}

/** The width in bits of the values a scalar can hold (the kernel's `get_reg_width`). */
function valueWidth(s: Scalar): number {
  return bitLength(s.umax);
}

/** `fp-12` for messages. */
export function fpText(frame: Frame, off: number): string {
  return `${frame.frameNo > 0 ? `fp[${frame.frameNo}]` : 'fp'}${off < 0 ? '' : '+'}${off}`;
}

/** Records the stack depth a function reached. */
export function noteDepth(env: Env, frame: Frame, off: number): void {
  const f = env.cfg.funcOf[frame.funcStart] as number;
  const depth = -off;
  if (depth > (env.stackDepth[f] ?? 0)) env.stackDepth[f] = depth;
}

/**
 * Writes `size` bytes at `fp+off` (within one slot, aligned). `value` is the register stored (STX), or for an
 * immediate store (ST) a constant register.
 */
export function stackWriteFixed(env: Env, frame: Frame, off: number, size: number, value: Reg, valueRegno: number, baseRegno: number): void {
  const regno = valueRegno >= 0 ? valueRegno : baseRegno;
  const { k, p } = locate(off);
  if (size === 8) env.noteStackWrite(frame.frameNo, k);
  const old = slotOf(frame, k);
  noteDepth(env, frame, off);
  // Overwriting part of a spilled pointer: under strict, its other bytes must not become readable as a number
  // (that would leak the address), so they become unreadable; under linux they are numbers, as in Linux.
  const oldSpillIsPointer = old.spill !== undefined && old.spill.type !== RegType.SCALAR && !env.allowPointerLeaks;
  const scrub = (bytes: string): string => bytes.replaceAll(StackByte.SPILL, oldSpillIsPointer ? StackByte.INVALID : StackByte.MISC);
  if (value.type !== RegType.SCALAR) {
    // A pointer spill: the whole slot, aligned.
    if (size !== 8 || p !== 0) env.fail('pointer-leak', `r${regno} holds ${value.type === RegType.NOT_INIT ? 'nothing' : 'a pointer'}, which can only be saved to the stack as 8 aligned bytes`, [regno]);
    if (value.type === RegType.STACK && frame.frameNo < env.cur.frames.length - 1 && value.frame > frame.frameNo) {
      env.fail('invalid-pointer', `r${regno} points into a deeper stack frame and cannot be saved into the caller's stack`, [regno]);
    }
    setSlot(frame, k, stackSlot('rrrrrrrr', value));
    env.lastSpill = 1 + frame.frameNo * 64 + k;
    return;
  }
  if (p === 0) {
    // A spill (of a register, or of an immediate stored by ST) of a number at the start of a slot: keep its bounds. The other bytes of a narrow spill keep their
    // type, except that parts of an older spill become plain numbers.
    let rest = old.bytes.slice(size);
    if (old.spill !== undefined) rest = scrub(rest);
    const spill = valueWidth(value.value) <= size * 8 ? value : { ...value, id: 0, off: 0 };
    setSlot(frame, k, stackSlot(StackByte.SPILL.repeat(size) + rest, spill));
    env.lastSpill = 1 + frame.frameNo * 64 + k;
    return;
  }
  // A plain store: the bytes become numbers (zeros when the value is 0); an older spill in the slot becomes numbers.
  let bytes = old.bytes;
  if (old.spill !== undefined) bytes = scrub(bytes);
  // Zero bytes are remembered as such, so the zero must stay precise in remembered states.
  if (isNullScalar(value) && valueRegno >= 0 && valueRegno <= 10) env.markPrecise([valueRegno]);
  // Part of a number derived from an address becomes unreadable rather than a readable number.
  bytes = replaceBytes(bytes, p, size, value.tainted ? StackByte.INVALID : isNullScalar(value) ? StackByte.ZERO : StackByte.MISC);
  setSlot(frame, k, stackSlot(bytes, undefined));
}

/** Reads `size` bytes at `fp+off` (aligned, within one slot); `signed` for sign-extending loads. */
export function stackReadFixed(env: Env, frame: Frame, off: number, size: number, signed: boolean, regno: number, dst: number): Reg {
  const { k, p } = locate(off);
  env.noteStackRead(frame.frameNo, k);
  const slot = slotOf(frame, k);
  const origin = { slot: env.slot, what: `loaded from the stack at ${fpText(frame, off)}` };
  if (slot.spill !== undefined && slot.bytes[p] === StackByte.SPILL) {
    const n = spillSize(slot);
    const spill = slot.spill;
    if (size === 8 && n === 8) {
      env.lastFill = 1 + frame.frameNo * 64 + k;
      return spill;
    }
    if (spill.type !== RegType.SCALAR) {
      env.fail('pointer-leak', `a ${size}-byte load from ${fpText(frame, off)} reads part of a spilled pointer as a number`, [regno]);
    }
    if (p === 0 && size <= n) {
      env.lastFill = 1 + frame.frameNo * 64 + k;
      const narrowed = coerce(spill.value, size, signed);
      const keepId = valueWidth(spill.value) <= size * 8 && !signed;
      return { ...spill, value: narrowed, id: keepId ? spill.id : 0, off: keepId ? spill.off : 0, origin: spill.origin ?? origin };
    }
  }
  let zeros = 0;
  let spillZero = 0;
  let tainted = false;
  for (let i = 0; i < size; i++) {
    const b = slot.bytes[p + i];
    if (b === StackByte.ZERO) zeros++;
    else if (b === StackByte.SPILL) {
      if (slot.spill?.type !== RegType.SCALAR) env.fail('pointer-leak', `a ${size}-byte load from ${fpText(frame, off)} reads part of a spilled pointer as a number`, [regno]);
      if (isConst(slot.spill.value) && slot.spill.value.varOff.value === 0n) spillZero++;
      if (slot.spill.tainted) tainted = true;
    } else if (b !== StackByte.MISC) {
      if (!env.allowUninitStack) env.fail('uninitialized-stack', `a load through r${regno} reads ${size} bytes at ${fpText(frame, off)}, but byte ${fpText(frame, off + i)} was never written on this path`, [regno, dst].filter((r) => r >= 0));
      env.readUninitStack = true;
    }
  }
  if (zeros + spillZero === size && !tainted) return constReg(0n, origin);
  const v = size === 8 ? REG_UNKNOWN.value : coerce(REG_UNKNOWN.value, size, signed);
  const r = scalarReg(v, origin);
  // Part of a number derived from an address is still derived from it.
  return tainted ? { ...r, tainted: true } : r;
}

function coerce(v: Scalar, size: number, signed: boolean): Scalar {
  if (size >= 8) return v;
  return signed ? scalarSignExtend(v, (size * 8) as 8 | 16 | 32) : scalarTruncate(v, size);
}

/**
 * A write of `size` bytes somewhere in [fp+minOff, fp+maxOff+size): every byte that may be written becomes a number
 * (bytes never written stay unreadable, since this write may miss them); a spilled pointer in the range is an error.
 */
export function stackWriteRange(env: Env, frame: Frame, minOff: number, maxEnd: number, zero: boolean, regno: number, tainted = false): void {
  noteDepth(env, frame, minOff);
  for (let off = minOff; off < maxEnd; off++) {
    const { k, p } = locate(off);
    const slot = slotOf(frame, k);
    if (slot.spill !== undefined && slot.spill.type !== RegType.SCALAR && slot.bytes[p] === StackByte.SPILL && !env.allowPointerLeaks) {
      env.fail('pointer-leak', `a write through r${regno} may overwrite part of the pointer spilled at ${fpText(frame, off)}`, [regno]);
    }
    const b = slot.bytes[p] as string;
    let nb: string;
    if (b === StackByte.INVALID || tainted) nb = StackByte.INVALID;
    else if (zero && b === StackByte.ZERO) nb = StackByte.ZERO;
    else nb = StackByte.MISC;
    let bytes = slot.bytes;
    let spill = slot.spill;
    if (spill !== undefined) {
      bytes = bytes.replaceAll(StackByte.SPILL, StackByte.MISC);
      spill = undefined;
    }
    setSlot(frame, k, stackSlot(replaceBytes(bytes, p, 1, nb), spill));
  }
}

/**
 * A helper's write into [fp+off, fp+off+maxSize) that covers at least the first `minSize` bytes (`bpf_probe_read`
 * into the stack): those bytes become numbers. Bytes past `minSize` may or may not be written: initialized ones
 * become numbers, never-written ones stay unreadable, and a pointer spilled there becomes unreadable (its bytes
 * may have been overwritten, and they must not be read as a number either).
 */
export function stackHelperWrite(env: Env, frame: Frame, off: number, minSize: number, maxSize: number): void {
  noteDepth(env, frame, off);
  for (let o = off; o < off + maxSize; o++) {
    const { k, p } = locate(o);
    const slot = slotOf(frame, k);
    const pointerSpill = slot.spill !== undefined && slot.spill.type !== RegType.SCALAR && !env.allowPointerLeaks;
    let bytes = slot.bytes;
    if (slot.spill !== undefined) bytes = bytes.replaceAll(StackByte.SPILL, pointerSpill ? StackByte.INVALID : StackByte.MISC);
    const b = bytes[p] as string;
    const nb = o < off + minSize ? StackByte.MISC : b === StackByte.INVALID ? StackByte.INVALID : StackByte.MISC;
    setSlot(frame, k, stackSlot(replaceBytes(bytes, p, 1, nb), undefined));
  }
}

/**
 * Checks that every byte of [fp+minOff, fp+maxEnd) is initialized, as a helper reads it (`what` says what it is
 * for the message). Spilled numbers count; spilled pointers do not (the helper would see an address).
 */
export function stackCheckInitialized(env: Env, frame: Frame, minOff: number, maxEnd: number, regno: number, what: string): void {
  noteDepth(env, frame, minOff);
  for (let off = minOff; off < maxEnd; off++) {
    const { k, p } = locate(off);
    if (p === 0 || off === minOff) env.noteStackRead(frame.frameNo, k);
    const slot = slotOf(frame, k);
    const b = slot.bytes[p];
    if (b === StackByte.MISC || b === StackByte.ZERO) continue;
    if (b === StackByte.SPILL) {
      if ((slot.spill?.type === RegType.SCALAR && !slot.spill.tainted) || env.allowPointerLeaks) continue;
      env.fail('pointer-leak', `${what} (r${regno}, bytes ${fpText(frame, minOff)} to ${fpText(frame, maxEnd - 1)}) includes ${slot.spill?.type === RegType.SCALAR ? 'a number derived from an address' : 'a pointer'} spilled at ${fpText(frame, off)}: the helper would see an address`, [regno]);
    }
    if (!env.allowUninitStack) env.fail('uninitialized-stack', `${what} (r${regno}, bytes ${fpText(frame, minOff)} to ${fpText(frame, maxEnd - 1)}) includes byte ${fpText(frame, off)}, which was never written on this path`, [regno]);
    env.readUninitStack = true;
  }
}

/** Checks that [fp+off, fp+off+size) lies in the frame. */
export function stackBounds(env: Env, frame: Frame, minOff: number, maxEnd: number, regno: number, verb: string): void {
  if (minOff < -MAX_STACK || maxEnd > 0) {
    const range = minOff === maxEnd - 1 ? fpText(frame, minOff) : `${fpText(frame, minOff)} to ${fpText(frame, maxEnd - 1)}`;
    env.fail('out-of-bounds', `${verb} through r${regno} touches ${range}, outside the ${MAX_STACK}-byte stack frame`, [regno]);
  }
  noteFastcallAccess(env, frame, minOff);
}

/**
 * An access reaching below the top of a function's bpf_fastcall area from an instruction outside its patterns:
 * the area counts toward the stack after all (Linux's `check_fastcall_stack_contract`).
 */
function noteFastcallAccess(env: Env, frame: Frame, minOff: number): void {
  const patterns = env.fastcall;
  if (patterns === undefined) return;
  const f = env.cfg.funcOf[frame.funcStart] as number;
  const fn = patterns.functions[f];
  if (fn === undefined || fn.stackOff <= minOff || patterns.patternSlots.has(env.slot)) return;
  env.fastcallBroken[f] = 1;
}

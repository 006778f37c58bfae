/**
 * The verifier state of one path: the call frames (registers and stack of each), the references held, the spin
 * lock held; and the comparison that prunes a path whose state is included in one already proven safe.
 *
 * The current state is mutated instruction by instruction; every state kept for later (a branch to explore, a
 * checkpoint for pruning) is a {@link cloneState} copy. Register states and stack slots are immutable and shared.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  type Reg,
  REG_NOT_INIT,
  RegType,
} from './reg.ts';
import {
  scalarEquals,
  scalarIn,
} from './scalar.ts';
import type { PreciseMarks } from './precision.ts';


/** Stack size of one frame, in bytes. */
export const MAX_STACK = 512;
/** Call depth limit, the program's own frame included. */
export const MAX_CALL_FRAMES = 8;

/**
 * What a stack byte holds (the kernel's `STACK_*`): never written, some number, zero, or part of a spilled register.
 * A slot's bytes are a string of these codes, lowest address first.
 */
export const StackByte = {
  INVALID: '?',
  MISC: 'm',
  ZERO: '0',
  SPILL: 'r',
} as const;

/**
 * Which bytes of a slot hold each {@link StackByte} code, bit i for byte i (lowest address first): the slot
 * comparison of pruning, the verifier's hottest loop, tests all eight bytes at once with these instead of reading
 * the `bytes` string one character at a time. One object per distinct `bytes` string, shared.
 */
export interface SlotKinds {
  readonly invalid: number;
  readonly misc: number;
  readonly zero: number;
  readonly spill: number;
  /** Bytes of any other code (kfuncs.ts's iterator slots): slots with some are compared byte by byte. */
  readonly other: number;
}

/** Eight bytes of stack (`fp-8k-8` to `fp-8k-1`). Made by {@link stackSlot}. */
export interface StackSlot {
  /** One {@link StackByte} code per byte, lowest address first. */
  readonly bytes: string;
  /** The same codes as masks, for comparisons. */
  readonly kinds: SlotKinds;
  /** The spilled register, when some bytes are SPILL. For a narrow scalar spill it holds the whole register. */
  readonly spill: Reg | undefined;
}

const kindsOf = new Map<string, SlotKinds>();

function slotKinds(bytes: string): SlotKinds {
  let k = kindsOf.get(bytes);
  if (k !== undefined) return k;
  let invalid = 0;
  let misc = 0;
  let zero = 0;
  let spill = 0;
  let other = 0;
  for (let i = 0; i < bytes.length; i++) {
    const bit = 1 << i;
    switch (bytes[i]) {
      case StackByte.INVALID: invalid |= bit; break;
      case StackByte.MISC: misc |= bit; break;
      case StackByte.ZERO: zero |= bit; break;
      case StackByte.SPILL: spill |= bit; break;
      default: other |= bit;
    }
  }
  // A string that is not eight codes long cannot be compared by masks of eight bits: mark it for the byte loop.
  if (bytes.length !== 8) other |= 1;
  k = { invalid, misc, zero, spill, other };
  // Few strings occur (codes of four or five kinds); the bound only guards against a caller inventing codes.
  if (kindsOf.size < 4096) kindsOf.set(bytes, k);
  return k;
}

/** A stack slot holding `bytes` (eight {@link StackByte} codes) and, when some are SPILL, the spilled register. */
export function stackSlot(bytes: string, spill: Reg | undefined): StackSlot {
  return { bytes, kinds: slotKinds(bytes), spill };
}

/** The empty slot. */
export const SLOT_INVALID: StackSlot = stackSlot('????????', undefined);

/** What a frame running a callback needs at its exit: which helper called it and the values it may return. */
export interface CallbackFrame {
  /** The helper's name as C spells it (`bpf_loop`), for messages. */
  readonly helper: string;
  /** The values the callback may return (Linux's `callback_ret_range`). */
  readonly retMin: bigint;
  readonly retMax: bigint;
  /** What the return values mean, for messages: "0 to go on, 1 to stop". */
  readonly retMeaning: string;
}

/** One call frame. */
export interface Frame {
  /** r0-r10. */
  regs: Reg[];
  /** Slot k covers `fp-8(k+1)` to `fp-8k-1`; missing slots are invalid. */
  stack: StackSlot[];
  /** The call instruction's slot (-1 for the program's own frame). */
  readonly callsite: number;
  /** The first slot of the function this frame runs. */
  readonly funcStart: number;
  /** 0 for the program's own frame. */
  readonly frameNo: number;
  /**
   * For a frame that runs a callback: its helper and contract. Its exit returns to the helper call (`callsite`),
   * which may call it again, rather than to the next instruction.
   */
  readonly callback: CallbackFrame | undefined;
  /**
   * While this frame's helper call is calling a callback (in the states of the callback's iterations): a tag naming
   * that one execution of the call, so that an iteration is compared with earlier iterations of the same call only
   * (0 otherwise). See `callbacks.ts`.
   */
  loopTag: number;
  /** Iterations of the callback simulated so far for this frame's helper call (Linux's `callback_depth`). */
  loopDepth: number;
}

/** A reference the program holds and must release (a socket, a ring buffer record). */
export interface Reference {
  readonly id: number;
  /** The instruction that acquired it. */
  readonly slot: number;
  /** What it is, for messages: `bpf_ringbuf_reserve`, `bpf_sk_lookup_tcp`. */
  readonly what: string;
}

/** The state of one path. */
export interface VerifierState {
  frames: Frame[];
  refs: Reference[];
  /** The id of the map value whose spin lock is held (0 when none), and where it was taken. */
  lockId: number;
  lockSlot: number;
  /**
   * How many times this path took the fall-through of a `may_goto` (Linux's `may_goto_depth`): two states at one
   * `may_goto` with different counts are two iterations of a loop the instruction bounds at run time.
   */
  mayGotoDepth: number;
}

/** A fresh frame with every register uninitialized. */
export function newFrame(callsite: number, funcStart: number, frameNo: number, callback?: CallbackFrame): Frame {
  const regs: Reg[] = new Array<Reg>(11).fill(REG_NOT_INIT);
  return { regs, stack: [], callsite, funcStart, frameNo, callback, loopTag: 0, loopDepth: 0 };
}

/** A copy whose frames, register arrays and stack arrays may be changed without affecting `s`. */
export function cloneState(s: VerifierState): VerifierState {
  return {
    frames: s.frames.map((f) => ({
      regs: f.regs.slice(), stack: f.stack.slice(), callsite: f.callsite, funcStart: f.funcStart, frameNo: f.frameNo,
      callback: f.callback, loopTag: f.loopTag, loopDepth: f.loopDepth,
    })),
    refs: s.refs.slice(),
    lockId: s.lockId,
    lockSlot: s.lockSlot,
    mayGotoDepth: s.mayGotoDepth,
  };
}

/** The frame executing now. */
export function currentFrame(s: VerifierState): Frame {
  return s.frames[s.frames.length - 1] as Frame;
}

/** Calls `f` on every register and spilled register of every frame (to update copies of one value). */
export function forEachReg(s: VerifierState, f: (r: Reg) => Reg | undefined): void {
  for (const frame of s.frames) {
    for (let i = 0; i < frame.regs.length; i++) {
      const r = frame.regs[i] as Reg;
      if (r.type === RegType.NOT_INIT) continue;
      const n = f(r);
      if (n !== undefined && n !== r) frame.regs[i] = n;
    }
    for (let k = 0; k < frame.stack.length; k++) {
      const slot = frame.stack[k];
      if (slot?.spill === undefined) continue;
      const n = f(slot.spill);
      if (n !== undefined && n !== slot.spill) frame.stack[k] = { bytes: slot.bytes, kinds: slot.kinds, spill: n };
    }
  }
}

const NO_LOCK_MAPS: ReadonlySet<number> = new Set();

/**
 * A consistent renaming of ids from an old state to the current one: an id the old state uses in several places
 * must be one id in the current state too (copies in the old state must be copies in the current one).
 */
export class IdMap {
  // Pairs (old id, current id), few in practice: linear search beats maps here.
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  private tmp = -1;

  /**
   * @param lockMaps the maps whose values hold a bpf_spin_lock: a pointer into such a value keeps its id after
   *   its NULL check, because the id names the lock (an unlock must name the lock taken), so the ids of two
   *   such pointers must correspond as any other ids do (Linux's regsafe checks them for every map value; it
   *   drops the id of the others at the NULL check).
   */
  lockMaps: ReadonlySet<number>;

  constructor(lockMaps: ReadonlySet<number> = NO_LOCK_MAPS) {
    this.lockMaps = lockMaps;
  }

  /** Forgets every pair, for a new comparison (statesEqual reuses one map: it runs over a million times a program). */
  reset(lockMaps: ReadonlySet<number> = NO_LOCK_MAPS): this {
    this.olds.length = 0;
    this.curs.length = 0;
    this.tmp = -1;
    this.lockMaps = lockMaps;
    return this;
  }

  /** Whether old id `a` may stand for current id `b` given the pairs seen so far. */
  check(a: number, b: number): boolean {
    if (a === 0) return true;
    // A current value with no id is a value with no copies: give it a fresh one so it matches one old id only.
    const bb = b === 0 ? this.tmp-- : b;
    const olds = this.olds;
    for (let i = 0; i < olds.length; i++) {
      if (olds[i] === a) return this.curs[i] === bb;
      if (this.curs[i] === bb) return false;
    }
    olds.push(a);
    this.curs.push(bb);
    return true;
  }

  /** As {@link check}, but both ids must be absent or both present (for ids that carry NULL-ness or references). */
  checkExact(a: number, b: number): boolean {
    if ((a === 0) !== (b === 0)) return false;
    return this.check(a, b);
  }
}

/**
 * Whether every concrete value `cur` stands for is one `old` stands for, in a way that makes everything proven
 * from `old` hold for `cur` (the kernel's `regsafe`).
 */
export function regSafe(old: Reg, cur: Reg, ids: IdMap, exact: boolean, precise = true): boolean {
  if (old === cur && old.id === 0 && old.refId === 0) return true;
  // An old register never read on the rest of the path: anything is fine.
  if (old.type === RegType.NOT_INIT) return exact ? cur.type === RegType.NOT_INIT : true;
  if (old.type !== cur.type) return false;
  if (exact) return regsExact(old, cur, ids);
  switch (old.type) {
    case RegType.SCALAR:
      // A number derived from an address may go only where the old one could.
      if (cur.tainted && !old.tainted) return false;
      // A pointer's low half could become an offset again; the current value must be able to as well.
      if (old.lowOf !== undefined && (cur.lowOf === undefined || !regsExact(old.lowOf, cur.lowOf, ids))) return false;
      // Nothing proven from the old state depended on this number's value.
      if (!precise) return true;
      // A copy k above the others (alu.ts) must be one k above them in the current state too.
      if (old.id !== 0 && old.off !== cur.off) return false;
      return scalarIn(old.value, cur.value) && ids.check(old.id, cur.id);
    case RegType.MAP_VALUE:
    case RegType.MEM:
    case RegType.MAP_KEY:
      // A pointer that may be NULL in the current state but not in the old one is not safe; the other way round is.
      if (cur.maybeNull && !old.maybeNull) return false;
      return old.map === cur.map && old.off === cur.off && old.memSize === cur.memSize && old.readOnly === cur.readOnly &&
        scalarIn(old.value, cur.value) && (old.maybeNull || ids.lockMaps.has(old.map) ? ids.checkExact(old.id, cur.id) : true) &&
        ids.checkExact(old.refId, cur.refId);
    case RegType.PACKET:
    case RegType.PACKET_META:
      // The old state may have relied on a longer proven range.
      if (old.range > cur.range) return false;
      return old.off === cur.off && scalarIn(old.value, cur.value) && ids.checkExact(old.id, cur.id);
    case RegType.STACK:
      return old.frame === cur.frame && old.off === cur.off && scalarIn(old.value, cur.value);
    case RegType.ITER:
      // An open-coded iterator: its kind, state (counted, ACTIVE or DRAINED, in `off`), count and reference must
      // agree; its depth (`range`, how many values it has yielded on this path) is not compared, as Linux does not,
      // or no loop over it would ever converge. The infinite-loop check (exact) does compare it: the same state one
      // value later is the next iteration, not an endless loop.
      return old.memSize === cur.memSize && old.off === cur.off && scalarEquals(old.value, cur.value) &&
        ids.checkExact(old.id, cur.id) && ids.checkExact(old.refId, cur.refId);
    default:
      return regsExact(old, cur, ids);
  }
}

function regsExact(a: Reg, b: Reg, ids: IdMap): boolean {
  return (
    a.type === b.type && a.maybeNull === b.maybeNull && a.readOnly === b.readOnly && a.off === b.off &&
    a.range === b.range && a.map === b.map && a.memSize === b.memSize && a.frame === b.frame && a.tainted === b.tainted &&
    (a.lowOf === b.lowOf || (a.lowOf !== undefined && b.lowOf !== undefined && regsExact(a.lowOf, b.lowOf, ids))) &&
    scalarEquals(a.value, b.value) && ids.checkExact(a.id, b.id) && ids.checkExact(a.refId, b.refId)
  );
}

/** The slot's byte codes as seen for comparison: bytes past the allocated stack are invalid. */
function slotAt(stack: readonly StackSlot[], k: number): StackSlot {
  return stack[k] ?? SLOT_INVALID;
}

/**
 * The byte codes of `o` and `c` compared one by one (the mask comparison in {@link stackSafe} for slots holding
 * codes other than the four of {@link StackByte}): whether the old slot's bytes admit the current one's. Spilled
 * registers themselves are compared by the caller (not at all for an imprecise spilled number).
 */
function slotBytesSafe(o: StackSlot, c: StackSlot, spillPrecise: boolean): boolean {
  if (o.spill !== undefined && o.spill.type === RegType.SCALAR && !spillPrecise) {
    for (let i = 0; i < 8; i++) {
      const ob = o.bytes[i] as string;
      const cb = c.bytes[i] as string;
      if (ob === StackByte.INVALID) continue;
      if (cb === StackByte.INVALID) return false;
      if (cb === StackByte.SPILL && (c.spill?.type !== RegType.SCALAR || (c.spill.tainted && !o.spill.tainted))) return false;
      if (ob === StackByte.ZERO && cb !== StackByte.ZERO) return false;
    }
    return true;
  }
  for (let i = 0; i < 8; i++) {
    const ob = o.bytes[i] as string;
    const cb = c.bytes[i] as string;
    if (ob === StackByte.INVALID) continue;
    if (ob === StackByte.MISC && (cb === StackByte.MISC || cb === StackByte.ZERO || (cb === StackByte.SPILL && c.spill?.type === RegType.SCALAR && !c.spill.tainted))) continue;
    if (ob !== cb) return false;
  }
  return true;
}

function stackSafe(old: readonly StackSlot[], cur: readonly StackSlot[], ids: IdMap, exact: boolean, precise: ReadonlySet<number> | undefined, readLo: number, readHi: number): boolean {
  const n = exact ? Math.max(old.length, cur.length) : old.length;
  for (let k = 0; k < n; k++) {
    // A slot the old state's continuation never read before overwriting it cannot matter.
    if (!exact && ((k < 32 ? readLo >>> k : readHi >>> (k - 32)) & 1) === 0) continue;
    const o = slotAt(old, k);
    const c = slotAt(cur, k);
    if (o === c && (o.spill === undefined || (o.spill.id === 0 && o.spill.refId === 0))) continue;
    if (exact) {
      if (o.bytes !== c.bytes) return false;
      if ((o.spill === undefined) !== (c.spill === undefined)) return false;
      if (o.spill !== undefined && !regSafe(o.spill, c.spill as Reg, ids, true)) return false;
      continue;
    }
    const spillPrecise = precise === undefined || precise.has(k);
    const ok = o.kinds;
    const ck = c.kinds;
    // Slots with codes the masks do not tell apart (iterators) are compared byte by byte.
    if ((ok.other | ck.other) !== 0) {
      if (!slotBytesSafe(o, c, spillPrecise)) return false;
      if (o.spill !== undefined && o.spill.type === RegType.SCALAR && !spillPrecise) continue;
    } else if (o.spill !== undefined && o.spill.type === RegType.SCALAR && !spillPrecise) {
      // A spilled number whose value nothing depended on matches any number there, spilled or not: each byte
      // written in the old slot must be written in the current one, by a number (a spilled one not derived from
      // an address unless the old one was), and a zero must stay a zero.
      const written = ~ok.invalid & 0xff;
      if ((written & ck.invalid) !== 0) return false;
      if ((written & ck.spill) !== 0 && (c.spill?.type !== RegType.SCALAR || (c.spill.tainted && !o.spill.tainted))) return false;
      if ((ok.zero & ~ck.zero) !== 0) return false;
      continue;
    } else if (ok.spill === 0xff) {
      // Fully spilled registers compare as registers.
      if (ck.spill !== 0xff || c.spill === undefined || o.spill === undefined) return false;
      if (!regSafe(o.spill, c.spill, ids, false, spillPrecise)) return false;
      continue;
    } else {
      // Bytes never written in the old state do not matter (the old path never read them, so neither will this
      // one); zero, and any byte of a spilled number, is one of the numbers MISC stands for; every other code must
      // be the same.
      const numbers = ck.misc | ck.zero | (c.spill?.type === RegType.SCALAR && !c.spill.tainted ? ck.spill : 0);
      if (((ok.misc & ~numbers) | (ok.zero & ~ck.zero) | (ok.spill & ~ck.spill)) !== 0) return false;
    }
    // Narrow scalar spills: the spilled values must compare too.
    if (o.spill !== undefined) {
      if (c.spill === undefined || !regSafe(o.spill, c.spill, ids, false, spillPrecise)) return false;
    }
  }
  return true;
}

/** The id renaming of {@link statesEqual}, which never runs inside itself. */
const sharedIds = new IdMap();

/**
 * Whether the current state `cur` is included in the explored state `old` at the same instruction (the kernel's
 * `states_equal`): then everything proven from `old` on holds for `cur`, and `cur` need not be explored. `live`
 * gives, per frame, which registers are read before being written on some path from here (bit i for ri); dead
 * registers are ignored. With `exact`, the states must be identical (the infinite-loop check). `precise` says which
 * numbers of `old` anything proven from it depended on; the others match any number (all are precise without it).
 * `stackRead` gives, per frame (two 32-bit masks), the stack slots the old state's continuation read before
 * overwriting them; the others are ignored (all are compared without it).
 */
export function statesEqual(old: VerifierState, cur: VerifierState, live: readonly number[], exact: boolean, precise?: PreciseMarks, stackRead?: readonly number[], lockMaps?: ReadonlySet<number>): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.lockId !== 0 || cur.lockId !== 0) {
    if ((old.lockId === 0) !== (cur.lockId === 0)) return false;
  }
  if (old.refs.length !== cur.refs.length) return false;
  // The same state after more may_goto fall-throughs is the next iteration of a loop the run-time budget ends, not
  // an endless one.
  if (exact && old.mayGotoDepth !== cur.mayGotoDepth) return false;
  const ids = sharedIds.reset(lockMaps);
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f] as Frame;
    const cf = cur.frames[f] as Frame;
    if (of.callsite !== cf.callsite) return false;
    // An old state with fewer bpf_loop iterations left to simulate cannot stand for the current one. And the same
    // state in two iterations of a callback is no infinite loop: the helper, not the state, decides when to stop.
    if (exact ? of.loopDepth !== cf.loopDepth : of.loopDepth > cf.loopDepth) return false;
    const mask = live[f] ?? 0x7ff;
    const pm = precise === undefined ? 0x7ff : (precise.regs[f] ?? 0);
    for (let i = 0; i < 10; i++) {
      if ((mask & (1 << i)) === 0) continue;
      if (!regSafe(of.regs[i] as Reg, cf.regs[i] as Reg, ids, exact, (pm & (1 << i)) !== 0)) return false;
    }
    const lo = stackRead === undefined ? -1 : (stackRead[2 * f] ?? 0);
    const hi = stackRead === undefined ? -1 : (stackRead[2 * f + 1] ?? 0);
    if (!stackSafe(of.stack, cf.stack, ids, exact, precise?.stack[f], lo, hi)) return false;
  }
  // References must correspond one to one under the id renaming built above.
  for (let i = 0; i < old.refs.length; i++) {
    if (!ids.checkExact((old.refs[i] as Reference).id, (cur.refs[i] as Reference).id)) return false;
  }
  if (old.lockId !== 0 && !ids.checkExact(old.lockId, cur.lockId)) return false;
  return true;
}

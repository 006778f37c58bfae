/**
 * Recording what the verifier knew at each instruction on each path, for people and tools that want to look inside
 * a verification (the explorer page, `bpfship explore --json`): the `record` option of {@link VerifyOptions} makes
 * `verifyProgram` return a {@link StateRecording} in `ProgramReport.recording`.
 *
 * The verifier calls a {@link StateRecorder} before each instruction it checks (with the path's state and the
 * branch decisions that led there) and when a path ends. Verification may process a million instructions, so what
 * is kept is bounded:
 *
 * - per instruction, the first `maxStatesPerInsn` distinct states (default 8); a state identical to one already
 *   kept there (the same register and stack objects: the verifier shares them between paths) counts as one more
 *   visit of it; the others are counted (`visits`), not kept;
 * - the state after a kept state (the next instruction on the same path) is kept too, so every kept state can show
 *   what its instruction changed;
 * - the states on the path to an error are always kept, from the program's start to the failing instruction (at
 *   most `maxPathStates` per stretch of path between two decisions: a loop without forks keeps its last ones). That
 *   path is known only when verification fails, so a refused program is verified a second time (the same
 *   exploration: verification is deterministic) with `keepPath` set to its decisions, keeping every state on it
 *   ({@link recordErrorPathAgain}); a program that passes pays nothing for this;
 * - everything together stays under `maxBytes` (default 16 MiB, estimated as JSON): past it, only the path to the
 *   error is still added, and `truncated` says so;
 * - register values are stored once (`values`) and referred to by index; paths are a tree of decisions (`paths`).
 *
 * Plain data with bigints as decimal strings: `JSON.stringify` gives the format other tools read.
 *
 * Author: Claude.
 *
 * @module
 */

import { type Instruction, JumpOp, Opcode } from '../asm/index.ts';
import { type Reg, RegType, describeType, formatReg, regTypeName } from './reg.ts';
import type { Scalar } from './scalar.ts';
import type { Reference, StackSlot, VerifierState } from './state.ts';

/** Bounds of a recording (see the module comment). */
export interface RecordOptions {
  /** Distinct states kept per instruction, first come first kept; default 8. */
  readonly maxStatesPerInsn?: number;
  /** The recording's budget, estimated as its JSON size in bytes; default 16 MiB. */
  readonly maxBytes?: number;
  /** States kept on each stretch of the path to an error between two decisions; default 4096. */
  readonly maxPathStates?: number;
  /**
   * The decisions of a path whose every state to keep, oldest first (the verifier's second run of a refused
   * program sets it to the path to the error: see {@link recordErrorPathAgain}).
   */
  readonly keepPath?: readonly KeptDecision[];
}

/** A decision of {@link RecordOptions.keepPath}. */
export interface KeptDecision {
  readonly kind: 'branch' | 'call' | 'return';
  readonly slot: number;
  readonly taken?: boolean;
}

/** A decision on a path: paths form a tree, each node naming its parent (-1: the program's start). */
export interface RecordedDecision {
  readonly parent: number;
  /** A conditional jump both of whose outcomes were possible, a call into a function, or its return. */
  readonly kind: 'branch' | 'call' | 'return';
  readonly slot: number;
  /** For branches: whether this path took the jump. */
  readonly taken?: boolean;
}

/** A number as the verifier knows it: its five views (decimal strings) and known bits. */
export interface RecordedScalar {
  readonly smin: string;
  readonly smax: string;
  readonly umin: string;
  readonly umax: string;
  readonly s32min: string;
  readonly s32max: string;
  readonly u32min: string;
  readonly u32max: string;
  /** Known bits: `value` where `mask` is 0 (hexadecimal strings). */
  readonly tnum: { readonly value: string; readonly mask: string };
  /** The value, when it is known exactly (decimal). */
  readonly const?: string;
}

/** What the verifier knew about one register (or spilled stack slot). */
export interface RecordedValue {
  /** The kernel's name of its type: `scalar`, `map_value`, `pkt`, `fp`, `ctx`... (`_or_null` when it may be NULL). */
  readonly type: string;
  /** The kernel log's notation: `map_value_or_null(id=1,map=bind_limit,off=0)`. */
  readonly text: string;
  /** In words: "a map value pointer or NULL". */
  readonly description: string;
  readonly maybeNull?: true;
  readonly readOnly?: true;
  /** A number derived from an address (may not leave the program). */
  readonly tainted?: true;
  /** Pointers: the fixed offset. */
  readonly off?: number;
  /** Copies of one value share an id (NULL checks and bounds learnt about one hold for all). */
  readonly id?: number;
  /** The reference this pointer holds. */
  readonly refId?: number;
  /** Packet pointers: bytes known to lie before `data_end`. */
  readonly range?: number;
  /** The map (for map pointers and map values). */
  readonly map?: string;
  /** Memory pointers: its size. */
  readonly memSize?: number;
  /** Stack pointers: the frame. */
  readonly frame?: number;
  /** A number's value, or a pointer's variable offset. */
  readonly value: RecordedScalar;
  /** The instruction that produced the value, and how. */
  readonly origin?: { readonly slot: number; readonly what: string };
}

/** Eight bytes of a frame's stack that something was written to. */
export interface RecordedStackSlot {
  /** From the frame pointer: -8, -16, ... */
  readonly offset: number;
  /** One code per byte, lowest address first: `?` never written, `m` a number, `0` zero, `r` a spilled register. */
  readonly bytes: string;
  /** The spilled register (index into `values`). */
  readonly value?: number;
}

/** One call frame of a recorded state. */
export interface RecordedFrame {
  /** The first slot of the function the frame runs. */
  readonly funcStart: number;
  /** The call instruction (-1 for the program's own frame). */
  readonly callsite: number;
  /** r0-r10: an index into `values`, -1 when not initialized. */
  readonly regs: readonly number[];
  /** r0-r10: the instruction on this path that last changed what is known of the register, -1 if none did. */
  readonly written: readonly number[];
  /** The slots written so far: indexes into `stackSlots`, highest address first. */
  readonly stack: readonly number[];
}

/** The verifier's state before one instruction, on one path. */
export interface RecordedState {
  readonly slot: number;
  /** The newest decision on the path (index into `paths`), -1 when there was none yet. */
  readonly path: number;
  /** Paths that reached this instruction in this same state. */
  readonly visits: number;
  readonly frames: readonly RecordedFrame[];
  /** References held (to release before the exit). */
  readonly refs: readonly { readonly id: number; readonly slot: number; readonly what: string }[];
  /** The spin lock held, and where it was taken. */
  readonly lock?: { readonly id: number; readonly slot: number };
  /** The state after this instruction on the same path (index into `states`), when the path went on. */
  readonly next?: number;
  /** The state is on the path to the error. */
  readonly errorPath?: true;
}

/** What a verification saw, bounded (see the module comment). */
export interface StateRecording {
  readonly limits: { readonly maxStatesPerInsn: number; readonly maxBytes: number; readonly maxPathStates: number };
  readonly values: readonly RecordedValue[];
  /** Stack slots as states refer to them. */
  readonly stackSlots: readonly RecordedStackSlot[];
  readonly paths: readonly RecordedDecision[];
  readonly states: readonly RecordedState[];
  /** Per slot: how many times a path reached it (pruned arrivals included). */
  readonly visits: readonly number[];
  /** Per slot: paths cut short there, their state included in one already proven safe. */
  readonly pruned: readonly number[];
  /** Per conditional jump slot: paths that took the jump, and paths that fell through. */
  readonly taken: readonly number[];
  readonly fallthrough: readonly number[];
  /** The states from the program's start to the failing instruction, in order (indexes into `states`). */
  readonly errorPath?: readonly number[];
  /** Where the verification failed: the instruction and the newest decision of its path (index into `paths`). */
  readonly errorAt?: { readonly slot: number; readonly path: number };
  /** Arrivals whose state was not kept (over the per-instruction cap or the budget). */
  readonly omitted: number;
  /** The byte budget ran out. */
  readonly truncated: boolean;
  /** Stretches of the error path that kept only their last `maxPathStates` states. */
  readonly errorPathCut: boolean;
}

/** A decision on the path being explored, newest first (the verifier's own path list has this shape). */
export interface PathLink {
  readonly kind: 'branch' | 'call' | 'return';
  readonly slot: number;
  readonly taken: boolean;
  readonly prev: PathLink | undefined;
}

/** How a path ended. */
export type PathEnd = 'exit' | 'pruned' | 'dead' | 'error';

/** What the recorder follows of a frame from one instruction to the next: its registers and where they changed. */
interface FrameTrack {
  readonly callsite: number;
  readonly funcStart: number;
  readonly frameNo: number;
  readonly regs: readonly Reg[];
  readonly written: Int32Array;
}

/** A frame of a kept state. */
interface FrameSnap extends FrameTrack {
  readonly stack: readonly StackSlot[];
}

interface Snap {
  readonly slot: number;
  /** The path's newest decision, until the state is kept (then `path`): kept states must not keep paths alive. */
  node: PathLink | undefined;
  /** Index in `paths` once kept. */
  path: number;
  readonly frames: readonly FrameSnap[];
  readonly refs: readonly Reference[];
  readonly lockId: number;
  readonly lockSlot: number;
  visits: number;
  /** Index in `kept`, -1 while only on a path's trail. */
  index: number;
  next: Snap | undefined;
  /** Whether the state after it should be kept too (not for states kept only as another's successor). */
  wantsNext: boolean;
  errorPath: boolean;
}

/** What the recorder remembers of a stretch of path between two decisions. */
interface Segment {
  lastSlot: number;
  frames: readonly FrameTrack[];
  /** Decisions from the program's start to this stretch. */
  readonly depth: number;
  /** On the stretches of `keepPath`: their newest states (at most twice `maxPathStates`). */
  readonly trail: Snap[] | undefined;
  /** The last state seen, waiting for its successor (to link `next`), when it was kept. */
  pending: Snap | undefined;
}

const ROOT: object = {};
const DEFAULTS = { maxStatesPerInsn: 8, maxBytes: 16 << 20, maxPathStates: 4096 } as const;

/**
 * Receives the verifier's events for one program and keeps a bounded record of its states (see the module
 * comment). Made by the verifier when `record` is set; {@link finish} gives the recording.
 */
export class StateRecorder {
  readonly #insns: readonly (Instruction | undefined)[];
  readonly #mapName: (index: number) => string;
  readonly #limits: StateRecording['limits'];
  readonly #kept: Snap[] = [];
  readonly #bySlot: Snap[][];
  readonly #visits: Int32Array;
  readonly #pruned: Int32Array;
  readonly #taken: Int32Array;
  readonly #fallthrough: Int32Array;
  readonly #segments = new WeakMap<object, Segment>();
  readonly #regIds = new Map<Reg, number>();
  readonly #paths: RecordedDecision[] = [];
  readonly #pathIndex = new WeakMap<PathLink, number>();
  #current: Segment | undefined;
  #currentKey: object | undefined;
  #bytes = 0;
  #omitted = 0;
  #truncated = false;
  #errorPath: Snap[] | undefined;
  #errorAt: { slot: number; path: number } | undefined;
  #errorPathCut = false;
  readonly #keepPath: readonly KeptDecision[] | undefined;

  constructor(insns: readonly (Instruction | undefined)[], mapName: (index: number) => string, options: RecordOptions = {}) {
    this.#insns = insns;
    this.#mapName = mapName;
    const positive = (v: number | undefined, d: number, what: string): number => {
      if (v === undefined) return d;
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`record.${what} must be a positive integer, got ${v}`);
      return v;
    };
    this.#limits = {
      maxStatesPerInsn: positive(options.maxStatesPerInsn, DEFAULTS.maxStatesPerInsn, 'maxStatesPerInsn'),
      maxBytes: positive(options.maxBytes, DEFAULTS.maxBytes, 'maxBytes'),
      maxPathStates: positive(options.maxPathStates, DEFAULTS.maxPathStates, 'maxPathStates'),
    };
    this.#keepPath = options.keepPath;
    const n = insns.length;
    this.#bySlot = Array.from({ length: n }, () => []);
    this.#visits = new Int32Array(n);
    this.#pruned = new Int32Array(n);
    this.#taken = new Int32Array(n);
    this.#fallthrough = new Int32Array(n);
  }

  /** The verifier is about to check the instruction at `slot`, in `state`, on the path whose newest decision is `path`. */
  instruction(slot: number, state: VerifierState, path: PathLink | undefined): void {
    const { segment, previous } = this.#arrive(slot, path);
    const frames = this.#track(state, previous, segment.frames);
    const before = previous.pending;
    previous.pending = undefined;
    // Keep it when there is room at this instruction, or when it is the state after a kept one. (Once an
    // instruction's list is full, arrivals are only counted: comparing each with every kept state would cost more
    // than the verification.)
    let kept: Snap | undefined;
    const list = this.#bySlot[slot] as Snap[];
    const room = (list.length < this.#limits.maxStatesPerInsn || before !== undefined) && !this.#truncated;
    const same = room ? list.find((k) => sameState(k, state)) : undefined;
    if (same !== undefined) {
      same.visits++;
      kept = same;
    } else if (room) {
      kept = this.#keep(this.#snap(slot, path, frames, state));
      // A state kept only as the one after another does not pull in its own successor (or the whole path would).
      kept.wantsNext = list.length <= this.#limits.maxStatesPerInsn;
    } else {
      this.#omitted++;
    }
    if (before !== undefined && kept !== undefined && before.next === undefined && kept !== before) before.next = kept;
    segment.pending = kept !== undefined && kept.wantsNext && kept.next === undefined ? kept : undefined;
    segment.frames = frames;
    segment.lastSlot = slot;
    const trail = segment.trail;
    if (trail !== undefined) {
      trail.push(kept ?? this.#snap(slot, path, frames, state));
      if (trail.length > 2 * this.#limits.maxPathStates) trail.splice(0, trail.length - this.#limits.maxPathStates);
    }
  }

  /** A path ended at `slot`: at an exit, pruned, on a branch no value can take, or at an error. */
  pathEnd(kind: PathEnd, slot: number, path: PathLink | undefined): void {
    if (kind === 'pruned') {
      this.#arrive(slot, path);
      this.#pruned[slot] = (this.#pruned[slot] ?? 0) + 1;
      return;
    }
    if (kind !== 'error') return;
    this.#errorAt = { slot, path: this.#decision(path) };
    if (this.#keepPath === undefined) return;
    // The states of the path to the error: the trails of its stretches, oldest first.
    const chain: object[] = [];
    for (let p = path; p !== undefined; p = p.prev) chain.push(p);
    chain.push(ROOT);
    chain.reverse();
    const states: Snap[] = [];
    for (const key of chain) {
      const seg = this.#segments.get(key) ?? (key === this.#currentKey ? this.#current : undefined);
      if (seg?.trail === undefined) continue;
      if (seg.trail.length > this.#limits.maxPathStates) {
        seg.trail.splice(0, seg.trail.length - this.#limits.maxPathStates);
        this.#errorPathCut = true;
      }
      states.push(...seg.trail);
    }
    let prev: Snap | undefined;
    for (const s of states) {
      if (s.index < 0) this.#keep(s, true);
      s.errorPath = true;
      if (prev !== undefined && prev.next === undefined) prev.next = s;
      prev = s;
    }
    this.#errorPath = states;
  }

  /** The recording, as plain data. */
  finish(): StateRecording {
    const values: RecordedValue[] = [];
    const valueIndex = new Map<string, number>();
    const regIndex = new Map<Reg, number>();
    const value = (r: Reg): number => {
      if (r.type === RegType.NOT_INIT) return -1;
      let i = regIndex.get(r);
      if (i !== undefined) return i;
      const v = this.#view(r);
      const key = JSON.stringify(v);
      i = valueIndex.get(key);
      if (i === undefined) {
        i = values.length;
        values.push(v);
        valueIndex.set(key, i);
      }
      regIndex.set(r, i);
      return i;
    };
    const stackSlots: RecordedStackSlot[] = [];
    const slotIndex = new Map<string, number>();
    // Stack slot objects are shared between states too: each (object, offset) is looked up by its text once.
    const slotSeen = new Map<StackSlot, Map<number, number>>();
    const stackSlot = (slot: StackSlot, k: number): number => {
      let byOffset = slotSeen.get(slot);
      const seen = byOffset?.get(k);
      if (seen !== undefined) return seen;
      const v: RecordedStackSlot = { offset: -8 * (k + 1), bytes: slot.bytes, ...(slot.spill !== undefined ? { value: value(slot.spill) } : {}) };
      const key = `${v.offset}|${v.bytes}|${v.value ?? ''}`;
      let i = slotIndex.get(key);
      if (i === undefined) {
        i = stackSlots.length;
        stackSlots.push(v);
        slotIndex.set(key, i);
      }
      if (byOffset === undefined) slotSeen.set(slot, (byOffset = new Map()));
      byOffset.set(k, i);
      return i;
    };
    const states: RecordedState[] = this.#kept.map((s) => ({
      slot: s.slot,
      path: s.path,
      visits: s.visits,
      frames: s.frames.map((f) => ({
        funcStart: f.funcStart,
        callsite: f.callsite,
        regs: f.regs.map(value),
        written: Array.from(f.written),
        stack: f.stack.flatMap((slot, k) => (slot === undefined || slot.bytes === '????????' ? [] : [stackSlot(slot, k)])),
      })),
      refs: s.refs.map((r) => ({ id: r.id, slot: r.slot, what: r.what })),
      ...(s.lockId !== 0 ? { lock: { id: s.lockId, slot: s.lockSlot } } : {}),
      ...(s.next !== undefined && s.next.index >= 0 ? { next: s.next.index } : {}),
      ...(s.errorPath ? { errorPath: true as const } : {}),
    }));
    return {
      limits: this.#limits,
      values,
      stackSlots,
      paths: this.#paths,
      states,
      visits: Array.from(this.#visits),
      pruned: Array.from(this.#pruned),
      taken: Array.from(this.#taken),
      fallthrough: Array.from(this.#fallthrough),
      ...(this.#errorPath !== undefined ? { errorPath: this.#errorPath.map((s) => s.index) } : {}),
      ...(this.#errorAt !== undefined ? { errorAt: this.#errorAt } : {}),
      omitted: this.#omitted,
      truncated: this.#truncated,
      errorPathCut: this.#errorPathCut,
    };
  }

  /** Counts the arrival at `slot` and returns the path's stretch and the one the previous instruction was on. */
  #arrive(slot: number, path: PathLink | undefined): { segment: Segment; previous: Segment } {
    this.#visits[slot] = (this.#visits[slot] ?? 0) + 1;
    const key: object = path ?? ROOT;
    let segment = this.#current;
    let previous: Segment;
    let from: number;
    if (segment !== undefined && this.#currentKey === key) {
      previous = segment;
      from = segment.lastSlot;
    } else {
      // A new stretch: it starts where its decision was made, in the state its parent stretch ended with.
      if (this.#current !== undefined && this.#currentKey !== undefined) this.#segments.set(this.#currentKey, this.#current);
      const parent = path === undefined ? undefined : this.#segments.get(path.prev ?? ROOT);
      const known = this.#segments.get(key);
      segment = known ?? this.#segment(path, parent);
      this.#current = segment;
      this.#currentKey = key;
      previous = known ?? parent ?? segment;
      from = known !== undefined ? known.lastSlot : (path?.slot ?? -1);
    }
    const ins = from >= 0 ? this.#insns[from] : undefined;
    if (ins !== undefined && isConditionalJump(ins)) {
      if (slot === from + 1) this.#fallthrough[from] = (this.#fallthrough[from] ?? 0) + 1;
      else this.#taken[from] = (this.#taken[from] ?? 0) + 1;
    }
    return { segment, previous };
  }

  /** A new stretch of path after decision `path`, following `parent`'s. */
  #segment(path: PathLink | undefined, parent: Segment | undefined): Segment {
    const depth = path === undefined ? 0 : (parent?.depth ?? chainLength(path.prev)) + 1;
    const keep = this.#keepPath;
    let onPath = keep !== undefined;
    if (keep !== undefined && path !== undefined) {
      const d = keep[depth - 1];
      onPath = parent?.trail !== undefined && d !== undefined && d.kind === path.kind && d.slot === path.slot && (d.kind !== 'branch' || d.taken === path.taken);
    }
    return { lastSlot: path?.slot ?? -1, frames: parent?.frames ?? [], depth, trail: onPath ? [] : undefined, pending: undefined };
  }

  /** A kept state: the frames followed, with copies of their stacks. */
  #snap(slot: number, path: PathLink | undefined, frames: readonly FrameTrack[], state: VerifierState): Snap {
    return {
      slot, node: path, path: -1, frames: frames.map((f, i) => ({ ...f, stack: (state.frames[i]?.stack ?? []).slice() })),
      refs: state.refs.slice(), lockId: state.lockId, lockSlot: state.lockSlot,
      visits: 1, index: -1, next: undefined, wantsNext: false, errorPath: false,
    };
  }

  /** Follows the frames' registers, working out which instruction last changed each. */
  #track(state: VerifierState, previous: Segment, before: readonly FrameTrack[]): FrameTrack[] {
    const at = previous.lastSlot;
    return state.frames.map((f, i) => {
      const old = before[i];
      const sameFrame = old !== undefined && old.callsite === f.callsite && old.funcStart === f.funcStart && old.frameNo === f.frameNo;
      // A new frame: registers the call passed on keep where the caller last changed them.
      const caller = sameFrame ? undefined : state.frames[i - 1];
      const callerSnap = sameFrame ? undefined : before[i - 1];
      let written = sameFrame ? old.written : undefined;
      for (let r = 0; r < 11; r++) {
        const reg = f.regs[r] as Reg;
        if (sameFrame && old.regs[r] === reg) continue;
        if (written === undefined || written === old?.written) written = sameFrame ? Int32Array.from(old.written) : new Int32Array(11).fill(-1);
        if (!sameFrame && caller !== undefined && callerSnap !== undefined && caller.regs[r] === reg && reg.type !== RegType.NOT_INIT) {
          written[r] = callerSnap.written[r] ?? -1;
        } else {
          written[r] = reg.type === RegType.NOT_INIT && !sameFrame ? -1 : at;
        }
      }
      // Unchanged registers: the same copy as before.
      const regs = sameFrame && written === old.written ? old.regs : f.regs.slice();
      return { callsite: f.callsite, funcStart: f.funcStart, frameNo: f.frameNo, regs, written: written ?? new Int32Array(11).fill(-1) };
    });
  }

  /** The index of a decision in `paths`, its ancestors added first. */
  #decision(p: PathLink | undefined): number {
    if (p === undefined) return -1;
    const known = this.#pathIndex.get(p);
    if (known !== undefined) return known;
    const parent = this.#decision(p.prev);
    const i = this.#paths.length;
    this.#paths.push({ parent, kind: p.kind, slot: p.slot, ...(p.kind === 'branch' ? { taken: p.taken } : {}) });
    this.#pathIndex.set(p, i);
    return i;
  }

  #keep(snap: Snap, force = false): Snap {
    snap.path = this.#decision(snap.node);
    snap.node = undefined;
    snap.index = this.#kept.length;
    this.#kept.push(snap);
    (this.#bySlot[snap.slot] as Snap[]).push(snap);
    // An estimate of the JSON: the state's frame, plus each register value seen for the first time.
    let bytes = 60;
    for (const f of snap.frames) {
      bytes += 110 + 5 * f.stack.length;
      for (const r of f.regs) {
        if (r.type === RegType.NOT_INIT || this.#regIds.has(r)) continue;
        this.#regIds.set(r, this.#regIds.size);
        bytes += 420;
      }
    }
    this.#bytes += bytes;
    if (!force && this.#bytes > this.#limits.maxBytes) this.#truncated = true;
    return snap;
  }

  #view(r: Reg): RecordedValue {
    const name = regTypeName(r.type) + (r.maybeNull ? '_or_null' : '');
    const pointer = r.type !== RegType.SCALAR;
    return {
      type: name,
      text: formatReg(r, this.#mapName),
      description: describeType(r),
      ...(r.maybeNull ? { maybeNull: true as const } : {}),
      ...(r.readOnly ? { readOnly: true as const } : {}),
      ...(r.tainted ? { tainted: true as const } : {}),
      ...(pointer ? { off: r.off } : {}),
      ...(r.id !== 0 ? { id: r.id } : {}),
      ...(r.refId !== 0 ? { refId: r.refId } : {}),
      ...(r.type === RegType.PACKET || r.type === RegType.PACKET_META ? { range: r.range } : {}),
      ...(r.map >= 0 ? { map: this.#mapName(r.map) } : {}),
      ...(r.type === RegType.MEM || r.type === RegType.BTF_ID ? { memSize: r.memSize } : {}),
      ...(r.type === RegType.STACK ? { frame: r.frame } : {}),
      value: scalarView(r.value),
      ...(r.origin !== undefined ? { origin: { slot: r.origin.slot, what: r.origin.what } } : {}),
    };
  }
}

function isConditionalJump(ins: Instruction): boolean {
  const cls = ins.opcode & 0x07;
  if (cls !== 0x05 && cls !== 0x06) return false;
  const op = ins.opcode & 0xf0;
  return op !== JumpOp.CALL && op !== JumpOp.EXIT && ins.opcode !== Opcode.JA && ins.opcode !== Opcode.JA32;
}

/** Whether a kept state is the live one: the same register, stack and reference objects (the verifier shares them). */
function sameState(a: Snap, b: VerifierState): boolean {
  if (a.frames.length !== b.frames.length || a.refs.length !== b.refs.length || a.lockId !== b.lockId) return false;
  for (let i = 0; i < a.frames.length; i++) {
    const fa = a.frames[i] as FrameSnap;
    const fb = b.frames[i] as VerifierState['frames'][number];
    if (fa.callsite !== fb.callsite || fa.stack.length !== fb.stack.length) return false;
    for (let r = 0; r < 11; r++) if (fa.regs[r] !== fb.regs[r]) return false;
    for (let k = 0; k < fa.stack.length; k++) if (fa.stack[k] !== fb.stack[k]) return false;
  }
  for (let i = 0; i < a.refs.length; i++) if (a.refs[i] !== b.refs[i]) return false;
  return true;
}

/** Decisions in a path. */
function chainLength(p: PathLink | undefined): number {
  let n = 0;
  for (let q = p; q !== undefined; q = q.prev) n++;
  return n;
}

/**
 * For a program refused without its path to the error kept (the first run: the path was not known yet), the record
 * options of a second run that keeps it; undefined when there is nothing to do. The verifier calls it after a run
 * with `record`.
 */
export function recordErrorPathAgain(recording: StateRecording | undefined, options: RecordOptions): RecordOptions | undefined {
  if (recording?.errorAt === undefined || recording.errorPath !== undefined || options.keepPath !== undefined) return undefined;
  const keepPath: KeptDecision[] = [];
  for (let p = recording.errorAt.path; p >= 0;) {
    const d = recording.paths[p];
    if (d === undefined) break;
    keepPath.push({ kind: d.kind, slot: d.slot, ...(d.taken !== undefined ? { taken: d.taken } : {}) });
    p = d.parent;
  }
  return { ...options, keepPath: keepPath.reverse() };
}

function scalarView(s: Scalar): RecordedScalar {
  const known = s.varOff.mask === 0n;
  return {
    smin: s.smin.toString(), smax: s.smax.toString(), umin: s.umin.toString(), umax: s.umax.toString(),
    s32min: s.s32min.toString(), s32max: s.s32max.toString(), u32min: s.u32min.toString(), u32max: s.u32max.toString(),
    tnum: { value: '0x' + s.varOff.value.toString(16), mask: '0x' + s.varOff.mask.toString(16) },
    ...(known ? { const: BigInt.asIntN(64, s.varOff.value).toString() } : {}),
  };
}

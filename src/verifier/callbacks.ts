/**
 * Callbacks: helpers that call a function of the program (`bpf_loop`, `bpf_for_each_map_elem`, `bpf_find_vma`),
 * verified as Linux (6.8 on) verifies them: as a loop around the helper call.
 *
 * At the call, the path forks. One branch is the helper returning (r0 an unknown number, r1-r5 clobbered): the
 * callback was called no more times. The other enters the callback in a new frame, with the arguments the helper
 * passes (bpf_loop's index, the map's key and value, the caller's `callback_ctx`); when the callback returns, its
 * r0 must be in the helper's range (0 or 1), and the path goes back to the helper call, which forks again: return,
 * or call once more. Every number of calls is thus covered, each call
 * starting from the state the previous one left (the caller's stack seen through `callback_ctx`, the packet...).
 *
 * The iterations end when the state at the call comes back included in the state of an earlier iteration of the
 * same call (a fixed point; see `verify.ts`), or, for `bpf_loop`, after as many iterations as its count can be.
 * To reach a fixed point, numbers in the stack that change from one iteration to the next and that nothing has
 * needed precisely are widened to unknown (Linux's `widen_imprecise_scalars`).
 *
 * Author: Claude.
 *
 * @module
 */

import type { Env } from './env.ts';
import type { PreciseMarks } from './precision.ts';
import {
  type Reg,
  RegType,
  describeType,
  formatReg,
  isNullScalar,
  makeReg,
  scalarReg,
  withReg,
} from './reg.ts';
import {
  SCALAR_UNKNOWN,
  SCALAR_ZERO,
  scalarEquals,
  scalarIn,
  scalarSignedRange,
  scalarUnsignedRange,
} from './scalar.ts';
import {
  scalarTruncate,
} from './scalar-alu.ts';
import {
  type Frame,
  MAX_CALL_FRAMES,
  type VerifierState,
  StackByte,
  cloneState,
  newFrame,
} from './state.ts';


/** Linux's BPF_MAX_LOOPS: `bpf_loop` refuses larger counts (E2BIG) without calling the callback. */
export const MAX_LOOPS = 1 << 23;

/** The callee's r1-r5, and for each the caller register it copies (0 for none), for precision tracking. */
interface CalleeArgs {
  readonly regs: readonly Reg[];
  readonly from: readonly number[];
}

/** What a helper passes its callback and what it expects back (Linux's `set_*_callback_state`). */
interface CallbackContract {
  /** The register holding the flags, which must be 0 (the helpers fail with EINVAL otherwise). */
  readonly flagsReg: number;
  /** The values the callback may return, and what they mean. */
  readonly retMin: bigint;
  readonly retMax: bigint;
  readonly retMeaning: string;
  /** `bpf_loop`: the callback is called at most r1 times (its count, a u32, at most {@link MAX_LOOPS}). */
  readonly counted: boolean;
  /** The callee's arguments; `iterations` is the most the helper can call it (for bpf_loop's index). */
  readonly args: (env: Env, caller: Frame, mapIndex: number, iterations: number) => CalleeArgs;
}

/** In `from` (indexed by the callee's register, r0 first): a register that copies none of the caller's. */
const FROM_NONE = 0;

const CONTRACTS: Readonly<Record<string, CallbackContract>> = {
  // long bpf_loop(u32 nr_loops, long (*cb)(u32 index, void *ctx), void *ctx, u64 flags)
  loop: {
    flagsReg: 4,
    retMin: 0n,
    retMax: 1n,
    retMeaning: '0 to go on, 1 to stop',
    counted: true,
    args: (env, caller, _map, iterations) => ({
      regs: [
        scalarReg(scalarUnsignedRange(0n, BigInt(Math.max(1, iterations) - 1)), { slot: env.slot, what: 'the index bpf_loop passes to its callback' }),
        caller.regs[3] as Reg,
      ],
      from: [FROM_NONE, FROM_NONE, 3],
    }),
  },
  // long bpf_for_each_map_elem(map, long (*cb)(map, const void *key, void *value, void *ctx), void *ctx, u64 flags)
  for_each_map_elem: {
    flagsReg: 4,
    retMin: 0n,
    retMax: 1n,
    retMeaning: '0 to go on, 1 to stop',
    counted: false,
    args: (env, caller, map, _iterations) => {
      const m = env.maps[map];
      const what = `the map '${env.mapName(map)}'`;
      return {
        regs: [
          makeReg({ type: RegType.CONST_MAP, map, value: SCALAR_ZERO, origin: { slot: env.slot, what } }),
          makeReg({ type: RegType.MAP_KEY, map, value: SCALAR_ZERO, origin: { slot: env.slot, what: `a key of ${what} passed by bpf_for_each_map_elem` } }),
          makeReg({ type: RegType.MAP_VALUE, map, readOnly: m?.readOnly ?? false, value: SCALAR_ZERO, origin: { slot: env.slot, what: `a value of ${what} passed by bpf_for_each_map_elem` } }),
          caller.regs[3] as Reg,
        ],
        from: [FROM_NONE, FROM_NONE, FROM_NONE, FROM_NONE, 3],
      };
    },
  },
  // long bpf_find_vma(task, u64 addr, long (*cb)(task, struct vm_area_struct *vma, void *ctx), void *ctx, u64 flags)
  find_vma: {
    flagsReg: 5,
    retMin: 0n,
    retMax: 1n,
    retMeaning: '',
    counted: false,
    args: (env, caller) => ({
      regs: [
        caller.regs[1] as Reg,
        makeReg({ type: RegType.BTF_ID, value: SCALAR_ZERO, origin: { slot: env.slot, what: 'the vma bpf_find_vma passes to its callback' } }),
        caller.regs[4] as Reg,
      ],
      from: [FROM_NONE, 1, FROM_NONE, 4],
    }),
  },
};

/** A callback to explore: the state at its first instruction, that instruction, and how its arguments map. */
export interface CallbackEntry {
  readonly state: VerifierState;
  readonly target: number;
  /** For callee r0-r5, the caller register it copies (0 for none). */
  readonly argsFrom: readonly number[];
}

/**
 * At a call of the helper `name` (`loop`; `helperName` as C spells it) whose argument register `fnRegno` holds the
 * callback `fn`: checks the callback rules and returns the state that enters the callback (a copy of the current
 * state with a new frame), or undefined when the helper cannot call it again (bpf_loop's count is used up).
 * `mapIndex` is the helper's map argument, if any.
 */
export function enterCallback(env: Env, name: string, helperName: string, fnRegno: number, fn: Reg, mapIndex: number): CallbackEntry | undefined {
  const contract = CONTRACTS[name];
  if (contract === undefined) env.fail('unsupported', `${helperName} takes a callback, which this verifier does not support yet`, [fnRegno]);
  if (fn.type !== RegType.FUNC) {
    env.fail('invalid-helper-argument', `argument ${fnRegno} of ${helperName} (r${fnRegno}) must be a function of this program (loaded with 'lddw r${fnRegno}, func'), but it holds ${describeType(fn)}${env.originText(fn)}`, [fnRegno]);
  }
  // The fixed point is found by remembering states at the call, which the structure pass arranged for direct calls.
  if (env.cfg.callbackSite[env.slot] !== 1) env.fail('unsupported', `${helperName} called indirectly (callx or an external function) with a callback is not supported`, []);
  const flags = env.readReg(contract.flagsReg);
  if (!isNullScalar(flags)) {
    env.fail('invalid-helper-argument', `the flags of ${helperName} (r${contract.flagsReg}) must be 0, but r${contract.flagsReg} is ${formatReg(flags)}${env.originText(flags)}: ${helperName} would fail without calling the callback`, [contract.flagsReg]);
  }
  env.markPrecise([contract.flagsReg]);

  const target = fn.frame;
  const fname = env.cfg.functions[env.cfg.funcOf[target] ?? -1]?.name ?? `instruction ${target}`;
  const caller = env.frame();
  let iterations = Number.MAX_SAFE_INTEGER;
  if (contract.counted) {
    // The count decides how many iterations to simulate, so it must stay precise (as Linux marks it).
    env.markPrecise([1]);
    const nr = env.readReg(1);
    if (nr.type !== RegType.SCALAR) env.fail('invalid-helper-argument', `the count of ${helperName} (r1) must be a number, but it holds ${describeType(nr)}`, [1]);
    // The helper takes a u32 and refuses counts over MAX_LOOPS.
    iterations = Number(nr.value.u32max < BigInt(MAX_LOOPS) ? nr.value.u32max : BigInt(MAX_LOOPS));
    if (caller.loopDepth >= iterations) return undefined;
  }
  if (env.cur.frames.length >= MAX_CALL_FRAMES) {
    env.fail('call-depth', `the callback ${fname} of ${helperName} would make the call chain ${env.cur.frames.length + 1} frames deep; at most ${MAX_CALL_FRAMES} are allowed`, [fnRegno]);
  }
  if (env.cur.frames.some((f) => f.funcStart === target)) env.fail('call-depth', `recursive call to ${fname} as the callback of ${helperName}: recursion is not allowed`, [fnRegno]);

  const args = contract.args(env, caller, mapIndex, iterations);
  const state = cloneState(env.cur);
  const callerCopy = state.frames[state.frames.length - 1] as Frame;
  callerCopy.loopDepth++;
  const callee = newFrame(env.slot, target, state.frames.length, {
    helper: helperName, retMin: contract.retMin, retMax: contract.retMax, retMeaning: contract.retMeaning,
  });
  args.regs.forEach((r, i) => {
    callee.regs[i + 1] = r;
  });
  callee.regs[10] = makeReg({ type: RegType.STACK, frame: callee.frameNo, value: SCALAR_ZERO });
  state.frames.push(callee);
  const fromFn = env.cfg.funcOf[env.slot] ?? 0;
  const toFn = env.cfg.funcOf[target] ?? 0;
  env.callbackCalls[fromFn]?.add(toFn);
  return { state, target, argsFrom: [...args.from, 0, 0, 0, 0, 0, 0].slice(0, 6) };
}

/** After the helper returned (the branch where it calls the callback no more): the call's execution is over. */
export function leaveCallbackCall(env: Env): void {
  const frame = env.frame();
  frame.loopTag = 0;
  frame.loopDepth = 0;
}

/**
 * Checks a callback's `exit` (r0 in the helper's range, no lock held) and leaves its frame; returns the helper
 * call's slot, where the path goes on.
 */
export function checkCallbackExit(env: Env): number {
  const frame = env.frame();
  const cb = frame.callback;
  if (cb === undefined) throw new Error('checkCallbackExit outside a callback');
  const r0 = frame.regs[0] as Reg;
  const range = cb.retMin === cb.retMax ? `${cb.retMin}` : `a value in [${cb.retMin}, ${cb.retMax}]`;
  const expect = `the callback of ${cb.helper} must return ${range}${cb.retMeaning !== '' ? ` (${cb.retMeaning})` : ''}`;
  if (r0.type === RegType.NOT_INIT) {
    env.fail('invalid-return', `${expect}, but r0 is not set${r0.origin !== undefined ? ` (${r0.origin.what} at ${env.where(r0.origin.slot)})` : ''}`, [0]);
  }
  if (r0.type !== RegType.SCALAR || r0.tainted) env.fail('invalid-return', `${expect}, but r0 holds ${describeType(r0)}${env.originText(r0)}`, [0]);
  env.markPrecise([0]);
  if (!scalarIn(scalarSignedRange(cb.retMin, cb.retMax), r0.value)) {
    env.fail('invalid-return', `${expect}, but r0 is ${formatReg(r0)}${env.originText(r0)}`, [0]);
  }
  // References it took may stay held (in the caller's stack, say): as in Linux, leaks are found at the program's
  // exit, each iteration's references counted. A lock may not: the helper call it returns to would run with it.
  if (env.cur.lockId !== 0) env.fail('unreleased-reference', `the spin lock taken at ${env.where(env.cur.lockSlot)} is not released before the callback returns to ${cb.helper}`, []);
  env.cur.frames.pop();
  return frame.callsite;
}

/** Whether the state is inside a callback (some frame runs one). */
export function inCallback(state: VerifierState): Frame | undefined {
  return state.frames.find((f) => f.callback !== undefined);
}

/**
 * Widens `cur`, at a helper call reached again from its callback, against `old`, the state of an earlier iteration
 * of the same call: a number spilled to the stack that differs between the two and that nothing proven from `old`
 * needed precisely becomes unknown. Iterations that only count or sum then reach a fixed point in one more turn.
 */
export function widenIteration(old: VerifierState, cur: VerifierState, precise: PreciseMarks): void {
  const n = Math.min(old.frames.length, cur.frames.length);
  for (let f = 0; f < n; f++) {
    const of = old.frames[f] as Frame;
    const cf = cur.frames[f] as Frame;
    const keep = precise.stack[f];
    for (let k = 0; k < cf.stack.length && k < of.stack.length; k++) {
      const o = of.stack[k];
      const c = cf.stack[k];
      if (o === undefined || c === undefined || o === c || keep?.has(k) === true) continue;
      if (o.spill?.type !== RegType.SCALAR || c.spill?.type !== RegType.SCALAR || o.bytes !== c.bytes) continue;
      if (scalarEquals(o.spill.value, c.spill.value)) continue;
      let width = 0;
      while (width < 8 && c.bytes[width] === StackByte.SPILL) width++;
      const value = width >= 8 ? SCALAR_UNKNOWN : scalarTruncate(SCALAR_UNKNOWN, width);
      cf.stack[k] = { bytes: c.bytes, kinds: c.kinds, spill: withReg(c.spill, { value, id: 0, off: 0 }) };
    }
  }
}

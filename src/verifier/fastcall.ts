/**
 * bpf_fastcall stack accounting (Linux 6.12+, `mark_fastcall_patterns`, `check_fastcall_stack_contract`,
 * `remove_fastcall_spills_fills`). Clang saves the registers a call of a `bpf_fastcall` helper would clobber in the
 * lowest stack slots of the function, right around the call:
 *
 * ```
 *   *(u64 *)(r10 - 8) = r2       ; i = 2: at lowest + 8
 *   *(u64 *)(r10 - 16) = r1      ; i = 1: at lowest (-16, the lowest 8-byte store of the function)
 *   call bpf_get_smp_processor_id
 *   r1 = *(u64 *)(r10 - 16)
 *   r2 = *(u64 *)(r10 - 8)
 * ```
 *
 * Precisely: the i-th instruction before the call (i = 1, 2, ...) stores a register the call does not clobber at
 * `lowest + 8 (i - 1)`, where `lowest` is the lowest offset any 8-byte store through r10 in the function uses, and
 * the i-th after it loads the same register from there. Linux inlines such calls, clobbering nothing, and deletes
 * the pairs; the function's stack then ends above them (`stack_depth = -fastcall_stack_off`), which is what counts
 * toward the 512 bytes a chain of calls may use together. The reduction is off for a function when another
 * instruction touches that area (the contract), or when the pattern surrounds a call Linux does not inline (the
 * stack is then kept).
 *
 * Only the combined-stack check uses this: our runtimes do not delete the pairs, and they give every function its
 * own 512-byte frame, so the slots the pairs use are always there.
 *
 * Author: Claude.
 *
 * @module
 */

import { CallSource, Opcode, type Instruction } from '../asm/index.ts';
import type { Cfg } from './cfg.ts';
import type { HelperPrototype } from './platform.ts';
import { RetKind } from './platform.ts';

/** `*(u64 *)(dst + off) = src`: `STX | MEM | DW`. */
const STX_DW = 0x7b;
/** `dst = *(u64 *)(src + off)`: `LDX | MEM | DW`. */
const LDX_DW = 0x79;

/** What one function's bpf_fastcall patterns allow. */
export interface FastcallFunction {
  /** The top of the area the patterns use (Linux's `fastcall_stack_off`, <= 0); 0 when there is none. */
  readonly stackOff: number;
  /** Some pattern surrounds a call Linux inlines (`fastcall_spills_num > 0`): its pairs go. */
  readonly removable: boolean;
  /** Some pattern surrounds a call Linux does not inline: the area stays (`keep_fastcall_stack`). */
  readonly keep: boolean;
}

/** The bpf_fastcall patterns of a program: per function, and the slots of their spills and fills. */
export interface FastcallPatterns {
  readonly functions: readonly FastcallFunction[];
  /** Slots of the spills and fills that belong to a pattern (Linux's `fastcall_pattern`). */
  readonly patternSlots: ReadonlySet<number>;
}

/**
 * What the verifier needs to know about a call: undefined for calls Linux does not look at (BPF-to-BPF calls); for
 * helpers, their prototype; kfuncs and unknown externs count as calls Linux does not inline and that may clobber
 * every argument register (so a pattern around one only keeps the stack).
 */
export type CallLookup = (slot: number, ins: Instruction) => { readonly proto: HelperPrototype | undefined; readonly fastcall: boolean } | undefined;

/** Finds the patterns of every function (Linux's `mark_fastcall_patterns`). */
export function findFastcallPatterns(cfg: Cfg, call: CallLookup): FastcallPatterns {
  const patternSlots = new Set<number>();
  const functions = cfg.functions.map((fn): FastcallFunction => {
    // 1. The lowest offset of an 8-byte store through r10 in the function.
    let lowest = 0;
    for (let s = fn.start; s < fn.end; s++) {
      const ins = cfg.insns[s];
      if (ins !== undefined && ins.opcode === STX_DW && ins.dst === 10) lowest = Math.min(lowest, ins.offset);
    }
    let stackOff = 0;
    let removable = false;
    let keep = false;
    if (lowest === 0) return { stackOff, removable, keep };
    // 2. Around each call: pairs at lowest, lowest + 8, ... of registers the call would not clobber.
    for (let s = fn.start; s < fn.end; s++) {
      const ins = cfg.insns[s];
      if (ins === undefined || ins.opcode !== Opcode.CALL) continue;
      const summary = call(s, ins);
      if (summary === undefined) continue;
      const params = summary.proto?.args.length ?? 0;
      const isVoid = summary.proto?.ret === RetKind.VOID;
      // Registers the call clobbers under the fastcall contract (r0 unless void, r1..r(params)); the others may
      // be saved around it.
      const lo = isVoid ? 1 : 0;
      const clobbered = params < lo ? 0 : ((1 << (params + 1)) - 1) & ~((1 << lo) - 1);
      let expected = 0b111111 & ~clobbered;
      let i = 1;
      let off = lowest;
      for (; i <= 5; i++, off += 8) {
        const stx = cfg.insns[s - i];
        const ldx = cfg.insns[s + i];
        if (s - i < fn.start || s + i >= fn.end || stx === undefined || ldx === undefined) break;
        if (stx.opcode !== STX_DW || ldx.opcode !== LDX_DW || stx.dst !== 10 || ldx.src !== 10) break;
        if (stx.src !== ldx.dst || ((1 << stx.src) & expected) === 0) break;
        if (stx.offset !== off || ldx.offset !== off) break;
        expected &= ~(1 << stx.src);
        patternSlots.add(s - i);
        patternSlots.add(s + i);
      }
      if (i === 1) continue;
      if (summary.fastcall) removable = true;
      else keep = true;
      stackOff = Math.min(stackOff, off);
    }
    return { stackOff, removable, keep };
  });
  return { functions, patternSlots };
}

/** The helper-call lookup for {@link findFastcallPatterns}, from the helpers' prototypes. */
export function helperCallLookup(helper: (id: number) => HelperPrototype | undefined, externSlots: ReadonlySet<number>): CallLookup {
  return (slot, ins) => {
    if (externSlots.has(slot) || ins.src === CallSource.KFUNC) return { proto: undefined, fastcall: false };
    if (ins.src !== CallSource.HELPER) return undefined;
    const proto = helper(ins.imm);
    if (proto === undefined) return undefined;
    return { proto, fastcall: proto.fastcall === true };
  };
}

/**
 * What the interpreter needs from the environment it runs in: the address space, the helpers, tail-call targets
 * and the memory regions beyond the run's fixed ones.
 *
 * The runtime implements it over the WebAssembly build of the C core (helpers and maps in C, memory shared); the
 * conformance environment implements it with a plain ArrayBuffer and uBPF's test helper. Registers cross this
 * interface as two Int32Arrays of 32-bit halves ({@link Interpreter.lo}, {@link Interpreter.hi}), so no BigInt is
 * made on the way to a helper unless the host wants one.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Interpreter } from './interpreter.ts';
import type { MemoryRegion } from './memory-region.ts';
import type { PreparedProgram } from './prepare.ts';

/** What a helper call tells the interpreter to do next. */
export const HelperOutcome = {
  /** Continue with the next instruction; r0 holds the helper's result. */
  CONTINUE: 0,
  /** Stop the whole run now, returning r0 (uBPF's "unwind" helper). */
  EXIT: 1,
  /** A tail call succeeded: ask {@link InterpreterHost.takeTailCall} for the program to continue in. */
  TAIL_CALL: 2,
  /** No helper has this id (only reachable through `callx`; direct calls are checked at load). */
  UNKNOWN: 3,
} as const;
/** One of the {@link HelperOutcome} values. */
export type HelperOutcome = (typeof HelperOutcome)[keyof typeof HelperOutcome];

/** The environment of one interpreter. */
export interface InterpreterHost {
  /**
   * The address space every eBPF pointer is an offset into. Asked at the start of a run, and again after a helper
   * call when the buffer in use has been detached (a WebAssembly memory that grows detaches its old buffer, and
   * that is the only way the address space may change during a run).
   */
  memory(): ArrayBuffer;
  /**
   * Calls helper `id` with r1-r5 read from `interp.lo`/`interp.hi`, and stores its result in r0 (`lo[0]`,
   * `hi[0]`). Throw an ExecutionError for a fault the helper detects.
   */
  callHelper(id: number, interp: Interpreter): HelperOutcome;
  /** After {@link HelperOutcome.TAIL_CALL}: the program to continue in (undefined: continue after the call). */
  takeTailCall?(): PreparedProgram | undefined;
  /**
   * The region holding `[address, address + size)` when it is none of the run's fixed regions: map values and
   * ring buffer records the helpers handed out. Undefined when the address is in no region.
   */
  findRegion?(address: number, size: number): MemoryRegion | undefined;
  /** A program by id, for function addresses that name another program (a callback registered before a tail call). */
  program?(id: number): PreparedProgram | undefined;
}

/**
 * The fixed memory of one run. The host may replace `regions` entries and `packet` between helper calls (a helper
 * that moves the packet, like bpf_xdp_adjust_head): the interpreter drops its cached regions after every helper call
 * and reads these again.
 */
export interface RunSetup {
  /** Address of the stack block: {@link STACK_SIZE} bytes, 8 frames of 512; r10 starts at its end. */
  stack: number;
  /** Context, packet, packet metadata, global data sections: whatever the program may touch besides its stack. */
  regions: MemoryRegion[];
  /**
   * The packet, for the legacy LD_ABS/LD_IND loads (socket filters); undefined when the program has none. `link`
   * and `network` place the link-layer and network headers relative to `start` (default 0), for the negative
   * offsets from SKF_LL_OFF and SKF_NET_OFF.
   */
  packet?: { start: number; end: number; link?: number; network?: number } | undefined;
}

/** Call frames: the entry function plus up to 7 nested BPF-to-BPF calls or callbacks, as Linux allows. */
export const MAX_CALL_FRAMES = 8;
/** The stack of one frame. */
export const STACK_FRAME_SIZE = 512;
/** The stack block of a run. */
export const STACK_SIZE = MAX_CALL_FRAMES * STACK_FRAME_SIZE;

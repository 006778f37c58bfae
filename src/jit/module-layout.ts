/**
 * The fixed layout of every module the JIT writes: its function types, the index of each imported and defined
 * function, its tables and globals, the fault kinds of `env.fault`, and the frame area the runtime gives a run.
 * Both shapes of generated code (structured and dispatcher) share it, so the runtime's program table can hold
 * either kind's `run`.
 *
 * Author: Claude.
 *
 * @module
 */

import { MAX_CALL_FRAMES } from '../interp/index.ts';
import { type FuncType, ValType } from './wasm-encoder.ts';

/**
 * The most 64 KiB pages the core's memory may grow to (its `--max-memory`, 2 GiB, in scripts/build-core.sh). The
 * JIT's memory checks rely on it: any address at or past 2 GiB traps.
 */
export const CORE_MEMORY_MAX_PAGES = 32768;

/** Why a JIT'd program stopped with a fault (the `kind` of `env.fault`). */
export const JitFault = {
  /** A load or store outside the memory window. */
  MEMORY: 0,
  /** A call would exceed {@link MAX_CALL_FRAMES} frames. */
  CALL_DEPTH: 1,
  /** `callx` on a value that is neither a function of the program nor a helper number. */
  BAD_CALL: 2,
  /** Control reached a slot that holds no instruction (through `callx` or a corrupt return). */
  BAD_TARGET: 3,
  /** The fuel (back edges) ran out: an endless loop. */
  FUEL: 4,
  /** An instruction this JIT does not translate (legacy packet loads). */
  UNSUPPORTED: 5,
  /** A write to r10, the frame pointer: never reached in a verified program (the verifier refuses it on any path). */
  FRAME_WRITE: 6,
} as const;
/** One of the {@link JitFault} values. */
export type JitFault = (typeof JitFault)[keyof typeof JitFault];

const FAULT_WORDS: Record<number, string> = {
  [JitFault.MEMORY]: 'a load or store outside the memory window the run gave the program',
  [JitFault.CALL_DEPTH]: 'a call beyond the 8 call frames allowed',
  [JitFault.BAD_CALL]: 'callx on a value that is neither a function of the program nor a helper number',
  [JitFault.BAD_TARGET]: 'control reached a slot that holds no instruction',
  [JitFault.FUEL]: 'the run used up its fuel (back edges): an endless loop?',
  [JitFault.UNSUPPORTED]: 'an instruction the JIT does not support (a legacy packet load outside the runtime)',
  [JitFault.FRAME_WRITE]: 'a write to r10, the frame pointer (dead code in a verified program)',
};

/** What a fault `kind` (of `env.fault`) means, for messages. */
export function describeJitFault(kind: number): string {
  return FAULT_WORDS[kind] ?? `fault ${kind}`;
}

/** Bytes of one frame in the frame area: r6-r9, then the return slot (u32) and the caller's may_goto budget (u32). */
export const JIT_FRAME_RECORD = 40;
/** Where, in the frame area, the depth of the frame calling a helper that calls back is stored (an i32). */
export const JIT_CALLBACK_DEPTH_OFFSET = JIT_FRAME_RECORD * MAX_CALL_FRAMES;
/** Bytes the frame area needs: the frame records, then the callback depth word. */
export const JIT_FRAME_AREA = JIT_CALLBACK_DEPTH_OFFSET + 8;

/** Where a frame record keeps the caller's may_goto budget (after r6-r9 and the return slot). */
export const FRAME_BUDGET_OFFSET = 36;

/** `may_goto` budget of each function call (Linux's BPF_MAX_LOOPS). */
export const MAY_GOTO_BUDGET = 1 << 23;

// Function indices: the imports, then `run`, then (with a runtime binding) `repeat` and `run_xdp_batch`, then (in
// the structured shape) one function per eBPF function and the callx dispatcher.
/** env.helper. */
export const F_HELPER = 0;
/** env.fault. */
export const F_FAULT = 1;
/** env.tail_call. */
export const F_TAIL = 2;
/** The exported `run`. */
export const F_RUN = 3;
/** The exported `repeat` (runtime binding only). */
export const F_REPEAT = 4;
/** The exported `run_xdp_batch` (runtime binding only). */
export const F_XDP_BATCH = 5;

/** Type indices. */
export const T_HELPER = 0;
export const T_FAULT = 1;
export const T_RUN = 2;
export const T_CORE_HELPER = 3;
export const T_TAIL = 4;
export const T_REPEAT = 5;
export const T_XDP_BATCH = 6;
/** An eBPF function of the structured shape: (r1-r5, r10, depth, run context) -> r0. */
export const T_FUNCTION = 7;
/** The structured shape's callx dispatcher: (slot, r1-r5, r10, depth, run context) -> r0. */
export const T_CALL_SLOT = 8;
/** A map type's own lookup in the core: (map, key, cpu, mark) -> value address or 0. */
export const T_MAP_LOOKUP = 9;

const I64 = ValType.i64;
const I32 = ValType.i32;

/** Every module's types, in index order. */
export const MODULE_TYPES: readonly FuncType[] = [
  /* T_HELPER */ { params: [I32, I64, I64, I64, I64, I64, I32], results: [I64] },
  /* T_FAULT */ { params: [I32, I32], results: [] },
  /* T_RUN */ { params: [I64, I64, I64, I64, I64, I64, I32, I64, I64, I32, I32, I32, I32], results: [I64] },
  /* T_CORE_HELPER */ { params: [I64, I64, I64, I64, I64, I32], results: [I64] },
  /* T_TAIL */ { params: [I64, I64, I32, I32, I32], results: [I64] },
  /* T_REPEAT */ { params: [I64, I64, I32, I32, I32, I32], results: [I64] },
  /* T_XDP_BATCH */ { params: [I32, I64, I32, I32, I32, I32, I32, I32, I32, I32, I32], results: [I32] },
  /* T_FUNCTION */ { params: [I64, I64, I64, I64, I64, I64, I32, I32], results: [I64] },
  /* T_CALL_SLOT */ { params: [I32, I64, I64, I64, I64, I64, I64, I32, I32], results: [I64] },
  /* T_MAP_LOOKUP */ { params: [I32, I32, I32, I32], results: [I32] },
];

/** Table indices: the core's function table (its helpers), then (with a runtime binding) the runtime's programs by id. */
export const CORE_TABLE = 0;
export const PROGRAM_TABLE = 1;

/** Globals of the structured shape: the run's fuel, its frame area, and (conformance) its memory window. */
export const G_FUEL = 0;
export const G_FRAMES = 1;
export const G_LOW = 2;
export const G_SPAN = 3;

/** Linux's struct xdp_md: where data, data_end and data_meta are (u32 each). */
export const XDP_MD = { data: 0, dataEnd: 4, dataMeta: 8 } as const;

/**
 * The JIT proper: a prepared eBPF program (see the interp layer's `prepareProgram`) becomes a WebAssembly module,
 * semantics exactly the interpreter's.
 *
 * Shape of the module (first version: simple and correct before fast):
 *
 * ```
 *   imports  env.helper(id i32, r1..r5 i64, run_ctx i32) -> i64   a helper call the module does not bind itself
 *                                                      (callx on a helper number; every call without `runtime`)
 *            env.fault(kind i32, slot i32)             throws the typed error for a fault (never returns)
 *            env.tail_call(r1 i64, r10 i64, depth i32, run_ctx i32, frames i32) -> i64
 *                                                      runs the target of a tail call the core recorded; its r0
 *            env.memory                                the address space every eBPF pointer is an offset into
 *            env.table                                 the runtime core's function table (its helpers)
 *            env.programs                              (runtime only) the runtime's JIT'd programs by id: tail
 *                                                      calls to them stay in WebAssembly
 *   export   run(r1..r5 i64, r10 i64, frames i32, low i64, span i64, fuel i32, run_ctx i32, depth0 i32,
 *                entry i32) -> i64
 *            repeat(...), run_xdp_batch(...)           (runtime only) BPF_PROG_TEST_RUN's repeat loop and a
 *                                                      loop over XDP frames, see JitRepeatFunction and
 *                                                      JitXdpBatchFunction
 * ```
 *
 * With {@link JitRuntimeBinding} (the runtime's jit mode) a helper call with a constant id is a `call_indirect`
 * straight into the core's helper (WebAssembly to WebAssembly, no JavaScript), after which `bpf_tail_call` checks
 * the run context's pending flag and, when set, hands over to `env.tail_call` and leaves the function as `exit`
 * does; legacy packet loads (LD_ABS/LD_IND) read the packet bounds from the run context. `depth0` is the number of
 * call frames already in use below this entry (a tail call from a subprogram runs in that subprogram's place; a
 * callback runs one frame below its helper's caller), so the 8-frame limit holds across the hand-over, and `entry`
 * is the slot to start at (a callback's function). Before a helper that calls back (bpf_loop...), the code stores
 * its frame depth in the word after the frame records ({@link JIT_CALLBACK_DEPTH_OFFSET}), where the host reads
 * it to start the callback one frame further down.
 *
 * The whole program (entry and BPF-to-BPF callees) is one wasm function: r0-r10 are i64 locals; control flow is a
 * `loop` around a ladder of `block`s, one per basic block ("leader" slot), entered through a `br_table` on the
 * slot to go to. Forward jumps branch straight to their block; backward jumps, returns and `callx` go round the
 * loop through the dispatcher, which also spends one unit of fuel (the interpreter's instruction limit, counted
 * in back edges). Local calls save r6-r9, the return slot and the may_goto budget in a frame area of the memory
 * (`frames`, outside the program's window) and move r10 down a 512-byte frame, as the interpreter does; so `callx`
 * to a function address needs nothing more than a jump. Every load and store checks its address against the window `[low, low + span)`
 * the host gives, so a bad pointer is a typed fault, never an access to the JIT's own frame area.
 *
 * @module
 */

import { writesFramePointer } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { CODE_ADDRESS_TAG, MAX_CALL_FRAMES, STACK_FRAME_SIZE, type PreparedProgram } from '../interp/index.ts';
import { BlockType, ByteWriter, encodeModule, type FuncDef, type FuncType, type ImportDef, Op, TABLE_SIZE_SUBOP, ValType } from './wasm-encoder.ts';

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

/**
 * What the runtime's jit mode binds at compile time: the core's function-table index of each helper, and where
 * the core's run context keeps the fields the generated code reads.
 */
export interface JitRuntimeBinding {
  /** The function-table index of helper `id` in the core, or undefined when the core lacks it. */
  helperTableIndex(id: number): number | undefined;
  /** Whether helper `id` calls a function of the program back while it runs (the host then needs the frame depth). */
  callsBack(id: number): boolean;
  /**
   * Byte offsets in the run context: the tail-call fields and the other per-run results a run starts by clearing
   * (u32), and the packet's pointers (u64).
   */
  readonly runCtx: {
    readonly tailCallPending: number;
    readonly tailCallTarget: number;
    readonly tailCallCount: number;
    readonly redirectKind: number;
    readonly traceCount: number;
    readonly data: number;
    readonly dataEnd: number;
    readonly dataMeta: number;
    readonly dataHardStart: number;
    readonly dataHardEnd: number;
  };
}

/** Options of {@link compileProgram}. */
export interface JitCompileOptions {
  /** Bind helpers, tail calls and packet loads to the runtime core (see {@link JitRuntimeBinding}). */
  readonly runtime?: JitRuntimeBinding;
}

/** The parameters of the exported `run`, in order. */
export type JitRunFunction = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, r10: bigint, frames: number, low: bigint, span: bigint, fuel: number, runCtx: number, depth0: number, entry: number) => bigint;

/**
 * The exported `repeat` (with a runtime binding): BPF_PROG_TEST_RUN's loop inside the module. Runs the program
 * `count` times (a u32; 0 counts as 2^32) from its entry with r1 = `r1` and the whole address space as its
 * window, clearing the run context's per-run results (tail-call state, redirect, trace count) before each run and
 * nothing else; returns the last r0.
 */
export type JitRepeatFunction = (r1: bigint, r10: bigint, frames: number, fuel: number, runCtx: number, count: number) => bigint;

/**
 * The exported `run_xdp_batch` (with a runtime binding): runs the program once on each of `count` frames laid out
 * every `stride` bytes from `buffer` (packet at +`headroom`, `lengths[i]` bytes, u32 each, cut to the stride), as
 * XDP: the run context's packet pointers and the xdp_md at `ctx` (data, data_end, data_meta) describe frame i,
 * the per-run results are cleared, and r0 goes to `results[i]` (u64). Returns `count`.
 */
export type JitXdpBatchFunction = (ctx: number, r10: bigint, frames: number, fuel: number, runCtx: number, buffer: number, stride: number, headroom: number, lengths: number, count: number, results: number) => number;

/** A compiled program. */
export interface JitModule {
  /** The module in the WebAssembly binary format. */
  readonly bytes: Uint8Array;
  /** The slots that start a basic block (the dispatcher's targets), ascending. */
  readonly leaders: readonly number[];
  /** The program's slot count. */
  readonly slotCount: number;
}

// Function indices: the imports, then `run`, then (with a runtime binding) `repeat` and `run_xdp_batch`.
const F_HELPER = 0;
const F_FAULT = 1;
const F_TAIL = 2;
const F_RUN = 3;
const F_REPEAT = 4;
const F_XDP_BATCH = 5;
// Type indices.
const T_HELPER = 0, T_FAULT = 1, T_RUN = 2, T_CORE_HELPER = 3, T_TAIL = 4, T_REPEAT = 5, T_XDP_BATCH = 6;
// Table indices: the core's function table (its helpers), then (with a runtime binding) the runtime's programs by id.
const CORE_TABLE = 0;
const PROGRAM_TABLE = 1;
/** Linux's struct xdp_md: where data, data_end and data_meta are (u32 each). */
const XDP_MD = { data: 0, dataEnd: 4, dataMeta: 8 } as const;
const FOUR_GIB = 1n << 32n;
// Locals: the parameters first.
const P_R1 = 0, P_R10 = 5, P_FRAMES = 6, P_LOW = 7, P_SPAN = 8, P_FUEL = 9, P_RUNCTX = 10, P_DEPTH0 = 11, P_ENTRY = 12;
const REG0 = 13; // r0-r10: 13-23
const L_PC = 24, L_DEPTH = 25, L_A = 26, L_T0 = 27, L_T1 = 28, L_S32 = 29, L_D32 = 30, L_BUDGET = 31;
/** `may_goto` budget of each function call (Linux's BPF_MAX_LOOPS, stored per frame by its prologue). */
const MAY_GOTO_BUDGET = 1 << 23;
/** Where a frame record keeps the caller's may_goto budget (after r6-r9 and the return slot). */
const FRAME_BUDGET_OFFSET = 36;
/** bpf_tail_call's helper id. */
const TAIL_CALL_HELPER = 12;
const LOCALS: ValType[] = [
  ...new Array<ValType>(11).fill(ValType.i64),
  ValType.i32, ValType.i32, ValType.i32, ValType.i64, ValType.i64, ValType.i32, ValType.i32, ValType.i32,
];

function jitError(detail: string, prog: PreparedProgram, slot: number): BpfshipError {
  return new BpfshipError('JIT_UNSUPPORTED', `program '${prog.name}': ${detail}`, { ...prog.where, insn: slot });
}

/**
 * Compiles `prog` (prepared by the interp layer, which has validated it and resolved `lddw`) to a module.
 *
 * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an instruction the JIT cannot translate.
 */
export function compileProgram(prog: PreparedProgram, options: JitCompileOptions = {}): JitModule {
  const runtime = options.runtime;
  const n = prog.slotCount;
  const code = prog.code;
  const insAt = (s: number) => prog.bySlot[s];

  // 1. Leaders: slot 0, jump and call targets, function addresses, and the slot after any jump, call or exit.
  const isLeader = new Uint8Array(n + 1);
  isLeader[0] = 1;
  const mark = (s: number, from: number): void => {
    if (s < 0 || s >= n || insAt(s) === undefined) throw jitError(`instruction ${from} jumps to slot ${s}, which holds no instruction`, prog, from);
    isLeader[s] = 1;
  };
  for (let s = 0; s < n; s++) {
    const ins = insAt(s);
    if (ins === undefined) continue;
    const cls = ins.opcode & 7;
    const op = ins.opcode & 0xf0;
    const next = s + ins.size;
    if (ins.opcode === 0x18 && ins.src === 4) mark(s + 1 + (ins.imm | 0), s);
    if (cls === 5 || cls === 6) {
      if (ins.opcode === 0x85) {
        if (ins.src === 1) mark(s + 1 + (ins.imm | 0), s);
      } else if (op !== 0x90 && ins.opcode !== 0x8d) {
        mark(s + 1 + (ins.opcode === 0x06 ? ins.imm | 0 : ins.offset), s);
      }
      if (next < n) isLeader[next] = 1;
    }
  }
  const leaders: number[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  for (let s = 0; s < n; s++) if (isLeader[s] === 1) { blockOf[s] = leaders.length; leaders.push(s); }
  const nb = leaders.length;

  // 2. The body.
  const b = new ByteWriter();
  const get = (r: number) => b.byte(Op.local_get).u32(REG0 + r);
  const set = (r: number) => b.byte(Op.local_set).u32(REG0 + r);
  const lget = (l: number) => b.byte(Op.local_get).u32(l);
  const lset = (l: number) => b.byte(Op.local_set).u32(l);
  const i64c = (v: bigint) => b.byte(Op.i64_const).s64(v);
  const i32c = (v: number) => b.byte(Op.i32_const).s32(v);
  const mem = (op: number, align: number, offset = 0) => b.byte(op).u32(align).u32(offset);
  let cur = 0; // the block being emitted
  const loopDepth = () => nb - cur; // blocks cur+1..nb-1, the fault block, then the loop
  const fault = (kind: JitFault, slot: number) => {
    i32c(kind); i32c(slot); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable);
  };
  // Go to `slot` (a leader); `extra` counts the blocks opened since the block's level (if/else).
  const jump = (slot: number, extra = 0) => {
    const k = blockOf[slot] as number;
    if (k > cur) {
      b.byte(Op.br).u32(k - cur - 1 + extra);
    } else {
      i32c(slot); lset(L_PC); b.byte(Op.br).u32(loopDepth() + extra);
    }
  };

  // Initial state.
  for (let r = 1; r <= 5; r++) { lget(P_R1 + r - 1); set(r); }
  lget(P_R10); set(10); lget(P_DEPTH0); lset(L_DEPTH); lget(P_ENTRY); lset(L_PC); i32c(MAY_GOTO_BUDGET); lset(L_BUDGET);
  b.byte(Op.loop).byte(BlockType.empty);
  // Fuel: one unit per pass through the dispatcher.
  lget(P_FUEL); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_tee).u32(P_FUEL); b.byte(Op.i32_eqz);
  b.byte(Op.if).byte(BlockType.empty); lget(L_PC); b.byte(Op.local_set).u32(L_A); i32c(JitFault.FUEL); lget(L_A); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable); b.byte(Op.end);
  b.byte(Op.block).byte(BlockType.empty); // the fault block
  for (let k = 0; k < nb; k++) b.byte(Op.block).byte(BlockType.empty);
  lget(L_PC);
  b.byte(Op.br_table).u32(n);
  for (let s = 0; s < n; s++) b.u32(blockOf[s] === -1 ? nb : (blockOf[s] as number));
  b.u32(nb);

  // Memory address of reg + off into L_A (i32), checked against the window for `size` bytes.
  const address = (reg: number, off: number, size: number, slot: number) => {
    get(reg); i64c(BigInt(off)); b.byte(Op.i64_add); b.byte(Op.local_tee).u32(L_T0);
    lget(P_LOW); b.byte(Op.i64_sub);
    lget(P_SPAN); i64c(BigInt(size)); b.byte(Op.i64_sub);
    b.byte(Op.i64_gt_u);
    b.byte(Op.if).byte(BlockType.empty); fault(JitFault.MEMORY, slot); b.byte(Op.end);
    lget(L_T0); b.byte(Op.i32_wrap_i64); lset(L_A);
  };
  const sizeOf = (opcode: number) => [4, 2, 1, 8][(opcode >> 3) & 3] as number;
  const alignOf = (size: number) => Math.log2(size);
  // Pushes the source operand of an ALU or jump instruction as i64 (64-bit) or i32 (32-bit).
  const src64 = (ins: { opcode: number; src: number; imm: number }) => { if (ins.opcode & 8) get(ins.src); else i64c(BigInt(ins.imm | 0)); };
  const src32 = (ins: { opcode: number; src: number; imm: number }) => { if (ins.opcode & 8) { get(ins.src); b.byte(Op.i32_wrap_i64); } else i32c(ins.imm | 0); };
  const bswap = (width: number) => {
    // Value on the stack as i64; result i64 zero-extended from `width`.
    if (width === 16) {
      b.byte(Op.i32_wrap_i64); lset(L_D32);
      lget(L_D32); i32c(8); b.byte(Op.i32_shr_u); i32c(0xff); b.byte(Op.i32_and);
      lget(L_D32); i32c(0xff); b.byte(Op.i32_and); i32c(8); b.byte(Op.i32_shl);
      b.byte(Op.i32_or); b.byte(Op.i64_extend_i32_u);
    } else if (width === 32) {
      b.byte(Op.i32_wrap_i64); lset(L_D32);
      lget(L_D32); i32c(8); b.byte(Op.i32_shr_u); i32c(0x00ff00ff); b.byte(Op.i32_and);
      lget(L_D32); i32c(0x00ff00ff); b.byte(Op.i32_and); i32c(8); b.byte(Op.i32_shl);
      b.byte(Op.i32_or); i32c(16); b.byte(Op.i32_rotl); b.byte(Op.i64_extend_i32_u);
    } else {
      lset(L_T1);
      lget(L_T1); i64c(8n); b.byte(Op.i64_shr_u); i64c(0x00ff00ff00ff00ffn); b.byte(Op.i64_and);
      lget(L_T1); i64c(0x00ff00ff00ff00ffn); b.byte(Op.i64_and); i64c(8n); b.byte(Op.i64_shl);
      b.byte(Op.i64_or); lset(L_T1);
      lget(L_T1); i64c(16n); b.byte(Op.i64_shr_u); i64c(0x0000ffff0000ffffn); b.byte(Op.i64_and);
      lget(L_T1); i64c(0x0000ffff0000ffffn); b.byte(Op.i64_and); i64c(16n); b.byte(Op.i64_shl);
      b.byte(Op.i64_or); i64c(32n); b.byte(Op.i64_rotl);
    }
  };
  // Push a BPF-to-BPF frame and go to `target` (a leader) or, when undefined, to the slot in L_PC via the loop.
  const pushFrame = (slot: number) => {
    lget(L_DEPTH); i32c(MAX_CALL_FRAMES - 1); b.byte(Op.i32_ge_u);
    b.byte(Op.if).byte(BlockType.empty); fault(JitFault.CALL_DEPTH, slot); b.byte(Op.end);
    lget(L_DEPTH); i32c(JIT_FRAME_RECORD); b.byte(Op.i32_mul); lget(P_FRAMES); b.byte(Op.i32_add); lset(L_A);
    for (let r = 6; r <= 9; r++) { lget(L_A); get(r); mem(Op.i64_store, 3, (r - 6) * 8); }
    lget(L_A); i32c(slot + 1); mem(Op.i32_store, 2, 32);
    lget(L_A); lget(L_BUDGET); mem(Op.i32_store, 2, FRAME_BUDGET_OFFSET); i32c(MAY_GOTO_BUDGET); lset(L_BUDGET);
    lget(L_DEPTH); i32c(1); b.byte(Op.i32_add); lset(L_DEPTH);
    get(10); i64c(BigInt(STACK_FRAME_SIZE)); b.byte(Op.i64_sub); set(10);
  };
  // Leave the current function with r0 as it is: return from `run` in the entry frame, else pop a frame. `extra`
  // counts the blocks opened since the block's level (if/else), as for `jump`.
  const exitFunction = (extra = 0) => {
    lget(L_DEPTH); lget(P_DEPTH0); b.byte(Op.i32_eq);
    b.byte(Op.if).byte(BlockType.empty); get(0); b.byte(Op.return); b.byte(Op.end);
    lget(L_DEPTH); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_tee).u32(L_DEPTH);
    i32c(JIT_FRAME_RECORD); b.byte(Op.i32_mul); lget(P_FRAMES); b.byte(Op.i32_add); lset(L_A);
    for (let r = 6; r <= 9; r++) { lget(L_A); mem(Op.i64_load, 3, (r - 6) * 8); set(r); }
    lget(L_A); mem(Op.i32_load, 2, 32); lset(L_PC);
    lget(L_A); mem(Op.i32_load, 2, FRAME_BUDGET_OFFSET); lset(L_BUDGET);
    get(10); i64c(BigInt(STACK_FRAME_SIZE)); b.byte(Op.i64_add); set(10);
    b.byte(Op.br).u32(loopDepth() + extra);
  };
  // After a call that may have been bpf_tail_call: when the core recorded a pending tail call, the target runs and
  // its r0 leaves this function. A target in the runtime's program table (a program loaded in jit mode) is called
  // straight from here, WebAssembly to WebAssembly; anything else (a program that is not JIT'd, an id the table
  // does not hold) goes through env.tail_call, which runs it or says why it cannot.
  const afterTailCall = () => {
    if (runtime === undefined) return;
    const rc = runtime.runCtx;
    lget(P_RUNCTX); mem(Op.i32_load, 2, rc.tailCallPending);
    b.byte(Op.if).byte(BlockType.empty);
    lget(P_RUNCTX); mem(Op.i32_load, 2, rc.tailCallTarget); b.byte(Op.local_tee).u32(L_A);
    b.byte(Op.prefix_fc).u32(TABLE_SIZE_SUBOP).u32(PROGRAM_TABLE); b.byte(Op.i32_lt_u);
    b.byte(Op.if).byte(BlockType.i32);
    lget(L_A); b.byte(Op.table_get).u32(PROGRAM_TABLE); b.byte(Op.ref_is_null); b.byte(Op.i32_eqz);
    b.byte(Op.else); i32c(0); b.byte(Op.end);
    b.byte(Op.if).byte(BlockType.empty);
    lget(P_RUNCTX); i32c(0); mem(Op.i32_store, 2, rc.tailCallPending);
    get(1); for (let r = 2; r <= 5; r++) i64c(0n);
    get(10); lget(P_FRAMES); lget(P_LOW); lget(P_SPAN); lget(P_FUEL); lget(P_RUNCTX); lget(L_DEPTH); i32c(0); lget(L_A);
    b.byte(Op.call_indirect).u32(T_RUN).u32(PROGRAM_TABLE); set(0);
    b.byte(Op.else);
    get(1); get(10); lget(L_DEPTH); lget(P_RUNCTX); lget(P_FRAMES); b.byte(Op.call).u32(F_TAIL); set(0);
    b.byte(Op.end);
    exitFunction(1);
    b.byte(Op.end);
  };
  const helperCall = (id: number, slot: number) => {
    const index = runtime?.helperTableIndex(id);
    if (runtime !== undefined && index === undefined) throw jitError(`helper #${id} is not in the runtime core`, prog, slot);
    if (runtime?.callsBack(id) === true) { lget(P_FRAMES); lget(L_DEPTH); mem(Op.i32_store, 2, JIT_CALLBACK_DEPTH_OFFSET); }
    if (index !== undefined) {
      for (let r = 1; r <= 5; r++) get(r);
      lget(P_RUNCTX); i32c(index); b.byte(Op.call_indirect).u32(T_CORE_HELPER).u32(CORE_TABLE);
      set(0);
    } else {
      i32c(id); for (let r = 1; r <= 5; r++) get(r); lget(P_RUNCTX); b.byte(Op.call).u32(F_HELPER); set(0);
    }
    if (id === TAIL_CALL_HELPER) afterTailCall();
  };
  const dynamicHelperCall = (reg: number) => {
    lget(P_FRAMES); lget(L_DEPTH); mem(Op.i32_store, 2, JIT_CALLBACK_DEPTH_OFFSET); // it may be a helper that calls back
    get(reg); b.byte(Op.i32_wrap_i64); for (let r = 1; r <= 5; r++) get(r); lget(P_RUNCTX); b.byte(Op.call).u32(F_HELPER); set(0);
    afterTailCall();
  };
  // LD_ABS / LD_IND with the runtime: a big-endian load from the packet at imm (+ src), or, outside the packet, the
  // end of the function with r0 = 0, as Linux's bpf_gen_ld_abs does (in the program's own frame the program ends).
  const packetLoad = (opcode: number, src: number, imm: number) => {
    if (runtime === undefined) return false;
    const size = sizeOf(opcode);
    if (size === 8) return false;
    // off = imm (+ src as 32 bits), a signed 32-bit offset; negative is outside.
    if ((opcode & 0xe0) === 0x40) { get(src); b.byte(Op.i32_wrap_i64); i32c(imm); b.byte(Op.i32_add); } else i32c(imm);
    b.byte(Op.i64_extend_i32_s); lset(L_T0);
    // address = data + off; outside when off < 0 or address + size > data_end.
    lget(P_RUNCTX); mem(Op.i64_load, 3, runtime.runCtx.data); lget(L_T0); b.byte(Op.i64_add); lset(L_T1);
    lget(L_T0); i64c(0n); b.byte(Op.i64_lt_s);
    lget(L_T1); i64c(BigInt(size)); b.byte(Op.i64_add); lget(P_RUNCTX); mem(Op.i64_load, 3, runtime.runCtx.dataEnd); b.byte(Op.i64_gt_u);
    b.byte(Op.i32_or);
    b.byte(Op.if).byte(BlockType.empty); i64c(0n); set(0); exitFunction(1); b.byte(Op.end);
    lget(L_T1); b.byte(Op.i32_wrap_i64);
    mem(size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u, 0);
    if (size > 1) bswap(size * 8);
    set(0);
    return true;
  };

  for (let s = 0; s < n; s++) {
    const ins = insAt(s);
    if (blockOf[s] !== -1) {
      cur = blockOf[s] as number;
      b.byte(Op.end); // the block whose end is this leader's start
    }
    if (ins === undefined) continue;
    const { opcode, dst, src, offset } = ins;
    const imm = ins.imm | 0;
    const cls = opcode & 7;
    const op = opcode & 0xf0;
    // Linux refuses a write to r10 only on paths it explores, so dead code may hold one: it traps if it ever runs.
    if (writesFramePointer(ins)) {
      fault(JitFault.FRAME_WRITE, s);
      continue;
    }
    switch (cls) {
      case 0: { // LD
        if (opcode !== 0x18) { if (!packetLoad(opcode, src, imm)) fault(JitFault.UNSUPPORTED, s); break; }
        const lo = BigInt((code[2 * s + 1] as number) >>> 0);
        const hi = BigInt((code[2 * s + 3] as number) >>> 0);
        i64c((hi << 32n) | lo); set(dst);
        break;
      }
      case 1: { // LDX
        const mode = opcode & 0xe0;
        const size = sizeOf(opcode);
        address(src, offset, size, s);
        lget(L_A);
        if (mode === 0x60) mem(({ 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load } as Record<number, number>)[size] as number, alignOf(size));
        else if (mode === 0x80) mem(({ 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s } as Record<number, number>)[size] as number, alignOf(size));
        else throw jitError(`unknown load mode 0x${mode.toString(16)}`, prog, s);
        set(dst);
        break;
      }
      case 2:
      case 3: { // ST, STX
        const mode = opcode & 0xe0;
        const size = sizeOf(opcode);
        const store = ({ 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store } as Record<number, number>)[size] as number;
        const load = ({ 4: Op.i64_load32_u, 8: Op.i64_load } as Record<number, number>)[size];
        address(dst, offset, size, s);
        if (mode === 0x60) {
          lget(L_A);
          if (cls === 2) i64c(BigInt(imm)); else get(src);
          mem(store, alignOf(size));
        } else if (mode === 0xc0 && cls === 3 && load !== undefined) {
          const a = alignOf(size);
          lget(L_A); mem(load, a); lset(L_T0); // the old value (zero-extended for 32 bits)
          const base = imm & ~1;
          const fetch = (imm & 1) === 1;
          const arith = ({ 0x00: Op.i64_add, 0x40: Op.i64_or, 0x50: Op.i64_and, 0xa0: Op.i64_xor } as Record<number, number>)[base];
          if (arith !== undefined) {
            lget(L_A); lget(L_T0); get(src); b.byte(arith); mem(store, a);
            if (fetch) { lget(L_T0); set(src); }
          } else if (imm === 0xe1) { // xchg
            lget(L_A); get(src); mem(store, a);
            lget(L_T0); set(src);
          } else if (imm === 0xf1) { // cmpxchg
            lget(L_T0); get(0);
            if (size === 4) { i64c(0xffffffffn); b.byte(Op.i64_and); }
            b.byte(Op.i64_eq);
            b.byte(Op.if).byte(BlockType.empty); lget(L_A); get(src); mem(store, a); b.byte(Op.end);
            lget(L_T0); set(0);
          } else {
            throw jitError(`unknown atomic operation 0x${imm.toString(16)}`, prog, s);
          }
        } else {
          throw jitError(`unknown store mode 0x${mode.toString(16)}`, prog, s);
        }
        break;
      }
      case 4:
      case 7:
        alu(ins.opcode, dst, src, offset, imm, cls === 7, s);
        break;
      case 5:
      case 6: {
        const w64 = cls === 5;
        if (op === 0x00) { jump(s + 1 + (cls === 6 ? imm : offset)); break; }
        if (opcode === 0x85) {
          if (src === 1) { pushFrame(s); jump(s + 1 + imm); }
          else helperCall(imm, s);
          break;
        }
        if (opcode === 0x8d) { // callx
          get(dst); i64c(32n); b.byte(Op.i64_shr_u); i64c(BigInt(CODE_ADDRESS_TAG + prog.id)); b.byte(Op.i64_eq);
          b.byte(Op.if).byte(BlockType.empty);
          pushFrame(s); get(dst); b.byte(Op.i32_wrap_i64); lset(L_PC); b.byte(Op.br).u32(loopDepth() + 1);
          b.byte(Op.end);
          get(dst); i64c(0x7fffffffn); b.byte(Op.i64_gt_u);
          b.byte(Op.if).byte(BlockType.empty); fault(JitFault.BAD_CALL, s); b.byte(Op.end);
          dynamicHelperCall(dst);
          break;
        }
        if (opcode === 0x95) { // exit
          exitFunction();
          break;
        }
        if (opcode === 0xe5) { // may_goto: jump once the call's budget is used up, else spend one unit
          lget(L_BUDGET); b.byte(Op.i32_eqz);
          b.byte(Op.if).byte(BlockType.empty); jump(s + 1 + offset, 1); b.byte(Op.end);
          lget(L_BUDGET); i32c(1); b.byte(Op.i32_sub); lset(L_BUDGET);
          break;
        }
        // Conditional jumps.
        if (op === 0x40) { // jset
          if (w64) { get(dst); src64(ins); b.byte(Op.i64_and); b.byte(Op.i64_eqz); }
          else { get(dst); b.byte(Op.i32_wrap_i64); src32(ins); b.byte(Op.i32_and); b.byte(Op.i32_eqz); }
          b.byte(Op.i32_eqz);
        } else {
          const cmp64 = ({ 0x10: Op.i64_eq, 0x20: Op.i64_gt_u, 0x30: Op.i64_ge_u, 0x50: Op.i64_ne, 0x60: Op.i64_gt_s, 0x70: Op.i64_ge_s, 0xa0: Op.i64_lt_u, 0xb0: Op.i64_le_u, 0xc0: Op.i64_lt_s, 0xd0: Op.i64_le_s } as Record<number, number>)[op];
          if (cmp64 === undefined) throw jitError(`unknown jump opcode 0x${opcode.toString(16)}`, prog, s);
          if (w64) { get(dst); src64(ins); b.byte(cmp64); }
          else { get(dst); b.byte(Op.i32_wrap_i64); src32(ins); b.byte(cmp64 - (Op.i64_eq - Op.i32_eq)); }
        }
        b.byte(Op.if).byte(BlockType.empty); jump(s + 1 + offset, 1); b.byte(Op.end);
        break;
      }
    }
  }
  // Past the last block: the fault block's end, reached by br_table for a slot that is no leader.
  b.byte(Op.end);
  i32c(JitFault.BAD_TARGET); lget(L_PC); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable);
  b.byte(Op.end); // the loop
  b.byte(Op.unreachable);

  function alu(opcode: number, dst: number, src: number, offset: number, imm: number, w64: boolean, s: number): void {
    const op = opcode & 0xf0;
    const x = (opcode & 8) !== 0;
    const ins = { opcode, src, imm };
    if (w64) {
      const simple = ({ 0x00: Op.i64_add, 0x10: Op.i64_sub, 0x20: Op.i64_mul, 0x40: Op.i64_or, 0x50: Op.i64_and, 0x60: Op.i64_shl, 0x70: Op.i64_shr_u, 0xa0: Op.i64_xor, 0xc0: Op.i64_shr_s } as Record<number, number>)[op];
      if (simple !== undefined) { get(dst); src64(ins); b.byte(simple); set(dst); return; }
      switch (op) {
        case 0x30: case 0x90: { // div, mod (offset 1: signed)
          src64(ins); lset(L_T1);
          lget(L_T1); b.byte(Op.i64_eqz);
          b.byte(Op.if).byte(BlockType.i64);
          if (op === 0x30) i64c(0n); else get(dst);
          b.byte(Op.else);
          if (offset === 1) {
            lget(L_T1); i64c(-1n); b.byte(Op.i64_eq);
            b.byte(Op.if).byte(BlockType.i64);
            if (op === 0x30) { i64c(0n); get(dst); b.byte(Op.i64_sub); } else i64c(0n);
            b.byte(Op.else); get(dst); lget(L_T1); b.byte(op === 0x30 ? Op.i64_div_s : Op.i64_rem_s); b.byte(Op.end);
          } else {
            get(dst); lget(L_T1); b.byte(op === 0x30 ? Op.i64_div_u : Op.i64_rem_u);
          }
          b.byte(Op.end); set(dst);
          return;
        }
        case 0x80: i64c(0n); get(dst); b.byte(Op.i64_sub); set(dst); return;
        case 0xb0:
          if (x && offset !== 0) {
            get(src);
            b.byte(({ 8: Op.i64_extend8_s, 16: Op.i64_extend16_s, 32: Op.i64_extend32_s } as Record<number, number>)[offset] ?? Op.unreachable);
          } else src64(ins);
          set(dst);
          return;
        case 0xd0: get(dst); bswap(imm); set(dst); return; // ALU64 END: unconditional bswap
        default: throw jitError(`unknown ALU64 opcode 0x${opcode.toString(16)}`, prog, s);
      }
    }
    const simple = ({ 0x00: Op.i32_add, 0x10: Op.i32_sub, 0x20: Op.i32_mul, 0x40: Op.i32_or, 0x50: Op.i32_and, 0x60: Op.i32_shl, 0x70: Op.i32_shr_u, 0xa0: Op.i32_xor, 0xc0: Op.i32_shr_s } as Record<number, number>)[op];
    const dst32 = () => { get(dst); b.byte(Op.i32_wrap_i64); };
    if (simple !== undefined) { dst32(); src32(ins); b.byte(simple); b.byte(Op.i64_extend_i32_u); set(dst); return; }
    switch (op) {
      case 0x30: case 0x90: {
        src32(ins); lset(L_S32);
        lget(L_S32); b.byte(Op.i32_eqz);
        b.byte(Op.if).byte(BlockType.i32);
        if (op === 0x30) i32c(0); else dst32();
        b.byte(Op.else);
        if (offset === 1) {
          lget(L_S32); i32c(-1); b.byte(Op.i32_eq);
          b.byte(Op.if).byte(BlockType.i32);
          if (op === 0x30) { i32c(0); dst32(); b.byte(Op.i32_sub); } else i32c(0);
          b.byte(Op.else); dst32(); lget(L_S32); b.byte(op === 0x30 ? Op.i32_div_s : Op.i32_rem_s); b.byte(Op.end);
        } else {
          dst32(); lget(L_S32); b.byte(op === 0x30 ? Op.i32_div_u : Op.i32_rem_u);
        }
        b.byte(Op.end); b.byte(Op.i64_extend_i32_u); set(dst);
        return;
      }
      case 0x80: i32c(0); dst32(); b.byte(Op.i32_sub); b.byte(Op.i64_extend_i32_u); set(dst); return;
      case 0xb0:
        if (x && offset !== 0) {
          get(src); b.byte(Op.i32_wrap_i64);
          b.byte(({ 8: Op.i32_extend8_s, 16: Op.i32_extend16_s } as Record<number, number>)[offset] ?? Op.nop_);
        } else src32(ins);
        b.byte(Op.i64_extend_i32_u); set(dst);
        return;
      case 0xd0:
        get(dst);
        if ((opcode & 8) !== 0) bswap(imm); // be: swap on this little-endian machine
        else if (imm === 16) { i64c(0xffffn); b.byte(Op.i64_and); }
        else if (imm === 32) { i64c(0xffffffffn); b.byte(Op.i64_and); }
        set(dst);
        return;
      default: throw jitError(`unknown ALU opcode 0x${opcode.toString(16)}`, prog, s);
    }
  }

  const runType = { params: [ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i32, ValType.i64, ValType.i64, ValType.i32, ValType.i32, ValType.i32, ValType.i32], results: [ValType.i64] };
  const types: FuncType[] = [
    // T_HELPER, T_FAULT, T_RUN, T_CORE_HELPER, T_TAIL
    { params: [ValType.i32, ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i32], results: [ValType.i64] },
    { params: [ValType.i32, ValType.i32], results: [] },
    runType,
    { params: [ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i32], results: [ValType.i64] },
    { params: [ValType.i64, ValType.i64, ValType.i32, ValType.i32, ValType.i32], results: [ValType.i64] },
  ];
  const imports: ImportDef[] = [
    { module: 'env', name: 'helper', kind: 'func', type: T_HELPER },
    { module: 'env', name: 'fault', kind: 'func', type: T_FAULT },
    { module: 'env', name: 'tail_call', kind: 'func', type: T_TAIL },
    { module: 'env', name: 'memory', kind: 'memory', minPages: 1 },
    { module: 'env', name: 'table', kind: 'table', minElements: 0 },
  ];
  const functions: FuncDef[] = [{ type: T_RUN, locals: LOCALS, body: b.finish() }];
  const exports = [{ name: 'run', func: F_RUN }];
  if (runtime !== undefined) {
    types.push(
      // T_REPEAT, T_XDP_BATCH
      { params: [ValType.i64, ValType.i64, ValType.i32, ValType.i32, ValType.i32, ValType.i32], results: [ValType.i64] },
      { params: [ValType.i32, ValType.i64, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], results: [ValType.i32] },
    );
    imports.push({ module: 'env', name: 'programs', kind: 'table', minElements: 0 });
    functions.push(repeatFunction(runtime), xdpBatchFunction(runtime));
    exports.push({ name: 'repeat', func: F_REPEAT }, { name: 'run_xdp_batch', func: F_XDP_BATCH });
  }
  const bytes = encodeModule({ types, imports, functions, exports });
  return { bytes, leaders, slotCount: n };
}

/** Stores zero in the run context's per-run results (what Linux starts every run without): `rc` is a local. */
function clearRunResults(w: ByteWriter, runtime: JitRuntimeBinding, rc: number): void {
  const f = runtime.runCtx;
  for (const off of [f.tailCallPending, f.tailCallCount, f.redirectKind, f.traceCount]) {
    w.byte(Op.local_get).u32(rc).byte(Op.i32_const).s32(0).byte(Op.i32_store).u32(2).u32(off);
  }
}

/** The body of `repeat` (see {@link JitRepeatFunction}). */
function repeatFunction(runtime: JitRuntimeBinding): FuncDef {
  const R1 = 0, R10 = 1, FRAMES = 2, FUEL = 3, RC = 4, COUNT = 5, R0 = 6;
  const w = new ByteWriter();
  w.byte(Op.loop).byte(BlockType.empty);
  clearRunResults(w, runtime, RC);
  w.byte(Op.local_get).u32(R1);
  for (let r = 2; r <= 5; r++) w.byte(Op.i64_const).s64(0n);
  w.byte(Op.local_get).u32(R10).byte(Op.local_get).u32(FRAMES).byte(Op.i64_const).s64(0n).byte(Op.i64_const).s64(FOUR_GIB);
  w.byte(Op.local_get).u32(FUEL).byte(Op.local_get).u32(RC).byte(Op.i32_const).s32(0).byte(Op.i32_const).s32(0);
  w.byte(Op.call).u32(F_RUN).byte(Op.local_set).u32(R0);
  w.byte(Op.local_get).u32(COUNT).byte(Op.i32_const).s32(1).byte(Op.i32_sub).byte(Op.local_tee).u32(COUNT).byte(Op.br_if).u32(0);
  w.byte(Op.end);
  w.byte(Op.local_get).u32(R0);
  return { type: T_REPEAT, locals: [ValType.i64], body: w.finish() };
}

/** The body of `run_xdp_batch` (see {@link JitXdpBatchFunction}). */
function xdpBatchFunction(runtime: JitRuntimeBinding): FuncDef {
  const CTX = 0, R10 = 1, FRAMES = 2, FUEL = 3, RC = 4, BUF = 5, STRIDE = 6, HEADROOM = 7, LENGTHS = 8, COUNT = 9, RESULTS = 10;
  const I = 11, START = 12, LEN = 13, DATA = 14, ROOM = 15;
  const f = runtime.runCtx;
  const w = new ByteWriter();
  const get = (l: number) => w.byte(Op.local_get).u32(l);
  const set = (l: number) => w.byte(Op.local_set).u32(l);
  // room = stride - headroom (the longest packet a frame holds); nothing to run when headroom > stride.
  get(HEADROOM); get(STRIDE); w.byte(Op.i32_gt_u);
  w.byte(Op.if).byte(BlockType.empty).byte(Op.i32_const).s32(0).byte(Op.return).byte(Op.end);
  get(STRIDE); get(HEADROOM); w.byte(Op.i32_sub); set(ROOM);
  get(BUF); set(START);
  w.byte(Op.block).byte(BlockType.empty);
  get(COUNT); w.byte(Op.i32_eqz).byte(Op.br_if).u32(0);
  w.byte(Op.loop).byte(BlockType.empty);
  // len = min(lengths[i], room); data = start + headroom.
  get(LENGTHS); get(I); w.byte(Op.i32_const).s32(2).byte(Op.i32_shl).byte(Op.i32_add).byte(Op.i32_load).u32(2).u32(0); set(LEN);
  get(LEN); get(ROOM); w.byte(Op.i32_gt_u);
  w.byte(Op.if).byte(BlockType.empty); get(ROOM); set(LEN); w.byte(Op.end);
  get(START); get(HEADROOM); w.byte(Op.i32_add); set(DATA);
  // The run context's packet (u64 fields) and the xdp_md's (u32 fields).
  const store64 = (off: number, push: () => void) => { get(RC); push(); w.byte(Op.i64_extend_i32_u).byte(Op.i64_store).u32(3).u32(off); };
  const store32 = (off: number, push: () => void) => { get(CTX); push(); w.byte(Op.i32_store).u32(2).u32(off); };
  const data = () => get(DATA);
  const end = () => { get(DATA); get(LEN); w.byte(Op.i32_add); };
  store64(f.data, data);
  store64(f.dataEnd, end);
  store64(f.dataMeta, data);
  store64(f.dataHardStart, () => get(START));
  store64(f.dataHardEnd, () => { get(START); get(STRIDE); w.byte(Op.i32_add); });
  store32(XDP_MD.data, data);
  store32(XDP_MD.dataEnd, end);
  store32(XDP_MD.dataMeta, data);
  clearRunResults(w, runtime, RC);
  // results[i] = run(ctx, ...)
  get(RESULTS); get(I); w.byte(Op.i32_const).s32(3).byte(Op.i32_shl).byte(Op.i32_add);
  get(CTX); w.byte(Op.i64_extend_i32_u);
  for (let r = 2; r <= 5; r++) w.byte(Op.i64_const).s64(0n);
  get(R10); get(FRAMES); w.byte(Op.i64_const).s64(0n).byte(Op.i64_const).s64(FOUR_GIB);
  get(FUEL); get(RC); w.byte(Op.i32_const).s32(0).byte(Op.i32_const).s32(0);
  w.byte(Op.call).u32(F_RUN);
  w.byte(Op.i64_store).u32(3).u32(0);
  // Next frame.
  get(START); get(STRIDE); w.byte(Op.i32_add); set(START);
  get(I); w.byte(Op.i32_const).s32(1).byte(Op.i32_add); w.byte(Op.local_tee).u32(I); get(COUNT); w.byte(Op.i32_lt_u).byte(Op.br_if).u32(0);
  w.byte(Op.end); // loop
  w.byte(Op.end); // block
  get(COUNT);
  return { type: T_XDP_BATCH, locals: [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], body: w.finish() };
}

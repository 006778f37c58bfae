/**
 * The JIT proper: a prepared eBPF program (see the interp layer's `prepareProgram`) becomes a WebAssembly module,
 * semantics exactly the interpreter's.
 *
 * Shape of the module:
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
 * the run context's pending flag and, when set, hands over to the target and leaves the function as `exit`
 * does; legacy packet loads (LD_ABS/LD_IND) read the packet bounds from the run context. `depth0` is the number of
 * call frames already in use below this entry (a tail call from a subprogram runs in that subprogram's place; a
 * callback runs one frame below its helper's caller), so the 8-frame limit holds across the hand-over, and `entry`
 * is the slot to start at (a callback's function). Before a helper that calls back (bpf_loop...), the code stores
 * its frame depth in the word after the frame records ({@link JIT_CALLBACK_DEPTH_OFFSET}), where the host reads
 * it to start the callback one frame further down.
 *
 * The code inside takes one of two shapes. The structured one (structured.ts), whenever the program's control
 * flow allows it: each eBPF function is a WebAssembly function, its loops are `loop`s and its branches `br`s, so
 * the engine sees ordinary code it can optimise. The dispatcher (dispatcher.ts) otherwise: the whole program in one
 * function, every block reached through a `br_table`. {@link JitModule.shape} says which one a module has and,
 * for the dispatcher, why. Both spend one unit of fuel per loop iteration (the structured shape) or per pass
 * through the dispatcher, the bound on a run that never ends.
 *
 * Memory checks: see translate-instruction.ts. In short, conformance runs check every access against the window
 * `[low, low + span)` they give; the runtime's only require an address below 4 GiB (the core's memory is the
 * sandbox, the verifier proved the rest), checked once per base register and leaving out the current stack frame.
 *
 * Author: Claude.
 *
 * @module
 */

import type { PreparedProgram } from '../interp/index.ts';
import { analyseFunctions } from './control-flow.ts';
import { dispatcherFunction } from './dispatcher.ts';
import { CORE_MEMORY_MAX_PAGES, F_REPEAT, F_RUN, F_XDP_BATCH, G_FRAMES, G_FUEL, MODULE_TYPES, T_REPEAT, T_XDP_BATCH, XDP_MD } from './module-layout.ts';
import { checkEntryR10, structuredFunctions } from './structured.ts';
import { BlockType, ByteWriter, encodeModule, type FuncDef, type GlobalDef, type ImportDef, Op, ValType } from './wasm-encoder.ts';

import type { JitRuntimeBinding } from './runtime-binding.ts';
export { describeJitFault, JitFault, JIT_CALLBACK_DEPTH_OFFSET, JIT_FRAME_AREA, JIT_FRAME_RECORD } from './module-layout.ts';

export type { JitMapLookup, JitRuntimeBinding } from './runtime-binding.ts';

/** Options of {@link compileProgram}. */
export interface JitCompileOptions {
  /**
   * Bind helpers, tail calls and packet loads to the runtime core (see {@link JitRuntimeBinding}). A program
   * compiled with a binding is taken to be verified (the runtime verifies every program it compiles): its code
   * may then read no register the verifier calls uninitialised, which is what lets BPF-to-BPF calls be
   * WebAssembly calls.
   */
  readonly runtime?: JitRuntimeBinding;
  /** Use the dispatcher shape even where the structured one would do (tests compare the two). */
  readonly shape?: 'dispatcher';
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
  /** The program's slot count. */
  readonly slotCount: number;
  /**
   * The shape of the code: `structured` (one WebAssembly function per eBPF function, structured control flow), or
   * `dispatcher` with the reason the structured shape could not be used.
   */
  readonly shape: { readonly kind: 'structured'; readonly functions: number } | { readonly kind: 'dispatcher'; readonly why: string };
}

const FOUR_GIB = 1n << 32n;

/**
 * Compiles `prog` (prepared by the interp layer, which has validated it and resolved `lddw`) to a module.
 *
 * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an instruction the JIT cannot translate.
 */
export function compileProgram(prog: PreparedProgram, options: JitCompileOptions = {}): JitModule {
  const runtime = options.runtime;
  const imports: ImportDef[] = [
    { module: 'env', name: 'helper', kind: 'func', type: 0 },
    { module: 'env', name: 'fault', kind: 'func', type: 1 },
    { module: 'env', name: 'tail_call', kind: 'func', type: 4 },
    // Bound to the core's memory, the module declares it never grows past 2 GiB: an address wrapped to 32 bits
    // from a register that may have been at or above 4 GiB is then at or past 2 GiB, and traps (see
    // RegisterFacts.wrapTraps). A memory that could grow further fails to link.
    runtime === undefined
      ? { module: 'env', name: 'memory', kind: 'memory', minPages: 1 }
      : { module: 'env', name: 'memory', kind: 'memory', minPages: 1, maxPages: CORE_MEMORY_MAX_PAGES },
    { module: 'env', name: 'table', kind: 'table', minElements: 0 },
  ];
  if (runtime !== undefined) imports.push({ module: 'env', name: 'programs', kind: 'table', minElements: 0 });
  const exports = [{ name: 'run', func: F_RUN }];
  if (runtime !== undefined) exports.push({ name: 'repeat', func: F_REPEAT }, { name: 'run_xdp_batch', func: F_XDP_BATCH });
  const firstFunction = runtime !== undefined ? F_XDP_BATCH + 1 : F_RUN + 1;

  // The structured shape where the graph allows it (and, without a binding, where no call needs the exact
  // register file the dispatcher keeps).
  const why = options.shape === 'dispatcher' ? 'asked for' : runtime === undefined ? unverifiedCalls(prog) : undefined;
  const analysis = why === undefined ? analyseFunctions(prog) : { ok: false as const, why };
  if (analysis.ok) {
    const { run, functions } = structuredFunctions(prog, analysis.functions, runtime, firstFunction);
    const entry = firstFunction; // the function at slot 0 comes first
    const callEntry: EntryCall = { kind: 'structured', func: entry };
    const defined: FuncDef[] = [run];
    if (runtime !== undefined) defined.push(repeatFunction(runtime, callEntry), xdpBatchFunction(runtime, callEntry));
    defined.push(...functions);
    const globals: GlobalDef[] = [{ type: ValType.i32 }, { type: ValType.i32 }, { type: ValType.i64 }, { type: ValType.i64 }];
    const bytes = encodeModule({ types: MODULE_TYPES, imports, functions: defined, globals, exports });
    return { bytes, slotCount: prog.slotCount, shape: { kind: 'structured', functions: analysis.functions.length } };
  }
  const { run } = dispatcherFunction(prog, runtime);
  const defined: FuncDef[] = [run];
  if (runtime !== undefined) defined.push(repeatFunction(runtime, { kind: 'run' }), xdpBatchFunction(runtime, { kind: 'run' }));
  const bytes = encodeModule({ types: MODULE_TYPES, imports, functions: defined, exports });
  return { bytes, slotCount: prog.slotCount, shape: { kind: 'dispatcher', why: analysis.why } };
}

/** Why an unverified program needs the dispatcher (a BPF-to-BPF call or a function address), or undefined. */
function unverifiedCalls(prog: PreparedProgram): string | undefined {
  for (let s = 0; s < prog.slotCount; s++) {
    const ins = prog.bySlot[s];
    if (ins === undefined) continue;
    if (ins.opcode === 0x85 && ins.src === 1) return `an unverified program calls a function at instruction ${s}`;
    if (ins.opcode === 0x18 && ins.src === 4) return `an unverified program takes a function's address at instruction ${s}`;
    if (ins.opcode === 0x8d) return `an unverified program uses callx at instruction ${s}`;
  }
  return undefined;
}

/**
 * How `repeat` and `run_xdp_batch` start one run: through the exported `run` (dispatcher shape), or by calling
 * the entry function directly once the run's globals are set (structured shape).
 */
type EntryCall = { readonly kind: 'run' } | { readonly kind: 'structured'; readonly func: number };

/** Pushes the arguments after r1 (r2-r5 = 0, r10, ...) and calls the program's entry; leaves r0 on the stack. */
function callEntry(w: ByteWriter, entry: EntryCall, locals: { r10: number; frames: number; fuel: number; runCtx: number }): void {
  for (let r = 2; r <= 5; r++) w.byte(Op.i64_const).s64(0n);
  w.byte(Op.local_get).u32(locals.r10);
  if (entry.kind === 'run') {
    w.byte(Op.local_get).u32(locals.frames).byte(Op.i64_const).s64(0n).byte(Op.i64_const).s64(FOUR_GIB);
    w.byte(Op.local_get).u32(locals.fuel).byte(Op.local_get).u32(locals.runCtx).byte(Op.i32_const).s32(0).byte(Op.i32_const).s32(0);
    w.byte(Op.call).u32(F_RUN);
  } else {
    w.byte(Op.i32_const).s32(0).byte(Op.local_get).u32(locals.runCtx);
    w.byte(Op.call).u32(entry.func);
  }
}

/** Before a loop of runs in the structured shape: the entry's r10 checked, the frame area in its global. */
function structuredPrologue(w: ByteWriter, entry: EntryCall, r10: number, frames: number): void {
  if (entry.kind !== 'structured') return;
  checkEntryR10(w, r10);
  w.byte(Op.local_get).u32(frames).byte(Op.global_set).u32(G_FRAMES);
}

/** Before one run in the structured shape: its fuel. */
function structuredFuel(w: ByteWriter, entry: EntryCall, fuel: number): void {
  if (entry.kind === 'structured') w.byte(Op.local_get).u32(fuel).byte(Op.global_set).u32(G_FUEL);
}

/** Stores zero in the run context's per-run results (what Linux starts every run without): `rc` is a local. */
function clearRunResults(w: ByteWriter, runtime: JitRuntimeBinding, rc: number): void {
  const f = runtime.runCtx;
  for (const off of [f.tailCallPending, f.tailCallCount, f.redirectKind, f.traceCount]) {
    w.byte(Op.local_get).u32(rc).byte(Op.i32_const).s32(0).byte(Op.i32_store).u32(2).u32(off);
  }
}

/** The body of `repeat` (see {@link JitRepeatFunction}). */
function repeatFunction(runtime: JitRuntimeBinding, entry: EntryCall): FuncDef {
  const R1 = 0, R10 = 1, FRAMES = 2, FUEL = 3, RC = 4, COUNT = 5, R0 = 6;
  const w = new ByteWriter();
  structuredPrologue(w, entry, R10, FRAMES);
  w.byte(Op.loop).byte(BlockType.empty);
  clearRunResults(w, runtime, RC);
  structuredFuel(w, entry, FUEL);
  w.byte(Op.local_get).u32(R1);
  callEntry(w, entry, { r10: R10, frames: FRAMES, fuel: FUEL, runCtx: RC });
  w.byte(Op.local_set).u32(R0);
  w.byte(Op.local_get).u32(COUNT).byte(Op.i32_const).s32(1).byte(Op.i32_sub).byte(Op.local_tee).u32(COUNT).byte(Op.br_if).u32(0);
  w.byte(Op.end);
  w.byte(Op.local_get).u32(R0);
  return { type: T_REPEAT, locals: [ValType.i64], body: w.finish() };
}

/** The body of `run_xdp_batch` (see {@link JitXdpBatchFunction}). */
function xdpBatchFunction(runtime: JitRuntimeBinding, entry: EntryCall): FuncDef {
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
  structuredPrologue(w, entry, R10, FRAMES);
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
  structuredFuel(w, entry, FUEL);
  // results[i] = run(ctx, ...)
  get(RESULTS); get(I); w.byte(Op.i32_const).s32(3).byte(Op.i32_shl).byte(Op.i32_add);
  get(CTX); w.byte(Op.i64_extend_i32_u);
  callEntry(w, entry, { r10: R10, frames: FRAMES, fuel: FUEL, runCtx: RC });
  w.byte(Op.i64_store).u32(3).u32(0);
  // Next frame.
  get(START); get(STRIDE); w.byte(Op.i32_add); set(START);
  get(I); w.byte(Op.i32_const).s32(1).byte(Op.i32_add); w.byte(Op.local_tee).u32(I); get(COUNT); w.byte(Op.i32_lt_u).byte(Op.br_if).u32(0);
  w.byte(Op.end); // loop
  w.byte(Op.end); // block
  get(COUNT);
  return { type: T_XDP_BATCH, locals: [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32], body: w.finish() };
}

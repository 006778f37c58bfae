/**
 * The runtime's `jit` mode: a verified program compiled to WebAssembly once, at load, and run over the core's own
 * memory, with its helper calls going straight into the core's function table.
 *
 * What keeps a JIT'd program in bounds is the verifier (every program is verified before it is compiled, as Linux
 * verifies before its JIT runs) and, behind it, the WebAssembly sandbox: an address outside the core's memory
 * traps in the engine, and an address of 4 GiB or more (which would wrap in a 32-bit memory) faults in the
 * generated code, so a wild pointer can at worst touch the core's memory, never the host's. No per-region checks
 * run, which is what makes this mode faster than the interpreter.
 *
 * Tail calls: the core's bpf_tail_call records the target; the generated code then calls `env.tail_call`, which
 * runs the target's module with the same context (and, from a subprogram, in that subprogram's frame) and hands
 * its r0 back. A target must itself have been loaded in jit mode: a program that was only interpreted has not been
 * verified, and running its code unchecked would defeat the point.
 *
 * Author: Claude.
 *
 * @module
 */

import { CODE_ADDRESS_TAG, ExecutionError, FaultKind, MAX_CALL_FRAMES, type PreparedProgram, STACK_FRAME_SIZE } from '../interp/index.ts';
import { compileProgram, describeJitFault, JIT_CALLBACK_DEPTH_OFFSET, JIT_FRAME_AREA, JitFault, type JitMapLookup, type JitRepeatFunction, type JitRunFunction, type JitRuntimeBinding, type JitXdpBatchFunction, wasm, type WasmModule, type WasmTable } from '../jit/index.ts';
import { type CoreWasm, HelperFlags, MAP_INFO_SIZE, MapType, RunCtxLayout } from '../core/index.ts';

/** The part of the runtime a JIT'd program needs: the core, and the programs tail calls may enter. */
export interface JitServices {
  readonly core: CoreWasm;
  /**
   * The runtime's JIT'd programs by id (entry `id` is the `run` function of the jit program with that id, null for
   * any other id): tail calls between JIT'd programs go through it without leaving WebAssembly.
   */
  readonly programTable: WasmTable;
  /** The JIT'd program with runtime id `id`, or why a tail call may not enter it. */
  jitProgramById(id: number): JitProgram | string;
  /** One byte per program id below `limit` in core memory, set while `programTable` holds a JIT'd program there. */
  readonly jitPrograms?: { readonly address: number; readonly limit: number };
}

/** The addresses one run gives the generated code. */
export interface JitRunFrame {
  /** The run context. */
  readonly runCtx: number;
  /** The top of the 8-frame stack block (r10 of the entry frame). */
  readonly stackTop: number;
  /** The frame-record area, {@link JIT_FRAME_AREA} bytes. */
  readonly frames: number;
}

/** Bytes a run needs for the JIT's frame records (saved r6-r9 and return slots of BPF-to-BPF calls). */
export const JIT_FRAMES_SIZE = JIT_FRAME_AREA;

const FOUR_GIB = 1n << 32n;

const FAULT_KIND: Record<number, FaultKind> = {
  [JitFault.MEMORY]: FaultKind.MEMORY,
  [JitFault.CALL_DEPTH]: FaultKind.CALL_DEPTH,
  [JitFault.BAD_CALL]: FaultKind.BAD_CALL,
  [JitFault.BAD_TARGET]: FaultKind.BAD_CALL,
  [JitFault.FUEL]: FaultKind.INSTRUCTION_LIMIT,
  [JitFault.UNSUPPORTED]: FaultKind.MEMORY,
};

/** How the generated code finds the core's helpers, maps, run-context fields and the runtime's JIT'd programs. */
export function jitBinding(services: JitServices): JitRuntimeBinding {
  const core = services.core;
  return {
    ...(services.jitPrograms === undefined ? {} : { jitPrograms: services.jitPrograms }),
    helperTableIndex: (id) => (core.helperImplemented(id) ? core.exports.bpfship_helper_fn_of(id) : undefined),
    callsBack: (id) => (core.helperFlags(id) & HelperFlags.Callback) !== 0,
    mapLookup: (address) => jitMapLookup(core, address),
    progArray: (address) => {
      const slots = core.exports.bpfship_prog_array_slots(address);
      if (slots === 0) return undefined;
      const info = core.alloc(MAP_INFO_SIZE);
      try {
        if (core.exports.bpfship_map_get_info(address, info) !== 0) return undefined;
        return { slots, maxEntries: core.view().getUint32(info + 16, true) };
      } finally {
        core.free(info);
      }
    },
    runCtx: {
      cpu: RunCtxLayout.cpu,
      tailCallPending: RunCtxLayout.tailCallPending,
      tailCallTarget: RunCtxLayout.tailCallTarget,
      tailCallCount: RunCtxLayout.tailCallCount,
      redirectKind: RunCtxLayout.redirectKind,
      traceCount: RunCtxLayout.traceCount,
      data: RunCtxLayout.data,
      dataEnd: RunCtxLayout.dataEnd,
      dataMeta: RunCtxLayout.dataMeta,
      dataHardStart: RunCtxLayout.dataHardStart,
      dataHardEnd: RunCtxLayout.dataHardEnd,
      progType: RunCtxLayout.progType,
    },
  };
}

/**
 * How the JIT may look up the core's map at `address` without bpf_map_lookup_elem: arrays and per-CPU arrays in
 * place (their values never move while the map lives, and a program holds its maps), any other type through its
 * own lookup function.
 */
function jitMapLookup(core: CoreWasm, address: number): JitMapLookup | undefined {
  const info = core.alloc(MAP_INFO_SIZE);
  let type: number;
  let maxEntries: number;
  try {
    if (core.exports.bpfship_map_get_info(address, info) !== 0) return undefined;
    const dv = core.view();
    type = dv.getUint32(info + 4, true);
    maxEntries = dv.getUint32(info + 16, true);
  } finally {
    core.free(info);
  }
  if (type === MapType.Array || type === MapType.PerCPUArray) {
    const at = (index: number, cpu: number): number => core.exports.bpfship_map_value_addr(address, index, cpu);
    const values = at(0, 0);
    if (values === 0) return undefined;
    const stride = maxEntries > 1 ? at(1, 0) - values : 0;
    const cpuStride = type === MapType.PerCPUArray && core.ncpus > 1 ? at(0, 1) - values : 0;
    return { kind: 'array', values, stride, cpuStride, maxEntries };
  }
  const tableIndex = core.exports.bpfship_map_lookup_op(address);
  return tableIndex === 0 ? undefined : { kind: 'call', tableIndex };
}

/** A program compiled for the runtime's jit mode. */
export class JitProgram {
  readonly prepared: PreparedProgram;
  /** Size of the generated WebAssembly module, bytes. */
  readonly moduleSize: number;
  /** Milliseconds spent generating and compiling the module. */
  readonly compileMs: number;
  /** The module's exported `run`: what the runtime's program table holds for this program's id. */
  readonly run: JitRunFunction;
  private readonly repeatRuns: JitRepeatFunction;
  private readonly xdpBatch: JitXdpBatchFunction;
  private readonly fuel: number;
  /** The runtime it runs in (callbacks and tail calls find their programs there). */
  readonly services: JitServices;

  /**
   * Compiles `prepared` (which the caller has verified) against the core of `services`.
   *
   * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an instruction or helper the JIT cannot bind.
   */
  constructor(services: JitServices, prepared: PreparedProgram, fuel: number) {
    const t0 = performance.now();
    this.services = services;
    this.prepared = prepared;
    this.fuel = Math.min(fuel, 0x7fffffff);
    const core = services.core;
    const compiled = compileProgram(prepared, { runtime: jitBinding(services) });
    const module: WasmModule = new wasm.Module(compiled.bytes);
    const instance = new wasm.Instance(module, {
      env: {
        memory: core.memory,
        table: core.exports.__indirect_function_table,
        helper: (id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, runCtx: number): bigint => {
          // Only `callx` on a helper number gets here (constant helper calls are bound at compile time).
          const fn = core.helper(id);
          if (fn === undefined) throw this.fault(FaultKind.BAD_CALL, -1, `callx to helper #${id}, which the runtime core does not have`);
          return fn(r1, r2, r3, r4, r5, runCtx);
        },
        fault: (kind: number, slot: number): never => {
          throw this.fault(FAULT_KIND[kind] ?? FaultKind.MEMORY, slot, kind === JitFault.MEMORY ? 'an address of 4 GiB or more' : describeJitFault(kind));
        },
        tail_call: (r1: bigint, r10: bigint, depth: number, runCtx: number, frames: number): bigint => this.tailCall(r1, r10, depth, runCtx, frames),
        programs: services.programTable,
      },
    });
    this.run = instance.exports['run'] as JitRunFunction;
    this.repeatRuns = instance.exports['repeat'] as JitRepeatFunction;
    this.xdpBatch = instance.exports['run_xdp_batch'] as JitXdpBatchFunction;
    this.moduleSize = compiled.bytes.length;
    this.compileMs = performance.now() - t0;
  }

  /**
   * Runs the program with r1 = `ctx` in `frame`. Returns r0.
   *
   * @throws {ExecutionError} when the program faults or traps in the engine.
   */
  execute(ctx: number, frame: JitRunFrame): bigint {
    return this.enter([BigInt(ctx), 0n, 0n, 0n, 0n], BigInt(frame.stackTop), frame.frames, frame.runCtx, 0, 0);
  }

  /**
   * Runs the program `count` times with r1 = `ctx` in `frame`, in one loop inside WebAssembly (BPF_PROG_TEST_RUN's
   * repeat: each run starts with the run context's per-run results cleared, nothing else restored). Returns the
   * last r0.
   *
   * @throws {ExecutionError} when a run faults or traps in the engine.
   */
  executeRepeat(ctx: number, frame: JitRunFrame, count: number): bigint {
    try {
      return BigInt.asUintN(64, this.repeatRuns(BigInt(ctx), BigInt(frame.stackTop), frame.frames, this.fuel, frame.runCtx, count | 0));
    } catch (e) {
      throw this.engineFault(e);
    }
  }

  /**
   * Runs the program as XDP on each of `count` frames in core memory (see JitXdpBatchFunction): the xdp_md at
   * `ctx` and the run context describe frame i, r0 goes to `results + 8 * i`. Returns the number of frames run.
   *
   * @throws {ExecutionError} when a run faults or traps in the engine.
   */
  runXdpBatch(ctx: number, frame: JitRunFrame, buffer: number, stride: number, headroom: number, lengths: number, count: number, results: number): number {
    try {
      return this.xdpBatch(ctx, BigInt(frame.stackTop), frame.frames, this.fuel, frame.runCtx, buffer, stride, headroom, lengths, count, results) >>> 0;
    } catch (e) {
      throw this.engineFault(e);
    }
  }

  /**
   * Runs the callback at code address `fn` (a function of a JIT'd program) for the helper in progress in the run
   * using `frame`, with r1-r5 = `args`. Returns its r0.
   *
   * @throws {ExecutionError} for an address that is no function of a loaded jit program, or a frame too many.
   */
  static invokeCallback(services: JitServices, fn: bigint, args: readonly [bigint, bigint, bigint, bigint, bigint], frame: JitRunFrame): bigint {
    const programId = Number((fn >> 32n) & 0xffffffffn) - CODE_ADDRESS_TAG;
    const target = programId >= 0 ? services.jitProgramById(programId) : 'not a code address';
    if (typeof target === 'string') {
      throw new ExecutionError(`a callback at 0x${BigInt.asUintN(64, fn).toString(16)} is not a function of a program loaded in jit mode (${target})`, { kind: FaultKind.BAD_CALL, program: '?', pc: -1 });
    }
    const dv = new DataView(services.core.memory.buffer);
    const at = frame.frames + JIT_CALLBACK_DEPTH_OFFSET;
    const callerDepth = dv.getInt32(at, true);
    const depth = callerDepth + 1;
    if (callerDepth < 0 || depth >= MAX_CALL_FRAMES) throw target.fault(FaultKind.CALL_DEPTH, -1, `the callback would be call frame ${depth + 1}; at most ${MAX_CALL_FRAMES} frames are allowed`);
    try {
      return target.enter(args, BigInt(frame.stackTop - depth * STACK_FRAME_SIZE), frame.frames, frame.runCtx, depth, Number(fn & 0xffffffffn));
    } finally {
      // A callback that itself called a helper that calls back left its own depth there: the helper in progress
      // may call this one again.
      new DataView(services.core.memory.buffer).setInt32(at, callerDepth, true);
    }
  }

  private enter(args: readonly [bigint, bigint, bigint, bigint, bigint], r10: bigint, frames: number, runCtx: number, depth0: number, entry: number): bigint {
    try {
      return BigInt.asUintN(64, this.run(args[0], args[1], args[2], args[3], args[4], r10, frames, 0n, FOUR_GIB, this.fuel, runCtx, depth0, entry));
    } catch (e) {
      throw this.engineFault(e);
    }
  }

  /** What to throw for `e`, thrown out of the generated code: an ExecutionError as it is, a trap as a fault. */
  private engineFault(e: unknown): unknown {
    if (e instanceof ExecutionError) return e;
    const engine = e instanceof wasm.RuntimeError || e instanceof RangeError;
    if (!engine) return e;
    // A trap is a wild access past the core's memory, or (RangeError) the engine's own stack running out.
    return this.fault(FaultKind.MEMORY, -1, `trapped in WebAssembly: ${(e as Error).message}`, e);
  }

  private tailCall(r1: bigint, r10: bigint, depth: number, runCtx: number, frames: number): bigint {
    const core = this.services.core;
    const id = core.takeTailCall(runCtx);
    // No target (the slot emptied since): the pending flag was stale; the caller leaves with r0 = 0 as Linux's
    // successful bpf_tail_call never returns.
    if (id === undefined) return 0n;
    const target = this.services.jitProgramById(id);
    if (typeof target === 'string') throw this.fault(FaultKind.BAD_CALL, -1, `bpf_tail_call to program id ${id}: ${target}`);
    return target.enter([r1, 0n, 0n, 0n, 0n], r10, frames, runCtx, depth, 0);
  }

  /** @internal The error for a fault of this program. */
  fault(kind: FaultKind, slot: number, why: string, cause?: unknown): ExecutionError {
    const { insn: _insn, ...where } = this.prepared.where;
    const at = slot >= 0 ? ` at instruction ${slot}` : '';
    return new ExecutionError(`program '${this.prepared.name}' (jit) faulted${at}: ${why}`, { kind, program: this.prepared.name, pc: slot }, slot >= 0 ? { ...where, insn: slot } : where, cause === undefined ? undefined : { cause });
  }
}

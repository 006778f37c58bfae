/**
 * The `jit` execution mode for bpf_conformance tests: the same environment as the interpreter's (the interp
 * layer's {@link ConformanceHost} lays out the memory: a guard, the 8-frame stack, the test memory), run by the
 * module {@link compileProgram} builds, over a WebAssembly.Memory holding a copy of that layout.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Instruction } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { CONFORMANCE_UNWIND_HELPER, ConformanceHost, DEFAULT_INSTRUCTION_LIMIT, STACK_SIZE, prepareConformanceProgram, type PreparedProgram } from '../interp/index.ts';
import { wasm, type WasmModule } from './wasm-api.ts';
import { JIT_FRAME_AREA, compileProgram, describeJitFault, type JitRunFunction } from './compile.ts';

/** The shape of the CLI's `ConformanceExecutor` (src/cli/commands/conformance.ts), without importing the CLI. */
export interface JitConformanceExecutor {
  run(instructions: readonly Instruction[], mem: Uint8Array, options: { xdp: boolean; file?: string }): bigint;
  prepare?(programs: readonly { readonly instructions: readonly Instruction[]; readonly xdp?: boolean }[]): void;
  close?(): void;
}


// Thrown by the unwind helper to stop the run with r0 = 0; caught by runJit.
class Unwind {
  readonly r0: bigint;
  constructor(r0: bigint) {
    this.r0 = r0;
  }
}

/** Compiles a prepared program to a WebAssembly.Module. */
export function compileToModule(prog: PreparedProgram): WasmModule {
  return new wasm.Module(compileProgram(prog).bytes);
}

/**
 * Runs a compiled conformance program: r1 = the copy of `mem` (0 when empty; with `xdp`, an xdp_md over it),
 * r2 = its length. Returns r0. `fuel` bounds the passes through the dispatcher (back edges, returns, callx); the
 * default is the interpreter's instruction limit.
 *
 * @throws {BpfshipError} code `JIT_FAULT` when the run faults, `JIT_TRAP` when the engine traps.
 */
export function runJitConformance(prog: PreparedProgram, module: WasmModule, mem: Uint8Array, options: { xdp?: boolean; fuel?: number } = {}): bigint {
  const xdp = options.xdp ?? false;
  const fuel = options.fuel ?? DEFAULT_INSTRUCTION_LIMIT;
  if (!Number.isInteger(fuel) || fuel < 1 || fuel > 0x7fffffff) throw new RangeError(`fuel ${fuel} is outside 1-${0x7fffffff}`);
  const host = new ConformanceHost();
  const { stack, r1, regions } = host.load(mem, xdp);
  const image = new Uint8Array(host.memory());
  let end = stack + STACK_SIZE;
  for (const r of regions) end = Math.max(end, r.end);
  const frames = (Math.max(end, image.length) + 7) & ~7;
  const pages = Math.ceil((frames + JIT_FRAME_AREA) / 65536);
  const memory = new wasm.Memory({ initial: pages });
  new Uint8Array(memory.buffer).set(image);
  const where = { ...prog.where };
  const imports = {
    env: {
      memory,
      helper(id: number, a1: bigint): bigint {
        if (id !== CONFORMANCE_UNWIND_HELPER) throw new BpfshipError('JIT_FAULT', `program '${prog.name}': helper #${id} does not exist`, where);
        if (a1 === 0n) throw new Unwind(0n);
        return a1;
      },
      fault(kind: number, slot: number): never {
        throw new BpfshipError('JIT_FAULT', `program '${prog.name}' faulted at instruction ${slot}: ${describeJitFault(kind)}`, { ...where, insn: slot });
      },
      tail_call(): never {
        throw new BpfshipError('JIT_FAULT', `program '${prog.name}': tail calls do not exist in a conformance run`, where);
      },
      table: new wasm.Table({ element: 'anyfunc', initial: 0 }),
    },
  };
  const instance = new wasm.Instance(module, imports);
  const run = instance.exports['run'] as JitRunFunction;
  try {
    return BigInt.asUintN(64, run(BigInt(r1), BigInt(mem.length), 0n, 0n, 0n, BigInt(stack + STACK_SIZE), frames, BigInt(stack), BigInt(end - stack), fuel, 0, 0, 0));
  } catch (e) {
    if (e instanceof Unwind) return e.r0;
    if (e instanceof BpfshipError) throw e;
    if (e instanceof wasm.RuntimeError || e instanceof RangeError) {
      throw new BpfshipError('JIT_TRAP', `program '${prog.name}' trapped in WebAssembly: ${(e as Error).message}`, where, { cause: e });
    }
    throw e;
  }
}

/**
 * The `jit` conformance executor: each program is prepared as the interpreter's (same refusals), compiled to
 * WebAssembly once (cached by its instructions' bytes) and run over a fresh memory.
 */
export function jitConformanceExecutor(): JitConformanceExecutor {
  const cache = new Map<string, { prog: PreparedProgram; module: WasmModule }>();
  const load = (instructions: readonly Instruction[], file?: string) => {
    const prog = prepareConformanceProgram(instructions, file);
    const key = `${file ?? ''}\0${Array.from(prog.code).join(',')}`;
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = { prog, module: compileToModule(prog) };
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    run(instructions, mem, options) {
      const { prog, module } = load(instructions, options.file);
      return runJitConformance(prog, module, mem, { xdp: options.xdp });
    },
    close() {
      cache.clear();
    },
  };
}

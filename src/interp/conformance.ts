/**
 * The environment bpf_conformance tests run in, needing no runtime core: a memory holding a copy of the test's
 * `-- mem` bytes and the stack, r1 pointing at that copy (0 when there is none) and r2 holding its length, and the
 * one helper the suite calls, #5, which behaves as uBPF's "unwind" test helper: it returns its first argument, and
 * when that is 0 the program stops there with r0 = 0.
 *
 * The same functions serve `bpfship conformance` (tests from `.data` files) and `bpfship conformance-plugin`
 * (program bytes and memory from the suite's runner).
 *
 * Author: Claude.
 *
 * @module
 */

import { type ConformanceTest, type Instruction, assemble, decodeInstructions } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { HelperOutcome, type InterpreterHost, STACK_SIZE } from './host.ts';
import { Interpreter } from './interpreter.ts';
import type { MemoryRegion } from './memory-region.ts';
import { type HelperCatalog, type PreparedProgram, prepareProgram } from './prepare.ts';

/** The helper the suite's tests call (`call_unwind_fail`, `callx`): uBPF's unwind helper. */
export const CONFORMANCE_UNWIND_HELPER = 5;

/** The helpers of the conformance environment. */
export const conformanceHelpers: HelperCatalog = {
  has: (id) => id === CONFORMANCE_UNWIND_HELPER,
  name: (id) => (id === CONFORMANCE_UNWIND_HELPER ? 'unwind (conformance test helper)' : undefined),
};

// Layout of the conformance address space: a guard so that no region starts at 0 (NULL), the stack, the memory.
const GUARD = 64;
// struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex (u32 each).
const XDP_MD_SIZE = 24;

/** A conformance run's memory and helpers, reusable across tests. */
export class ConformanceHost implements InterpreterHost {
  private buffer = new ArrayBuffer(GUARD + STACK_SIZE + 64);

  memory(): ArrayBuffer {
    return this.buffer;
  }

  callHelper(id: number, interp: Interpreter): HelperOutcome {
    if (id !== CONFORMANCE_UNWIND_HELPER) return HelperOutcome.UNKNOWN;
    interp.lo[0] = interp.lo[1] as number;
    interp.hi[0] = interp.hi[1] as number;
    return interp.lo[0] === 0 && interp.hi[0] === 0 ? HelperOutcome.EXIT : HelperOutcome.CONTINUE;
  }

  /**
   * Sets up a fresh memory for one run: the stack zeroed, `mem` copied after it. Returns the stack, r1 and the
   * regions. With `xdp`, r1 is an `xdp_md` whose data and data_end delimit the copy (the runner's `--xdp_prolog`
   * programs read the packet through it); otherwise r1 points at the copy itself.
   */
  load(mem: Uint8Array, xdp = false): { stack: number; r1: number; regions: MemoryRegion[] } {
    const ctxAddress = GUARD + STACK_SIZE;
    const memAddress = ctxAddress + (xdp ? XDP_MD_SIZE : 0);
    const size = memAddress + ((mem.length + 7) & ~7);
    if (this.buffer.byteLength < size) this.buffer = new ArrayBuffer(size);
    const u8 = new Uint8Array(this.buffer);
    u8.fill(0);
    u8.set(mem, memAddress);
    const regions: MemoryRegion[] = mem.length === 0 ? [] : [{ start: memAddress, end: memAddress + mem.length, writable: true, name: xdp ? 'packet' : 'mem' }];
    if (xdp) {
      const dv = new DataView(this.buffer);
      dv.setUint32(ctxAddress, memAddress, true);
      dv.setUint32(ctxAddress + 4, memAddress + mem.length, true);
      dv.setUint32(ctxAddress + 8, memAddress, true);
      regions.push({ start: ctxAddress, end: ctxAddress + XDP_MD_SIZE, writable: false, name: 'context (xdp_md)' });
      return { stack: GUARD, r1: ctxAddress, regions };
    }
    return { stack: GUARD, r1: mem.length === 0 ? 0 : memAddress, regions };
  }
}

/** The program of a test: the `-- raw` bytes when present (they replace the assembly), else the assembled `-- asm`. */
export function conformanceInstructions(test: ConformanceTest, file?: string): Instruction[] {
  if (test.raw !== undefined) return decodeInstructions(test.raw, file === undefined ? {} : { file });
  return assemble(test.asm ?? '', { dialect: 'conformance', ...(file === undefined ? {} : { file }), ...(test.asmLine === undefined ? {} : { firstLine: test.asmLine }) });
}

/** Prepares instructions for the conformance environment (refusing what it cannot run, as the plugin must). */
export function prepareConformanceProgram(instructions: readonly Instruction[], file?: string): PreparedProgram {
  return prepareProgram(instructions, { name: file ?? 'test', helpers: conformanceHelpers, where: file === undefined ? {} : { file } });
}

/** Result of {@link runConformanceProgram}. */
export interface ConformanceRun {
  readonly r0: bigint;
  readonly instructions: number;
}

/**
 * Runs a prepared program the way the suite expects: r1 = the memory copy (0 without memory), r2 = its length; with
 * `xdp`, r1 = an `xdp_md` over the copy (see {@link ConformanceHost.load}).
 *
 * @throws {ExecutionError} when the run faults.
 */
export function runConformanceProgram(prog: PreparedProgram, mem: Uint8Array, options: { interp?: Interpreter; host?: ConformanceHost; xdp?: boolean } = {}): ConformanceRun {
  const h = options.host ?? new ConformanceHost();
  const vm = options.interp ?? new Interpreter(h);
  const { stack, r1, regions } = h.load(mem, options.xdp ?? false);
  const r0 = vm.run(prog, { stack, regions }, [BigInt(r1), BigInt(mem.length)]);
  return { r0, instructions: vm.instructions };
}

/** The verdict on one test. */
export interface ConformanceVerdict {
  readonly passed: boolean;
  /** r0 when the run completed. */
  readonly r0?: bigint;
  /** The error text when loading or running failed. */
  readonly error?: string;
  /** Why it failed, in one line (`expected 0x1, got 0x2`). */
  readonly reason?: string;
  readonly instructions: number;
}

/**
 * Assembles, prepares and runs one test and judges it as the suite's runner does: r0 must equal `-- result`; a test
 * with `-- error` passes when loading or running fails with exactly that text.
 */
export function checkConformanceTest(test: ConformanceTest, file?: string, vm?: { interp: Interpreter; host: ConformanceHost }): ConformanceVerdict {
  let run: ConformanceRun;
  try {
    const prog = prepareConformanceProgram(conformanceInstructions(test, file), file);
    run = runConformanceProgram(prog, test.mem, vm ?? {});
  } catch (e) {
    if (!(e instanceof BpfshipError)) throw e;
    const error = e.detail;
    if (test.error !== undefined && (test.error === '' || test.error === error)) return { passed: true, error, instructions: 0 };
    return { passed: false, error, reason: test.error === undefined ? `failed: ${e.message}` : `expected the error '${test.error}', got '${error}'`, instructions: 0 };
  }
  if (test.result === undefined) {
    return { passed: false, r0: run.r0, reason: `expected the error '${test.error ?? ''}', but the program returned 0x${run.r0.toString(16)}`, instructions: run.instructions };
  }
  if (run.r0 === test.result) return { passed: true, r0: run.r0, instructions: run.instructions };
  return { passed: false, r0: run.r0, reason: `expected 0x${test.result.toString(16)}, got 0x${run.r0.toString(16)}`, instructions: run.instructions };
}

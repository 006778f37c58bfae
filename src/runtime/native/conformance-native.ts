/**
 * The bpf_conformance suite in native mode: each test's program translated by bpf2c, many tests compiled into one
 * image (one compiler run for the whole suite, cached), loaded like any native image and run with r1 = a copy of
 * the test's memory and r2 = its length, as the suite's runner expects (see src/interp/conformance.ts for the
 * same environment in the interpreter).
 *
 * The suite's one helper, #5, returns its first argument (uBPF's "unwind" helper; every test calls it with a
 * non-zero argument, so the interpreter's stop-on-zero never triggers). It is a koffi callback: native code calls
 * back into JavaScript for it, which is slow but only two tests call it.
 *
 * Author: Claude.
 *
 * @module
 */
import { encodeInstructions, type Instruction } from '../../asm/index.ts';
import { BpfshipError } from '../../internal/errors.ts';
import { translateRaw, type Bpf2cOutput } from '../../bpf2c/index.ts';
import { compileCached, type OptimizationLevel } from '../../native/index.ts';
import { koffi } from '../../core/index.ts';
import { loadNativeImage, type NativeImage } from './native-image.ts';

/** The helper the conformance tests call. */
export const CONFORMANCE_HELPER = 5;

/** One test to run. */
export interface NativeConformanceTest {
  readonly name: string;
  readonly instructions: readonly Instruction[];
  readonly mem: Uint8Array;
  /** r1 is an xdp_md over the memory (the runner's --xdp_prolog programs). */
  readonly xdp?: boolean;
}

/** The outcome of one test: r0, or why it could not be translated, built or run. */
export interface NativeConformanceOutcome {
  readonly name: string;
  readonly r0?: bigint;
  readonly error?: string;
}

/** Options of the native conformance runs. */
export interface NativeConformanceOptions {
  readonly cc?: string;
  readonly optimization?: OptimizationLevel;
  /** Extra compiler flags (e.g. `-fsanitize=undefined` to check the generated code for undefined behaviour). */
  readonly extraFlags?: readonly string[];
  /** Build cache root, or false. */
  readonly cache?: string | false;
}

/** What a whole batch took. */
export interface NativeConformanceReport {
  readonly outcomes: readonly NativeConformanceOutcome[];
  readonly bpf2cMs: number;
  readonly compileMs: number;
  readonly runMs: number;
  readonly cached: boolean;
}

const HELPER_PROTO = koffi.proto('uint64_t bpfship_conformance_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *ctx)');
const RESOLVER_PROTO = koffi.proto('void *bpfship_conformance_resolver(uint32_t id)');
const PROGRAM_PROTO = koffi.proto('uint64_t bpfship_conformance_program(void *r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *run_ctx)');

let helperPointer: bigint | undefined;
let resolverPointer: bigint | undefined;
function conformanceCallbacks(): { helper: bigint; resolver: bigint } {
  helperPointer ??= BigInt(koffi.register((r1: number | bigint) => BigInt(r1), koffi.pointer(HELPER_PROTO)));
  const helper = helperPointer;
  resolverPointer ??= BigInt(koffi.register((id: number) => (id === CONFORMANCE_HELPER ? helper : null), koffi.pointer(RESOLVER_PROTO)));
  return { helper, resolver: resolverPointer };
}

function compileOptions(options: NativeConformanceOptions): { cc?: string; optimization?: OptimizationLevel; extraFlags?: readonly string[]; cache?: string | false } {
  return {
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.optimization !== undefined ? { optimization: options.optimization } : {}),
    ...(options.extraFlags !== undefined ? { extraFlags: options.extraFlags } : {}),
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
  };
}

/** A batch of translated, compiled and loaded tests. */
class NativeConformanceBatch {
  readonly image: NativeImage;
  private readonly fns: ((...args: unknown[]) => unknown)[];
  private readonly runCtx = Buffer.alloc(160);

  constructor(image: NativeImage) {
    this.image = image;
    const { helper, resolver } = conformanceCallbacks();
    image.metadata.helperIds.forEach((id, slot) => {
      if (id === CONFORMANCE_HELPER) image.bindHelper(slot, helper);
    });
    image.bindRuntime(0n, 0, resolver);
    this.fns = image.programFunctions.map((f) => koffi.decode(f, PROGRAM_PROTO) as (...args: unknown[]) => unknown);
  }

  run(index: number, mem: Uint8Array, xdp: boolean): bigint {
    this.runCtx.fill(0);
    if (xdp) {
      const buf = Buffer.alloc(Math.max(mem.length, 1));
      buf.set(mem);
      return this.image.runners.runXdp(index, BigInt(koffi.address(this.runCtx)), BigInt(koffi.address(buf)), 0, mem.length, mem.length);
    }
    const fn = this.fns[index] as (...args: unknown[]) => unknown;
    if (mem.length === 0) return BigInt.asUintN(64, BigInt(fn(null, 0n, 0n, 0n, 0n, this.runCtx) as number | bigint));
    const copy = Buffer.from(mem);
    return BigInt.asUintN(64, BigInt(fn(copy, BigInt(mem.length), 0n, 0n, 0n, this.runCtx) as number | bigint));
  }
}

function translateOne(t: NativeConformanceTest, name: string): Bpf2cOutput {
  return translateRaw([{ name, instructions: t.instructions, programType: t.xdp === true ? 'xdp' : 'unspec' }], { sourceName: 'conformance' });
}

/**
 * Runs tests in native mode: translated one by one (so that one untranslatable test fails alone), compiled
 * together into one image, run in order.
 *
 * @example
 * ```ts
 * const report = runConformanceNative(files.map((f) => ({ name: f, instructions: conformanceInstructions(parse(f)), mem })));
 * report.outcomes.filter((o) => o.r0 !== expected(o.name));
 * ```
 */
export function runConformanceNative(tests: readonly NativeConformanceTest[], options: NativeConformanceOptions = {}): NativeConformanceReport {
  const t0 = performance.now();
  const outcomes: NativeConformanceOutcome[] = tests.map((t) => ({ name: t.name }));
  const accepted: { index: number; program: number }[] = [];
  const programs: { name: string; instructions: readonly Instruction[]; programType: 'xdp' | 'unspec' }[] = [];
  tests.forEach((t, i) => {
    const name = `t${i}_${t.name.replace(/^.*\//, '').replace(/\.data$/, '')}`;
    try {
      const out = translateOne(t, name);
      const unknown = out.metadata.helperIds.find((id) => id !== CONFORMANCE_HELPER);
      if (unknown !== undefined) throw new BpfshipError('NATIVE_CONFORMANCE', `helper ${unknown} is not available in the conformance environment (only helper ${CONFORMANCE_HELPER})`);
      accepted.push({ index: i, program: programs.length });
      programs.push({ name, instructions: t.instructions, programType: t.xdp === true ? 'xdp' : 'unspec' });
    } catch (e) {
      if (!(e instanceof BpfshipError)) throw e;
      outcomes[i] = { name: t.name, error: e.detail };
    }
  });
  const c = translateRaw(programs, { sourceName: 'conformance', outputName: 'conformance.bpf2c.c' }).c;
  const bpf2cMs = performance.now() - t0;
  const compiled = compileCached(c, { fileName: 'conformance.bpf2c.c', ...compileOptions(options) });
  const t1 = performance.now();
  const image = loadNativeImage(compiled.so, { name: 'conformance.so', expectedSha256: compiled.soSha256 });
  try {
    const batch = new NativeConformanceBatch(image);
    for (const a of accepted) {
      const t = tests[a.index] as NativeConformanceTest;
      outcomes[a.index] = { name: t.name, r0: batch.run(a.program, t.mem, t.xdp === true) };
    }
  } finally {
    image.unload();
  }
  return { outcomes, bpf2cMs, compileMs: compiled.compileMs, runMs: performance.now() - t1, cached: compiled.cached };
}

/** The shape of src/cli/commands/conformance.ts's ConformanceExecutor. */
export interface NativeConformanceExecutor {
  run(instructions: readonly Instruction[], mem: Uint8Array, options: { xdp: boolean; file?: string }): bigint;
  /** Builds one image for all of these programs at once, so that later `run` calls find them compiled. */
  prepare(programs: readonly { readonly instructions: readonly Instruction[]; readonly xdp?: boolean }[]): void;
  /** Unloads the images. */
  close(): void;
}

/**
 * A per-test executor for `bpfship conformance --mode native` and the plugin. A program not seen by `prepare` is
 * built alone (through the cache: the first run of the suite costs one compiler run per test, later runs none).
 *
 * @throws {BpfshipError} from `run` when the program cannot be translated or uses a helper other than #5.
 */
export function nativeConformanceExecutor(options: NativeConformanceOptions = {}): NativeConformanceExecutor {
  const known = new Map<string, { batch: NativeConformanceBatch; index: number }>();
  const batches: NativeConformanceBatch[] = [];
  const keyOf = (instructions: readonly Instruction[], xdp: boolean): string => `${xdp ? 'x' : 'r'}:${Buffer.from(encodeInstructions(instructions)).toString('hex')}`;
  const build = (programs: readonly { readonly instructions: readonly Instruction[]; readonly xdp?: boolean }[], strict: boolean): void => {
    const fresh: { instructions: readonly Instruction[]; xdp: boolean; key: string; name: string }[] = [];
    for (const p of programs) {
      const key = keyOf(p.instructions, p.xdp === true);
      if (known.has(key) || fresh.some((f) => f.key === key)) continue;
      const name = `p${known.size + fresh.length}`;
      try {
        const out = translateOne({ name, instructions: p.instructions, mem: new Uint8Array(0), xdp: p.xdp === true }, name);
        const unknown = out.metadata.helperIds.find((id) => id !== CONFORMANCE_HELPER);
        if (unknown !== undefined) throw new BpfshipError('NATIVE_CONFORMANCE', `helper ${unknown} is not available in the conformance environment (only helper ${CONFORMANCE_HELPER})`);
      } catch (e) {
        if (strict || !(e instanceof BpfshipError)) throw e;
        continue; // `run` reports it when the test comes
      }
      fresh.push({ instructions: p.instructions, xdp: p.xdp === true, key, name });
    }
    if (fresh.length === 0) return;
    const c = translateRaw(fresh.map((f) => ({ name: f.name, instructions: f.instructions, programType: f.xdp ? 'xdp' : 'unspec' })), { sourceName: 'conformance', outputName: 'conformance.bpf2c.c' }).c;
    const compiled = compileCached(c, { fileName: 'conformance.bpf2c.c', ...compileOptions(options) });
    const batch = new NativeConformanceBatch(loadNativeImage(compiled.so, { name: 'conformance.so', expectedSha256: compiled.soSha256 }));
    batches.push(batch);
    fresh.forEach((f, index) => known.set(f.key, { batch, index }));
  };
  return {
    run(instructions, mem, opts) {
      const key = keyOf(instructions, opts.xdp);
      if (!known.has(key)) build([{ instructions, xdp: opts.xdp }], true);
      const entry = known.get(key) as { batch: NativeConformanceBatch; index: number };
      return entry.batch.run(entry.index, mem, opts.xdp);
    },
    prepare(programs) {
      build(programs, false);
    },
    close() {
      for (const b of batches) b.image.unload();
      batches.length = 0;
      known.clear();
    },
  };
}

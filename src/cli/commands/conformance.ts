/**
 * `bpfship conformance --mode MODE FILE.data...` runs bpf_conformance tests; `bpfship conformance-plugin` is a
 * plugin for the suite's own runner (`bpf_conformance_runner --plugin_path bpfship-plugin.sh ...`).
 *
 * Plugin protocol (tools/bpf_conformance.cc, lib/src/bpf_conformance.cc): the program arrives on stdin as hex
 * bytes (two digits each, separated by spaces), raw instructions or, with `--elf`, an ELF object; the test's memory
 * is the first argument in the same encoding (absent when the test has none); the plugin prints r0 in hex and exits
 * 0, or prints an error on stderr and exits 1.
 *
 * Execution modes plug in through {@link conformanceExecutors}: `interpret` now, `jit` and `native` when their
 * layers register an executor there.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { decodeInstructions, parseConformanceData, type Instruction } from '../../asm/index.ts';
import { ConformanceHost, Interpreter, conformanceInstructions, prepareConformanceProgram, runConformanceProgram } from '../../interp/index.ts';
import { readElf } from '../../elf/index.ts';
import { BpfshipError } from '../../internal/errors.ts';
import { linkProgram, readObject, selectPrograms } from '../../spec/index.ts';
import { readInput, UsageError } from '../io.ts';
import type { Io, CommandContext } from '../context.ts';

/** Runs one conformance program in some execution mode. */
export interface ConformanceExecutor {
  /**
   * Runs `instructions` with r1 = a copy of `mem` (0 without memory; with `xdp`, an xdp_md over it) and r2 = its
   * length; returns r0. Throws a BpfshipError when the program is refused or faults.
   */
  run(instructions: readonly Instruction[], mem: Uint8Array, options: { xdp: boolean; file?: string }): bigint;
  /** Compiles ahead, all at once, the programs `run` will be given (modes that build code, like native). */
  prepare?(programs: readonly { readonly instructions: readonly Instruction[]; readonly xdp?: boolean }[]): void;
  /** Releases what the executor holds (loaded images). */
  close?(): void;
}

/** The interpreter as a conformance executor (one interpreter and memory reused across tests). */
export function interpretExecutor(): ConformanceExecutor {
  const host = new ConformanceHost();
  const interp = new Interpreter(host);
  return {
    run(instructions, mem, options) {
      const prog = prepareConformanceProgram(instructions, options.file);
      return runConformanceProgram(prog, mem, { host, interp, xdp: options.xdp }).r0;
    },
  };
}

/**
 * Execution modes: a factory per mode, undefined for the modes not built yet. Other layers add theirs here. The jit
 * and native executors are loaded when asked for: the suite's runner starts the plugin once per test, and native
 * mode's executor loads the core library through koffi, which the interpreter does not need.
 */
export const conformanceExecutors: Record<string, (() => Promise<ConformanceExecutor>) | undefined> = {
  interpret: () => Promise.resolve(interpretExecutor()),
  jit: async () => (await import('../../jit/index.ts')).jitConformanceExecutor(),
  native: async () => (await import('../../runtime/native/conformance-native.ts')).nativeConformanceExecutor(),
};

/** The executor for `--mode`, or a UsageError naming the modes. */
export async function executorFor(mode: string): Promise<ConformanceExecutor> {
  if (!Object.hasOwn(conformanceExecutors, mode)) {
    throw new UsageError(`unknown mode '${mode}' (expected ${Object.keys(conformanceExecutors).join(', ')})`);
  }
  const make = conformanceExecutors[mode];
  if (make === undefined) {
    const ready = Object.entries(conformanceExecutors).filter(([, f]) => f !== undefined).map(([m]) => m);
    throw new UsageError(`mode '${mode}' is not available yet (available: ${ready.join(', ')})`);
  }
  return make();
}

/** Decodes the protocol's hex encoding: byte tokens of two hex digits separated by whitespace. */
export function decodeHexBytes(text: string, what: string): Uint8Array {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  const out = new Uint8Array(tokens.length);
  tokens.forEach((t, i) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(t)) throw new UsageError(`${what}: expected hex bytes separated by spaces, found '${t.slice(0, 20)}' at token ${i + 1}`);
    out[i] = parseInt(t, 16);
  });
  return out;
}

/** The summary of a conformance run. */
export interface ConformanceSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Wall time of the runs, milliseconds. */
  ms: number;
}

/**
 * Runs `.data` files in `mode`, writing a line per failure (and per pass with `verbose`) and the closing
 * `N passed, M failed`. Files the suite's runner skips (no `-- result` or `-- error`, unknown directives) are
 * counted as skipped and said so.
 */
export async function runConformanceFiles(files: readonly string[], mode: string, io: Io, verbose = false): Promise<ConformanceSummary> {
  const executor = await executorFor(mode);
  const summary: ConformanceSummary = { passed: 0, failed: 0, skipped: 0, ms: 0 };
  const t0 = performance.now();
  // 1. Read every test, so that a mode that compiles can build all programs at once.
  const tests: { file: string; test: ReturnType<typeof parseConformanceData> }[] = [];
  for (const file of files) {
    const text = new TextDecoder().decode(readInput(file));
    let test;
    try {
      test = parseConformanceData(text, file);
    } catch (e) {
      if (!(e instanceof BpfshipError)) throw e;
      summary.skipped++;
      io.stdout(`SKIP ${file}: ${e.detail}\n`);
      continue;
    }
    if (test.result === undefined && test.error === undefined) {
      summary.skipped++;
      io.stdout(`SKIP ${file}: no '-- result' or '-- error' section\n`);
      continue;
    }
    tests.push({ file, test });
  }
  try {
    if (executor.prepare !== undefined) {
      const programs = [];
      for (const { file, test } of tests) {
        try {
          programs.push({ instructions: conformanceInstructions(test, file), xdp: false });
        } catch (e) {
          if (!(e instanceof BpfshipError)) throw e; // judged (and reported) below
        }
      }
      executor.prepare(programs);
    }
    // 2. Run and judge each.
    for (const { file, test } of tests) {
      const { passed, reason } = judge(executor, test, file);
      if (passed) {
        summary.passed++;
        if (verbose) io.stdout(`PASS ${file}\n`);
      } else {
        summary.failed++;
        io.stdout(`FAIL ${file}: ${reason ?? 'failed'}\n`);
      }
    }
  } finally {
    executor.close?.();
  }
  summary.ms = performance.now() - t0;
  return summary;
}

function judge(executor: ConformanceExecutor, test: ReturnType<typeof parseConformanceData>, file: string): { passed: boolean; reason?: string } {
  let r0: bigint;
  try {
    r0 = executor.run(conformanceInstructions(test, file), test.mem, { xdp: false, file });
  } catch (e) {
    if (!(e instanceof BpfshipError)) throw e;
    if (test.error !== undefined && (test.error === '' || test.error === e.detail)) return { passed: true };
    return { passed: false, reason: test.error === undefined ? `failed: ${e.message}` : `expected the error '${test.error}', got '${e.detail}'` };
  }
  if (test.result === undefined) return { passed: false, reason: `expected the error '${test.error ?? ''}', but the program returned 0x${r0.toString(16)}` };
  return r0 === test.result ? { passed: true } : { passed: false, reason: `expected 0x${test.result.toString(16)}, got 0x${r0.toString(16)}` };
}

/**
 * The plugin's work: decode stdin (raw instructions or, with `elf`, an object whose `main` function, or first
 * program, is run) and the memory argument, run, and return r0.
 */
export async function runPlugin(stdinText: string, memArg: string | undefined, options: { mode: string; elf: boolean; xdp: boolean }): Promise<bigint> {
  const code = decodeHexBytes(stdinText, 'stdin');
  const mem = memArg === undefined ? new Uint8Array(0) : decodeHexBytes(memArg, 'memory argument');
  const executor = await executorFor(options.mode);
  let instructions: readonly Instruction[];
  let xdp = options.xdp;
  if (options.elf) {
    ({ instructions, xdp } = elfProgram(code, xdp));
  } else {
    instructions = decodeInstructions(code, { file: 'stdin' });
  }
  return executor.run(instructions, mem, { xdp });
}

/**
 * The program of an ELF object the runner wrote: function `main` (else the first program). The runner's writer
 * gives the whole section one symbol, so local calls land inside `main` rather than on functions of their own;
 * when the section has no relocations its code is therefore taken as it is, relative calls and all, and only an
 * object with relocations (maps) goes through the spec layer's linker.
 */
function elfProgram(bytes: Uint8Array, xdp: boolean): { instructions: readonly Instruction[]; xdp: boolean } {
  const elf = readElf(bytes, { name: 'stdin' });
  const main = elf.symbols.find((sym) => sym.name === 'main' && sym.type === 2 /* STT_FUNC */);
  const section = main === undefined ? undefined : elf.sections[main.sectionIndex];
  if (main !== undefined && section !== undefined && !elf.relocations.has(section.index)) {
    const where = { file: 'stdin', section: section.name };
    return { instructions: decodeInstructions(section.data.subarray(main.value), where), xdp: xdp || section.name === 'xdp' };
  }
  const spec = readObject(bytes, { name: 'stdin' });
  const [entry] = selectPrograms(spec, { name: 'main' }).concat(spec.programs);
  if (entry === undefined) throw new UsageError('stdin: the ELF object has no function main and no program');
  return { instructions: linkProgram(spec, entry).instructions, xdp: xdp || entry.sectionName === 'xdp' };
}

/** Configures `conformance`. */
export function configureConformance(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<files...>', 'bpf_conformance test files (.data)')
    .option('--mode <mode>', 'execution mode: interpret, jit (eBPF to WebAssembly) or native (bpf2c image)', 'interpret')
    .option('-v, --verbose', 'also list the tests that pass')
    .option('--time', 'print the time the runs took')
    .action(async (files, opts) => {
      const s = await runConformanceFiles(files, opts.mode, io, opts.verbose === true);
      if (s.skipped > 0) io.stdout(`${s.skipped} skipped\n`);
      if (opts.time === true) io.stdout(`time: ${s.ms.toFixed(1)} ms for ${s.passed + s.failed} tests\n`);
      io.stdout(`${s.passed} passed, ${s.failed} failed\n`);
      setExit(s.failed === 0 ? 0 : 1);
    });

}

/** Configures `conformance-plugin`. */
export function configureConformancePlugin(command: Command, { io, setExit, readStdin }: CommandContext): void {
  command
    .argument('[memory]', 'the test memory, hex bytes separated by spaces')
    .option('--mode <mode>', 'execution mode: interpret, jit (eBPF to WebAssembly) or native (bpf2c image)', 'interpret')
    .option('--elf', 'stdin holds an ELF object rather than raw instructions')
    .option('--xdp', 'r1 is an xdp_md over the memory (for the runner\'s --xdp_prolog; implied by an ELF section named xdp)')
    .action(async (memory, opts) => {
      try {
        const r0 = await runPlugin(readStdin(), memory, { mode: opts.mode, elf: opts.elf === true, xdp: opts.xdp === true });
        io.stdout(`0x${r0.toString(16)}\n`);
        setExit(0);
      } catch (e) {
        if (e instanceof BpfshipError) {
          // The runner compares this text with a test's `-- error` section: the bare detail, without location.
          io.stderr(`${e.detail}\n`);
          setExit(1);
          return;
        }
        if (e instanceof UsageError) {
          io.stderr(`${e.message}\n`);
          setExit(1);
          return;
        }
        throw e;
      }
    });
}

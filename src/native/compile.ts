/**
 * Compiling a generated C file into a native image, reproducibly: the same C text, headers and compiler give the
 * same `.so` bytes in any directory, at any time, on any machine with that compiler.
 *
 * What would otherwise vary, and how it is pinned:
 * - the build directory, recorded in DWARF (DW_AT_comp_dir, file names): `-ffile-prefix-map=<dir>=.`, a fixed
 *   file name for the C file, headers copied beside it and included as `-I.`;
 * - GCC's random seed for internal symbol names: `-frandom-seed=<hash of the C text>`;
 * - temporary file names of the assembler: `-pipe`;
 * - the build id: `--build-id=sha1`, a digest of the output itself;
 * - time and locale: `SOURCE_DATE_EPOCH=0`, `LC_ALL=C`, `TZ=UTC` (the generated code uses no __DATE__/__TIME__).
 * Debug information is DWARF 4 (`-gdwarf-4`), which gdb, perf and addr2line all read right (see the flag).
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfshipError } from '../internal/errors.ts';
import { findCompiler, type CompilerInfo } from './compiler.ts';
import { nativeHeaders } from './headers.ts';

/** Optimization level of a native build. */
export type OptimizationLevel = 'O0' | 'O1' | 'O2' | 'O3' | 'Os';

/** How to compile. */
export interface CompileOptions {
  /** The compiler command (default: `$CC`, else gcc, cc, clang, clang-19). */
  readonly cc?: string;
  /** Default `O2`. `O0` gives the most faithful source-level stepping in gdb. */
  readonly optimization?: OptimizationLevel;
  /** The C file's name inside the build (it is recorded in DWARF). Default `image.bpf2c.c`. */
  readonly fileName?: string;
  /** Extra compiler flags, appended (they become part of the cache key). */
  readonly extraFlags?: readonly string[];
  /** Kill the compiler (SIGKILL) after this many milliseconds; default 300,000. */
  readonly timeoutMs?: number;
}

/** A compiled image. */
export interface CompileResult {
  readonly so: Uint8Array;
  readonly compiler: CompilerInfo;
  /** The full argument list given to the compiler, with the build directory written as `.`. */
  readonly flags: readonly string[];
  readonly compileMs: number;
}

/** The compiler rejected the generated C: a bpf2c bug, or an unsupported compiler. */
export class CompileError extends BpfshipError {
  readonly stderr: string;
  constructor(detail: string, stderr: string) {
    super('NATIVE_COMPILE_FAILED', detail);
    this.name = 'CompileError';
    this.stderr = stderr;
  }
}

/**
 * The optimization flags of an image: the level, and at O2 and O3 `-funroll-loops`.
 *
 * Why unroll: a loop reaches bpf2c already rotated by clang into do-while form (exit test at the bottom, entered
 * with the first iteration's values in registers), and that is the shape C gets back. From a `for` loop GCC's
 * loop-header copying specializes the first iteration (`n % d` with `d = 2` becomes `n & 1`); from the rotated form
 * it does not, and at -O2 GCC peels nothing else, so the translated `primes` ran 1.22x the same C compiled directly.
 * The RTL unroller recovers it (and specializes the first iterations of any counted loop), while the directly
 * compiled C gains nothing from the flag (npm run bench:native shows both). eBPF loops are few, short and bounded
 * (the verifier insists), so the size cost is small. Clang accepts the flag (its loop unroller is on at -O2 anyway).
 */
export function optimizationFlags(level: OptimizationLevel = 'O2'): string[] {
  return level === 'O2' || level === 'O3' ? [`-${level}`, '-funroll-loops'] : [`-${level}`];
}

/** The flags of a reproducible build, without file names and the build directory. */
export function reproducibleFlags(compiler: CompilerInfo, options: Pick<CompileOptions, 'optimization' | 'extraFlags'>, seed: string): string[] {
  const flags = [
    '-std=gnu11',
    ...optimizationFlags(options.optimization),
    // DWARF 4: binutils 2.40's addr2line (which perf uses) misreads GCC 12's DWARF 5 line tables when a function's
    // lines come from #line directives, naming the generated file instead of the eBPF source.
    '-gdwarf-4',
    '-fPIC',
    '-shared',
    '-fvisibility=hidden',
    '-pipe',
    '-Wall',
    '-Wno-unused-label',
    '-Wno-unused-but-set-variable',
    '-Wl,--build-id=sha1',
    '-Wl,-z,relro,-z,now',
    '-Wl,-z,noexecstack',
  ];
  if (compiler.family === 'gcc') flags.push(`-frandom-seed=${seed}`);
  flags.push(...(options.extraFlags ?? []));
  return flags;
}

/**
 * Compiles `c` into a shared object.
 *
 * @example
 * ```ts
 * const { so } = compileC(translateObject(elf).c, { fileName: 'prog.bpf2c.c' });
 * ```
 * @throws {CompileError} when the compiler fails (its diagnostics are in `stderr`).
 * @throws {CompilerNotFoundError} when there is no compiler.
 */
export function compileC(c: string, options: CompileOptions = {}): CompileResult {
  const compiler = findCompiler(options.cc);
  const fileName = options.fileName ?? 'image.bpf2c.c';
  if (!/^[A-Za-z0-9_.+-]+$/.test(fileName)) throw new CompileError(`the C file name '${fileName}' must be a plain file name`, '');
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`timeoutMs must be a positive integer, not ${timeoutMs}`);
  const seed = createHash('sha256').update(c).digest('hex').slice(0, 16);
  const dir = mkdtempSync(join(tmpdir(), 'bpfship-build-'));
  const flags = [...reproducibleFlags(compiler, options, seed), `-ffile-prefix-map=${dir}=.`, '-I.', '-o', 'image.so', fileName];
  try {
    for (const h of nativeHeaders()) writeFileSync(join(dir, h.name), h.text);
    writeFileSync(join(dir, fileName), c);
    const started = performance.now();
    try {
      execFileSync(compiler.command, [...compiler.prefixArgs, ...flags], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SOURCE_DATE_EPOCH: '0', LC_ALL: 'C', TZ: 'UTC' },
        maxBuffer: 64 << 20,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
    } catch (e) {
      if ((e as { signal?: unknown }).signal === 'SIGKILL' && performance.now() - started >= timeoutMs) {
        throw new CompileError(`${compiler.command} did not finish compiling ${fileName} within ${timeoutMs} ms and was stopped`, '');
      }
      const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message);
      throw new CompileError(`${compiler.command} failed on the generated C (${fileName}):\n${stderr.split('\n').slice(0, 20).join('\n')}`, stderr);
    }
    const compileMs = performance.now() - started;
    const so = new Uint8Array(readFileSync(join(dir, 'image.so')));
    return { so, compiler, flags: flags.map((f) => f.replaceAll(dir, '.')), compileMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Compiling an eBPF program written in C into an object, as every libbpf project does, reproducibly: clang
 * `-target bpf -O2 -g`, the libbpf headers (`<bpf/bpf_helpers.h>`, in /usr/include), and this machine's multiarch
 * include directory, without which `<linux/types.h>` cannot find `asm/types.h` on Debian and Ubuntu.
 *
 * What would otherwise vary between two builds of the same source, and how it is pinned:
 * - the working directory, recorded in DWARF (DW_AT_comp_dir) and in file names: `-fdebug-compilation-dir=.` and
 *   `-ffile-prefix-map=<cwd>=.` (and the source's own directory, when it is elsewhere);
 * - time and locale: `SOURCE_DATE_EPOCH=0`, `LC_ALL=C`, `TZ=UTC` (clang writes no timestamp into an object; the
 *   variables keep `__DATE__`-style macros and messages stable);
 * - the output name: clang writes a temporary file of ours, which is read back, so the object's bytes do not
 *   depend on where the caller puts it.
 *
 * Author: Claude.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BpfshipError } from '../internal/errors.ts';

/** Options of {@link compileBpf}. */
export interface BpfCompileOptions {
  /** The clang command (default: `$BPF_CLANG`, else the first of clang-19, clang, clang-18 ... clang-14 that runs). */
  readonly clang?: string;
  /** Extra include directories (`-I`), searched before the system's. */
  readonly includeDirs?: readonly string[];
  /** Macros (`-D NAME` or `-D NAME=VALUE`). */
  readonly defines?: readonly string[];
  /** More flags for clang, appended (e.g. `-mcpu=v3`, `-Wall`). */
  readonly extraFlags?: readonly string[];
  /** The directory file names are made relative to (default: the process's working directory). */
  readonly cwd?: string;
  /** Ask clang for colored diagnostics (when they go to a terminal). */
  readonly color?: boolean;
  /** Kill clang after this many milliseconds; default 120,000. */
  readonly timeoutMs?: number;
}

/** A compiled object. */
export interface BpfCompileResult {
  readonly object: Uint8Array;
  /** What clang printed on stderr (warnings), exactly as it printed it. */
  readonly diagnostics: string;
  /** The clang command and its first `--version` line. */
  readonly clang: { readonly command: string; readonly version: string };
  /** The arguments given to clang, the working directory written as `.` and the output as `OUTPUT.o`. */
  readonly flags: readonly string[];
}

/** clang is missing, or rejected the source (its diagnostics are in `diagnostics`, as clang printed them). */
export class BpfCompileError extends BpfshipError {
  readonly diagnostics: string;
  constructor(code: 'BPF_COMPILE_FAILED' | 'BPF_NO_CLANG', detail: string, diagnostics = '', where: { file?: string } = {}) {
    super(code, detail, where);
    this.name = 'BpfCompileError';
    this.diagnostics = diagnostics;
  }
}

const clangCache = new Map<string, { command: string; version: string }>();

/** The clang to use, with its version line; throws BpfCompileError BPF_NO_CLANG when none runs. */
export function findClang(clang: string | undefined = process.env.BPF_CLANG): { command: string; version: string } {
  const candidates = clang !== undefined && clang.trim() !== '' ? [clang.trim()] : ['clang-19', 'clang', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14'];
  const tried: string[] = [];
  for (const c of candidates) {
    const hit = clangCache.get(c);
    if (hit !== undefined) return hit;
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) {
      const found = { command: c, version: (r.stdout.split('\n')[0] ?? '').trim() };
      clangCache.set(c, found);
      return found;
    }
    tried.push(c);
  }
  throw new BpfCompileError('BPF_NO_CLANG', `no clang found to compile eBPF C (tried ${tried.join(', ')}): install clang (Debian: apt-get install clang-19) or set BPF_CLANG`);
}

/** Debian's multiarch triples for Node's architectures. */
const MULTIARCH: Readonly<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  mips64el: 'mips64el-linux-gnuabi64',
  loong64: 'loongarch64-linux-gnu',
};

/** libbpf's `__TARGET_ARCH_*` names (bpf_tracing.h's PT_REGS macros) for Node's architectures. */
const TARGET_ARCH: Readonly<Record<string, string>> = {
  x64: 'x86',
  ia32: 'x86',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'powerpc',
  s390x: 's390',
  riscv64: 'riscv',
  mips64el: 'mips',
  loong64: 'loongarch',
};

let multiarch: string | null | undefined;

/**
 * This machine's multiarch include directory (`/usr/include/x86_64-linux-gnu` on Debian amd64: where `asm/types.h`
 * lives), or undefined on a system without one (its `asm/` is in /usr/include itself).
 */
export function multiarchIncludeDir(): string | undefined {
  if (multiarch === undefined) {
    multiarch = null;
    const candidates: string[] = [];
    const known = MULTIARCH[process.arch];
    if (known !== undefined) candidates.push(known);
    // What the system compiler says, for a triple the table does not know.
    const gcc = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8', timeout: 30_000 });
    if (gcc.status === 0 && gcc.stdout.trim() !== '') candidates.push(gcc.stdout.trim());
    for (const t of candidates) {
      if (existsSync(`/usr/include/${t}/asm/types.h`)) {
        multiarch = `/usr/include/${t}`;
        break;
      }
    }
  }
  return multiarch ?? undefined;
}

/**
 * The flags {@link compileBpf} gives clang, before the source and output: the target, optimization and debug
 * information (BTF needs `-g`), the include directories, the reproducibility flags for `cwd`.
 */
export function bpfCompileFlags(sourcePath: string, options: BpfCompileOptions = {}): string[] {
  const cwd = options.cwd ?? process.cwd();
  const sourceDir = dirname(resolve(cwd, sourcePath));
  const flags = ['-target', 'bpf', '-O2', '-g', '-fdebug-compilation-dir=.', `-ffile-prefix-map=${cwd}=.`];
  if (sourceDir !== cwd && !sourceDir.startsWith(cwd + '/')) flags.push(`-ffile-prefix-map=${sourceDir}=.`);
  const arch = TARGET_ARCH[process.arch];
  if (arch !== undefined) flags.push(`-D__TARGET_ARCH_${arch}`);
  for (const d of options.defines ?? []) flags.push(`-D${d}`);
  for (const i of options.includeDirs ?? []) flags.push(`-I${i}`);
  const ma = multiarchIncludeDir();
  if (ma !== undefined) flags.push(`-idirafter${ma}`);
  if (options.color === true) flags.push('-fcolor-diagnostics');
  flags.push(...(options.extraFlags ?? []));
  return flags;
}

/**
 * Compiles one eBPF C file into an object (see the module comment for the flags).
 *
 * @example
 * ```ts
 * const { object } = compileBpf('xdp_firewall.c');
 * writeFileSync('xdp_firewall.o', object);
 * ```
 * @throws {BpfCompileError} BPF_NO_CLANG when no clang runs; BPF_COMPILE_FAILED with clang's diagnostics.
 */
export function compileBpf(sourcePath: string, options: BpfCompileOptions = {}): BpfCompileResult {
  const clang = findClang(options.clang);
  const cwd = options.cwd ?? process.cwd();
  if (!existsSync(resolve(cwd, sourcePath))) throw new BpfCompileError('BPF_COMPILE_FAILED', 'no such file', '', { file: sourcePath });
  const flags = bpfCompileFlags(sourcePath, { ...options, cwd: realpathSync(cwd) });
  const tmp = mkdtempSync(join(tmpdir(), 'bpfship-compile-'));
  try {
    const out = join(tmp, 'out.o');
    const r = spawnSync(clang.command, [...flags, '-c', sourcePath, '-o', out], {
      cwd,
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, SOURCE_DATE_EPOCH: '0', LC_ALL: 'C', TZ: 'UTC' },
    });
    if (r.error !== undefined) throw new BpfCompileError('BPF_COMPILE_FAILED', `${clang.command} did not run: ${r.error.message}`, r.stderr ?? '', { file: sourcePath });
    if (r.status !== 0) {
      const why = r.signal !== null ? `${clang.command} was killed by ${r.signal}` : `${clang.command} failed (exit status ${r.status})`;
      throw new BpfCompileError('BPF_COMPILE_FAILED', why, r.stderr, { file: sourcePath });
    }
    const object = new Uint8Array(readFileSync(out));
    return { object, diagnostics: r.stderr, clang, flags: [...flags.map((f) => f.split(realpathSync(cwd)).join('.')), '-c', sourcePath, '-o', 'OUTPUT.o'] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The runtime core's native library, built from the C sources the package ships (src/core/*.c, *.h) with this
 * machine's C compiler, the first time native mode needs it, into a per-user cache:
 * `$XDG_CACHE_HOME/bpfship/core/<key>/libbpfship_core.so` (`~/.cache/...` by default). The key is a digest of the
 * sources, the compiler's identity and the flags, so an upgraded package or compiler gets a library of its own and
 * an entry is never stale.
 *
 * The package cannot ship a built library: a shared object is tied to the C library and architecture it was built
 * for, while the C sources build anywhere a compiler is. (The WebAssembly module, which has no such ties, ships
 * built.) Concurrent first uses are safe: each process compiles into a private directory and renames the finished
 * library into place, a rename that replaces atomically, so a reader sees no library or a whole one.
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCompiler, type CompilerInfo } from '../native/compiler.ts';
import { CoreError } from './core-error.ts';

/** The library's file name. */
export const CORE_LIBRARY_NAME = 'libbpfship_core.so';

/**
 * The C sources: src/core of the package. Every module of the package runs two directories below its root
 * (src/<layer>/ under tsx, dist/<layer>/ compiled, dist/bundle/ for the command line), and the package ships src/.
 */
export function coreSourceDir(): string {
  return fileURLToPath(new URL('../../src/core/', import.meta.url));
}

/** Where built libraries are kept: `$XDG_CACHE_HOME/bpfship/core`, else `~/.cache/bpfship/core`. */
export function coreCacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'bpfship', 'core');
}

/** Flags of every translation unit (as scripts/build-core.sh, without its -Werror: a newer compiler's new warning must not stop a user). */
function compileFlags(sourceDir: string): string[] {
  return ['-std=gnu11', '-O2', '-g', '-fPIC', '-fvisibility=hidden', '-fno-strict-aliasing', `-ffile-prefix-map=${sourceDir}=src/core`, `-I${sourceDir}`];
}
const LINK_FLAGS = ['-shared', '-g', `-Wl,-soname,${CORE_LIBRARY_NAME}`, '-Wl,--build-id=sha1'];

/** The sources of the native library: every .c but the WebAssembly allocator, and the headers, sorted. */
function coreSources(sourceDir: string): { c: string[]; h: string[] } {
  let names: string[];
  try {
    names = readdirSync(sourceDir).sort();
  } catch (e) {
    throw new CoreError(`the runtime core's C sources are missing (${sourceDir}: ${(e as Error).message}): the package is incomplete; reinstall bpfship`);
  }
  const c = names.filter((n) => n.endsWith('.c') && n !== 'alloc_wasm.c');
  if (c.length === 0) throw new CoreError(`the runtime core's C sources are missing: ${sourceDir} has no .c file; reinstall bpfship`);
  return { c, h: names.filter((n) => n.endsWith('.h')) };
}

/** The cache key: sources (names and bytes), compiler identity, flags. */
function sourceKey(sourceDir: string, sources: { c: string[]; h: string[] }, compiler: CompilerInfo): string {
  const hash = createHash('sha256');
  for (const name of [...sources.c, ...sources.h]) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(sourceDir, name)));
    hash.update('\0');
  }
  hash.update(JSON.stringify([compiler.version, compiler.target, compiler.sha256, compileFlags('.'), LINK_FLAGS]));
  return hash.digest('hex').slice(0, 32);
}

/** The cache key {@link ensureCoreLibrary} would use (sources, compiler, flags), without building anything. */
export function coreLibraryKey(options: CoreBuildOptions = {}): string {
  const sourceDir = options.sourceDir ?? coreSourceDir();
  return sourceKey(sourceDir, coreSources(sourceDir), findCompiler(options.cc));
}

/** Options of {@link ensureCoreLibrary}. */
export interface CoreBuildOptions {
  /** The C compiler (default: `$CC`, else gcc, cc, clang, clang-19). */
  readonly cc?: string;
  /** Where built libraries are kept (default {@link coreCacheRoot}). */
  readonly cacheRoot?: string;
  /** The C sources (default {@link coreSourceDir}). */
  readonly sourceDir?: string;
}

/** A library ready to load. */
export interface CoreLibraryBuild {
  readonly path: string;
  readonly key: string;
  /** Whether this call compiled it (false: it was in the cache). */
  readonly built: boolean;
}

/**
 * The native core library for the shipped sources, compiled into the cache when it is not there yet.
 *
 * @throws {CoreError} when there is no C compiler, the sources are missing, the compiler fails or the cache
 *   directory cannot be written; each message says what to do.
 */
export function ensureCoreLibrary(options: CoreBuildOptions = {}): CoreLibraryBuild {
  const sourceDir = options.sourceDir ?? coreSourceDir();
  const sources = coreSources(sourceDir);
  let compiler: CompilerInfo;
  try {
    compiler = findCompiler(options.cc);
  } catch (e) {
    throw new CoreError(
      `native mode needs a C compiler to build the runtime core from its sources the first time: ${(e as Error).message}` +
        ` (Debian: apt-get install gcc; or point BPFSHIP_CORE_LIB at a built ${CORE_LIBRARY_NAME})`,
    );
  }
  const key = sourceKey(sourceDir, sources, compiler);
  const dir = join(options.cacheRoot ?? coreCacheRoot(), key);
  const path = join(dir, CORE_LIBRARY_NAME);
  if (existsSync(path)) return { path, key, built: false };

  let work: string;
  try {
    mkdirSync(dir, { recursive: true });
    work = mkdtempSync(join(dir, '.build-'));
  } catch (e) {
    throw new CoreError(`cannot write the runtime core's build cache ${dir}: ${(e as Error).message} (set XDG_CACHE_HOME to a writable directory, or BPFSHIP_CORE_LIB to a built ${CORE_LIBRARY_NAME})`);
  }
  try {
    compileLibrary(compiler, sourceDir, sources.c, work);
    renameSync(join(work, CORE_LIBRARY_NAME), path);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { path, key, built: true };
}

/**
 * Compiles and links the library into `work/` in one compiler run (about 1.5 s of CPU, once per machine and
 * version: not worth the parallel build scripts/build-core.sh does for development).
 */
function compileLibrary(compiler: CompilerInfo, sourceDir: string, sources: readonly string[], work: string): void {
  const args = [...compiler.prefixArgs, ...compileFlags(sourceDir), ...LINK_FLAGS, '-o', join(work, CORE_LIBRARY_NAME), ...sources.map((s) => join(sourceDir, s))];
  try {
    execFileSync(compiler.command, args, { cwd: work, env: { ...process.env, LC_ALL: 'C', SOURCE_DATE_EPOCH: '0' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, maxBuffer: 64 << 20 });
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    throw new CoreError(`building the runtime core from ${sourceDir} with ${compiler.command} failed${stderr !== '' ? `:\n${stderr}` : `: ${(e as Error).message}`}`);
  }
}

/**
 * Finding the system C compiler that builds native images, and naming it exactly: the compiler's identity is part
 * of the build cache key and of the attestation (a rebuild with the same ELF and the same compiler gives the same
 * bytes).
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfshipError } from '../internal/errors.ts';

/** A C compiler found on the machine. */
export interface CompilerInfo {
  /** The command as run (argv[0]) and any arguments that came with it in `CC` (`ccache gcc` → `['gcc']`). */
  readonly command: string;
  readonly prefixArgs: readonly string[];
  /** `gcc` or `clang` (which flags it takes). */
  readonly family: 'gcc' | 'clang';
  /** The first line of `--version`, e.g. `gcc (Debian 12.2.0-14+deb12u1) 12.2.0`. */
  readonly version: string;
  /** `-dumpmachine`, e.g. `x86_64-linux-gnu`. */
  readonly target: string;
  /** The resolved path of the compiler driver, and the SHA-256 of its bytes (when readable). */
  readonly path: string;
  readonly sha256: string;
}

/** No usable C compiler: native builds need one (`apt-get install gcc`, or set `CC`). */
export class CompilerNotFoundError extends BpfshipError {
  constructor(detail: string) {
    super('NATIVE_NO_COMPILER', detail);
    this.name = 'CompilerNotFoundError';
  }
}

const cache = new Map<string, CompilerInfo>();

/** Options of {@link findCompiler}. */
export interface FindCompilerOptions {
  /**
   * A directory (the build cache's root) where what `--version` and `-dumpmachine` said, and the driver's digest,
   * are kept per driver file, keyed by its path, inode, size and modification and change times (as ccache's
   * `compiler_check = mtime`): a later process finds the same compiler without running it twice and hashing it.
   * Any change to the file (a new package, a rebuild, a replaced link target) changes the key.
   */
  readonly identityCache?: string;
}

/**
 * The compiler to use: `cc` if given, else `$CC`, else the first of gcc, cc, clang, clang-19 that runs.
 *
 * @example
 * ```ts
 * findCompiler().version; // 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0'
 * ```
 * @throws {CompilerNotFoundError} when the named compiler does not run, or none is found.
 */
export function findCompiler(cc: string | undefined = process.env.CC, options: FindCompilerOptions = {}): CompilerInfo {
  const candidates = cc !== undefined && cc.trim() !== '' ? [cc.trim()] : ['gcc', 'cc', 'clang', 'clang-19'];
  const failures: string[] = [];
  for (const c of candidates) {
    const hit = cache.get(c);
    if (hit !== undefined) return hit;
    const [command, ...prefixArgs] = c.split(/\s+/) as [string, ...string[]];
    const known = options.identityCache === undefined ? undefined : rememberedIdentity(options.identityCache, c, command, prefixArgs);
    if (known !== undefined) {
      cache.set(c, known);
      return known;
    }
    try {
      const version = (run(command, [...prefixArgs, '--version']).split('\n')[0] ?? '').trim();
      const target = run(command, [...prefixArgs, '-dumpmachine']).trim();
      const family = /clang/i.test(version) ? 'clang' : 'gcc';
      const path = resolveCommand(command);
      let sha256 = '';
      try {
        sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
      } catch {
        // An unreadable driver still builds; the version string identifies it.
      }
      const info: CompilerInfo = { command, prefixArgs, family, version, target, path, sha256 };
      cache.set(c, info);
      if (options.identityCache !== undefined && sha256 !== '') rememberIdentity(options.identityCache, c, info);
      return info;
    } catch (e) {
      failures.push(`${c}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new CompilerNotFoundError(`no C compiler found (tried ${failures.join('; ')}); install gcc or clang, or set CC`);
}

/** The stat facts that change whenever the file's bytes can have: path, device, inode, size, mtime, ctime. */
function fileStamp(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return [path, st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(':');
  } catch {
    return undefined;
  }
}

function identityFile(root: string, candidate: string, stamp: string): string {
  return join(root, 'compilers', `${createHash('sha256').update(candidate).update('\0').update(stamp).digest('hex')}.json`);
}

/** The identity recorded for this candidate and this exact driver file, if any. */
function rememberedIdentity(root: string, candidate: string, command: string, prefixArgs: readonly string[]): CompilerInfo | undefined {
  const path = resolveCommand(command);
  const stamp = fileStamp(path);
  if (stamp === undefined) return undefined;
  try {
    const r = JSON.parse(readFileSync(identityFile(root, candidate, stamp), 'utf8')) as Partial<CompilerInfo> & { stamp?: string };
    if (r.stamp !== stamp || typeof r.version !== 'string' || typeof r.target !== 'string' || typeof r.sha256 !== 'string' || (r.family !== 'gcc' && r.family !== 'clang')) return undefined;
    return { command, prefixArgs, family: r.family, version: r.version, target: r.target, path, sha256: r.sha256 };
  } catch {
    return undefined;
  }
}

/** Records the identity found by running the compiler (best effort, written whole then renamed). */
function rememberIdentity(root: string, candidate: string, info: CompilerInfo): void {
  const stamp = fileStamp(info.path);
  if (stamp === undefined) return;
  const file = identityFile(root, candidate, stamp);
  try {
    mkdirSync(join(root, 'compilers'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ stamp, family: info.family, version: info.version, target: info.target, sha256: info.sha256 }) + '\n');
    renameSync(tmp, file);
  } catch {
    // The next build runs the compiler again.
  }
}

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function resolveCommand(command: string): string {
  if (command.includes('/')) return realpathSync(command);
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      return realpathSync(`${dir}/${command}`);
    } catch {
      // not in this directory
    }
  }
  return command;
}

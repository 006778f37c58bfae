/**
 * Finding the system C compiler that builds native images, and naming it exactly: the compiler's identity is part
 * of the build cache key and of the attestation (a rebuild with the same ELF and the same compiler gives the same
 * bytes).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
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

/**
 * The compiler to use: `cc` if given, else `$CC`, else the first of gcc, cc, clang, clang-19 that runs.
 *
 * @example
 * ```ts
 * findCompiler().version; // 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0'
 * ```
 * @throws {CompilerNotFoundError} when the named compiler does not run, or none is found.
 */
export function findCompiler(cc: string | undefined = process.env.CC): CompilerInfo {
  const candidates = cc !== undefined && cc.trim() !== '' ? [cc.trim()] : ['gcc', 'cc', 'clang', 'clang-19'];
  const failures: string[] = [];
  for (const c of candidates) {
    const hit = cache.get(c);
    if (hit !== undefined) return hit;
    const [command, ...prefixArgs] = c.split(/\s+/) as [string, ...string[]];
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
      return info;
    } catch (e) {
      failures.push(`${c}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new CompilerNotFoundError(`no C compiler found (tried ${failures.join('; ')}); install gcc or clang, or set CC`);
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

/**
 * Loading the installed command's CommonJS bundles with V8's code cache, as Node 22 does for every module with
 * `module.enableCompileCache()` and Node 20 cannot: the compiled bytecode of a bundle (its top level and every
 * function the run compiled) is kept in `$XDG_CACHE_HOME/bpfship/v8/` and handed back to V8 the next time, which then
 * skips parsing and compiling what it already compiled. On a short command most of the time beyond Node's own start
 * is exactly that: 20 ms of a 60 ms `verify`.
 *
 * The cache is an optimisation only: a missing, stale or unwritable cache is silently ignored (V8 checks that the
 * data matches the source and its own version, flags and build, and rejects it otherwise), and
 * `BPFSHIP_CODE_CACHE=0` turns it off.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Where cached code goes: `$XDG_CACHE_HOME/bpfship/v8/<node version>-<arch>`, else under `~/.cache`. */
export function codeCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const root = xdg !== undefined && xdg.startsWith('/') ? xdg : join(homedir(), '.cache');
  return join(root, 'bpfship', 'v8', `${process.version}-${process.arch}`);
}

/** Scripts loaded without usable cached code: their code is written at exit (with what the run compiled). */
const pending: { script: Script; file: string }[] = [];
let exitHookInstalled = false;

function writeAtExit(): void {
  for (const { script, file } of pending.splice(0)) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, file);
    } catch {
      // A read-only home or a full disk only costs the next run its head start.
    }
  }
}

/** What {@link loadBundle} reports (for tests and benchmarks). */
export interface LoadedBundle<T> {
  readonly exports: T;
  /** Whether V8 took cached code (false: compiled from source; the cache is written at exit). */
  readonly fromCache: boolean;
}

/**
 * Runs the CommonJS file `path` (a bundle made by scripts/bundle-cli.mjs) as `require` would, with its code cache;
 * returns its exports.
 */
export function loadBundle<T = Record<string, unknown>>(path: string): LoadedBundle<T> {
  const source = readFileSync(path, 'utf8');
  const useCache = process.env.BPFSHIP_CODE_CACHE !== '0';
  // The cache file names the bundle by its path and size and modification time: a new version is a new file.
  const st = statSync(path);
  const key = createHash('sha256').update(`${path}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  const cacheFile = join(codeCacheDir(), `${basename(path)}.${key}.cache`);
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // The same wrapper as Node's own CommonJS loader.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, { filename: path, ...(cachedData !== undefined ? { cachedData } : {}) });
  const fromCache = cachedData !== undefined && script.cachedDataRejected !== true;
  if (useCache && !fromCache) {
    pending.push({ script, file: cacheFile });
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', writeAtExit);
    }
  }
  const module = { exports: {} as Record<string, unknown> };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  return { exports: module.exports as T, fromCache };
}

/**
 * The content-addressed build cache: a native image stored under the digest of everything that decides its
 * bytes (the ELF, bpf2c's version, the verifier, the headers, the compiler and its flags), so that rebuilding an
 * unchanged ELF is a file read.
 *
 * Layout: `<root>/native/<key[0:2]>/<key>.{so,c,json}`; `<root>` is `$BPFSHIP_CACHE`, else
 * `$XDG_CACHE_HOME/bpfship`, else `~/.cache/bpfship`. Entries are written to a temporary name and renamed, so a
 * reader never sees half an entry; the `.so` is checked against the digest recorded in the `.json` when read.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default cache root. */
export function defaultCacheRoot(): string {
  const env = process.env.BPFSHIP_CACHE;
  if (env !== undefined && env !== '') return env;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'bpfship');
}

/** The key for a set of build inputs: SHA-256 of their canonical JSON. */
export function cacheKey(inputs: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(JSON.stringify(inputs, Object.keys(inputs).sort())).digest('hex');
}

/** One cached build. */
export interface CacheEntry {
  readonly so: Uint8Array;
  readonly c: string;
  /** Whatever the builder recorded beside the image (metadata, flags, timings). */
  readonly info: Record<string, unknown>;
}

function paths(root: string, key: string): { dir: string; so: string; c: string; json: string } {
  const dir = join(root, 'native', key.slice(0, 2));
  return { dir, so: join(dir, `${key}.so`), c: join(dir, `${key}.c`), json: join(dir, `${key}.json`) };
}

/** The entry for `key`, or undefined when absent or damaged (a damaged entry is removed). */
export function readCache(root: string, key: string): CacheEntry | undefined {
  const p = paths(root, key);
  try {
    const info = JSON.parse(readFileSync(p.json, 'utf8')) as Record<string, unknown>;
    const so = new Uint8Array(readFileSync(p.so));
    const c = readFileSync(p.c, 'utf8');
    if (createHash('sha256').update(so).digest('hex') !== info.soSha256) {
      for (const f of [p.so, p.c, p.json]) rmSync(f, { force: true });
      return undefined;
    }
    return { so, c, info };
  } catch {
    return undefined;
  }
}

/** Stores an entry (best effort: a read-only or full cache only costs the next build its speed). */
export function writeCache(root: string, key: string, entry: CacheEntry): void {
  const p = paths(root, key);
  try {
    mkdirSync(p.dir, { recursive: true });
    const tag = `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(p.so + tag, entry.so);
    writeFileSync(p.c + tag, entry.c);
    writeFileSync(p.json + tag, JSON.stringify(entry.info, null, 2) + '\n');
    // The .json goes last: it is what marks the entry complete.
    renameSync(p.so + tag, p.so);
    renameSync(p.c + tag, p.c);
    renameSync(p.json + tag, p.json);
  } catch {
    // Caching is an optimisation.
  }
}

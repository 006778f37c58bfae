/**
 * `bpfship build`: an eBPF ELF object verified, translated by bpf2c and compiled into a reproducible native image,
 * through the content-addressed build cache.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { translateObject } from '../bpf2c/index.ts';
import { buildCacheRoot, cachedResult, nativeBuildKey, type CachedBuildInfo, type NativeBuildOptions, type NativeBuildResult } from './build-key.ts';
import { cacheKey, defaultCacheRoot, readCache, writeCache } from './build-cache.ts';
import { compileC, reproducibleFlags, type OptimizationLevel } from './compile.ts';
import { findCompiler } from './compiler.ts';
import { nativeHeaders } from './headers.ts';

export { cFileName, type BuildTimings, type NativeBuildOptions, type NativeBuildResult } from './build-key.ts';

/**
 * Builds a native image from ELF bytes.
 *
 * @example
 * ```ts
 * const r = buildNative(readFileSync('xdp_firewall.o'), { sourceName: 'xdp_firewall.o', verify });
 * writeFileSync('xdp_firewall.so', r.so);
 * ```
 * @throws {Bpf2cVerificationError} when a program fails verification; {@link CompileError}, Bpf2cError, ElfError...
 */
export function buildNative(elf: Uint8Array, options: NativeBuildOptions): NativeBuildResult {
  const started = performance.now();
  const root = buildCacheRoot(options);
  const compiler = findCompiler(options.cc, root === undefined ? {} : { identityCache: root });
  const k = nativeBuildKey(elf, options, compiler);
  const { key, elfSha256, fileName, verifierId } = k;
  if (root !== undefined) {
    const hit = cachedResult(root, k, started);
    if (hit !== undefined) return hit;
  }
  const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

  const t0 = performance.now();
  options.onStage?.('bpf2c', `translating ${options.sourceName} to C`);
  const out = translateObject(elf, {
    sourceName: options.sourceName,
    outputName: fileName,
    elfSha256,
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
    ...(options.programInfo !== undefined ? { programInfo: options.programInfo } : {}),
    ...(options.programs !== undefined ? { programs: options.programs } : {}),
  });
  const bpf2cMs = performance.now() - t0;
  options.onStage?.('compile', `compiling ${fileName} (${Math.round(out.c.length / 1024)} KiB of C)`);
  const compiled = compileC(out.c, {
    fileName,
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.optimization !== undefined ? { optimization: options.optimization } : {}),
    ...(options.extraFlags !== undefined ? { extraFlags: options.extraFlags } : {}),
    ...(options.compileTimeoutMs !== undefined ? { timeoutMs: options.compileTimeoutMs } : {}),
  });
  const soSha256 = sha(compiled.so);
  if (root !== undefined) {
    const info: CachedBuildInfo = { soSha256, flags: [...compiled.flags], verified: out.verified, metadata: out.metadata, compiler: compiler.version, bpf2cMs, compileMs: compiled.compileMs };
    writeCache(root, key, { so: compiled.so, c: out.c, info: JSON.parse(JSON.stringify(info, (_k, v: unknown) => (v instanceof Uint8Array ? { hex: Buffer.from(v).toString('hex') } : v))) as Record<string, unknown> });
  }
  return {
    so: compiled.so,
    c: out.c,
    metadata: out.metadata,
    elfSha256,
    cSha256: sha(out.c),
    soSha256,
    compiler: { version: compiler.version, target: compiler.target, sha256: compiler.sha256 },
    flags: compiled.flags,
    verified: out.verified,
    verifierId,
    cached: false,
    cacheKey: key,
    timings: { bpf2cMs, compileMs: compiled.compileMs, totalMs: performance.now() - started },
  };
}

/** A compiled C file, from the cache when the same C was compiled before with the same compiler and flags. */
export interface CachedCompileResult {
  readonly so: Uint8Array;
  readonly soSha256: string;
  readonly flags: readonly string[];
  readonly cached: boolean;
  readonly compileMs: number;
}

/**
 * Compiles generated C through the build cache (keyed by the C text, headers, compiler and flags): what the
 * conformance suite in native mode uses, where there is no ELF.
 */
export function compileCached(c: string, options: { readonly fileName: string; readonly cc?: string; readonly optimization?: OptimizationLevel; readonly extraFlags?: readonly string[]; readonly cache?: string | false }): CachedCompileResult {
  const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
  const compiler = findCompiler(options.cc);
  const key = cacheKey({
    kind: 'bpfship-native-c',
    cSha256: sha(c),
    headers: nativeHeaders().map((h) => `${h.name}:${sha(h.text)}`),
    compiler: [compiler.version, compiler.target, compiler.sha256],
    flags: reproducibleFlags(compiler, options, 'seed'),
    fileName: options.fileName,
  });
  const root = options.cache === false ? undefined : (options.cache ?? defaultCacheRoot());
  if (root !== undefined) {
    const hit = readCache(root, key);
    if (hit !== undefined && hit.c === c) return { so: hit.so, soSha256: String(hit.info.soSha256), flags: hit.info.flags as string[], cached: true, compileMs: 0 };
  }
  const compiled = compileC(c, {
    fileName: options.fileName,
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.optimization !== undefined ? { optimization: options.optimization } : {}),
    ...(options.extraFlags !== undefined ? { extraFlags: options.extraFlags } : {}),
  });
  const soSha256 = sha(compiled.so);
  if (root !== undefined) writeCache(root, key, { so: compiled.so, c, info: { soSha256, flags: [...compiled.flags] } });
  return { so: compiled.so, soSha256, flags: compiled.flags, cached: false, compileMs: compiled.compileMs };
}


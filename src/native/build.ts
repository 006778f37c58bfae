/**
 * `bpfship build`: an eBPF ELF object verified, translated by bpf2c and compiled into a reproducible native image,
 * through the content-addressed build cache.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { helperPrototypes, helperTables, programTypes, structLayouts } from '../abi/index.ts';
import { BPF2C_VERSION, PROGRAM_INFO_VERSION, translateObject, type NativeImageMetadata, type NativeMapMetadata, type ProgramInfoSource, type VerifyHook } from '../bpf2c/index.ts';
import { cacheKey, defaultCacheRoot, readCache, writeCache } from './build-cache.ts';
import { compileC, reproducibleFlags, type OptimizationLevel } from './compile.ts';
import { findCompiler } from './compiler.ts';
import { nativeHeaders } from './headers.ts';

/** Options of {@link buildNative}. */
export interface NativeBuildOptions {
  /** The ELF's file name (messages, metadata, the C file's name). */
  readonly sourceName: string;
  /** Verifies each program before translation; see bpf2c's VerifyHook. */
  readonly verify?: VerifyHook;
  /** Identifies the verifier and its options in the cache key (e.g. `bpfship-verifier 0.1.0`). Default `none`. */
  readonly verifierId?: string;
  readonly programInfo?: ProgramInfoSource;
  readonly cc?: string;
  readonly optimization?: OptimizationLevel;
  readonly extraFlags?: readonly string[];
  /** Kill the C compiler after this many milliseconds (see CompileOptions.timeoutMs). */
  readonly compileTimeoutMs?: number;
  /** The cache root, or false for no cache. Default: {@link defaultCacheRoot}. */
  readonly cache?: string | false;
}

/** Time spent, in milliseconds (zero for the parts a cache hit skipped). */
export interface BuildTimings {
  readonly bpf2cMs: number;
  readonly compileMs: number;
  readonly totalMs: number;
}

/** A built image with what describes it. */
export interface NativeBuildResult {
  readonly so: Uint8Array;
  readonly c: string;
  readonly metadata: NativeImageMetadata;
  readonly elfSha256: string;
  readonly cSha256: string;
  readonly soSha256: string;
  /** The compiler's `--version` line and target, and the flags (the build directory written as `.`). */
  readonly compiler: { readonly version: string; readonly target: string; readonly sha256: string };
  readonly flags: readonly string[];
  readonly verified: boolean;
  readonly verifierId: string;
  readonly cached: boolean;
  readonly cacheKey: string;
  readonly timings: BuildTimings;
}

/** The C file's name for an ELF name: `dir/prog.o` → `prog.bpf2c.c`. */
export function cFileName(sourceName: string): string {
  const base = sourceName.slice(sourceName.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_.+-]/g, '_');
  const dot = base.lastIndexOf('.');
  return `${dot > 0 ? base.slice(0, dot) : base || 'image'}.bpf2c.c`;
}

let abiDigest: string | undefined;
/** A digest of the ABI tables the built-in program-info hashes are computed from (once per process). */
function abiFingerprint(): string {
  abiDigest ??= createHash('sha256')
    .update(JSON.stringify({ helperPrototypes, helperTables, programTypes, structLayouts }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')
    .slice(0, 16);
  return abiDigest;
}

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
  const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
  const elfSha256 = sha(elf);
  const compiler = findCompiler(options.cc);
  const fileName = cFileName(options.sourceName);
  const verifierId = options.verify === undefined ? 'none' : (options.verifierId ?? 'unnamed verifier');
  const key = cacheKey({
    kind: 'bpfship-native-image',
    elfSha256,
    sourceName: options.sourceName,
    bpf2c: BPF2C_VERSION,
    verifier: verifierId,
    // The ABI facts the program-info hashes cover are part of what the image says: a change of them must miss.
    programInfo: options.programInfo === undefined ? `builtin-v${PROGRAM_INFO_VERSION}-${abiFingerprint()}` : 'custom',
    headers: nativeHeaders().map((h) => `${h.name}:${sha(h.text)}`),
    compiler: [compiler.version, compiler.target, compiler.sha256],
    flags: reproducibleFlags(compiler, options, 'seed'),
    fileName,
  });
  const root = options.cache === false ? undefined : (options.cache ?? defaultCacheRoot());
  if (root !== undefined) {
    const hit = readCache(root, key);
    if (hit !== undefined) {
      const info = hit.info as unknown as CachedInfo;
      return {
        so: hit.so,
        c: hit.c,
        metadata: reviveMetadata(info.metadata),
        elfSha256,
        cSha256: sha(hit.c),
        soSha256: info.soSha256,
        compiler: { version: compiler.version, target: compiler.target, sha256: compiler.sha256 },
        flags: info.flags,
        verified: info.verified,
        verifierId,
        cached: true,
        cacheKey: key,
        timings: { bpf2cMs: 0, compileMs: 0, totalMs: performance.now() - started },
      };
    }
  }

  const t0 = performance.now();
  const out = translateObject(elf, {
    sourceName: options.sourceName,
    outputName: fileName,
    elfSha256,
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
    ...(options.programInfo !== undefined ? { programInfo: options.programInfo } : {}),
  });
  const bpf2cMs = performance.now() - t0;
  const compiled = compileC(out.c, {
    fileName,
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.optimization !== undefined ? { optimization: options.optimization } : {}),
    ...(options.extraFlags !== undefined ? { extraFlags: options.extraFlags } : {}),
    ...(options.compileTimeoutMs !== undefined ? { timeoutMs: options.compileTimeoutMs } : {}),
  });
  const soSha256 = sha(compiled.so);
  if (root !== undefined) {
    const info: CachedInfo = { soSha256, flags: [...compiled.flags], verified: out.verified, metadata: out.metadata, compiler: compiler.version, bpf2cMs, compileMs: compiled.compileMs };
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

interface CachedInfo {
  soSha256: string;
  flags: string[];
  verified: boolean;
  metadata: NativeImageMetadata;
  compiler: string;
  bpf2cMs: number;
  compileMs: number;
}

/** Metadata read back from JSON: byte arrays were stored as `{hex}`. */
function reviveMetadata(m: NativeImageMetadata): NativeImageMetadata {
  const map = (x: NativeMapMetadata): NativeMapMetadata => ({ ...x, innerMap: x.innerMap === undefined || x.innerMap === null ? undefined : map(x.innerMap) });
  return {
    ...m,
    maps: m.maps.map(map),
    dataSections: m.dataSections.map((d) => {
      const raw = d.initialBytes as unknown as { hex?: string };
      return { ...d, initialBytes: typeof raw.hex === 'string' ? new Uint8Array(Buffer.from(raw.hex, 'hex')) : new Uint8Array(d.size) };
    }),
  };
}

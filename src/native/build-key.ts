/**
 * What decides a native image's bytes, as one cache key, and the cache lookup that needs nothing else: a cached
 * `bpfship build` reads the ELF, hashes it, names the toolchain and looks the key up, without loading bpf2c or the
 * verifier (a hit proves what running them again would: the same inputs gave this image, verified or not as the
 * entry records, when it was built).
 *
 * The key covers: the ELF's SHA-256 and name, bpf2c's version, the verifier's id and options, the program-info
 * description (its version and the bytes of the ABI tables it is computed from), the two headers' digests, the C
 * compiler (version line, target, driver digest) and the flags, the C file's name, and the programs built when
 * not all are.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NativeImageMetadata, NativeMapMetadata, ProgramInfoSource, VerifyHook } from '../bpf2c/index.ts';
import { BPF2C_VERSION, PROGRAM_INFO_VERSION } from '../bpf2c/version.ts';
import { cacheKey, defaultCacheRoot, readCache } from './build-cache.ts';
import { reproducibleFlags, type OptimizationLevel } from './compile.ts';
import { findCompiler, type CompilerInfo } from './compiler.ts';
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
  /** The entry programs to build, by name (bpf2c's TranslateOptions.programs). Default: every program. */
  readonly programs?: readonly string[];
  /** Told when a stage of a build that missed the cache begins (the CLI's progress line). */
  readonly onStage?: (stage: 'bpf2c' | 'compile', detail: string) => void;
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

/** What a cache entry records beside the image. */
export interface CachedBuildInfo {
  soSha256: string;
  flags: string[];
  verified: boolean;
  metadata: NativeImageMetadata;
  compiler: string;
  bpf2cMs: number;
  compileMs: number;
}

/** The C file's name for an ELF name: `dir/prog.o` → `prog.bpf2c.c`. */
export function cFileName(sourceName: string): string {
  const base = sourceName.slice(sourceName.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_.+-]/g, '_');
  const dot = base.lastIndexOf('.');
  return `${dot > 0 ? base.slice(0, dot) : base || 'image'}.bpf2c.c`;
}

function sha(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

let abiDigest: string | undefined;
/**
 * A digest of the ABI tables the built-in program-info hashes are computed from (once per process): the bytes of
 * the abi layer's modules as installed, read rather than imported (loading the tables costs a cached build more
 * than the rest of it). Any change to a table changes a file, so it misses; a change elsewhere in those files only
 * costs a rebuild.
 */
function abiFingerprint(): string {
  if (abiDigest !== undefined) return abiDigest;
  const dir = fileURLToPath(new URL('../abi/', import.meta.url));
  const h = createHash('sha256');
  const modules = readdirSync(dir).filter((n) => /\.(js|ts)$/.test(n) && !/\.(test|d)\.[jt]s$/.test(n)).sort();
  for (const n of modules) h.update(n).update('\0').update(readFileSync(dir + n)).update('\0');
  abiDigest = h.digest('hex').slice(0, 16);
  return abiDigest;
}

/** The key and the parts of it the result reports. */
export interface NativeBuildKey {
  readonly key: string;
  readonly elfSha256: string;
  readonly compiler: CompilerInfo;
  readonly fileName: string;
  readonly verifierId: string;
}

/** The cache key of building `elf` with `options` (computed without translating or verifying anything). */
export function nativeBuildKey(elf: Uint8Array, options: NativeBuildOptions, compiler: CompilerInfo = findCompiler(options.cc)): NativeBuildKey {
  const elfSha256 = sha(elf);
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
    // Only when asked, so that the keys of whole-object builds stay what they were.
    ...(options.programs !== undefined ? { programs: [...new Set(options.programs)].sort() } : {}),
  });
  return { key, elfSha256, compiler, fileName, verifierId };
}

/** The cache root `options` ask for, or undefined for no cache. */
export function buildCacheRoot(options: NativeBuildOptions): string | undefined {
  return options.cache === false ? undefined : (options.cache ?? defaultCacheRoot());
}

/**
 * The image for `elf` and `options` from the build cache, or undefined when the cache has none (or is off): what
 * {@link buildNative} returns on a hit, without loading bpf2c.
 */
export function lookupNativeBuild(elf: Uint8Array, options: NativeBuildOptions): NativeBuildResult | undefined {
  const started = performance.now();
  const root = buildCacheRoot(options);
  if (root === undefined) return undefined;
  const compiler = findCompiler(options.cc, { identityCache: root });
  const k = nativeBuildKey(elf, options, compiler);
  return cachedResult(root, k, started);
}

/** The result for key `k` from the cache at `root`, or undefined. */
export function cachedResult(root: string, k: NativeBuildKey, started: number): NativeBuildResult | undefined {
  const hit = readCache(root, k.key);
  if (hit === undefined) return undefined;
  const info = hit.info as unknown as CachedBuildInfo;
  return {
    so: hit.so,
    c: hit.c,
    metadata: reviveMetadata(info.metadata),
    elfSha256: k.elfSha256,
    cSha256: sha(hit.c),
    soSha256: info.soSha256,
    compiler: { version: k.compiler.version, target: k.compiler.target, sha256: k.compiler.sha256 },
    flags: info.flags,
    verified: info.verified,
    verifierId: k.verifierId,
    cached: true,
    cacheKey: k.key,
    timings: { bpf2cMs: 0, compileMs: 0, totalMs: performance.now() - started },
  };
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

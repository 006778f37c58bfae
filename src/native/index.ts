/**
 * The native layer: C compiler discovery, reproducible builds of bpf2c's output into native images, the
 * content-addressed build cache, and reading a built image's description table back without loading it.
 *
 * Author: Claude.
 *
 * @module
 */
export { findCompiler, CompilerNotFoundError, type CompilerInfo, type FindCompilerOptions } from './compiler.ts';
export { compileC, optimizationFlags, reproducibleFlags, CompileError, type CompileOptions, type CompileResult, type OptimizationLevel } from './compile.ts';
export { buildNative, compileCached, cFileName, type CachedCompileResult, type NativeBuildOptions, type NativeBuildResult, type BuildTimings } from './build.ts';
export { defaultCacheRoot, cacheKey, readCache, writeCache, type CacheEntry } from './build-cache.ts';
export { lookupNativeBuild, nativeBuildKey, type NativeBuildKey } from './build-key.ts';
export { nativeHeaders, type HeaderFile } from './headers.ts';
export { readImageMetadata, NativeImageError, NATIVE_ABI_VERSION, NATIVE_MAGIC } from './image-metadata.ts';
export { compileBpf, bpfCompileFlags, findClang, multiarchIncludeDir, BpfCompileError, type BpfCompileOptions, type BpfCompileResult } from './bpf-compile.ts';

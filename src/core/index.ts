/**
 * The runtime core: maps and helpers written once in C (the *.c files here, see README.md), built twice by
 * scripts/build-core.sh, and the two ways Node reaches them: the WebAssembly module, whose linear memory is the
 * address space of the interpreter and the JIT (core-wasm.ts), and the native shared library native images call
 * into, through koffi (core-library.ts). The FIB bpf_fib_lookup consults is filled through either.
 *
 * Author: Claude.
 *
 * @module
 */
export { CoreMap, CoreUsageError, CoreWasm, Errno, HelperFlags, MAP_INFO_SIZE, MapFlags, MapOperationError, MapType, ProgType, RedirectKind, RingbufQuery, RunCtxLayout, UpdateFlags, coreWasmPath, errnoName, readU32, readU64, u32, u64, type BatchResult, type CallbackInvoker, type CoreExports, type CoreLoadOptions, type HelperFunction, type MapDefinition, type MapInfo, type MapTypeId, type PerfRecord, type TraceMessage, type WasmMemory, type WasmModule, type WasmTable } from './core-wasm.ts';
export { TRAMPOLINE_REGS_SIZE, createHelperTrampoline, type HelperTrampoline } from './helper-trampoline.ts';
export { CORE_ABI_VERSION, CoreError, RUN_CTX_SIZE, coreLibraryPath, loadCoreLibrary, type CoreHostHooks, type CoreLibrary, type CoreMapAttributes } from './core-library.ts';
export { errnoText, koffi, loadLibc, type Libc } from './ffi.ts';
export { Fib, FibError, wasmFibBackend, type FibBackend, type FibDevice, type FibNeighbour, type FibRoute, type FibRouteType } from './fib.ts';
export { AF_INET, AF_INET6, formatAddress, parseAddress } from './ip-address.ts';
export { CORE_LIBRARY_NAME, coreCacheRoot, coreLibraryKey, coreSourceDir, ensureCoreLibrary, type CoreBuildOptions, type CoreLibraryBuild } from './core-build.ts';

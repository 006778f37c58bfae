/**
 * The jit layer: eBPF to WebAssembly at load time. Pure (no `node:*`): it needs only the WebAssembly global.
 *
 * Author: Claude.
 *
 * @module
 */
export { ByteWriter, BlockType, Op, TABLE_SIZE_SUBOP, ValType, encodeModule, type FuncDef, type FuncType, type GlobalDef, type ImportDef, type ModuleDef } from './wasm-encoder.ts';
export { compileProgram, describeJitFault, JitFault, JIT_CALLBACK_DEPTH_OFFSET, JIT_FRAME_AREA, JIT_FRAME_RECORD, type JitCompileOptions, type JitMapLookup, type JitModule, type JitRepeatFunction, type JitRunFunction, type JitRuntimeBinding, type JitXdpBatchFunction } from './compile.ts';
export { jitConformanceExecutor, runJitConformance, compileToModule, type JitConformanceExecutor } from './conformance.ts';
export { wasm, type WasmApi, type WasmInstance, type WasmMemory, type WasmModule, type WasmTable } from './wasm-api.ts';

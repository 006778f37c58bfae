/**
 * The jit layer: eBPF to WebAssembly at load time. Pure (no `node:*`): it needs only the WebAssembly global.
 *
 * @module
 */
export { ByteWriter, BlockType, Op, ValType, encodeModule, type FuncDef, type FuncType, type ImportDef, type ModuleDef } from './wasm-encoder.ts';
export { compileProgram, describeJitFault, JitFault, JIT_CALLBACK_DEPTH_OFFSET, JIT_FRAME_AREA, JIT_FRAME_RECORD, type JitCompileOptions, type JitModule, type JitRunFunction, type JitRuntimeBinding } from './compile.ts';
export { jitConformanceExecutor, runJitConformance, compileToModule, type JitConformanceExecutor } from './conformance.ts';
export { wasm, type WasmApi, type WasmInstance, type WasmMemory, type WasmModule, type WasmTable } from './wasm-api.ts';

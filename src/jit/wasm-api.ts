/**
 * The pieces of the WebAssembly JavaScript API the JIT uses, typed locally: the project's tsconfig has no
 * WebAssembly typings (lib ES2023 without DOM, and @types/node 20 does not declare the namespace).
 *
 * Author: Claude.
 *
 * @module
 */

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A compiled WebAssembly.Module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A WebAssembly.Table (of functions). */
export interface WasmTable {
  readonly length: number;
  /** Adds `delta` null entries; returns the old length. */
  grow(delta: number): number;
  /** Sets entry `index` to an exported WebAssembly function, or null. */
  set(index: number, value: unknown): void;
  get(index: number): unknown;
}

/** A WebAssembly.Instance. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** The WebAssembly global, as far as the JIT uses it. */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Table: new (descriptor: { element: 'anyfunc'; initial: number }) => WasmTable;
  RuntimeError: new (message?: string) => Error;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's WebAssembly API (every JavaScript engine the project targets has it). */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A BigInt-free way to call the core's helpers from JavaScript.
 *
 * Every helper is a WebAssembly function of type (i64 r1..r5, i32 run_ctx) -> i64, and JavaScript sees i64 as
 * BigInt: calling one directly allocates six BigInts per call. This module is a 110-byte WebAssembly module,
 * assembled here, that imports the core's memory and function table and exports
 *
 * ```
 *   call(table_index: i32, run_ctx: i32, regs: i32) -> void
 *     ;; regs points at six u64 in memory: r0 (written) then r1..r5 (read)
 *     *(u64*)(regs) = table[table_index](*(u64*)(regs+8), ..., *(u64*)(regs+40), run_ctx)
 * ```
 *
 * so the interpreter writes r1-r5 as 32-bit halves into memory, calls with three i32, and reads r0 back the same way.
 *
 * Author: Claude.
 *
 * @module
 */

import type { WasmMemory, WasmTable } from './core-wasm.ts';

/** The trampoline's export. */
export type HelperTrampoline = (tableIndex: number, runCtx: number, regs: number) => void;

/** Bytes of the register block `call` reads and writes: r0..r5 as u64. */
export const TRAMPOLINE_REGS_SIZE = 48;

// The module, section by section (WebAssembly binary format 1.0).
const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  // type section: 0 = (i64 x5, i32) -> i64 (a helper), 1 = (i32, i32, i32) -> ()
  0x01, 0x11, 0x02,
  0x60, 0x06, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7f, 0x01, 0x7e,
  0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00,
  // import section: env.memory (min 0, no max), env.table (funcref, min 0, no max)
  0x02, 0x1d, 0x02,
  0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x00,
  0x03, 0x65, 0x6e, 0x76, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x01, 0x70, 0x00, 0x00,
  // function section: one function of type 1
  0x03, 0x02, 0x01, 0x01,
  // export section: "call" = function 0
  0x07, 0x08, 0x01, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x00,
  // code section: one body of 39 bytes, no locals
  0x0a, 0x29, 0x01, 0x27, 0x00,
  0x20, 0x02, // local.get regs          (the address of the i64.store at the end)
  0x20, 0x02, 0x29, 0x03, 0x08, // i64.load offset=8   r1
  0x20, 0x02, 0x29, 0x03, 0x10, // i64.load offset=16  r2
  0x20, 0x02, 0x29, 0x03, 0x18, // i64.load offset=24  r3
  0x20, 0x02, 0x29, 0x03, 0x20, // i64.load offset=32  r4
  0x20, 0x02, 0x29, 0x03, 0x28, // i64.load offset=40  r5
  0x20, 0x01, // local.get run_ctx
  0x20, 0x00, // local.get table_index
  0x11, 0x00, 0x00, // call_indirect (type 0) (table 0)
  0x37, 0x03, 0x00, // i64.store offset=0    r0
  0x0b, // end
]);

interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

/** Instantiates the trampoline over a core's memory and function table. */
export function createHelperTrampoline(memory: WasmMemory, table: WasmTable): HelperTrampoline {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(MODULE_BYTES), { env: { memory, table } });
  return instance.exports.call as HelperTrampoline;
}

/**
 * Microbenchmark (not a test): a hash map lookup in the runtime core's WebAssembly build, reached four ways, next
 * to the native library called from C (build/core/bench-native, built with `scripts/build-core.sh --bench`):
 *
 *   - wasm→wasm: a small module importing the helper, as JIT output would call it;
 *   - JS→wasm through bpfship_call_helper with registers in memory, as the interpreter can;
 *   - JS→wasm through the helper export with BigInt registers;
 *   - the TypeScript CoreMap.lookup (user-space copy).
 *
 * Run: node --import tsx scripts/bench-core.ts [iterations]
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { CoreWasm, MapType, ProgType, u32, u64 } from '../src/core/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const iterations = Number(process.argv[2] ?? 5_000_000);

execFileSync('bash', [`${root}/scripts/build-core.sh`, '--bench'], { cwd: root, stdio: 'inherit' });
const core = CoreWasm.loadSync({ ncpus: 1 });
const map = core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 1024 });
for (let k = 0; k < 1000; k++) map.update(u32(k), u64(BigInt(k)));
const ctx = core.createRunContext(ProgType.XDP, 0);
const key = core.alloc(8);
const lookup = core.helper(1);
if (!lookup) throw new Error('map_lookup_elem is missing from the core');

/** A module with one import, the helper, and `run(map, key, ctx, n)` calling it n times (as the JIT would). */
function callerModule(): Uint8Array {
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const str = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const I64 = 0x7e;
  const I32 = 0x7f;
  const types = [2, 0x60, 6, I64, I64, I64, I64, I64, I32, 1, I64, 0x60, 4, I64, I64, I32, I32, 1, I64];
  const imports = [1, ...str('core'), ...str('lookup'), 0x00, 0];
  const funcs = [1, 1];
  const exports = [1, ...str('run'), 0x00, 1];
  // params: 0 map, 1 key (i64), 2 ctx, 3 n (i32); local 4: acc (i64)
  const code = [
    1, 1, I64,
    0x03, 0x40, // loop
    0x20, 4, 0x20, 0, 0x20, 1, 0x42, 0, 0x42, 0, 0x42, 0, 0x20, 2, 0x10, 0, 0x7c, 0x21, 4,
    0x20, 3, 0x41, 1, 0x6b, 0x22, 3, 0x0d, 0, // n -= 1; br_if n
    0x0b,
    0x20, 4,
    0x0b,
  ];
  const codeSec = [1, ...leb(code.length), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, codeSec),
  ]);
}

type RunFn = (map: bigint, key: bigint, ctx: number, n: number) => bigint;
const W = (globalThis as unknown as {
  WebAssembly: { Instance: new (m: unknown, i: object) => { exports: { run: RunFn } }; Module: new (b: Uint8Array) => unknown };
}).WebAssembly;
const caller = new W.Instance(new W.Module(callerModule()), { core: { lookup } }).exports.run;

function time(label: string, n: number, fn: () => void): void {
  fn(); // warm up
  const t0 = process.hrtime.bigint();
  fn();
  const t1 = process.hrtime.bigint();
  console.log(`${label}: ${(Number(t1 - t0) / n).toFixed(1)} ns/lookup`);
}

core.view().setUint32(key, 7, true);
time('wasm→wasm helper call (JIT-style)', iterations, () => {
  caller(BigInt(map.ptr), BigInt(key), ctx, iterations);
});

const regs = core.alloc(48);
time('JS→wasm bpfship_call_helper, registers in memory (interpreter)', iterations, () => {
  const dv = core.view();
  for (let i = 0; i < iterations; i++) {
    dv.setUint32(key, i & 1023, true);
    dv.setUint32(regs + 8, map.ptr, true);
    dv.setUint32(regs + 16, key, true);
    core.exports.bpfship_call_helper(1, ctx, regs);
  }
});

const mapPtr = BigInt(map.ptr);
const keyPtr = BigInt(key);
time('JS→wasm helper export with BigInt registers', iterations, () => {
  const dv = core.view();
  for (let i = 0; i < iterations; i++) {
    dv.setUint32(key, i & 1023, true);
    lookup(mapPtr, keyPtr, 0n, 0n, 0n, ctx);
  }
});

const userIterations = Math.max(1, Math.floor(iterations / 5));
const keys = Array.from({ length: 1024 }, (_, i) => u32(i));
time('TypeScript CoreMap.lookup (user space, copies)', userIterations, () => {
  for (let i = 0; i < userIterations; i++) map.lookup(keys[i & 1023]!);
});

const native = `${root}/build/core/bench-native`;
if (existsSync(native)) process.stdout.write(execFileSync(native, [String(iterations * 4)]).toString());

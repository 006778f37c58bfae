// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { BlockType, ByteWriter, Op, ValType, encodeModule } from './wasm-encoder.ts';
import { wasm } from './wasm-api.ts';

const hex = (w: ByteWriter): string => [...w.finish()].map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('ByteWriter', () => {
  it('writes unsigned LEB128', () => {
    assert.equal(hex(new ByteWriter().u32(0)), '00');
    assert.equal(hex(new ByteWriter().u32(127)), '7f');
    assert.equal(hex(new ByteWriter().u32(128)), '80 01');
    assert.equal(hex(new ByteWriter().u32(624485)), 'e5 8e 26');
    assert.equal(hex(new ByteWriter().u32(0xffffffff)), 'ff ff ff ff 0f');
    assert.throws(() => new ByteWriter().u32(-1), RangeError);
  });
  it('writes signed LEB128', () => {
    assert.equal(hex(new ByteWriter().s64(0n)), '00');
    assert.equal(hex(new ByteWriter().s64(-1n)), '7f');
    assert.equal(hex(new ByteWriter().s64(63n)), '3f');
    assert.equal(hex(new ByteWriter().s64(64n)), 'c0 00');
    assert.equal(hex(new ByteWriter().s64(-64n)), '40');
    assert.equal(hex(new ByteWriter().s64(-65n)), 'bf 7f');
    assert.equal(hex(new ByteWriter().s64(-123456n)), 'c0 bb 78');
    assert.equal(hex(new ByteWriter().s64(0xffffffffffffffffn)), '7f'); // taken as signed
    assert.equal(hex(new ByteWriter().s32(-2147483648)), '80 80 80 80 78');
  });
  it('grows past its first buffer', () => {
    const w = new ByteWriter();
    for (let i = 0; i < 10000; i++) w.byte(i);
    assert.equal(w.length, 10000);
    assert.equal(w.finish()[9999], 9999 & 0xff);
  });
});

describe('encodeModule', () => {
  it('encodes a module the engine validates and runs (i64 across the boundary as BigInt)', () => {
    const body = new ByteWriter();
    // (a, b) => a * b + imported(a)
    body.byte(Op.local_get).u32(0).byte(Op.local_get).u32(1).byte(Op.i64_mul);
    body.byte(Op.local_get).u32(0).byte(Op.call).u32(0).byte(Op.i64_add);
    body.byte(Op.local_set).u32(2).byte(Op.block).byte(BlockType.empty).byte(Op.end).byte(Op.local_get).u32(2);
    const bytes = encodeModule({
      types: [{ params: [ValType.i64], results: [ValType.i64] }, { params: [ValType.i64, ValType.i64], results: [ValType.i64] }],
      imports: [{ module: 'env', name: 'f', kind: 'func', type: 0 }, { module: 'env', name: 'memory', kind: 'memory', minPages: 1 }],
      functions: [{ type: 1, locals: [ValType.i64], body: body.finish() }],
      exports: [{ name: 'g', func: 1 }],
    });
    assert.ok(wasm.validate(bytes));
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { f: (x: bigint) => x + 1n, memory: new wasm.Memory({ initial: 1 }) } });
    const g = instance.exports['g'] as (a: bigint, b: bigint) => bigint;
    assert.equal(g(6n, 7n), 49n);
    assert.equal(g(-1n, 1n), -1n);
    // Wraps modulo 2^64: 0xfffffffffffffffe + 0x8000000000000000.
    assert.equal(g(0x7fffffffffffffffn, 2n), 0x7ffffffffffffffen);
  });
  it('groups locals into runs of one type', () => {
    const bytes = encodeModule({
      types: [{ params: [], results: [] }],
      imports: [],
      functions: [{ type: 0, locals: [ValType.i64, ValType.i64, ValType.i32, ValType.i64], body: new Uint8Array() }],
      exports: [],
    });
    assert.ok(wasm.validate(bytes));
    // the body: its size, 3 runs: 2 x i64, 1 x i32, 1 x i64; end.
    assert.equal([...bytes.slice(-9)].map((b) => b.toString(16)).join(' '), '8 3 2 7e 1 7f 1 7e b');
  });
});

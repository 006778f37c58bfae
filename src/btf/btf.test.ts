// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BtfError } from '../internal/errors.ts';
import { BtfBuilder } from './_btf-builder.ts';
import { parseBtf } from './parse-btf.ts';

/** A small program's BTF: an int, a struct behind typedef/const/volatile/type-tag, arrays, a map VAR, a FUNC. */
function sample() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1); // 1
  const u64 = b.int('unsigned long long', 8); // 2
  const s = b.struct('pair', 16, [{ name: 'a', type: int, bitOffset: 0 }, { name: 'b', type: u64, bitOffset: 64 }]); // 3
  const cs = b.const(s); // 4
  const vs = b.volatile(cs); // 5
  const td = b.typedef('pair_t', vs); // 6
  const tag = b.typeTag('user', td); // 7
  const ptr = b.ptr(tag); // 8
  const arr = b.array(td, int, 10); // 9
  const arr2 = b.array(arr, int, 3); // 10
  const proto = b.funcProto(int, [{ name: 'ctx', type: ptr }]); // 11
  const func = b.func('prog', proto); // 12
  const v = b.var('pairs', arr2); // 13
  const e = b.enum('color', 4, [['RED', 0]]); // 14
  const fl = b.float('double', 8); // 15
  b.datasec('.data', 480, [{ type: v, offset: 0, size: 480 }]); // 16
  b.fwd('pair'); // 17
  const u = b.union('u', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: u64, bitOffset: 0 }]); // 18
  b.restrict(ptr); // 19
  b.enum64('e64', 8, [['BIG', 1n]]); // 20
  return { btf: parseBtf(b.build(), { file: 'sample.o' }), ids: { int, u64, s, cs, vs, td, tag, ptr, arr, arr2, proto, func, v, e, fl, u } };
}

describe('Btf queries', () => {
  it('finds types by id and reports unknown ids', () => {
    const { btf, ids } = sample();
    assert.equal(btf.typeById(0).kind, 'VOID');
    assert.equal(btf.typeById(ids.s).name, 'pair');
    assert.throws(() => btf.typeById(999), (e: unknown) => e instanceof BtfError && e.message === "sample.o: section '.BTF': type id 999 does not exist (the last type is 20)");
    assert.throws(() => btf.typeById(-1), BtfError);
    assert.throws(() => btf.typeById(1.5), BtfError);
  });

  it('finds types by name, all of them in id order', () => {
    const { btf } = sample();
    assert.deepEqual(btf.typesByName('pair').map((t) => [t.id, t.kind]), [[3, 'STRUCT'], [17, 'FWD']]);
    assert.deepEqual(btf.typesByName('nothing'), []);
    assert.deepEqual(btf.typesByName(''), []);
  });

  it('finds DATASEC, VAR and FUNC by name', () => {
    const { btf, ids } = sample();
    assert.equal(btf.datasecByName('.data')?.vars[0]?.type, ids.v);
    assert.equal(btf.datasecByName('.bss'), undefined);
    assert.equal(btf.varByName('pairs')?.id, ids.v);
    assert.equal(btf.varByName('prog'), undefined);
    assert.equal(btf.funcByName('prog')?.id, ids.func);
    assert.equal(btf.funcByName('pairs'), undefined);
  });

  it('resolves through typedef, const, volatile, restrict and type tags', () => {
    const { btf, ids } = sample();
    assert.equal(btf.resolve(ids.tag).id, ids.s);
    assert.equal(btf.resolve(ids.td).id, ids.s);
    assert.equal(btf.resolve(ids.s).id, ids.s);
    assert.equal(btf.resolve(ids.ptr).id, ids.ptr, 'pointers are not skipped');
    assert.equal(btf.resolve(19).id, ids.ptr, 'restrict is skipped');
    assert.equal(btf.resolve(0).kind, 'VOID');
  });

  it('computes sizes like sizeof', () => {
    const { btf, ids } = sample();
    assert.equal(btf.sizeOf(ids.int), 4);
    assert.equal(btf.sizeOf(ids.s), 16);
    assert.equal(btf.sizeOf(ids.tag), 16);
    assert.equal(btf.sizeOf(ids.ptr), 8);
    assert.equal(btf.sizeOf(ids.arr), 160);
    assert.equal(btf.sizeOf(ids.arr2), 480);
    assert.equal(btf.sizeOf(ids.v), 480);
    assert.equal(btf.sizeOf(ids.e), 4);
    assert.equal(btf.sizeOf(ids.fl), 8);
    assert.equal(btf.sizeOf(ids.u), 8);
    assert.equal(btf.sizeOf(20), 8);
    assert.equal(btf.sizeOf(16), 480);
  });

  it('reports types without a size', () => {
    const { btf, ids } = sample();
    for (const id of [0, ids.proto, ids.func, 17]) assert.throws(() => btf.sizeOf(id), (e: unknown) => e instanceof BtfError && e.detail.includes('has no size'));
  });

  it('stops on typedef loops instead of running forever', () => {
    const b = new BtfBuilder();
    b.typedef('a', 2);
    b.const(1);
    const btf = parseBtf(b.build());
    assert.throws(() => btf.resolve(1), (e: unknown) => e instanceof BtfError && e.detail.includes('loops'));
    assert.throws(() => btf.sizeOf(1), (e: unknown) => e instanceof BtfError && e.detail.includes('loops'));
  });

  it('stops on arrays nested deeper than 32 levels and on sizes past 32 bits', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    let t = int;
    for (let i = 0; i < 40; i++) t = b.array(t, int, 1);
    const huge = b.array(int, int, 0x80000000);
    const btf = parseBtf(b.build());
    assert.throws(() => btf.sizeOf(t), BtfError);
    assert.equal(btf.sizeOf(int + 10), 4);
    assert.throws(() => btf.sizeOf(huge), (e: unknown) => e instanceof BtfError && e.detail.includes('larger than'));
  });

  it('describes types for messages', () => {
    const { btf, ids } = sample();
    assert.equal(btf.describe(ids.s), "type 3 (STRUCT 'pair')");
    assert.equal(btf.describe(ids.ptr), 'type 8 (anonymous PTR)');
    assert.equal(btf.describe(0), 'type 0 (void)');
  });

  it('exposes the string table', () => {
    const { btf } = sample();
    assert.equal(btf.strings.tryAt(0), '');
    assert.equal(btf.strings.tryAt(1), 'int');
    assert.equal(btf.strings.tryAt(2), 'nt', 'an offset inside a string gives its tail, as in C');
    assert.equal(btf.strings.tryAt(btf.strings.length), undefined);
    assert.equal(btf.strings.tryAt(-1), undefined);
  });
});

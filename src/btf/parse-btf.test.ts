// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BtfError } from '../internal/errors.ts';
import { BtfBuilder } from './_btf-builder.ts';
import { BtfKind } from './kinds.ts';
import { parseBtf } from './parse-btf.ts';
import type { BtfType } from './types.ts';

/** Asserts that parsing `data` throws a BtfError whose message contains `text`. */
function rejects(data: Uint8Array, text: string | RegExp): BtfError {
  let caught: unknown;
  try {
    parseBtf(data, { file: 'test.o' });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BtfError, `expected a BtfError, got ${String(caught)}`);
  if (typeof text === 'string') assert.ok(caught.message.includes(text), `message: ${caught.message}`);
  else assert.match(caught.message, text);
  assert.equal(caught.where.file, 'test.o');
  assert.equal(caught.where.section, '.BTF');
  return caught;
}

function only<K extends BtfType['kind']>(t: BtfType | undefined, kind: K): Extract<BtfType, { kind: K }> {
  assert.ok(t !== undefined);
  assert.equal(t.kind, kind);
  return t as Extract<BtfType, { kind: K }>;
}

describe('parseBtf: header and strings', () => {
  it('reads the header of an empty BTF', () => {
    const btf = parseBtf(new BtfBuilder().build());
    assert.deepEqual(btf.header, { magic: 0xeb9f, version: 1, flags: 0, hdrLen: 24, typeOff: 0, typeLen: 0, strOff: 0, strLen: 1 });
    assert.equal(btf.typeCount, 1);
    assert.equal(btf.types[0]?.kind, 'VOID');
  });

  it('accepts a longer header and locates the sections after it', () => {
    const b = new BtfBuilder();
    b.int('int', 4, 1);
    const plain = b.build();
    // Insert 8 zero bytes after the 24-byte header and say the header is 32 bytes long.
    const data = new Uint8Array(plain.length + 8);
    data.set(plain.subarray(0, 24));
    data.set(plain.subarray(24), 32);
    new DataView(data.buffer).setUint32(4, 32, true);
    const btf = parseBtf(data);
    assert.equal(btf.header.hdrLen, 32);
    assert.equal(btf.types[1]?.name, 'int');
  });

  it('rejects bad magic', () => {
    rejects(new BtfBuilder().build({ magic: 0x1234 }), 'bad BTF magic 0x1234, expected 0xeb9f');
  });
  it('rejects big-endian BTF with its own message', () => {
    rejects(new BtfBuilder().build({ magic: 0x9feb }), 'big-endian');
  });
  it('rejects an unknown version', () => {
    rejects(new BtfBuilder().build({ version: 2 }), 'unsupported BTF version 2');
  });
  it('rejects flags', () => {
    rejects(new BtfBuilder().build({ flags: 1 }), 'unsupported BTF flags');
  });
  it('rejects a truncated header', () => {
    rejects(new BtfBuilder().build().subarray(0, 4), 'BTF header is truncated');
    rejects(new BtfBuilder().build().subarray(0, 20), 'BTF header is truncated');
  });
  it('rejects a header length shorter than the header', () => {
    rejects(new BtfBuilder().build({ hdrLen: 16 }), 'shorter than the 24-byte header');
  });
  it('rejects a header length past the data', () => {
    rejects(new BtfBuilder().build({ hdrLen: 4000 }), 'header length 4000');
  });

  it('rejects a type section out of range', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    const e = rejects(b.build({ typeLen: 1000, strOff: 1000 }), /type section \[0, 1000\) runs past the end/);
    assert.equal(e.where.offset, 8);
  });
  it('rejects a string section out of range', () => {
    rejects(new BtfBuilder().build({ strLen: 99 }), /string section \[0, 99\) runs past the end/);
  });
  it('rejects a type section overlapping the strings', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    rejects(b.build({ strOff: 4, strLen: 1 }), 'overlaps or follows the string section');
  });
  it('rejects a misaligned type section', () => {
    const b = new BtfBuilder();
    b.raw(0); // 4 bytes of padding before the strings
    rejects(b.build({ typeOff: 1, typeLen: 0, strOff: 4, strLen: 1 }), 'type section offset 1 is not 4-byte aligned');
  });
  it('rejects an empty string section', () => {
    rejects(new BtfBuilder().build({ strLen: 0 }), 'string section is empty');
  });
  it('rejects a string section that does not start with NUL', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    const data = b.build();
    data[24 + 16] = 0x41; // first byte of the strings
    rejects(data, 'does not start with the empty string');
  });
  it('rejects a missing terminator on the last string', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    const data = b.build();
    data[data.length - 1] = 0x41;
    const e = rejects(data, 'has no NUL terminator');
    assert.equal(e.where.offset, data.length - 1);
  });
  it('rejects a name offset past the string table', () => {
    const b = new BtfBuilder();
    b.type(BtfKind.INT, 500, 0, 4, false, [32]);
    rejects(b.build(), "type 1 (INT) name offset 500 is past the end of the string table");
  });
  it('rejects a member name offset past the string table', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.type(BtfKind.STRUCT, 's', 1, 4, false, [777, int, 0]);
    rejects(b.build(), "type 2 (STRUCT 's') member 0 name offset 777 is past the end");
  });
});

describe('parseBtf: type records', () => {
  it('reads INT with encoding, offset and bits', () => {
    const b = new BtfBuilder();
    b.int('int', 4, 1);
    b.int('char', 1, 2);
    b.int('_Bool', 1, 4);
    b.int('u3', 1, 0, 3, 2);
    const btf = parseBtf(b.build());
    assert.deepEqual(btf.types[1], { kind: 'INT', id: 1, name: 'int', nameOff: 1, size: 4, encoding: 1, signed: true, offset: 0, bits: 32 });
    assert.equal(only(btf.types[2], 'INT').encoding, 2);
    assert.equal(only(btf.types[3], 'INT').encoding, 4);
    const u3 = only(btf.types[4], 'INT');
    assert.equal(u3.bits, 3);
    assert.equal(u3.offset, 2);
    assert.equal(u3.signed, false);
  });

  it('reads PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    b.ptr(int);
    b.typedef('myint', int);
    b.volatile(int);
    b.const(int);
    b.restrict(3);
    b.typeTag('user', 2);
    const btf = parseBtf(b.build());
    assert.deepEqual(btf.types.slice(2).map((t) => [t.kind, t.name, 'type' in t ? t.type : -1]), [
      ['PTR', '', 1], ['TYPEDEF', 'myint', 1], ['VOLATILE', '', 1], ['CONST', '', 1], ['RESTRICT', '', 3], ['TYPE_TAG', 'user', 2],
    ]);
  });

  it('reads ARRAY', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    b.array(int, int, 16);
    assert.deepEqual(parseBtf(b.build()).types[2], { kind: 'ARRAY', id: 2, name: '', nameOff: 0, type: 1, indexType: 1, nelems: 16 });
  });

  it('reads STRUCT and UNION members, with bitfields when kind_flag is set', () => {
    const b = new BtfBuilder();
    const int = b.int('unsigned int', 4);
    b.struct('plain', 8, [{ name: 'a', type: int, bitOffset: 0 }, { name: 'b', type: int, bitOffset: 32 }]);
    b.struct('bits', 4, [{ name: 'x', type: int, bitOffset: 0, bitfieldSize: 3 }, { name: 'y', type: int, bitOffset: 3, bitfieldSize: 29 }], true);
    b.union('u', 4, [{ name: '', type: int, bitOffset: 0 }]);
    const btf = parseBtf(b.build());
    const plain = only(btf.types[2], 'STRUCT');
    assert.equal(plain.kindFlag, false);
    assert.deepEqual(plain.members.map((m) => [m.name, m.type, m.bitOffset, m.bitfieldSize]), [['a', 1, 0, 0], ['b', 1, 32, 0]]);
    const bits = only(btf.types[3], 'STRUCT');
    assert.equal(bits.kindFlag, true);
    assert.deepEqual(bits.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [['x', 0, 3], ['y', 3, 29]]);
    const u = only(btf.types[4], 'UNION');
    assert.equal(u.members[0]?.name, '');
  });

  it('reads ENUM as signed or unsigned by kind_flag', () => {
    const b = new BtfBuilder();
    b.enum('e', 4, [['A', 0], ['B', 0xffffffff]]);
    b.enum('s', 4, [['NEG', -5], ['POS', 7]], true);
    const btf = parseBtf(b.build());
    const e = only(btf.types[1], 'ENUM');
    assert.equal(e.signed, false);
    assert.deepEqual(e.values.map((v) => [v.name, v.value]), [['A', 0], ['B', 4294967295]]);
    const s = only(btf.types[2], 'ENUM');
    assert.equal(s.signed, true);
    assert.deepEqual(s.values.map((v) => [v.name, v.value]), [['NEG', -5], ['POS', 7]]);
  });

  it('reads ENUM64 values as bigints', () => {
    const b = new BtfBuilder();
    b.enum64('big', 8, [['MAX', 0xffffffffffffffffn], ['HI', 0x100000000n]]);
    b.enum64('sbig', 8, [['MIN', -(2n ** 63n)], ['M1', -1n]], true);
    const btf = parseBtf(b.build());
    assert.deepEqual(only(btf.types[1], 'ENUM64').values.map((v) => v.value), [0xffffffffffffffffn, 0x100000000n]);
    assert.deepEqual(only(btf.types[2], 'ENUM64').values.map((v) => v.value), [-(2n ** 63n), -1n]);
  });

  it('reads FWD as struct or union by kind_flag', () => {
    const b = new BtfBuilder();
    b.fwd('s');
    b.fwd('u', true);
    const btf = parseBtf(b.build());
    assert.equal(only(btf.types[1], 'FWD').fwdKind, 'struct');
    assert.equal(only(btf.types[2], 'FWD').fwdKind, 'union');
  });

  it('reads FUNC linkage and FUNC_PROTO parameters, variadic as a flag', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    const proto = b.funcProto(int, [{ name: 'ctx', type: int }]);
    const vproto = b.funcProto(int, [{ name: 'fmt', type: int }], true);
    b.func('f_static', proto, 0);
    b.func('f_global', proto, 1);
    b.func('printk', vproto, 2);
    const btf = parseBtf(b.build());
    const p = only(btf.types[2], 'FUNC_PROTO');
    assert.equal(p.returnType, 1);
    assert.deepEqual(p.params.map((x) => [x.name, x.type]), [['ctx', 1]]);
    assert.equal(p.variadic, false);
    const v = only(btf.types[3], 'FUNC_PROTO');
    assert.equal(v.variadic, true);
    assert.equal(v.params.length, 1);
    assert.deepEqual(btf.types.slice(4).map((t) => (t.kind === 'FUNC' ? t.linkage : '')), ['static', 'global', 'extern']);
  });

  it('keeps an unnamed void parameter that is not last as a parameter', () => {
    const b = new BtfBuilder();
    b.type(BtfKind.FUNC_PROTO, '', 2, 0, false, [0, 0, b.str('x'), 0]);
    const p = only(parseBtf(b.build()).types[1], 'FUNC_PROTO');
    assert.equal(p.variadic, false);
    assert.equal(p.params.length, 2);
  });

  it('reads VAR linkage and DATASEC entries', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    b.var('counter', int, 1);
    b.var('local', int, 0);
    b.var('ext', int, 2);
    b.datasec('.data', 8, [{ type: 2, offset: 0, size: 4 }, { type: 3, offset: 4, size: 4 }]);
    const btf = parseBtf(b.build());
    assert.deepEqual(btf.types.slice(2, 5).map((t) => (t.kind === 'VAR' ? t.linkage : '')), ['global', 'static', 'extern']);
    assert.deepEqual(only(btf.types[5], 'DATASEC').vars, [{ type: 2, offset: 0, size: 4 }, { type: 3, offset: 4, size: 4 }]);
  });

  it('reads FLOAT and DECL_TAG', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    const s = b.struct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
    b.float('double', 8);
    b.declTag('on_type', s, -1);
    b.declTag('on_member', s, 0);
    const btf = parseBtf(b.build());
    assert.deepEqual(btf.types[3], { kind: 'FLOAT', id: 3, name: 'double', nameOff: btf.types[3]?.nameOff, size: 8 });
    assert.equal(only(btf.types[4], 'DECL_TAG').componentIdx, -1);
    assert.equal(only(btf.types[5], 'DECL_TAG').componentIdx, 0);
  });

  it('decodes UTF-8 names', () => {
    const b = new BtfBuilder();
    b.int('naïve', 4);
    assert.equal(parseBtf(b.build()).types[1]?.name, 'naïve');
  });
});

describe('parseBtf: malformed types', () => {
  it('rejects unknown kinds', () => {
    const b = new BtfBuilder();
    b.type(20, 'x', 0, 0);
    const e = rejects(b.build(), 'type 1 has unknown kind 20');
    assert.equal(e.where.offset, 24 + 4);
    const z = new BtfBuilder();
    z.type(0, '', 0, 0);
    rejects(z.build(), 'unknown kind 0');
  });

  it('rejects a record cut short by the end of the type section', () => {
    const b = new BtfBuilder();
    b.int('int', 4);
    b.raw(0, 0x02000000); // 8 bytes of a 12-byte PTR
    rejects(b.build(), 'type 2 is truncated: its record needs 12 bytes but 8 remain');
  });

  it('rejects a vlen that overruns the type section', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.type(BtfKind.STRUCT, 'big', 1000, 4, false, [0, int, 0]);
    rejects(b.build(), "type 2 (STRUCT 'big') needs 12012 bytes (vlen 1000) but only 24 remain in the type section");
  });

  it('rejects a missing INT word', () => {
    const b = new BtfBuilder();
    b.type(BtfKind.INT, 'int', 0, 4);
    rejects(b.build(), "type 1 (INT 'int') needs 16 bytes");
  });

  const dangling: [string, (b: BtfBuilder) => void, string][] = [
    ['PTR', (b) => b.ptr(99), 'type 1 (anonymous PTR) type refers to type 99, past the last type (1)'],
    ['TYPEDEF', (b) => b.typedef('t', 42), "type 1 (TYPEDEF 't') type refers to type 42"],
    ['ARRAY element', (b) => b.array(5, 0, 1), 'element type refers to type 5'],
    ['ARRAY index', (b) => b.array(0, 5, 1), 'index type refers to type 5'],
    ['STRUCT member', (b) => b.struct('foo', 4, [{ name: 'a', type: 0, bitOffset: 0 }, { name: 'b', type: 9999, bitOffset: 0 }]),
      "type 1 (STRUCT 'foo') member 1 refers to type 9999, past the last type (1)"],
    ['FUNC_PROTO return', (b) => b.funcProto(7, []), 'return type refers to type 7'],
    ['FUNC_PROTO parameter', (b) => b.funcProto(0, [{ name: 'x', type: 7 }]), 'parameter 0 refers to type 7'],
    ['FUNC', (b) => b.func('f', 3), "type 1 (FUNC 'f') type refers to type 3"],
    ['VAR', (b) => b.var('v', 3), "type 1 (VAR 'v') type refers to type 3"],
    ['DATASEC', (b) => b.datasec('.data', 0, [{ type: 8, offset: 0, size: 4 }]), "type 1 (DATASEC '.data') variable 0 refers to type 8"],
    ['DECL_TAG', (b) => b.declTag('t', 8, -1), 'type refers to type 8'],
  ];
  for (const [what, make, message] of dangling) {
    it(`rejects a dangling type id in ${what}`, () => {
      const b = new BtfBuilder();
      make(b);
      const e = rejects(b.build(), message);
      assert.equal(e.where.offset, 24, 'the offset of the record that holds the bad id');
    });
  }

  it('rejects a FUNC whose type is not a FUNC_PROTO', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.func('f', int);
    rejects(b.build(), "type 2 (FUNC 'f') refers to type 1 (INT 'int'), expected a FUNC_PROTO");
  });

  it('rejects unknown FUNC and VAR linkage', () => {
    const b = new BtfBuilder();
    const proto = b.funcProto(0, []);
    b.func('f', proto, 3);
    rejects(b.build(), "type 2 (FUNC 'f') has unknown linkage 3");
    const v = new BtfBuilder();
    v.var('v', 0, 7);
    rejects(v.build(), "type 1 (VAR 'v') has unknown linkage 7");
  });

  it('rejects a DATASEC entry that is not a VAR or FUNC', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    b.datasec('.data', 4, [{ type: int, offset: 0, size: 4 }]);
    rejects(b.build(), 'expected a VAR or FUNC');
  });

  it('rejects a DECL_TAG component index out of range', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4);
    const s = b.struct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]);
    b.declTag('t', s, 1);
    rejects(b.build(), "tags component 1 of type 2 (STRUCT 's'), which has 1");
    const c = new BtfBuilder();
    c.declTag('t', c.int('int', 4), 0);
    rejects(c.build(), 'which has no members or parameters');
    const d = new BtfBuilder();
    d.declTag('t', 0, -2);
    rejects(d.build(), 'component index -2');
  });

  it('never throws anything but BtfError on damaged input', () => {
    // Flip every byte of a BTF with each kind in turn, and truncate it at every length: parsing must either
    // succeed or throw a BtfError.
    const b = new BtfBuilder();
    const int = b.int('int', 4, 1);
    const s = b.struct('s', 8, [{ name: 'a', type: int, bitOffset: 0 }, { name: 'b', type: int, bitOffset: 32 }]);
    b.enum('e', 4, [['A', 1]]);
    b.enum64('e64', 8, [['B', 2n]]);
    const proto = b.funcProto(int, [{ name: 'x', type: s }], true);
    b.func('f', proto);
    const v = b.var('v', int);
    b.datasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
    b.declTag('tag', s, 1);
    b.array(int, int, 3);
    const good = b.build();
    let errors = 0;
    const attempt = (data: Uint8Array): void => {
      try {
        const btf = parseBtf(data);
        for (const t of btf.types) {
          if (t.kind === 'VOID') continue;
          try {
            btf.sizeOf(t.id);
            btf.resolve(t.id);
          } catch (e) {
            assert.ok(e instanceof BtfError, String(e));
          }
        }
      } catch (e) {
        assert.ok(e instanceof BtfError, `${String(e)}`);
        errors++;
      }
    };
    for (let len = 0; len < good.length; len++) attempt(good.subarray(0, len));
    for (let i = 0; i < good.length; i++) {
      for (const x of [0xff, 0x80, 0x01]) {
        const bad = good.slice();
        bad[i] = (bad[i] as number) ^ x;
        attempt(bad);
      }
    }
    assert.ok(errors > good.length, `${errors} damaged inputs rejected`);
  });
});

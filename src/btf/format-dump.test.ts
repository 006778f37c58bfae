// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BtfBuilder } from './_btf-builder.ts';
import { EVERY_KIND_DUMP, everyKindBtf } from './_fixtures.ts';
import { btfToJson, formatBtfJson } from './btf-json.ts';
import { formatBtfDump } from './format-dump.ts';
import { writeJson } from './json-writer.ts';
import { parseBtf } from './parse-btf.ts';

describe('formatBtfDump', () => {
  it("prints every kind as bpftool's raw dump does", () => {
    const got = formatBtfDump(parseBtf(everyKindBtf())).split('\n');
    const want = EVERY_KIND_DUMP.split('\n');
    for (let i = 0; i < Math.max(got.length, want.length); i++) assert.equal(got[i], want[i], `line ${i + 1}`);
  });

  it('prints nothing for BTF without types', () => {
    assert.equal(formatBtfDump(parseBtf(new BtfBuilder().build())), '');
  });
});

describe('btfToJson and formatBtfJson', () => {
  it("shapes types like bpftool's JSON", () => {
    const json = btfToJson(parseBtf(everyKindBtf()));
    assert.equal(json.types.length, 32);
    assert.deepEqual(json.types[0], { id: 1, kind: 'INT', name: 'int', size: 4, bits_offset: 0, nr_bits: 32, encoding: 'SIGNED' });
    assert.deepEqual(json.types[11], {
      id: 12, kind: 'STRUCT', name: 'bf', size: 4, vlen: 2,
      members: [{ name: 'a', type_id: 1, bits_offset: 0, bitfield_size: 3 }, { name: '(anon)', type_id: 1, bits_offset: 3 }],
    });
    assert.deepEqual(json.types[12]?.params, [{ name: 'fmt', type_id: 1 }, { name: '(anon)', type_id: 0 }]);
    assert.deepEqual(json.types[3]?.values, [{ name: 'MAX', val: 0xffffffffffffffffn }, { name: 'ONE', val: 1n }]);
    assert.deepEqual(json.types[15], { id: 16, kind: 'VAR', name: 'sv', type_id: 1, linkage: 'static' });
    assert.deepEqual(json.types[27]?.vars, [{ type_id: 16, offset: 0, size: 4 }, { type_id: 27, offset: 4, size: 16 }]);
    assert.deepEqual(json.types[29], { id: 30, kind: 'DECL_TAG', name: 'on_struct', type_id: 12, component_idx: -1 });
  });

  it('writes compact JSON with exact 64-bit values', () => {
    const b = new BtfBuilder();
    b.enum64('e', 8, [['MAX', 0xffffffffffffffffn]]);
    b.funcProto(0, []);
    const text = formatBtfJson(parseBtf(b.build()));
    assert.equal(text, '{"types":[{"id":1,"kind":"ENUM64","name":"e","encoding":"UNSIGNED","size":8,"vlen":1,'
      + '"values":[{"name":"MAX","val":18446744073709551615}]},{"id":2,"kind":"FUNC_PROTO","name":"(anon)",'
      + '"ret_type_id":0,"vlen":0,"params":[]}]}\n');
  });

  it("pretty-prints with bpftool's layout", () => {
    const b = new BtfBuilder();
    b.ptr(0);
    b.funcProto(0, [{ name: 'x', type: 1 }]);
    assert.equal(formatBtfJson(parseBtf(b.build()), { pretty: true }), `{
    "types": [{
            "id": 1,
            "kind": "PTR",
            "name": "(anon)",
            "type_id": 0
        },{
            "id": 2,
            "kind": "FUNC_PROTO",
            "name": "(anon)",
            "ret_type_id": 0,
            "vlen": 1,
            "params": [{
                    "name": "x",
                    "type_id": 1
                }
            ]
        }
    ]
}
`);
  });

  it('escapes strings as JSON', () => {
    assert.equal(writeJson({ a: 'q"b\\c\td\u0001', b: 'é' }), '{"a":"q\\"b\\\\c\\td\\u0001","b":"é"}\n');
    assert.equal(writeJson([]), '[]\n');
    assert.equal(writeJson({ x: [] }, true), '{\n    "x": []\n}\n');
  });
});

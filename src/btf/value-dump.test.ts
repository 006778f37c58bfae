// Map values laid out by BTF as bpftool's btf dumper prints them (plain text). The expected text is what bpftool 7.1
// printed for the same bytes in a map of the deploy tests' map_layouts.o (src/deploy/deploy.test.ts compares the two
// on the running kernel, global data sections included: their variables' offsets are libbpf's fix-up of the ELF's
// BTF, so only the kernel's copy has them; this checks the formatter alone, without a kernel).
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readElf } from '../elf/index.ts';
import { btfValue } from './value-dump.ts';
import { writeJson } from './json-writer.ts';
import { parseBtf } from './parse-btf.ts';

const elf = readElf(new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'deploy', 'testdata', 'map_layouts.o'))));
const btf = parseBtf(elf.sections.find((s) => s.name === '.BTF')?.data ?? new Uint8Array(), { file: 'map_layouts.o' });
const typeId = (name: string): number => {
  const t = btf.typesByName(name)[0];
  if (t === undefined) throw new Error(`no type ${name}`);
  return t.id;
};

const hex = (text: string): Uint8Array => Uint8Array.from(text.split(' ').map((b) => parseInt(b, 16)));

describe('btfValue', () => {
  it('lays out a struct with bitfields, a string, an enum, an anonymous union, arrays, a bool, a char and an s64', () => {
    const key = new Uint8Array([5, 0, 0, 0]);
    const value = hex('0a 00 00 01 50 00 a7 68 6f 73 74 2d 61 00 00 00 00 00 00 00 fd ff ff ff 01 02 03 04 ff fe 00 03 01 80 01 41 00 00 00 00 ff ff ff ff ff ff ff ff');
    const flow = typeId('flow');
    const text = writeJson([{ key: btfValue(btf, typeId('__u32'), key), value: btfValue(btf, flow, value) }], true);
    assert.equal(text, `[{
        "key": 5,
        "value": {
            "addr": 16777226,
            "port": 80,
            "proto": 0x7,
            "flags": 0x2,
            "valid": 0x1,
            "label": "host-a",
            "colour": "BLUE",
            "": {
                "as_u32": 67305985,
                "bytes": [1,2,3,4
                ]
            },
            "delta": [-257,768,-32767
            ],
            "seen": true,
            "c": 65,
            "big": -1
        }
    }
]
`);
  });

  it('prints a char array without a NUL as numbers, an unknown enum value as a number, and the most negative s64', () => {
    const value = hex('0a 00 00 01 50 00 0f 68 6f 73 74 2d 61 62 63 64 65 66 67 68 09 00 00 00 01 02 03 04 ff fe 00 03 01 80 00 09 00 00 00 00 00 00 00 00 00 00 00 80');
    const text = writeJson(btfValue(btf, typeId('flow'), value), true);
    assert.match(text, /"proto": 0xf,\n {4}"flags": 0x0,\n {4}"valid": 0x0,\n {4}"label": \[104,111,115,116,45,97,98,99,100,101,102,103\n {4}\],\n {4}"colour": 9,/);
    assert.match(text, /"seen": false,\n {4}"c": 9,\n {4}"big": -9223372036854775808\n/);
  });
});

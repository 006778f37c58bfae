// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readObject } from '../spec/index.ts';
import { fieldsOverlapping } from './map-fields.ts';
import { mapTable } from './maps.ts';
import { verifyObject } from './verify.ts';

const spec = readObject(new Uint8Array(readFileSync(join(import.meta.dirname, 'testdata', 'map_fields.o'))), { name: 'map_fields.o' });
const maps = mapTable(spec);
const byName = (name: string) => maps.find((m) => m.name === name);

describe('map value fields from BTF (testdata/map_fields.c)', () => {
  it('finds a spin lock in a struct value', () => {
    assert.deepEqual(byName('locked_map')?.fields, [{ kind: 'spin_lock', offset: 8, size: 4, typeName: 'struct bpf_spin_lock' }]);
  });

  it('finds timers nested in an array of structs, and a kptr', () => {
    assert.deepEqual(byName('nested_map')?.fields?.map((f) => [f.kind, f.offset, f.size]), [['timer', 16, 16], ['timer', 40, 16], ['kptr', 56, 8]]);
  });

  it('finds a lock among global variables, and nothing in a plain value', () => {
    const bss = byName('.bss');
    assert.equal(bss?.fields?.length, 1);
    assert.equal(bss?.fields?.[0]?.kind, 'spin_lock');
    assert.deepEqual(byName('plain_map')?.fields, []);
  });

  it('tells which fields a byte range overlaps', () => {
    const f = byName('locked_map')?.fields ?? [];
    assert.equal(fieldsOverlapping(f, 0, 8).length, 0);
    assert.equal(fieldsOverlapping(f, 4, 9).length, 1);
    assert.equal(fieldsOverlapping(f, 12, 16).length, 0);
  });

  it('gives the verifier what Linux 6.18 decides on these programs', () => {
    // Loaded one by one with bpftool into Linux 6.18: lock_ok loads; the other two are refused ("bpf_spin_lock cannot
    // be accessed directly by load/store", "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8").
    const verdicts = Object.fromEntries(verifyObject(spec).programs.map((p) => [p.name, p.verdict === 'pass' ? 'pass' : p.diagnostics[0]?.message ?? '']));
    assert.equal(verdicts['lock_ok'], 'pass');
    assert.match(verdicts['lock_direct_load'] ?? '', /touches the struct bpf_spin_lock at offset 8/);
    assert.match(verdicts['lock_wrong_offset'] ?? '', /its struct bpf_spin_lock is at offset 8/);
  });
});

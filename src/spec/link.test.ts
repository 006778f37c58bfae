// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { corpusObjects } from '../internal/test-files.ts';
import { readObject } from './read-object.ts';
import { CallSource, LoadImm64Source } from '../asm/index.ts';
import { lineInfoAt, linkProgram } from './link.ts';

const fixture = (name: string) => {
  const path = new URL(`./testdata/${name}`, import.meta.url).pathname;
  return readObject(new Uint8Array(readFileSync(path)), { name });
};

describe('linkProgram()', () => {
  it('appends the called subprogram and points the call at it', () => {
    const spec = fixture('maps.o');
    const entry = spec.programs.find((p) => p.name === 'entry');
    assert.ok(entry !== undefined);
    const linked = linkProgram(spec, entry);
    assert.deepEqual(linked.functions.map((f) => [f.name, f.start, f.slotCount]), [['entry', 0, entry.slotCount], ['bump', entry.slotCount, 17]]);
    const call = linked.references.find((r) => r.kind === 'call');
    assert.deepEqual(call, { kind: 'call', slot: 5, target: entry.slotCount, function: 'bump' });
    const ins = linked.instructions.find((i) => i.slot === 5);
    assert.equal(ins?.src, CallSource.LOCAL);
    assert.equal(5 + (ins?.imm ?? 0) + 1, entry.slotCount);
    assert.equal(linked.slotCount, entry.slotCount + 17);
  });

  it('rewrites map and global data loads to map-by-index forms', () => {
    const spec = fixture('maps.o');
    const entry = spec.programs.find((p) => p.name === 'entry');
    assert.ok(entry !== undefined);
    const linked = linkProgram(spec, entry);
    const data = linked.references.filter((r) => r.kind === 'data');
    assert.deepEqual(data.map((r) => r.kind === 'data' && [r.section, r.mapIndex - spec.maps.length]), [['.bss', 2], ['.rodata', 1], ['.data', 0]]);
    for (const r of data) {
      const ins = linked.instructions.find((i) => i.slot === r.slot);
      assert.equal(ins?.src, LoadImm64Source.MAP_IDX_VALUE);
      assert.equal(ins?.imm, r.kind === 'data' ? r.mapIndex : -1);
    }
  });

  it('moves line info to linked slots', () => {
    const spec = fixture('maps.o');
    const entry = spec.programs.find((p) => p.name === 'entry');
    assert.ok(entry !== undefined);
    const linked = linkProgram(spec, entry);
    assert.ok(linked.lineInfo.length > 0);
    const inBump = lineInfoAt(linked, entry.slotCount + 2);
    assert.match(inBump?.sourceLine ?? '', /counter|limit|bump/);
    assert.equal(inBump?.fileName.endsWith('maps.c'), true);
  });

  it('links every program of the corpus with consistent slots', (t) => {
    let programs = 0;
    for (const f of corpusObjects()) {
      const spec = readObject(new Uint8Array(readFileSync(f)), { name: basename(f) });
      for (const p of spec.programs) {
        const linked = linkProgram(spec, p);
        let slot = 0;
        for (const ins of linked.instructions) {
          assert.equal(ins.slot, slot);
          slot += ins.size;
        }
        assert.equal(slot, linked.slotCount);
        programs++;
      }
    }
    t.diagnostic(`linked ${programs} corpus programs`);
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { corpusObjects, invalidObjects, PROGRAMS_OBJ } from '../internal/test-files.ts';
import { BpfshipError, SpecError } from '../internal/errors.ts';
import { readObject } from './read-object.ts';
import { MapType } from './map-types.ts';

const load = (path: string) => readObject(new Uint8Array(readFileSync(path)), { name: basename(path) });

describe('readObject() over the corpus', () => {
  it('reads every corpus object and every example program', (t) => {
    let programs = 0, maps = 0, files = 0;
    for (const f of corpusObjects()) {
      const spec = load(f);
      files++;
      programs += spec.programs.length;
      maps += spec.maps.length;
      // Every reference names something the spec defines.
      const mapNames = new Set(spec.maps.map((m) => m.name));
      for (const p of [...spec.programs, ...spec.subprograms]) {
        for (const r of p.references) {
          if (r.kind === 'map') assert.ok(mapNames.has(r.map), `${f}: ${p.name} refers to unknown map ${r.map}`);
          if (r.kind === 'data') assert.ok(spec.dataSections.some((d) => d.name === r.section), `${f}: ${p.name} refers to unknown data ${r.section}`);
        }
      }
    }
    t.diagnostic(`read ${files} objects: ${programs} programs, ${maps} maps`);
  });

  it('gives a typed error naming the file for each deliberately broken object, or a result', (t) => {
    let typed = 0;
    for (const f of invalidObjects()) {
      try {
        load(f);
      } catch (e) {
        assert.ok(e instanceof BpfshipError, `${f}: ${(e as Error).stack}`);
        assert.ok(e.message.startsWith(basename(f) + ':'), e.message);
        typed++;
      }
    }
    t.diagnostic(`${typed}/${invalidObjects().length} invalid objects rejected with a typed error`);
  });
});

describe('readObject() on the example programs', () => {
  it('reads xdp_firewall.o: one xdp program and its maps', () => {
    const spec = load(`${PROGRAMS_OBJ}/xdp_firewall.o`);
    assert.equal(spec.license, 'Dual MIT/GPL');
    const [p] = spec.programs;
    assert.ok(p !== undefined);
    assert.equal(p.name, 'xdp_firewall');
    assert.equal(p.sectionName, 'xdp');
    assert.equal(p.kind.programType, 'xdp');
    assert.equal(p.kind.source, 'libbpf');
    assert.ok(p.references.some((r) => r.kind === 'map' && r.map === 'verdicts'));
    const verdicts = spec.maps.find((m) => m.name === 'verdicts');
    assert.ok(verdicts !== undefined);
    assert.equal(verdicts.source, 'btf');
  });

  it('reads tail_chain.o: a prog array with initial values', () => {
    const spec = load(`${PROGRAMS_OBJ}/tail_chain.o`);
    const jt = spec.maps.find((m) => m.type === MapType.prog_array);
    assert.ok(jt !== undefined, 'a prog array');
    assert.ok(spec.programs.length >= 4);
    for (const v of jt.initialValues) assert.ok(spec.programs.some((p) => p.name === v.name), `initial value ${v.name} is a program`);
  });

  it('reads events_ringbuf.o: global data in .bss and .rodata', () => {
    const spec = load(`${PROGRAMS_OBJ}/events_ringbuf.o`);
    assert.ok(spec.maps.some((m) => m.type === MapType.ringbuf));
    const kinds = spec.dataSections.map((d) => d.kind);
    assert.ok(kinds.includes('bss') && kinds.includes('rodata'), kinds.join());
    const ro = spec.dataSections.find((d) => d.kind === 'rodata');
    assert.equal(ro?.readOnly, true);
  });

  it('rejects an object for another machine with a SpecError', () => {
    const bytes = Uint8Array.from(readFileSync(`${PROGRAMS_OBJ}/hello_world.o`));
    bytes[18] = 62; // EM_X86_64
    assert.throws(() => readObject(bytes, { name: 'x.o' }), (e: unknown) => e instanceof SpecError && /e_machine is 62, expected 247/.test(e.message));
  });
});

describe('readObject() on the spec fixtures (src/spec/testdata)', () => {
  const fixture = (name: string) => load(new URL(`./testdata/${name}`, import.meta.url).pathname);

  it('reads map-in-map and prog-array initial values, pinning and flags', () => {
    const spec = fixture('maps.o');
    const outer = spec.maps.find((m) => m.name === 'outer');
    assert.ok(outer !== undefined);
    assert.equal(outer.type, MapType.array_of_maps);
    assert.deepEqual(outer.initialValues, [{ key: 1, kind: 'map', name: 'inner_a' }, { key: 5, kind: 'map', name: 'inner_b' }]);
    assert.equal(outer.innerMap?.type, MapType.array);
    assert.equal(outer.innerMap?.maxEntries, 4);
    assert.equal(outer.innerMap?.valueSize, 8);
    const jumps = spec.maps.find((m) => m.name === 'jumps');
    assert.deepEqual(jumps?.initialValues, [{ key: 2, kind: 'program', name: 'tail0' }]);
    assert.equal(jumps?.valueSize, 4);
    const pinned = spec.maps.find((m) => m.name === 'pinned');
    assert.equal(pinned?.pinning, 1);
    assert.equal(pinned?.flags, 1);
    assert.equal(pinned?.keySize, 4);
  });

  it('reads global data and resolves references into it', () => {
    const spec = fixture('maps.o');
    assert.deepEqual(spec.dataSections.map((d) => [d.name, d.kind, d.size]), [['.data', 'data', 4], ['.rodata', 'rodata', 4], ['.bss', 'bss', 16]]);
    const bss = spec.dataSections.find((d) => d.kind === 'bss');
    assert.deepEqual(bss?.variables.map((v) => [v.name, v.offset, v.size]), [['scratch', 0, 16]]);
    const entry = spec.programs.find((p) => p.name === 'entry');
    assert.ok(entry?.references.some((r) => r.kind === 'data' && r.section === '.bss' && r.offset === 0));
  });

  it('resolves a call to a static function in .text and lists it as a subprogram', () => {
    const spec = fixture('maps.o');
    const entry = spec.programs.find((p) => p.name === 'entry');
    assert.deepEqual(entry?.calls, ['bump']);
    const call = entry?.references.find((r) => r.kind === 'call');
    assert.deepEqual(call, { kind: 'call', slot: 5, sectionName: '.text', target: 0, function: 'bump' });
    assert.deepEqual(spec.subprograms.map((f) => [f.name, f.isStatic]), [['bump', true]]);
    assert.deepEqual(spec.programs.map((p) => [p.name, p.sectionInsnOffset]), [['tail0', 0], ['entry', 2]]);
  });

  it('reads legacy maps and a legacy section name', () => {
    const spec = fixture('legacy_maps.o');
    assert.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.source, m.legacyLayout]), [
      ['counts', MapType.array, 4, 8, 256, 'legacy', 'bpf_map_def'],
      ['flows', MapType.lru_hash, 8, 16, 1024, 'legacy', 'bpf_map_def'],
    ]);
    const [p] = spec.programs;
    assert.equal(p?.kind.programType, 'socket_filter');
    assert.equal(p?.kind.source, 'legacy-prefix');
    assert.ok(p?.references.some((r) => r.kind === 'map' && r.map === 'counts'));
  });
});

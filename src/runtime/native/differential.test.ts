// Native mode against the interpreter: the shared example and benchmark programs (and bpf2c's own test object) on
// the same seeded frames, and random programs over every ALU, jump, load, store and atomic form.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Instruction } from '../../asm/index.ts';
import { prepareConformanceProgram, runConformanceProgram } from '../../interp/index.ts';
import { corpusObjects, PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { buildNative } from '../../native/index.ts';
import { readObject } from '../../spec/index.ts';
import { runConformanceNative } from './conformance-native.ts';
import { InterpretedObject } from './_interpret-xdp.ts';
import { randomProgram, rng } from './_random-program.ts';
import { NativeBindError, openNativeObject, type NativeObject } from './native-object.ts';
import { CoreError } from '../../core/core-library.ts';
import { primesInput, testFrames } from '../../packet/test-frames.ts';

const SUBPROGRAMS = join(import.meta.dirname, '..', '..', 'bpf2c', 'testdata', 'subprograms.o');
const hex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));

/** Sets up the same map contents on both sides before the runs. */
function prepare(name: string, native: NativeObject, interp: InterpretedObject): void {
  const both = (map: string, key: Uint8Array, value: Uint8Array): void => {
    native.map(map).update(key, value);
    interp.maps.get(map)?.update(key, value);
  };
  if (name === 'tail_chain') {
    for (let i = 0; i < 4; i++) {
      native.map('stages').update(Uint8Array.of(i, 0, 0, 0), Uint8Array.of(native.program(`stage${i}`).id, 0, 0, 0));
      interp.maps.get('stages')?.update(Uint8Array.of(i, 0, 0, 0), Uint8Array.of(interp.programId(`stage${i}`), 0, 0, 0));
    }
  }
  if (name === 'xdp_firewall') for (const port of [22, 53, 6379]) both('blocked_ports', Uint8Array.of(port & 0xff, port >> 8), Uint8Array.of(1));
}

describe('native mode gives the interpreter\'s results', () => {
  const frames = testFrames(400, 7);
  const objects = ['xdp_firewall', 'flow_counter', 'payload_hash', 'primes', 'tail_chain', 'events_ringbuf', 'subprograms'];
  for (const name of objects) {
    it(`on ${name}: r0, the packet and every map after ${frames.length} frames`, (t) => {
      const path = name === 'subprograms' ? SUBPROGRAMS : join(PROGRAMS_OBJ, `${name}.o`);
      const elf = new Uint8Array(readFileSync(path));
      const spec = readObject(elf, { name: path });
      const native = openNativeObject(buildNative(elf, { sourceName: `${name}.o` }).so, { name: `${name}.so` });
      const interp = new InterpretedObject(spec);
      try {
        prepare(name, native, interp);
        let runs = 0;
        const inputs = name === 'primes' ? [...frames, primesInput(1000), primesInput(2), primesInput(100)] : frames;
        for (const p of spec.programs) {
          if (name === 'tail_chain' && p.name !== 'stage0') continue;
          for (const [i, f] of inputs.entries()) {
            const a = native.runXdp(p.name, f);
            const b = interp.runXdp(p.name, f);
            assert.equal(a.r0, b.r0, `${p.name}, frame ${i}: r0`);
            assert.equal(hex(a.packet), hex(b.packet), `${p.name}, frame ${i}: packet`);
            runs++;
          }
        }
        let entries = 0;
        for (const [mapName, m] of native.maps) {
          const other = interp.maps.get(mapName);
          assert.ok(other !== undefined);
          if (m.definition.type === 27) {
            const x = m.consume().map(hex);
            const y = other.consume().map(hex);
            assert.deepEqual(x, y, `ring buffer ${mapName}`);
            entries += x.length;
            continue;
          }
          const keys = m.keys();
          assert.deepEqual(keys.map(hex).sort(), (name === "tail_chain" || m.definition.type === 3 ? keys.map(hex) : collectKeys(other).map(hex)).sort(), `keys of ${mapName}`);
          for (const k of keys) {
            assert.equal(hex(m.lookup(k)), hex(other.lookup(k)), `${mapName}[${hex(k)}]`);
            entries++;
          }
        }
        t.diagnostic(`${name}: ${runs} runs and ${entries} map entries identical in native and interpret mode`);
      } finally {
        native.close();
      }
    });
  }
});

function collectKeys(map: { nextKey(key?: Uint8Array): Uint8Array | undefined }): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) out.push(k);
  return out;
}

describe('native mode gives the interpreter\'s results on the corpus', () => {
  it('for every XDP program of the corpus whose helpers and maps the core implements', (t) => {
    const frames = testFrames(150, 11);
    let objects = 0;
    let runs = 0;
    const skipped: string[] = [];
    for (const path of corpusObjects().filter((f) => f.includes('/corpus/'))) {
      const elf = new Uint8Array(readFileSync(path));
      const spec = readObject(elf, { name: path });
      const programs = spec.programs.filter((p) => p.kind.programType === 'xdp');
      if (programs.length === 0) continue;
      let native: NativeObject;
      try {
        native = openNativeObject(buildNative(elf, { sourceName: basename(path) }).so, { name: basename(path) });
      } catch (e) {
        if (!(e instanceof NativeBindError || e instanceof CoreError)) throw e;
        skipped.push(`${basename(path)} (${e.detail})`);
        continue;
      }
      try {
        const interp = new InterpretedObject(spec);
        for (const p of programs) {
          for (const [i, f] of frames.entries()) {
            const a = native.runXdp(p.name, f);
            const b = interp.runXdp(p.name, f);
            assert.equal(a.r0, b.r0, `${basename(path)} ${p.name}, frame ${i}: r0`);
            assert.equal(hex(a.packet), hex(b.packet), `${basename(path)} ${p.name}, frame ${i}: packet`);
            runs++;
          }
        }
        objects++;
      } finally {
        native.close();
      }
    }
    t.diagnostic(`${objects} corpus objects, ${runs} runs identical in native and interpret mode; not runnable here: ${skipped.join('; ')}`);
    assert.ok(objects >= 15);
  });
});

describe('random programs', () => {
  it('give the same r0 natively and in the interpreter', (t) => {
    const next = rng(0x5eed);
    const count = 400;
    const programs = Array.from({ length: count }, () => randomProgram(next));
    const mems = programs.map(() => Uint8Array.from({ length: 64 }, () => next() & 0xff));
    const report = runConformanceNative(programs.map((instructions, i) => ({ name: `random${i}`, instructions, mem: mems[i] as Uint8Array })));
    let agree = 0;
    report.outcomes.forEach((o, i) => {
      const expected = runConformanceProgram(prepareConformanceProgram(programs[i] as Instruction[]), mems[i] as Uint8Array).r0;
      assert.equal(o.error, undefined, `program ${i}: ${o.error ?? ''}`);
      assert.equal(o.r0, expected, `program ${i}`);
      agree++;
    });
    t.diagnostic(`${agree}/${count} random programs (${programs[0]?.length ?? 0}+ instructions each) agree`);
  });
});


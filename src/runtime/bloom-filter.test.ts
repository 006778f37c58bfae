// Bloom filter maps end to end (testdata/bloom.c): the object loads in interpret, jit and native modes, its programs
// push and peek with the same results in each, and user space adds and tests values through the map API (update
// adds, contains tests, delete is refused) with the programs seeing what user space added and the other way round.
// Author: Claude.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildNative } from '../native/index.ts';
import { MapOperationError, CoreUsageError, u32 } from '../core/index.ts';
import { testObject, testRuntime } from './_support.test.ts';
import { openNativeObject, type NativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import type { LoadedObject } from './loaded-object.ts';
import type { Runtime } from './runtime.ts';

const elf = testObject('bloom');
let rt: Runtime;
before(() => {
  rt = testRuntime();
});

/** A frame whose first 4 bytes are `base` (padded to an Ethernet header's length). */
function frame(base: number): Uint8Array {
  const f = new Uint8Array(16);
  new DataView(f.buffer).setUint32(0, base, true);
  return f;
}

/** One object in one mode: runs a program on a base, and the user-space view of its two filters. */
interface Loaded {
  run(program: string, base: number): number;
  add(map: string, value: number): void;
  contains(map: string, value: number): boolean;
  close(): void;
}

function load(mode: 'interpret' | 'jit' | 'native'): Loaded {
  if (mode === 'native') {
    const obj: NativeObject = openNativeObject(buildNative(elf, { sourceName: 'bloom.o', cache: false }).so, { name: 'bloom.so' });
    const map = (name: string) => obj.maps.get(name) ?? assert.fail(`no map ${name}`);
    return {
      run: (program, base) => runNativeProgram(obj, program, { data: frame(base) }).retval,
      add: (name, v) => map(name).update(null, u32(v)),
      contains: (name, v) => map(name).contains(u32(v)),
      close: () => obj.close(),
    };
  }
  const obj: LoadedObject = rt.load(elf, { name: 'bloom.o', mode });
  return {
    run: (program, base) => obj.program(program).run({ data: frame(base) }).retval,
    add: (name, v) => obj.map(name).update(undefined, u32(v)),
    contains: (name, v) => obj.map(name).contains(u32(v)),
    close: () => obj.close(),
  };
}

/** The same script in every mode: what each step returned. */
function script(o: Loaded): number[] {
  const out: number[] = [];
  out.push(o.run('bloom_count', 100)); // empty: nothing found
  out.push(o.run('bloom_add', 100));
  out.push(o.run('bloom_count', 100)); // all 32 of `seen`; `crowded` with its (deterministic) false positives
  out.push(o.run('bloom_count', 5000));
  out.push(o.run('bloom_errors', 0));
  o.add('seen', 7000); // user space adds, a program finds it
  out.push(o.run('bloom_count', 7000) & 0xffff);
  out.push(o.contains('seen', 131) ? 1 : 0); // a program added it, user space finds it
  out.push(o.contains('crowded', 100) ? 1 : 0);
  return out;
}

describe('bloom filter maps in every execution mode', () => {
  it('give the same results in interpret, jit and native modes, and never a false negative', () => {
    const results = (['interpret', 'jit', 'native'] as const).map((mode) => {
      const o = load(mode);
      try {
        return script(o);
      } finally {
        o.close();
      }
    });
    const [interp, jit, native] = results as [number[], number[], number[]];
    assert.deepEqual(jit, interp, 'jit agrees with the interpreter');
    assert.deepEqual(native, interp, 'native agrees with the interpreter');
    assert.equal(interp[0], 0, 'an empty filter holds nothing');
    assert.equal(interp[1], 0, 'every push succeeds');
    assert.equal((interp[2] as number) & 0xffff, 32, 'every pushed value is found');
    assert.ok((interp[2] as number) >>> 16 >= 32, 'the crowded filter finds its 32 values, and some false positives');
    assert.equal(interp[4], 22 | (2 << 8), 'push with BPF_EXIST is -EINVAL, a value never pushed -ENOENT');
    assert.equal(interp[5], 1);
    assert.equal(interp[6], 1);
    assert.equal(interp[7], 1);
  });

  it('carry map_extra from the BTF map definition to the loader and into the native image table', () => {
    const spec = rt.load(elf, { name: 'bloom.o' });
    try {
      assert.equal(spec.spec.maps.find((m) => m.name === 'seen')?.mapExtra, 3n);
      assert.equal(spec.spec.maps.find((m) => m.name === 'crowded')?.mapExtra, 0n);
    } finally {
      spec.close();
    }
    const built = buildNative(elf, { sourceName: 'bloom.o', cache: false });
    assert.equal(built.metadata.maps.find((m) => m.name === 'seen')?.mapExtra, 3);
    assert.match(built.c, /\.name = "seen", \.type = 30 \/\* bloom_filter \*\/.*\.map_extra = 3,/);
    const native = openNativeObject(built.so, { name: 'bloom.so' });
    try {
      assert.equal(native.image.metadata.maps.find((m) => m.name === 'seen')?.mapExtra, 3, 'read back from the loaded image');
    } finally {
      native.close();
    }
  });

  it('take values through update and test them with contains; delete, lookup and other flags are refused', () => {
    const obj = rt.load(elf, { name: 'bloom.o' });
    try {
      const seen = obj.map('seen');
      assert.equal(seen.keySize, 0);
      assert.equal(seen.contains(u32(42)), false);
      seen.update(undefined, u32(42));
      assert.equal(seen.contains(u32(42)), true);
      assert.throws(() => seen.update(undefined, u32(43), 2), (e: unknown) => e instanceof MapOperationError && e.errno === 22);
      assert.throws(() => seen.delete(new Uint8Array(0)), (e: unknown) => e instanceof MapOperationError && e.errno === 95);
      assert.throws(() => seen.nextKey(), (e: unknown) => e instanceof MapOperationError && e.errno === 95);
      assert.throws(() => seen.lookup(), (e: unknown) => e instanceof CoreUsageError && /contains\(value\)/.test(e.message));
      assert.throws(() => seen.contains(new Uint8Array(3)), CoreUsageError);
    } finally {
      obj.close();
    }
  });

  it('refuse bad attributes with a message naming the map and what was expected', () => {
    assert.throws(
      () => rt.core.createMap({ type: 30, keySize: 0, valueSize: 4, maxEntries: 10, mapExtra: 16n, name: 'bloom' }),
      (e: unknown) => e instanceof MapOperationError && /map .*'bloom'.*EINVAL.*number of hash functions, 0 to 15 \(0 means 5\), not 16/.test(e.message),
    );
    assert.throws(
      () => rt.core.createMap({ type: 30, keySize: 4, valueSize: 4, maxEntries: 10, name: 'keyed' }),
      (e: unknown) => e instanceof MapOperationError && /'keyed'.*key_size must be 0, not 4/.test(e.message),
    );
  });
});

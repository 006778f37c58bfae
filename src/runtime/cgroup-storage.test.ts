// Cgroup local storage end to end (testdata/cgroup_storage.c): cgroup_skb programs reach a CGROUP_STORAGE and a
// PERCPU_CGROUP_STORAGE map through bpf_get_local_storage in interpret, jit and native modes, and every mode follows
// BPF_PROG_TEST_RUN: a zeroed storage per test run, shared by its `repeat` runs, so a counter ends each test run at
// its repeat count; user space sees an empty map (no cgroup is attached).
// Author: Claude.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildNative } from '../native/index.ts';
import { u32 } from '../core/index.ts';
import { ipv4Frame, testObject, testRuntime } from './_support.test.ts';
import { openNativeObject, type NativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import type { LoadedObject } from './loaded-object.ts';
import type { Runtime } from './runtime.ts';

const elf = testObject('cgroup_storage');
const packet = ipv4Frame(17, 53);
let rt: Runtime;
before(() => {
  rt = testRuntime();
});

/** One object in one mode: a test run with `repeat`, what `seen` holds, and the user-space view of the storages. */
interface CgroupStorageObject {
  run(program: string, repeat: number): number;
  seen(index: number): bigint;
  /** Whether user space finds any key in the map (get_next_key from the start). */
  hasKeys(map: string): boolean;
  lookup(map: string, key: Uint8Array): Uint8Array | undefined;
  close(): void;
}

function openCgroupStorage(mode: 'interpret' | 'jit' | 'native', runtime: Runtime, object: Uint8Array): CgroupStorageObject {
  const readSeen = (v: Uint8Array | undefined): bigint => (v === undefined ? -1n : new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
  if (mode === 'native') {
    const obj: NativeObject = openNativeObject(buildNative(object, { sourceName: 'cgroup_storage.o', cache: false }).so, { name: 'cgroup_storage.so' });
    const map = (name: string) => obj.maps.get(name) ?? assert.fail(`no map ${name}`);
    return {
      run: (program, repeat) => runNativeProgram(obj, program, { data: packet, repeat }).retval,
      seen: (i) => readSeen(map('seen').lookup(u32(i))),
      hasKeys: (name) => map(name).keys().length > 0,
      lookup: (name, key) => map(name).lookup(key),
      close: () => obj.close(),
    };
  }
  const obj: LoadedObject = runtime.load(object, { name: 'cgroup_storage.o', mode });
  return {
    run: (program, repeat) => obj.program(program).run({ data: packet, repeat }).retval,
    seen: (i) => readSeen(obj.map('seen').lookup(u32(i))),
    hasKeys: (name) => obj.map(name).nextKey() !== undefined,
    lookup: (name, key) => obj.map(name).lookup(key),
    close: () => obj.close(),
  };
}

/** The same script in every mode: retvals and what `seen` showed after each test run. */
function cgroupStorageScript(o: CgroupStorageObject): string[] {
  const out: string[] = [];
  const seen = () => [0, 1, 2, 3].map((i) => o.seen(i).toString()).join(',');
  for (const repeat of [1, 5, 3, 1000]) out.push(`egress x${repeat}: ${o.run('count_egress', repeat)} seen ${seen()}`);
  // ingress: the value before its own increment; a single run finds a fresh (zero) storage, the last of 4 finds 3
  out.push(`ingress x1: ${o.run('count_ingress', 1)} seen ${seen()}`);
  out.push(`ingress x4: ${o.run('count_ingress', 4)} seen ${seen()}`);
  return out;
}

describe('cgroup storage in every execution mode', () => {
  it('is fresh per test run and shared by its repeats, alike in interpret, jit and native modes', () => {
    const results = (['interpret', 'jit', 'native'] as const).map((mode) => {
      const o = openCgroupStorage(mode, rt, elf);
      try {
        return cgroupStorageScript(o);
      } finally {
        o.close();
      }
    });
    assert.deepEqual(results[0], [
      'egress x1: 1 seen 1,2,0,0',
      'egress x5: 1 seen 5,10,0,0',
      'egress x3: 1 seen 3,6,0,0',
      'egress x1000: 1 seen 1000,2000,0,0',
      'ingress x1: 1 seen 1000,2000,0,0',
      'ingress x4: 0 seen 1000,2000,0,3',
    ]);
    assert.deepEqual(results[1], results[0], 'jit');
    assert.deepEqual(results[2], results[0], 'native');
  });

  it('shows user space an empty map, in every mode', () => {
    for (const mode of ['interpret', 'jit', 'native'] as const) {
      const o = openCgroupStorage(mode, rt, elf);
      try {
        o.run('count_egress', 3);
        for (const map of ['counts', 'cpu_counts']) {
          assert.equal(o.hasKeys(map), false, `${mode} ${map}`);
          assert.equal(o.lookup(map, new Uint8Array(16)), undefined, `${mode} ${map}`);
        }
      } finally {
        o.close();
      }
    }
  });
});

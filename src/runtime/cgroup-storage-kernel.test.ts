/**
 * Cgroup storage against the machine's kernel (Linux runs eBPF, and we are root). Two comparisons:
 *   1. BPF_MAP_CREATE through the bpf() system call (koffi): the same errno in the kernel and the core for good and
 *      bad attributes of both types, and the same answers to lookup, update, delete, get_next_key and
 *      lookup_and_delete on a map no cgroup is attached to.
 *   2. testdata/cgroup_storage.o loaded with `bpftool prog loadall` and run with `bpftool prog run ... repeat N`
 *      (BPF_PROG_TEST_RUN): the same return values and the same `seen` array after each test run as in interpret,
 *      jit and native modes (so the storage is zeroed per test run and shared by its repeats alike), and after the
 *      runs `bpftool map dump` shows both storage maps empty, as our map API does.
 * Skipped, saying why, when the kernel cannot be asked (not root, no bpffs) and when it lacks cgroup storage (a
 * valid creation gives EINVAL: "absent from this kernel", which is not a refusal of bad attributes).
 *
 * Author: Claude.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTool } from '../internal/test-files.ts';
import { MapOperationError, MapType, u32 } from '../core/index.ts';
import { BpfCmd, BpfSyscall, loadPinned, type MapCreateAttrs } from './_bpf-syscall.ts';
import { buildNative } from '../native/index.ts';
import { ipv4Frame, TESTDATA, testObject, testRuntime } from './_support.test.ts';
import { openNativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import type { Runtime } from './runtime.ts';

const PIN_ROOT = `/sys/fs/bpf/bpfship-cgstorage-${process.pid}`;
const CGROUP_STORAGE = MapType.CgroupStorage;
const PERCPU_CGROUP_STORAGE = MapType.PerCPUCgroupStorage;

let rt: Runtime;
let scratch: string;
before(() => {
  rt = testRuntime();
  scratch = mkdtempSync(join(tmpdir(), 'bpfship-cgstorage-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(PIN_ROOT, { recursive: true, force: true });
});

/** A cgroup storage map's creation attributes. */
type Attrs = MapCreateAttrs & { readonly type: typeof CGROUP_STORAGE | typeof PERCPU_CGROUP_STORAGE };

/** The core's answer to the same creation: 0 or -errno. */
function coreCreate(a: Attrs): number {
  try {
    rt.core.createMap({ type: a.type, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags, name: 'probe' }).release();
    return 0;
  } catch (e) {
    if (e instanceof MapOperationError) return -e.errno;
    throw e;
  }
}

/** Why the kernel cannot be asked about cgroup storage, or undefined when it can. */
function kernelUnavailable(sys: BpfSyscall): string | undefined {
  const fd = sys.createMap({ type: CGROUP_STORAGE, keySize: 16, valueSize: 8, maxEntries: 0, flags: 0 });
  if (fd >= 0) {
    sys.close(fd);
    return undefined;
  }
  if (fd === -1) return 'the kernel refused BPF_MAP_CREATE with EPERM: not root (CAP_BPF)';
  if (fd === -22) return 'cgroup storage is absent from this kernel (a valid BPF_MAP_CREATE of type 19 gives EINVAL: built without CONFIG_CGROUP_BPF)';
  return `BPF_MAP_CREATE failed with errno ${-fd}`;
}

/** Errno of a user-space operation on our map, 0 when it succeeded (a lookup finding nothing is ENOENT). */
function ourErrno(op: () => unknown): number {
  try {
    return op() === undefined ? -2 : 0;
  } catch (e) {
    if (e instanceof MapOperationError) return -e.errno;
    throw e;
  }
}

describe('cgroup storage agrees with Linux', () => {
  it('on map creation and on the system calls of a map no cgroup is attached to', (t) => {
    const sys = new BpfSyscall();
    try {
      const why = kernelUnavailable(sys);
      if (why !== undefined) return void t.skip(why);
      let compared = 0;
      for (const type of [CGROUP_STORAGE, PERCPU_CGROUP_STORAGE]) {
        const base: Attrs = { type, keySize: 16, valueSize: 8, maxEntries: 0, flags: 0 };
        const cases: Array<[string, Attrs]> = [
          ['valid', base],
          ['the cgroup id as key', { ...base, keySize: 8 }],
          ['a 12-byte key', { ...base, keySize: 12 }],
          ['no value', { ...base, valueSize: 0 }],
          ['max_entries 1', { ...base, maxEntries: 1 }],
          ['value 32768', { ...base, valueSize: 32768 }],
          ['value 32769', { ...base, valueSize: 32769 }],
          ['value 65407', { ...base, valueSize: 65407 }],
          ['value 65408', { ...base, valueSize: 65408 }],
          ['value 65408 and BPF_F_NO_PREALLOC', { ...base, valueSize: 65408, flags: 1 }],
          ['BPF_F_NO_PREALLOC', { ...base, flags: 1 }],
          ['numa, read-only for programs', { ...base, flags: (1 << 2) | (1 << 7) }],
          ['read-only and write-only', { ...base, flags: (1 << 3) | (1 << 4) }],
          ['read-only and write-only for programs', { ...base, flags: (1 << 7) | (1 << 8) }],
          ['BPF_F_MMAPABLE', { ...base, flags: 1 << 10 }],
        ];
        for (const [what, a] of cases) {
          const fd = sys.createMap(a);
          sys.close(fd);
          assert.equal(coreCreate(a), Math.min(fd, 0), `type ${type}, ${what}: the kernel gives ${fd < 0 ? `errno ${-fd}` : 'a map'}`);
          compared++;
        }
        const fd = sys.createMap(base);
        const ours = rt.core.createMap({ type, keySize: 16, valueSize: 8, maxEntries: 0, name: 'empty' });
        try {
          const key = new Uint8Array(16);
          const value = type === PERCPU_CGROUP_STORAGE ? new Uint8Array(8 * rt.core.ncpus) : new Uint8Array(8);
          const pairs: Array<[string, number, number]> = [
            ['lookup', sys.elem(BpfCmd.MAP_LOOKUP_ELEM, fd), ourErrno(() => ours.lookup(key))],
            ['lookup with BPF_F_LOCK', sys.elem(BpfCmd.MAP_LOOKUP_ELEM, fd, { flags: 4n }), ourErrno(() => ours.lookup(key, 4))],
            ['update BPF_ANY', sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { flags: 0n }), ourErrno(() => ours.update(key, value, 0))],
            ['update BPF_EXIST', sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { flags: 2n }), ourErrno(() => ours.update(key, value, 2))],
            ['update BPF_NOEXIST', sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { flags: 1n }), ourErrno(() => ours.update(key, value, 1))],
            ['update BPF_F_LOCK', sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { flags: 4n }), ourErrno(() => ours.update(key, value, 4))],
            ['delete', sys.elem(BpfCmd.MAP_DELETE_ELEM, fd), ourErrno(() => ours.delete(key))],
            ['get_next_key', sys.elem(BpfCmd.MAP_GET_NEXT_KEY, fd), ourErrno(() => ours.nextKey(key))],
            ['lookup_and_delete', sys.elem(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, fd), ourErrno(() => ours.lookupAndDelete(key))],
          ];
          for (const [what, kernel, mine] of pairs) {
            assert.equal(mine, kernel, `type ${type}, ${what}: the kernel gives ${kernel}`);
            compared++;
          }
        } finally {
          sys.close(fd);
          ours.release();
        }
      }
      t.diagnostic(`${compared} answers agree with the kernel`);
    } finally {
      sys.free();
    }
  });

  it('on testdata/cgroup_storage.o run by BPF_PROG_TEST_RUN with repeat, in interpret, jit and native modes', (t) => {
    const pinned = loadPinned(join(TESTDATA, 'cgroup_storage.o'), PIN_ROOT, kernelUnavailable);
    if ('skip' in pinned) return void t.skip(pinned.skip);
    const dir = pinned.progs;
    const maps = pinned.maps;
    const packet = ipv4Frame(17, 53);
    const input = join(scratch, 'in.bin');
    writeFileSync(input, packet);
    const steps: Array<[string, number]> = [['count_egress', 1], ['count_egress', 5], ['count_egress', 3], ['count_egress', 1000], ['count_ingress', 1], ['count_ingress', 4]];
    const dump = (name: string): unknown[] => {
      const r = runTool('bpftool', ['-j', 'map', 'dump', 'pinned', join(maps, name)]);
      assert.equal(r.status, 0, `bpftool map dump ${name}: ${r.stderr}`);
      return JSON.parse(r.stdout) as unknown[];
    };
    const kernelSeen = (): string => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = runTool('bpftool', ['-j', 'map', 'lookup', 'pinned', join(maps, 'seen'), 'key', ...[...u32(i)].map(String)]);
        assert.equal(r.status, 0, `bpftool map lookup seen ${i}: ${r.stderr}`);
        const bytes = (JSON.parse(r.stdout) as { value: string[] }).value.map((b) => Number.parseInt(b, 16));
        out.push(new DataView(Uint8Array.from(bytes).buffer).getBigUint64(0, true).toString());
      }
      return out.join(',');
    };
    const kernel: string[] = [];
    for (const [program, repeat] of steps) {
      const r = runTool('bpftool', ['-j', 'prog', 'run', 'pinned', join(dir, program), 'data_in', input, 'repeat', String(repeat)]);
      assert.equal(r.status, 0, `bpftool prog run ${program}: ${r.stderr}`);
      kernel.push(`${program} x${repeat}: ${(JSON.parse(r.stdout) as { retval: number }).retval} seen ${kernelSeen()}`);
    }
    // After the test runs the kernel's storage maps hold nothing: test runs never link their storage into the map.
    assert.deepEqual(dump('counts'), [], 'bpftool map dump counts');
    assert.deepEqual(dump('cpu_counts'), [], 'bpftool map dump cpu_counts');

    const elf = testObject('cgroup_storage');
    const so = buildNative(elf, { sourceName: 'cgroup_storage.o', cache: false }).so;
    const seenOf = (lookup: (key: Uint8Array) => Uint8Array | undefined): string =>
      [0, 1, 2, 3].map((i) => {
        const v = lookup(u32(i));
        return v === undefined ? '-' : new DataView(v.buffer, v.byteOffset).getBigUint64(0, true).toString();
      }).join(',');
    for (const mode of ['interpret', 'jit', 'native'] as const) {
      const ours: string[] = [];
      let empty: boolean[];
      if (mode === 'native') {
        const obj = openNativeObject(so, { name: 'cgroup_storage.so' });
        try {
          const map = (name: string) => obj.maps.get(name) ?? assert.fail(`no map ${name}`);
          for (const [p, repeat] of steps) {
            const retval = runNativeProgram(obj, p, { data: packet, repeat }).retval;
            ours.push(`${p} x${repeat}: ${retval} seen ${seenOf((k) => map('seen').lookup(k))}`);
          }
          empty = ['counts', 'cpu_counts'].map((m) => map(m).keys().length === 0);
        } finally {
          obj.close();
        }
      } else {
        const obj = rt.load(elf, { name: 'cgroup_storage.o', mode });
        try {
          for (const [p, repeat] of steps) {
            const retval = obj.program(p).run({ data: packet, repeat }).retval;
            ours.push(`${p} x${repeat}: ${retval} seen ${seenOf((k) => obj.map('seen').lookup(k))}`);
          }
          empty = ['counts', 'cpu_counts'].map((m) => obj.map(m).nextKey() === undefined);
        } finally {
          obj.close();
        }
      }
      assert.deepEqual(ours, kernel, `${mode}: return values and 'seen' after each test run`);
      assert.deepEqual(empty, [true, true], `${mode}: the storage maps are empty to user space, as bpftool map dump shows them in the kernel`);
    }
    t.diagnostic(`kernel and the three modes agree: ${kernel.join('; ')}`);
  });
});

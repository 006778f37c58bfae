/**
 * Bloom filter maps against the machine's kernel (Linux runs eBPF, and we are root). Two comparisons:
 *   1. testdata/bloom.o loaded with `bpftool prog loadall` and run with `bpftool prog run`: the same script of runs
 *      (push, peek, the error codes, a value user space added with `bpftool map update`) gives the same return values
 *      in the kernel and in interpret, jit and native modes. Its `crowded` filter has BPF_F_ZERO_SEED, so its false
 *      positives must match too: same bitmap size, same jhash.
 *   2. The bpf() system call itself (through koffi): map creation with good and bad attributes gives the same errno
 *      in the kernel and the core, and after the same updates the same lookups answer alike (zero seed, several
 *      value sizes and hash counts), while delete, get_next_key and lookup_and_delete fail alike.
 * Skipped, saying why, when the kernel cannot be asked (not root, no bpffs) and when it lacks bloom filters (a
 * valid creation gives EINVAL: "absent from this kernel", which is not a refusal of bad attributes).
 *
 * Author: Claude.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTool } from '../internal/test-files.ts';
import { MapOperationError } from '../core/index.ts';
import { BpfCmd, BpfSyscall, loadPinned, type MapCreateAttrs } from './_bpf-syscall.ts';
import { buildNative } from '../native/index.ts';
import { TESTDATA, testObject, testRuntime } from './_support.test.ts';
import { openNativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import type { Runtime } from './runtime.ts';

const PIN_ROOT = `/sys/fs/bpf/bpfship-bloom-${process.pid}`;
const BLOOM_FILTER = 30;
const BPF_F_ZERO_SEED = 1 << 6;

let rt: Runtime;
let scratch: string;
before(() => {
  rt = testRuntime();
  scratch = mkdtempSync(join(tmpdir(), 'bpfship-bloom-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(PIN_ROOT, { recursive: true, force: true });
});

/** A bloom filter's creation attributes (its type is always 30). */
type Attrs = Omit<MapCreateAttrs, 'type'> & { readonly mapExtra: bigint };

/** The core's answer to the same creation: 0 or -errno. */
function coreCreate(a: Attrs): number {
  try {
    rt.core.createMap({ type: BLOOM_FILTER, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags, mapExtra: a.mapExtra, name: 'probe' }).release();
    return 0;
  } catch (e) {
    if (e instanceof MapOperationError) return -e.errno;
    throw e;
  }
}

/** Why the kernel cannot be asked about bloom filters, or undefined when it can. */
function kernelUnavailable(sys: BpfSyscall): string | undefined {
  const fd = sys.createMap({ type: BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 16, flags: 0, mapExtra: 0n });
  if (fd >= 0) {
    sys.close(fd);
    return undefined;
  }
  if (fd === -1) return 'the kernel refused BPF_MAP_CREATE with EPERM: not root (CAP_BPF)';
  if (fd === -22) return 'bloom filters are absent from this kernel (a valid BPF_MAP_CREATE of type 30 gives EINVAL; Linux has them since 5.16)';
  return `BPF_MAP_CREATE failed with errno ${-fd}`;
}

const le32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

describe('bloom filters agree with Linux', () => {
  it('on map creation: the same errno for good and bad attributes', (t) => {
    const sys = new BpfSyscall();
    try {
      const why = kernelUnavailable(sys);
      if (why !== undefined) return void t.skip(why);
      const base: Attrs = { keySize: 0, valueSize: 4, maxEntries: 100, flags: 0, mapExtra: 3n };
      const cases: Array<[string, Attrs]> = [
        ['valid', base],
        ['15 hash functions', { ...base, mapExtra: 15n }],
        ['zero seed, numa, read-only for programs', { ...base, flags: BPF_F_ZERO_SEED | (1 << 2) | (1 << 7) }],
        ['a key', { ...base, keySize: 4 }],
        ['no value', { ...base, valueSize: 0 }],
        ['no entries', { ...base, maxEntries: 0 }],
        ['map_extra 16', { ...base, mapExtra: 16n }],
        ['map_extra bit 40', { ...base, mapExtra: 1n << 40n }],
        ['BPF_F_NO_PREALLOC', { ...base, flags: 1 }],
        ['BPF_F_MMAPABLE', { ...base, flags: 1 << 10 }],
        ['read-only and write-only for programs', { ...base, flags: (1 << 7) | (1 << 8) }],
        ['read-only and write-only', { ...base, flags: (1 << 3) | (1 << 4) }],
        ['a value past KMALLOC_MAX_SIZE, and a key', { ...base, keySize: 4, valueSize: (1 << 22) + 1 }],
      ];
      for (const [what, a] of cases) {
        const fd = sys.createMap({ type: BLOOM_FILTER, ...a });
        sys.close(fd);
        assert.equal(coreCreate(a), Math.min(fd, 0), `${what}: the kernel gives ${fd < 0 ? `errno ${-fd}` : 'a map'}`);
      }
      t.diagnostic(`${cases.length} creations agree with the kernel`);
    } finally {
      sys.free();
    }
  });

  it('on the system calls: updates, then the same membership answers (zero seed), and the same refusals', (t) => {
    const sys = new BpfSyscall();
    try {
      const why = kernelUnavailable(sys);
      if (why !== undefined) return void t.skip(why);
      let compared = 0;
      // 4-byte values (Linux hashes them with jhash2), 6-byte ones (jhash), default and explicit hash counts.
      for (const shape of [{ valueSize: 4, maxEntries: 16, mapExtra: 0n }, { valueSize: 4, maxEntries: 30, mapExtra: 3n }, { valueSize: 6, maxEntries: 20, mapExtra: 1n }, { valueSize: 12, maxEntries: 8, mapExtra: 7n }]) {
        const a: Attrs = { keySize: 0, flags: BPF_F_ZERO_SEED, ...shape };
        const fd = sys.createMap({ type: BLOOM_FILTER, ...a });
        assert.ok(fd >= 0, `the kernel creates ${JSON.stringify(shape, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
        const ours = rt.core.createMap({ type: BLOOM_FILTER, keySize: 0, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags, mapExtra: a.mapExtra, name: 'zero' });
        try {
          const value = (v: number): Uint8Array => {
            const b = new Uint8Array(a.valueSize);
            b.set(le32(v * 2654435761));
            b[a.valueSize - 1] = v & 0xff;
            return b;
          };
          for (let v = 0; v < shape.maxEntries; v++) {
            assert.equal(sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { key: null, value: value(v) }), 0);
            ours.update(undefined, value(v));
          }
          const kernel: boolean[] = [];
          const mine: boolean[] = [];
          for (let v = 0; v < 400; v++) {
            const r = sys.elem(BpfCmd.MAP_LOOKUP_ELEM, fd, { key: null, value: value(v) });
            assert.ok(r === 0 || r === -2, `lookup gives 0 or ENOENT, not ${r}`);
            kernel.push(r === 0);
            mine.push(ours.contains(value(v)));
          }
          assert.deepEqual(mine, kernel, `membership answers for value size ${a.valueSize}, ${a.maxEntries} entries, map_extra ${a.mapExtra}`);
          compared += kernel.length;
          assert.equal(sys.elem(BpfCmd.MAP_UPDATE_ELEM, fd, { key: null, value: value(1), flags: 2n }), -22, 'update with BPF_EXIST');
          assert.throws(() => ours.update(undefined, value(1), 2), (e: unknown) => e instanceof MapOperationError && e.errno === 22);
          assert.equal(sys.elem(BpfCmd.MAP_DELETE_ELEM, fd, { key: null, value: value(1) }), -95, 'delete');
          assert.throws(() => ours.delete(new Uint8Array(0)), (e: unknown) => e instanceof MapOperationError && e.errno === 95);
          assert.equal(sys.elem(BpfCmd.MAP_GET_NEXT_KEY, fd, { key: null, value: value(1) }), -95, 'get_next_key');
          assert.throws(() => ours.nextKey(), (e: unknown) => e instanceof MapOperationError && e.errno === 95);
          assert.equal(sys.elem(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, fd, { key: null, value: value(1) }), -524, 'lookup_and_delete');
          assert.throws(() => ours.lookupAndDelete(undefined), (e: unknown) => e instanceof MapOperationError && e.errno === 524);
        } finally {
          sys.close(fd);
          ours.release();
        }
      }
      t.diagnostic(`${compared} membership answers agree with the kernel`);
    } finally {
      sys.free();
    }
  });

  it('on testdata/bloom.o run by BPF_PROG_TEST_RUN, in interpret, jit and native modes', (t) => {
    const pinned = loadPinned(join(TESTDATA, 'bloom.o'), PIN_ROOT, kernelUnavailable);
    if ('skip' in pinned) return void t.skip(pinned.skip);
    const dir = pinned.progs;
    const maps = pinned.maps;
    const input = join(scratch, 'in.bin');
    const frame = (base: number): Uint8Array => {
      const f = new Uint8Array(16);
      f.set(le32(base));
      return f;
    };
    const kernelRun = (program: string, base: number): number => {
      writeFileSync(input, frame(base));
      const r = runTool('bpftool', ['-j', 'prog', 'run', 'pinned', join(dir, program), 'data_in', input, 'repeat', '1']);
      assert.equal(r.status, 0, `bpftool prog run ${program}: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { retval: number }).retval >>> 0;
    };
    const steps: Array<[string, number]> = [['bloom_count', 100], ['bloom_add', 100], ['bloom_count', 100], ['bloom_count', 5000], ['bloom_errors', 0], ['bloom_add', 90], ['bloom_count', 64]];
    const kernel = steps.map(([p, b]) => kernelRun(p, b));
    // User space adds a value (BPF_MAP_UPDATE_ELEM with no key); a program finds it.
    assert.equal(runTool('bpftool', ['map', 'update', 'pinned', join(maps, 'seen'), 'value', ...[...le32(7000)].map(String)]).status, 0);
    kernel.push(kernelRun('bloom_count', 7000) & 0xffff);
    assert.equal((kernel[2] as number) & 0xffff, 32, 'sanity: the kernel finds all it pushed');

    const elf = testObject('bloom');
    const so = buildNative(elf, { sourceName: 'bloom.o', cache: false }).so;
    for (const mode of ['interpret', 'jit', 'native'] as const) {
      const ours: number[] = [];
      if (mode === 'native') {
        const obj = openNativeObject(so, { name: 'bloom.so' });
        try {
          for (const [p, b] of steps) ours.push(runNativeProgram(obj, p, { data: frame(b) }).retval);
          obj.maps.get('seen')?.update(null, le32(7000));
          ours.push(runNativeProgram(obj, 'bloom_count', { data: frame(7000) }).retval & 0xffff);
        } finally {
          obj.close();
        }
      } else {
        const obj = rt.load(elf, { name: 'bloom.o', mode });
        try {
          for (const [p, b] of steps) ours.push(obj.program(p).run({ data: frame(b) }).retval);
          obj.map('seen').update(undefined, le32(7000));
          ours.push(obj.program('bloom_count').run({ data: frame(7000) }).retval & 0xffff);
        } finally {
          obj.close();
        }
      }
      assert.deepEqual(ours, kernel, `${mode}: return values of ${steps.map(([p, b]) => `${p}(${b})`).join(', ')}, then a user-space update`);
    }
    t.diagnostic(`kernel and the three modes agree: ${kernel.map((r) => `0x${r.toString(16)}`).join(' ')}`);
  });
});

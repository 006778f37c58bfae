// Author: Claude.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  CoreMap,
  CoreUsageError,
  CoreWasm,
  Errno,
  MapFlags,
  MapOperationError,
  MapType,
  type MapTypeId,
  ProgType,
  RedirectKind,
  RingbufQuery,
  RunCtxLayout,
  UpdateFlags,
  errnoName,
  readU32,
  readU64,
  u32,
  u64,
} from './core-wasm.ts';
import { CORE_MAP_TYPES } from './map-type-support.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let core: CoreWasm;

/** Expects `fn` to throw a MapOperationError with `errno`. */
function throwsErrno(fn: () => unknown, errno: number): void {
  assert.throws(fn, (e: unknown) => e instanceof MapOperationError && e.errno === errno, `expected ${errnoName(errno)}`);
}

/** Calls helper `id` with plain numbers for pointers. */
function call(id: number, runCtx: number, ...regs: Array<number | bigint>): bigint {
  const fn = core.helper(id);
  assert.ok(fn, `helper ${id} is implemented`);
  const r = [0, 1, 2, 3, 4].map((i) => BigInt(regs[i] ?? 0));
  return BigInt.asUintN(64, fn(r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, runCtx));
}

/** The negative errno as the u64 a helper returns. */
function neg(errno: number): bigint {
  return BigInt.asUintN(64, BigInt(-errno));
}

/** Writes bytes into fresh core memory. */
function put(data: Uint8Array): number {
  const p = core.alloc(Math.max(data.length, 8));
  core.write(p, data);
  return p;
}

function cstr(s: string): number {
  return put(new TextEncoder().encode(s + '\0'));
}

describe('core-wasm', () => {
  before(() => {
    // The module is a build product: rebuild it (about a second) so the tests run against the current sources.
    execFileSync('bash', [`${root}/scripts/build-core.sh`], { cwd: root, stdio: 'pipe' });
    core = CoreWasm.loadSync({ ncpus: 4, ktimeNs: (clock) => BigInt(clock + 1) * 1000n });
  });

  it('exposes the helper table by Linux id', () => {
    assert.equal(core.helperName(1), 'map_lookup_elem');
    assert.equal(core.helperName(181), 'loop');
    assert.equal(core.helperName(210), undefined);
    assert.equal(core.helperImplemented(12), true);
    assert.equal(core.helperImplemented(17), false);
    assert.equal(core.helper(17), undefined);
    const implemented = Array.from({ length: 210 }, (_, id) => id).filter((id) => core.helperImplemented(id));
    assert.equal(implemented.length, 80);
    assert.equal(core.helperFlags(44), 1);
    const ctx = core.createRunContext(ProgType.Kprobe, 2);
    assert.equal(call(5, ctx), 1000n);
    assert.equal(call(125, ctx), 2000n);
    assert.equal(call(8, ctx), 2n);
    const pidTgid = call(14, ctx);
    assert.equal(Number(pidTgid & 0xffffffffn), process.pid);
    const regs = core.alloc(48); // r0..r5 for bpfship_call_helper, no BigInt needed
    assert.equal(core.exports.bpfship_call_helper(8, ctx, regs), 0);
    assert.equal(core.view().getUint32(regs, true), 2);
    assert.equal(core.exports.bpfship_call_helper(17, ctx, regs), -Errno.EINVAL);
    core.free(regs);
    // bpf_strtoul in the WebAssembly build: characters consumed, the value through a pointer.
    const text = core.alloc(16);
    const res = core.alloc(8);
    new Uint8Array(core.memory.buffer, text, 6).set(new TextEncoder().encode(' 0x1f!'));
    assert.equal(call(106, ctx, text, 6, 0, res), 5n);
    assert.equal(core.view().getBigUint64(res, true), 0x1fn);
    assert.equal(call(106, ctx, text, 6, 2, res), BigInt.asUintN(64, BigInt(-Errno.EINVAL)));
    core.free(text);
    core.free(res);
    const comm = core.alloc(16);
    assert.equal(call(16, ctx, comm, 16), 0n);
    assert.equal(core.readCString(comm, 16), 'node');
    core.free(comm);
    core.free(ctx);
  });

  it('creates maps with Linux validation and errno', () => {
    throwsErrno(() => core.createMap({ type: MapType.Array, keySize: 8, valueSize: 4, maxEntries: 4 }), Errno.EINVAL);
    throwsErrno(() => core.createMap({ type: MapType.RingBuf, keySize: 0, valueSize: 0, maxEntries: 12288 }), Errno.EINVAL);
    throwsErrno(
      () => core.createMap({ type: MapType.LRUHash, keySize: 4, valueSize: 4, maxEntries: 4, flags: MapFlags.NoPrealloc }),
      Errno.ENOTSUPP,
    );
    throwsErrno(() => core.createMap({ type: MapType.LPMTrie, keySize: 8, valueSize: 4, maxEntries: 4 }), Errno.EINVAL);
    throwsErrno(() => core.createMap({ type: MapType.PerCPUHash, keySize: 4, valueSize: 40000, maxEntries: 4 }), Errno.E2BIG);
    const err = (() => {
      try {
        core.createMap({ type: MapType.Queue, keySize: 4, valueSize: 4, maxEntries: 4, name: 'q' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof MapOperationError);
    assert.match(err.message, /map 'q' .*create failed with EINVAL \(-22\)$/);
    // A type the core does not implement says so (Linux's errno alone reads as if the attributes were wrong).
    assert.throws(() => core.createMap({ type: 24 as MapTypeId, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1, name: 'sk' }), /map 'sk' .*create failed with EINVAL \(-22\): BPF_MAP_TYPE_SK_STORAGE \(24\) is a map type the runtime core does not implement/);
    // The list the message relies on is the core's.
    assert.deepEqual([...CORE_MAP_TYPES].sort((a, b) => a - b), Object.values(MapType).sort((a, b) => a - b));
  });

  it('array: flags, errno, direct value addresses', () => {
    const m = core.createMap({ type: MapType.Array, keySize: 4, valueSize: 12, maxEntries: 4, name: 'arr' });
    const v = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(m.lookup(u32(1)), new Uint8Array(12));
    m.update(u32(1), v);
    throwsErrno(() => m.update(u32(1), v, UpdateFlags.NoExist), Errno.EEXIST);
    throwsErrno(() => m.update(u32(4), v), Errno.E2BIG);
    throwsErrno(() => m.update(u32(1), v, 3), Errno.EINVAL);
    throwsErrno(() => m.delete(u32(1)), Errno.EINVAL);
    assert.equal(m.lookup(u32(4)), undefined);
    assert.deepEqual(m.lookup(u32(1)), v);
    assert.equal(core.bytes()[m.valueAddress(1) + 11], 12);
    assert.deepEqual([...m.keys()].map((k) => readU32(k)), [0, 1, 2, 3]);
    assert.throws(() => m.update(u32(1), new Uint8Array(3)), CoreUsageError);
    assert.throws(() => m.lookup(new Uint8Array(2)), CoreUsageError);
    m.freeze();
    throwsErrno(() => m.update(u32(1), v), Errno.EPERM);
    m.release();
  });

  it('per-CPU maps: user space sees one rounded slot per CPU, programs their own', () => {
    const m = core.createMap({ type: MapType.PerCPUArray, keySize: 4, valueSize: 4, maxEntries: 2 });
    assert.equal(m.userValueSize, 32);
    for (let cpu = 0; cpu < 4; cpu++) {
      const ctx = core.createRunContext(ProgType.Kprobe, cpu);
      const key = put(u32(1));
      const p = Number(call(1, ctx, m.ptr, key));
      core.view().setUint32(p, 100 + cpu, true);
      core.free(key);
      core.free(ctx);
    }
    assert.deepEqual(m.lookupPerCpu(u32(1))?.map((b) => readU32(b)), [100, 101, 102, 103]);
    m.updatePerCpu(u32(0), [u32(5), u32(6), u32(7), u32(8)]);
    assert.equal(readU32(m.lookup(u32(0))!, 24), 8);
    throwsErrno(() => m.updatePerCpu(u32(0), [u32(5), u32(6), u32(7), u32(8)], UpdateFlags.NoExist), Errno.EEXIST);
    const h = core.createMap({ type: MapType.PerCPUHash, keySize: 4, valueSize: 8, maxEntries: 4 });
    const ctx = core.createRunContext(ProgType.Kprobe, 3);
    const key = put(u32(9));
    const val = put(u64(77n));
    assert.equal(call(2, ctx, h.ptr, key, val, 0), 0n);
    assert.deepEqual(h.lookupPerCpu(u32(9))?.map((b) => readU64(b)), [0n, 0n, 0n, 77n]);
    assert.throws(() => m.lookupPerCpu(new Uint8Array(2)), CoreUsageError);
    core.free(key);
    core.free(val);
    core.free(ctx);
    m.release();
    h.release();
  });

  it('hash: full map, replace when full, deletion during iteration, batches', () => {
    const m = core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 8 });
    for (let i = 0; i < 8; i++) m.update(u32(i), u64(BigInt(i * 10)), UpdateFlags.NoExist);
    throwsErrno(() => m.update(u32(99), u64(1n)), Errno.E2BIG);
    throwsErrno(() => m.update(u32(99), u64(1n), UpdateFlags.Exist), Errno.ENOENT);
    m.update(u32(3), u64(333n));
    throwsErrno(() => m.update(u32(3), u64(1n), UpdateFlags.NoExist), Errno.EEXIST);
    assert.equal(readU64(m.lookup(u32(3))!), 333n);
    assert.equal(m.info().entries, 8);
    // delete everything while iterating
    let n = 0;
    for (const key of m.keys()) {
      assert.equal(m.delete(key), true);
      n++;
    }
    assert.equal(n, 8);
    assert.equal(m.delete(u32(3)), false);
    assert.equal(m.nextKey(), undefined);
    // batches
    const keys = Array.from({ length: 8 }, (_, i) => u32(i));
    const values = Array.from({ length: 8 }, (_, i) => u64(BigInt(1000 + i)));
    assert.equal(m.updateBatch(keys, values), 8);
    const seen = new Map<number, bigint>();
    let token: Uint8Array | undefined;
    for (;;) {
      const chunk = m.lookupBatch(3, token);
      for (const [k, v] of chunk.entries) seen.set(readU32(k), readU64(v));
      token = chunk.token;
      if (chunk.done) break;
    }
    assert.equal(seen.size, 8);
    assert.equal(seen.get(5), 1005n);
    assert.equal(m.deleteBatch([u32(1), u32(2), u32(42)]), 2);
    const drained = m.lookupBatch(10, undefined, { delete: true });
    assert.equal(drained.entries.length, 6);
    assert.equal(drained.done, true);
    assert.equal(m.info().entries, 0);
    m.release();
  });

  it('lru hash: second-chance eviction, program lookups mark use, user lookups do not', () => {
    const m = core.createMap({ type: MapType.LRUHash, keySize: 4, valueSize: 4, maxEntries: 4 });
    for (let k = 1; k <= 4; k++) m.update(u32(k), u32(k));
    const ctx = core.createRunContext(ProgType.Kprobe, 0);
    const key = put(u32(1));
    assert.notEqual(call(1, ctx, m.ptr, key), 0n);
    m.update(u32(5), u32(5));
    assert.equal(m.lookup(u32(2)), undefined);
    assert.ok(m.lookup(u32(1)));
    assert.ok(m.lookup(u32(3))); // a user-space read: 3 still goes next
    m.update(u32(6), u32(6));
    assert.equal(m.lookup(u32(3)), undefined);
    assert.deepEqual(
      [...m.keys()].map((k) => readU32(k)).sort((a, b) => a - b),
      [1, 4, 5, 6],
    );
    core.free(key);
    core.free(ctx);
    m.release();
  });

  it('ring buffer: reserve/submit/discard, full ring, wrap-around, consumer', () => {
    const rb = core.createMap({ type: MapType.RingBuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const ctx = core.createRunContext(ProgType.Kprobe, 0);
    const a = Number(call(131, ctx, rb.ptr, 10, 0));
    const b = Number(call(131, ctx, rb.ptr, 3, 0));
    assert.equal(b - a, 24);
    core.bytes().fill(0x61, a, a + 10);
    core.bytes().fill(0x62, b, b + 3);
    call(132, ctx, b, 0);
    assert.deepEqual(rb.consume(), []); // a is still reserved
    call(132, ctx, a, 0);
    const got = rb.consume();
    assert.deepEqual(got.map((r) => r.length), [10, 3]);
    assert.equal(got[1]![2], 0x62);
    const c = Number(call(131, ctx, rb.ptr, 1, 0));
    call(133, ctx, c, 0); // discard
    const data = put(new Uint8Array([0x64]));
    assert.equal(call(130, ctx, rb.ptr, data, 1, 0), 0n);
    assert.deepEqual(rb.consume(), [new Uint8Array([0x64])]);
    // full: 31 records of 128 bytes fit, the 32nd would reach the consumer
    let n = 0;
    while (call(131, ctx, rb.ptr, 120, 0) !== 0n) n++;
    assert.equal(n, 31);
    const big = core.alloc(200);
    assert.equal(call(130, ctx, rb.ptr, big, 200, 0), neg(Errno.EAGAIN));
    assert.equal(call(131, ctx, rb.ptr, 8192, 0), 0n);
    rb.release();
    // wrap-around with data checks
    const rb2 = core.createMap({ type: MapType.RingBuf, keySize: 0, valueSize: 0, maxEntries: 4096 });
    let produced = 0;
    let consumed = 0;
    const scratch = core.alloc(1000);
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 3; i++) {
        const size = 50 + ((round * 37 + i * 101) % 900);
        core.bytes().fill(produced & 0xff, scratch, scratch + size);
        if (call(130, ctx, rb2.ptr, scratch, size, 0) === 0n) produced++;
      }
      for (const rec of rb2.consume()) {
        assert.ok(rec.every((x) => x === (consumed & 0xff)), `record ${consumed} intact`);
        consumed++;
      }
    }
    assert.equal(consumed, produced);
    assert.ok(rb2.ringbufQuery(RingbufQuery.ProdPos) > 4096n * 5n);
    assert.equal(rb2.ringbufQuery(RingbufQuery.AvailData), 0n);
    let notified = 0;
    rb2.onNotify(() => notified++);
    call(130, ctx, rb2.ptr, scratch, 4, 2); // BPF_RB_FORCE_WAKEUP
    assert.equal(notified, 1);
    throwsErrno(() => rb2.lookup(undefined), Errno.ENOTSUPP);
    core.free(scratch);
    core.free(big);
    core.free(data);
    core.free(ctx);
    rb2.release();
  });

  it('queue and stack', () => {
    const q = core.createMap({ type: MapType.Queue, keySize: 0, valueSize: 4, maxEntries: 3 });
    const s = core.createMap({ type: MapType.Stack, keySize: 0, valueSize: 4, maxEntries: 3 });
    for (let i = 1; i <= 3; i++) {
      q.push(u32(i));
      s.push(u32(i));
    }
    throwsErrno(() => q.push(u32(4)), Errno.E2BIG);
    throwsErrno(() => q.push(u32(4), UpdateFlags.NoExist), Errno.EINVAL);
    q.push(u32(4), UpdateFlags.Exist);
    s.push(u32(4), UpdateFlags.Exist);
    assert.equal(readU32(q.peek()!), 2);
    assert.deepEqual([q.pop(), q.pop(), q.pop()].map((v) => readU32(v!)), [2, 3, 4]);
    assert.deepEqual([s.pop(), s.pop(), s.pop()].map((v) => readU32(v!)), [4, 3, 2]);
    assert.equal(q.pop(), undefined);
    const ctx = core.createRunContext(ProgType.Kprobe, 0);
    const out = core.alloc(4);
    core.view().setUint32(out, 99, true);
    assert.equal(call(88, ctx, q.ptr, out), neg(Errno.ENOENT));
    assert.equal(core.view().getUint32(out, true), 0);
    core.free(out);
    core.free(ctx);
    q.release();
    s.release();
  });

  it('lpm trie: longest prefix, exact updates, key order, full trie', () => {
    const m = core.createMap({ type: MapType.LPMTrie, keySize: 8, valueSize: 4, maxEntries: 4, flags: MapFlags.NoPrealloc });
    const key = (plen: number, ...addr: number[]): Uint8Array => new Uint8Array([...u32(plen), ...addr]);
    m.update(key(8, 10, 0, 0, 0), u32(8));
    m.update(key(16, 10, 1, 0, 0), u32(16));
    m.update(key(24, 10, 1, 2, 0), u32(24));
    m.update(key(16, 192, 168, 0, 0), u32(192));
    const look = (k: Uint8Array): number | undefined => {
      const v = m.lookup(k);
      return v ? readU32(v) : undefined;
    };
    assert.equal(look(key(32, 10, 1, 2, 3)), 24);
    assert.equal(look(key(32, 10, 1, 9, 3)), 16);
    assert.equal(look(key(32, 10, 9, 9, 3)), 8);
    assert.equal(look(key(16, 10, 1, 2, 3)), 16);
    assert.equal(look(key(32, 11, 0, 0, 0)), undefined);
    throwsErrno(() => m.update(key(8, 10, 0, 0, 0), u32(1), UpdateFlags.NoExist), Errno.EEXIST);
    throwsErrno(() => m.update(key(33, 10, 0, 0, 0), u32(1)), Errno.EINVAL);
    throwsErrno(() => m.update(key(32, 1, 1, 1, 1), u32(1)), Errno.ENOSPC);
    assert.deepEqual(
      [...m.keys()].map((k) => `${k[4]}.${k[5]}.${k[6]}/${readU32(k)}`),
      ['10.1.2/24', '10.1.0/16', '10.0.0/8', '192.168.0/16'],
    );
    assert.equal(m.delete(key(16, 10, 1, 0, 0)), true);
    assert.equal(look(key(32, 10, 1, 9, 3)), 8);
    m.release();
  });

  it('map in map: ids from user space, inner maps for programs', () => {
    const tmpl = core.createMap({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 2 });
    const inner = core.createMap({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 2 });
    const wrong = core.createMap({ type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 3 });
    const outer = core.createMap({ type: MapType.ArrayOfMaps, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: tmpl });
    outer.update(u32(0), u32(inner.id));
    throwsErrno(() => outer.update(u32(1), u32(wrong.id)), Errno.EINVAL);
    throwsErrno(() => outer.update(u32(1), u32(9999)), Errno.EBADF);
    assert.equal(readU32(outer.lookup(u32(0))!), inner.id);
    const ctx = core.createRunContext(ProgType.XDP, 0);
    const k = put(u32(0));
    assert.equal(Number(call(1, ctx, outer.ptr, k)), inner.ptr);
    core.free(k);
    core.free(ctx);
    for (const m of [outer, tmpl, inner, wrong]) m.release();
  });

  it('perf output reaches the listener of the perf event array', () => {
    const pe = core.createMap({ type: MapType.PerfEventArray, keySize: 4, valueSize: 4, maxEntries: 4 });
    const records: Array<{ cpu: number; data: number[] }> = [];
    const ctx = core.createRunContext(ProgType.Kprobe, 2);
    const data = put(u32(0xabcd));
    assert.equal(call(25, ctx, 0, pe.ptr, 0xffffffffn, data, 4), neg(Errno.ENOENT));
    pe.openPerfOutput((r) => records.push({ cpu: r.cpu, data: [...r.data] }));
    assert.equal(call(25, ctx, 0, pe.ptr, 0xffffffffn, data, 4), 0n);
    assert.equal(call(25, ctx, 0, pe.ptr, 1, data, 4), neg(Errno.EOPNOTSUPP));
    assert.deepEqual(records, [{ cpu: 2, data: [0xcd, 0xab, 0, 0] }]);
    core.free(data);
    core.free(ctx);
    pe.release();
  });

  it('trace_printk: messages reach onTrace; formats and rejections follow the kernel', () => {
    const messages: string[] = [];
    const off = core.onTrace((m) => messages.push(m.text));
    const ctx = core.createRunContext(ProgType.Kprobe, 1);
    const fmt = cstr('pid %d comm %s\n');
    const comm = cstr('init');
    assert.equal(call(6, ctx, fmt, 16, 42, comm), 17n);
    assert.deepEqual(messages, ['pid 42 comm init\n']);
    const bad = cstr('%d %d %d %d');
    assert.equal(call(6, ctx, bad, 12, 1, 2, 3), neg(Errno.EINVAL));
    off();
    const cases: Array<[string, bigint[], string | number]> = [
      ['%d|%u|%x|%X', [-5n, -1n, 0xbeefn, 0xbeefn], '-5|4294967295|beef|BEEF'],
      ['%lld %llx %lu', [-4000000000n, 255n, 5n], '-4000000000 ff 5'],
      ['[%5d|%-5d|%05d]', [42n, 42n, 42n], '[   42|42   |00042]'],
      ['[%+d|% d]', [7n, 7n], '[+7| 7]'],
      ['%c%c', [0x68n, 0x69n], 'hi'],
      ['100%%', [], '100%'],
      ['%p', [0x1234n], '0000000000001234'],
      ['%.2d', [1n], -Errno.EINVAL],
      ['%#x', [1n], -Errno.EINVAL],
      ['%hd', [1n], -Errno.EINVAL],
      ['%sabc', [0n], -Errno.EINVAL],
      ['%pz', [0n], -Errno.EINVAL],
      ['%d', [], -Errno.EINVAL],
      ['bell\x07', [], -Errno.EINVAL],
    ];
    for (const [f, args, expected] of cases) assert.equal(core.format(f, args), expected, f);
    const ip = put(new Uint8Array([192, 168, 1, 20]));
    assert.equal(core.format('%pI4 %pi4', [BigInt(ip), BigInt(ip)]), '192.168.1.20 192.168.001.020');
    // addresses past the memory never trap: strings read as empty, IP addresses as zeros
    assert.equal(core.format('[%s|%pI4]', [0x7ff00000n, 0xfffffff0n]), '[|0.0.0.0]');
    const s = cstr('abc');
    assert.equal(core.format('[%-6s]', [BigInt(s)]), '[abc   ]');
    for (const p of [fmt, comm, bad, ip, s, ctx]) core.free(p);
  });

  it('bpf_loop and for_each_map_elem call back into the bound executor', () => {
    const ctx = core.createRunContext(ProgType.Kprobe, 0);
    const seen: bigint[] = [];
    core.bindCallbackInvoker(ctx, (_ctx, fn, args) => {
      assert.equal(fn, 77n);
      seen.push(args[0]);
      return args[0] === 4n ? 1n : 0n;
    });
    assert.equal(call(181, ctx, 100, 77, 0, 0), 5n);
    assert.deepEqual(seen, [0n, 1n, 2n, 3n, 4n]);
    assert.equal(call(181, ctx, 1, 77, 0, 1), neg(Errno.EINVAL));
    const m = core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 8 });
    for (let i = 0; i < 5; i++) m.update(u32(i), u32(i * 2));
    const visited: number[] = [];
    core.bindCallbackInvoker(ctx, (_c, _fn, args) => {
      visited.push(core.view().getUint32(Number(args[2]), true));
      return 0n;
    });
    assert.equal(call(164, ctx, m.ptr, 1, 0, 0), 5n);
    assert.deepEqual(visited.sort((a, b) => a - b), [0, 2, 4, 6, 8]);
    core.unbindCallbackInvoker(ctx);
    assert.throws(() => call(181, ctx, 1, 77, 0, 0), CoreUsageError);
    core.free(ctx);
    m.release();
  });

  it('tail calls are recorded for the executor, 33 at most', () => {
    const pa = core.createMap({ type: MapType.ProgArray, keySize: 4, valueSize: 4, maxEntries: 4 });
    pa.update(u32(1), u32(55));
    throwsErrno(() => pa.update(u32(1), u32(55), UpdateFlags.NoExist), Errno.EINVAL);
    const ctx = core.createRunContext(ProgType.XDP, 0);
    assert.equal(call(12, ctx, 0, pa.ptr, 2), neg(Errno.ENOENT));
    assert.equal(core.takeTailCall(ctx), undefined);
    assert.equal(call(12, ctx, 0, pa.ptr, 1), 0n);
    assert.equal(core.takeTailCall(ctx), 55);
    let ok = 0;
    while (call(12, ctx, 0, pa.ptr, 1) === 0n) ok++;
    assert.equal(ok, 31);
    assert.equal(core.view().getUint32(ctx + RunCtxLayout.tailCallCount, true), 33);
    core.free(ctx);
    pa.release();
  });

  it('xdp: adjust_head/tail/meta move the packet and update the xdp_md the program reads', () => {
    const buf = core.alloc(1024);
    const md = core.alloc(24); // struct xdp_md: data, data_end, data_meta as u32 offsets
    const ctx = core.createRunContext(ProgType.XDP, 0);
    core.setPacket(ctx, buf, buf + 256, buf + 320, buf + 640);
    core.setContext(ctx, md, 0, 4, 8);
    const dv = (): DataView => core.view();
    assert.equal(dv().getUint32(md, true), buf + 256);
    assert.equal(call(44, ctx, md, BigInt.asUintN(64, -14n)), 0n);
    assert.equal(dv().getUint32(md, true), buf + 242);
    assert.equal(call(44, ctx, md, BigInt.asUintN(64, -300n)), neg(Errno.EINVAL));
    assert.equal(call(65, ctx, md, 16), 0n);
    assert.equal(dv().getUint32(md + 4, true), buf + 336);
    assert.equal(call(54, ctx, md, BigInt.asUintN(64, -8n)), 0n);
    assert.equal(dv().getUint32(md + 8, true), buf + 234);
    assert.equal(call(54, ctx, md, BigInt.asUintN(64, -2n)), neg(Errno.EACCES));
    assert.equal(call(23, ctx, 7, 0), 4n); // XDP_REDIRECT
    assert.equal(dv().getUint32(ctx + RunCtxLayout.redirectKind, true), RedirectKind.Ifindex);
    // checksum: csum_diff over an IPv4 header gives the folded sum
    const hdr = put(new Uint8Array([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]));
    assert.equal(~Number(call(28, ctx, 0, 0, hdr, 20, 0)) & 0xffff, 0x61b8); // 0xb861 in memory order
    for (const p of [buf, md, ctx, hdr]) core.free(p);
  });

  it('keeps working when the memory grows', () => {
    const m = core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 4, maxEntries: 4 });
    m.update(u32(1), u32(11));
    const before = core.memory.buffer.byteLength;
    const big = core.alloc(64 << 20);
    assert.ok(core.memory.buffer.byteLength > before);
    assert.equal(readU32(m.lookup(u32(1))!), 11);
    m.update(u32(2), u32(22));
    assert.equal(readU32(m.lookup(u32(2))!), 22);
    core.free(big);
    const again = core.alloc(64 << 20); // the freed region is reused, not grown again
    assert.equal(again, big);
    core.free(again);
    m.release();
    assert.ok(m instanceof CoreMap);
  });
});

describe('a missing WebAssembly module', () => {
  it('is a CoreUsageError naming the file, never a raw ENOENT', async () => {
    const check = (e: unknown): boolean => {
      assert.ok(e instanceof CoreUsageError, String(e));
      assert.match(e.message, /the runtime core's WebAssembly module \/nonexistent\/bpfship_core\.wasm cannot be read \(ENOENT\)/);
      return true;
    };
    assert.throws(() => CoreWasm.loadSync({ wasmPath: '/nonexistent/bpfship_core.wasm' }), check);
    await assert.rejects(CoreWasm.load({ wasmPath: '/nonexistent/bpfship_core.wasm' }), check);
  });
});

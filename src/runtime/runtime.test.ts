// Author: Claude.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assemble } from '../asm/index.ts';
import { ExecutionError, FaultKind, LoadError } from '../interp/index.ts';
import { exampleObject, ipv4Frame, testObject, testRuntime, u16le } from './_support.test.ts';
import { MapType, readU32, readU64, u32, u64 } from '../core/core-wasm.ts';
import { RunInputError, RuntimeLoadError } from './errors.ts';
import { defineProgramType } from './program-type-profiles.ts';
import type { Runtime } from './runtime.ts';
import { sampleFrames } from '../packet/sample-frames.ts';
import { formatTracePipe, type TraceEvent } from './trace.ts';

let rt: Runtime;
before(() => {
  rt = testRuntime({ ncpus: 2 });
});

const V_PASS = 0;
const V_DROP_PORT = 1;
const V_DROP_MALFORMED = 2;
const V_OTHER = 3;

/** What xdp_firewall.c decides for a frame: [XDP action, verdict slot]. */
function firewallModel(f: Uint8Array, blocked: ReadonlySet<number>): [number, number] {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (f.length < 14) return [1, V_DROP_MALFORMED];
  if (dv.getUint16(12) !== 0x0800) return [2, V_OTHER];
  if (f.length < 34 || ((f[14] as number) & 0x0f) < 5) return [1, V_DROP_MALFORMED];
  const l4 = 14 + ((f[14] as number) & 0x0f) * 4;
  const proto = f[23];
  if (proto !== 6 && proto !== 17) return [2, V_OTHER];
  if (l4 + (proto === 6 ? 20 : 8) > f.length) return [1, V_DROP_MALFORMED];
  return blocked.has(dv.getUint16(l4 + 2)) ? [1, V_DROP_PORT] : [2, V_PASS];
}

describe('example programs', () => {
  it('xdp_firewall drops a blocked port and counts every verdict', (t) => {
    const obj = rt.load(exampleObject('xdp_firewall'), { name: 'xdp_firewall.o' });
    const prog = obj.program('xdp_firewall');
    obj.map('blocked_ports').update(u16le(22), Uint8Array.of(1));
    obj.map('blocked_ports').update(u16le(53), Uint8Array.of(1));
    const blocked = new Set([22, 53]);

    const drop = prog.run({ data: ipv4Frame(6, 22) });
    assert.equal(drop.retval, 1);
    assert.equal(drop.returnName, 'XDP_DROP');
    assert.equal(prog.run({ data: ipv4Frame(17, 80) }).returnName, 'XDP_PASS');
    const expected = [1, 1, 0, 0];
    for (const f of sampleFrames(300, 7)) {
      const [action, slot] = firewallModel(f.bytes, blocked);
      const r = prog.run({ data: f.bytes });
      assert.equal(r.retval, action, `${f.kind} frame of ${f.bytes.length} bytes to port ${f.dport}`);
      assert.deepEqual(r.data, f.bytes, 'the firewall does not change the packet');
      expected[slot] = (expected[slot] as number) + 1;
    }
    const counts = [0, 1, 2, 3].map((i) => Number(readU64(obj.map('verdicts').lookup(u32(i)) as Uint8Array)));
    t.diagnostic(`verdicts pass/drop-port/drop-malformed/other: ${counts.join('/')}`);
    assert.deepEqual(counts, expected);
    obj.close();
  });

  it('flow_counter counts packets and bytes per 5-tuple', () => {
    const obj = rt.load(exampleObject('flow_counter'), { name: 'flow_counter.o' });
    const expected = new Map<string, [bigint, bigint]>();
    const frames = sampleFrames(200, 3);
    // Repeat some flows: each frame twice.
    for (const f of [...frames, ...frames]) {
      const r = obj.program('flow_counter').run({ data: f.bytes });
      assert.equal(r.returnName, 'XDP_PASS');
      const b = f.bytes;
      if (new DataView(b.buffer).getUint16(12) !== 0x0800 || b.length < 34) continue;
      const key = new Uint8Array(16);
      key.set(b.subarray(26, 34), 0);
      const proto = b[23] as number;
      if (proto === 6 || proto === 17) {
        if (b.length < 38) continue;
        key.set(b.subarray(34, 38), 8);
      }
      key[12] = proto;
      const k = Buffer.from(key).toString('hex');
      const [p, n] = expected.get(k) ?? [0n, 0n];
      expected.set(k, [p + 1n, n + BigInt(b.length)]);
    }
    const got = new Map([...obj.map('flows').entries()].map(([k, v]) => [Buffer.from(k).toString('hex'), [readU64(v), readU64(v, 8)] as [bigint, bigint]]));
    assert.equal(got.size, expected.size);
    assert.deepEqual(got, expected);
    obj.close();
  });

  it('events_ringbuf delivers one event per IPv4 packet through the ring buffer', () => {
    const obj = rt.load(exampleObject('events_ringbuf'), { name: 'events_ringbuf.o' });
    let notified = 0;
    const off = obj.map('events').onNotify(() => notified++);
    const frames = sampleFrames(50, 11);
    const want: string[] = [];
    for (const f of frames) {
      obj.program('packet_events').run({ data: f.bytes });
      const b = f.bytes;
      if (new DataView(b.buffer).getUint16(12) !== 0x0800) continue;
      const e = new Uint8Array(16);
      e.set(b.subarray(26, 34), 0);
      e[8] = b[23] as number;
      new DataView(e.buffer).setUint32(12, b.length, true);
      want.push(Buffer.from(e).toString('hex'));
    }
    const got = obj.map('events').consume().map((e) => Buffer.from(e).toString('hex'));
    off();
    assert.deepEqual(got, want);
    assert.ok(notified >= 1);
    assert.equal(readU64(obj.readGlobal('dropped_events')), 0n);
    assert.equal(readU32(obj.readGlobal('sample_every')), 1);
    obj.close();
  });

  it('tail_chain sums to 1111 through four programs, and falls through at an empty slot', () => {
    const obj = rt.load(exampleObject('tail_chain'), { name: 'tail_chain.o' });
    const stages = obj.map('stages');
    for (let i = 1; i <= 3; i++) stages.update(u32(i), u32(obj.program(`stage${i}`).id));
    const r = obj.program('stage0').run({ data: ipv4Frame(6, 80), cpu: 1 });
    assert.equal(r.returnName, 'XDP_PASS');
    const scratch = obj.map('scratch');
    assert.deepEqual(scratch.lookupPerCpu(u32(0))?.map((v) => readU64(v)), [0n, 1111n]);
    stages.delete(u32(2));
    obj.program('stage0').run({ data: ipv4Frame(6, 80), cpu: 1 });
    assert.equal(readU64((scratch.lookupPerCpu(u32(0)) as Uint8Array[])[1] as Uint8Array), 11n);
    obj.close();
  });

  it('hello_world prints its trace line, to the run result and to listeners', () => {
    const obj = rt.load(exampleObject('hello_world'), { name: 'hello_world.o' });
    const seen: TraceEvent[] = [];
    const off = rt.onTrace((e) => seen.push(e));
    const r = obj.program('hello_world').run();
    off();
    assert.equal(r.retval, 1);
    assert.equal(r.trace.length, 1);
    const e = r.trace[0] as TraceEvent;
    assert.equal(e.message, 'Hello World!');
    assert.equal(e.program, 'hello_world');
    assert.deepEqual(seen, [e]);
    assert.match(formatTracePipe(e), /^\s+bpfship-test-4242\s+\[000\] \.\.\.\.\. +\d+\.\d{6}: bpf_trace_printk: Hello World!$/);
    obj.close();
  });

  it('lets a trace listener run another program in the middle of a run', () => {
    const hello = rt.load(exampleObject('hello_world'), { name: 'hello_world.o' });
    const fw = rt.load(exampleObject('xdp_firewall'), { name: 'xdp_firewall.o' });
    const inner: number[] = [];
    const off = rt.onTrace((e) => {
      if (e.program === 'hello_world') inner.push(fw.program('xdp_firewall').run({ data: ipv4Frame(6, 80) }).retval);
    });
    const r = hello.program('hello_world').run();
    off();
    assert.equal(r.retval, 1);
    assert.deepEqual(inner, [2]);
    assert.equal(r.trace.length, 1);
    hello.close();
    fw.close();
  });

  it('bind_monitor (the one with the verification bug) loads and runs too', () => {
    const obj = rt.load(exampleObject('bind_monitor'), { name: 'bind_monitor.o' });
    assert.deepEqual([1, 2].map(() => obj.program('bind_monitor').run().retval), [1, 0]); // bind_limit[0] is 0
    obj.close();
  });

  it('bind_monitor_fixed counts binds per pid and refuses past the limit', () => {
    const obj = rt.load(exampleObject('bind_monitor_fixed'), { name: 'bind_monitor_fixed.o' });
    obj.map('bind_limit').update(u32(0), u64(2n));
    const results = [1, 2, 3, 4].map(() => obj.program('bind_monitor').run());
    assert.deepEqual(results.map((r) => r.retval), [1, 1, 0, 0]);
    assert.deepEqual(results.map((r) => r.trace.map((e) => e.message)), [[], [], ['pid 4242 refused after 3 binds'], ['pid 4242 refused after 4 binds']]);
    assert.equal(readU64(obj.map('bind_counts').lookup(u32(4242)) as Uint8Array), 4n);
    obj.close();
  });
});

describe('runtime features', () => {
  const cases = (): ReturnType<Runtime['load']> => rt.load(testObject('runtime_cases'), { name: 'runtime_cases.o' });

  it('places .data, .bss and .rodata in memory as Linux exposes them', () => {
    const obj = cases();
    const p = obj.program('globals');
    assert.equal(p.run({ data: ipv4Frame(6, 1) }).retval, 12);
    assert.equal(p.run({ data: ipv4Frame(6, 1) }).retval, 19);
    assert.equal(readU64(obj.readGlobal('counter')), 19n);
    assert.equal(readU32(obj.readGlobal('zeroed')), 2);
    assert.equal(readU32(obj.readGlobal('limit')), 7);
    obj.writeGlobal('counter', u64(100n));
    assert.equal(p.run({ data: ipv4Frame(6, 1) }).retval, 107);
    assert.throws(() => obj.writeGlobal('limit', u32(1)), /read-only/);
    obj.close();
  });

  it('runs BPF-to-BPF calls, bpf_loop and bpf_for_each_map_elem callbacks', () => {
    const obj = cases();
    const pkt = ipv4Frame(6, 1);
    assert.equal(obj.program('calls').run({ data: pkt }).retval, 66);
    assert.equal(obj.program('deep_ok').run({ data: pkt }).retval, 7);
    assert.equal(obj.program('loop_sum').run({ data: pkt }).retval, 45);
    for (let i = 0; i < 4; i++) obj.map('arr').update(u32(i), u64(BigInt(10 * i)));
    // sum of value * (key + 1), and each value incremented by the callback.
    assert.equal(obj.program('each_sum').run({ data: pkt }).retval, 10 * 2 + 20 * 3 + 30 * 4);
    assert.equal(readU64(obj.map('arr').lookup(u32(3)) as Uint8Array), 31n);
    obj.close();
  });

  it('falls through a tail call to an empty slot, as Linux does, and jumps when the slot is filled', () => {
    const obj = cases();
    const pkt = ipv4Frame(6, 1);
    assert.equal(obj.program('tail_empty').run({ data: pkt }).retval, 42);
    obj.map('jump').update(u32(1), u32(obj.program('tail_target').id));
    assert.equal(obj.program('tail_empty').run({ data: pkt }).retval, 7);
    obj.close();
  });

  it('stops tail calls after 33, as Linux does', () => {
    const obj = cases();
    const loop = obj.program('tail_loop');
    obj.map('jump').update(u32(0), u32(loop.id));
    const r = loop.run({ data: ipv4Frame(6, 1) });
    assert.equal(r.retval, 34, 'the first run and 33 tail calls');
    obj.close();
  });

  it('reports where bpf_redirect sends the packet', () => {
    const obj = cases();
    const r = obj.program('redirect_to').run({ data: ipv4Frame(6, 1) });
    assert.equal(r.returnName, 'XDP_REDIRECT');
    assert.deepEqual(r.redirect, { kind: 'ifindex', ifindex: 7, flags: 0n });
    obj.close();
  });

  it('moves the packet with bpf_xdp_adjust_head and returns the packet after the run', () => {
    const obj = cases();
    const pkt = ipv4Frame(6, 1);
    const r = obj.program('adjust_head').run({ data: pkt });
    assert.equal(r.retval, 0x45);
    assert.deepEqual(r.data, pkt.subarray(14));
    obj.close();
  });

  it('prints bpf_printk arguments', () => {
    const obj = cases();
    assert.deepEqual(obj.program('printk_len').run({ data: ipv4Frame(6, 1, { len: 100 }) }).trace.map((e) => e.message), ['len 100']);
    obj.close();
  });

  it('runs socket filters from the network header, with LD_ABS loads', () => {
    const obj = cases();
    const r = obj.program('ld_abs').run({ data: ipv4Frame(17, 1, { len: 80 }) });
    assert.equal(r.retval, 17 * 1000 + 66); // protocol, IP total length
    assert.deepEqual(r.data?.subarray(0, 14), new Uint8Array(14), 'the kernel gives the Ethernet header back zeroed');
    assert.equal(obj.program('ld_abs_out').run({ data: ipv4Frame(17, 1) }).retval, 0, 'a load past the packet ends the program with 0');
    obj.close();
  });

  it('gives tc programs a writable __sk_buff and returns it as ctx_out', () => {
    const obj = cases();
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(48 + 4, 99, true); // cb[1], accepted as input
    const r = obj.program('tc_mark').run({ data: ipv4Frame(6, 1), ctx });
    assert.equal(r.returnName, 'TC_ACT_SHOT');
    const out = new DataView(r.ctx.buffer, r.ctx.byteOffset);
    assert.equal(out.getUint32(8, true), 0x1234); // mark
    assert.equal(out.getUint32(48, true), 64); // cb[0] = len
    assert.equal(out.getUint32(52, true), 99); // cb[1] as given
    obj.close();
  });

  it('runs cgroup sock_addr programs on a bpf_sock_addr and returns the rewritten address', () => {
    const obj = cases();
    const r = obj.program('connect_rewrite').run();
    assert.equal(r.retval, 1);
    const out = new DataView(r.ctx.buffer, r.ctx.byteOffset);
    assert.equal(out.getUint32(4, false), 0x7f000001);
    assert.equal(out.getUint16(24, false), 8080);
    assert.equal(out.getUint32(0, true), 2); // AF_INET
    obj.close();
  });
});

describe('refusals and faults', () => {
  it('refuses at load a program calling a helper the runtime lacks, naming it', () => {
    assert.throws(() => rt.load(testObject('missing_helper'), { name: 'missing_helper.o' }), (e: unknown) => e instanceof LoadError && /program 'uses_task' calls helper bpf_get_current_task \(#35\) at instruction 0, which this runtime does not implement/.test(e.message));
  });

  it('refuses at load a helper the program type does not allow', () => {
    const insns = assemble('mov %r2, 0\ncall 44\nexit', { dialect: 'conformance' }); // xdp_adjust_head in a socket filter
    assert.throws(() => rt.loadInstructions(insns, { programType: 'socket_filter', name: 'sf' }), /bpf_xdp_adjust_head \(#44\) at instruction 1, which its program type does not allow/);
    assert.doesNotThrow(() => rt.loadInstructions(insns, { programType: 'xdp', name: 'x' }));
  });

  it('stops a write to .rodata, an unchecked packet read, a stack underflow and too deep calls', () => {
    const obj = rt.load(testObject('faults'), { name: 'faults.o' });
    const pkt = ipv4Frame(6, 1);
    const expectFault = (name: string, kind: FaultKind, pattern: RegExp): void => {
      assert.throws(() => obj.program(name).run({ data: pkt }), (e: unknown) => e instanceof ExecutionError && e.fault.kind === kind && pattern.test(e.message), name);
    };
    expectFault('rodata_write', FaultKind.MEMORY, /store of 4 bytes at 0x[0-9a-f]+ \(r1 \+ 0\) writes to \.rodata .* read-only/);
    expectFault('unchecked_read', FaultKind.MEMORY, /faults\.c:\d+:\d+: return d\[100\];: load of 1 byte at 0x[0-9a-f]+ \(r1 \+ 100\) is outside the program's memory \(stack .*packet/);
    expectFault('stack_overflow', FaultKind.MEMORY, /load of 1 byte at 0x[0-9a-f]+ \(r\d \+ 0\) is outside the program's memory \(stack/);
    expectFault('deep_fail', FaultKind.CALL_DEPTH, /call frame 9; at most 8 frames/);
    assert.equal(readU32(obj.readGlobal('limit')), 7, '.rodata is unchanged');
    obj.close();
  });

  it('refuses contexts of the wrong size or content, and input of the wrong kind', () => {
    const obj = rt.load(testObject('runtime_cases'), { name: 'runtime_cases.o' });
    const pkt = ipv4Frame(6, 1);
    const xdp = obj.program('calls');
    const ctx = (bytes: number[]): Uint8Array => Uint8Array.from(bytes);
    assert.throws(() => xdp.run({ data: pkt, ctx: new Uint8Array(32).fill(1, 24) }), (e: unknown) => e instanceof RunInputError && e.errno === 7 && /the context is 32 bytes, but struct xdp_md has 24/.test(e.message));
    const badEnd = new Uint8Array(24);
    new DataView(badEnd.buffer).setUint32(4, 10, true);
    assert.throws(() => xdp.run({ data: pkt, ctx: badEnd }), /xdp_md.data_end must equal the packet size \(64\), found 10/);
    const okCtx = new Uint8Array(24);
    new DataView(okCtx.buffer).setUint32(4, 64, true);
    assert.equal(xdp.run({ data: pkt, ctx: okCtx }).retval, 66);
    assert.throws(() => xdp.run({}), /xdp programs run on a packet/);
    const skb = new Uint8Array(192);
    skb[0] = 1; // len: not an input field
    assert.throws(() => obj.program('tc_mark').run({ data: pkt, ctx: skb }), /sets field 'len', which BPF_PROG_TEST_RUN does not accept/);
    assert.throws(() => obj.program('tc_mark').run({ data: pkt.subarray(0, 10) }), /shorter than an Ethernet header/);
    assert.throws(() => xdp.run({ data: pkt.subarray(0, 4) }), (e: unknown) => e instanceof RunInputError && e.errno === 22 && /the packet is 4 bytes/.test(e.message));
    assert.throws(() => obj.program('connect_rewrite').run({ ctx: ctx([1, 2, 3]) }), /bpf_sock_addr context is 72 bytes .* found 3/);
    assert.throws(() => obj.program('connect_rewrite').run({ data: pkt }), /take no packet/);
    assert.throws(() => xdp.run({ data: pkt, cpu: 5 }), /CPU 5 does not exist/);
    obj.close();
  });

  it('checks helper arguments: maps must be maps, buffers must be the program\'s memory', () => {
    const map = rt.core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 4, name: 'h' });
    const load = (text: string) => rt.loadInstructions(assemble(text.replace(/;/g, '\n'), { dialect: 'conformance' }), { programType: 'xdp', name: 'args' });
    const pkt = ipv4Frame(6, 1);
    const run = (text: string) => load(text).run({ data: pkt });
    assert.throws(() => run('mov %r1, 4096; mov %r2, %r10; add %r2, -8; call 1; exit'), /bpf_map_lookup_elem was given r1 = 0x1000, which is not a map/);
    assert.throws(() => run(`lddw %r1, ${map.ptr}; mov %r2, 16; call 1; exit`), /bpf_map_lookup_elem would read 4 bytes at r2 = 0x10, outside the program's memory/);
    assert.throws(() => run(`lddw %r1, ${map.ptr}; mov %r2, %r10; add %r2, -8; stw [%r2+0], 1; mov %r3, 16; mov %r4, 0; call 2; exit`), /bpf_map_update_elem would read 8 bytes at r3 = 0x10/);
    // A proper update and lookup; the value returned becomes a region the program may write.
    const ok = run(`lddw %r1, ${map.ptr}; mov %r2, %r10; add %r2, -8; stw [%r2+0], 1; mov %r3, %r10; add %r3, -16; stdw [%r3+0], 5; mov %r4, 0; call 2; lddw %r1, ${map.ptr}; mov %r2, %r10; add %r2, -8; call 1; jeq %r0, 0, +3; ldxdw %r1, [%r0+0]; add %r1, 1; stxdw [%r0+0], %r1; exit`);
    assert.notEqual(ok.r0, 0n);
    assert.equal(readU64(map.lookup(u32(1)) as Uint8Array), 6n);
    // Past the value's 8 bytes: a fault.
    assert.throws(() => run(`lddw %r1, ${map.ptr}; mov %r2, %r10; add %r2, -8; stw [%r2+0], 1; call 1; jeq %r0, 0, +1; ldxdw %r0, [%r0+4]; exit`), /runs past the end of value of map 'h'/);
    map.release();
  });
});

describe('host-defined program types', () => {
  it('runs a program with the host\'s context and helpers (the ratelimit example)', () => {
    const runtime = testRuntime();
    // The documented example: a rate limiter whose context is { u32 client_id; u32 pad; u64 tokens }.
    runtime.defineProgramType(defineProgramType({
      name: 'ratelimit',
      contextName: 'rl_ctx',
      contextSize: 16,
      fields: [
        { name: 'client_id', offset: 0, size: 4 },
        { name: 'tokens', offset: 8, size: 8, writable: true },
      ],
      helpers: [1, 2, 3], // map_lookup_elem, map_update_elem, map_delete_elem
      returnNames: { 0: 'refuse', 1: 'accept' },
    }));
    const obj = runtime.load(testObject('host_type'), { name: 'host_type.o', programs: ['limit'] });
    const limit = obj.program('limit');
    assert.equal(limit.profile.name, 'ratelimit');
    const ctx = new Uint8Array(16);
    new DataView(ctx.buffer).setUint32(0, 77, true);
    const results = [1, 2, 3, 4].map(() => limit.run({ ctx }));
    assert.deepEqual(results.map((r) => r.returnName), ['accept', 'accept', 'accept', 'refuse']);
    assert.deepEqual(results.map((r) => readU64(r.ctx, 8)), [2n, 1n, 0n, 0n]);
    assert.throws(() => limit.run({ ctx: new Uint8Array(8) }), /a rl_ctx context is 16 bytes, found 8/);
    // A helper outside the type's list is refused at load.
    assert.throws(() => runtime.load(testObject('host_type'), { name: 'host_type.o' }), /program 'sneaky' calls helper bpf_get_prandom_u32 \(#7\) .* which its program type does not allow/);
    // Stores outside the writable fields are refused at run time.
    const bad = runtime.loadInstructions(assemble('stw [%r1+0], 1\nmov %r0, 0\nexit', { dialect: 'conformance' }), { programType: 'ratelimit' });
    assert.throws(() => bad.run({ ctx }), /store of 4 bytes at 0x[0-9a-f]+ \(r1 \+ 0\) writes to context \(rl_ctx\)/);
    assert.throws(() => runtime.defineProgramType(defineProgramType({ name: 'xdp', contextSize: 0, fields: [], helpers: [] })), RuntimeLoadError);
  });

  it('refuses program types that do not run here', () => {
    assert.throws(() => rt.loadInstructions(assemble('mov %r0, 0\nexit', { dialect: 'conformance' }), { programType: 'kprobe' }), /program type 'kprobe' does not run here \(runnable: xdp, socket_filter, sched_cls/);
  });
});

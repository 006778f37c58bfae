/**
 * Differential test against the machine's own kernel (Linux runs eBPF, and we are root): the same objects loaded
 * with `bpftool prog loadall` and run with `bpftool prog run` (BPF_PROG_TEST_RUN) on the same packets must give the
 * same return value and packet out as the runtime's interpreter. Uses the kernel; where the kernel refuses (not
 * root, no bpffs, a program type test_run does not support) the case is skipped and says why. A missing bpftool is
 * a failure, not a skip.
 *
 * Author: Claude.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBpffs, PROGRAMS_OBJ, runTool } from '../internal/test-files.ts';
import { ipv4Frame, TESTDATA, testRuntime } from './_support.test.ts';
import type { LoadedObject } from './loaded-object.ts';
import type { Runtime } from './runtime.ts';
import { buildNative } from '../native/index.ts';
import { openNativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import { sampleFrames } from '../packet/sample-frames.ts';

const PIN_ROOT = `/sys/fs/bpf/bpfship-oracle-${process.pid}`;
let rt: Runtime;
let scratch: string;

before(() => {
  rt = testRuntime();
  scratch = mkdtempSync(join(tmpdir(), 'bpfship-oracle-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(PIN_ROOT, { recursive: true, force: true });
});

/** Loads `object` into the kernel, pinning its programs under PIN_ROOT/<tag>; the reason when the kernel refuses. */
function kernelLoad(object: string, tag: string): string | undefined {
  const dir = join(PIN_ROOT, tag);
  const noBpffs = ensureBpffs();
  if (noBpffs !== undefined) return noBpffs;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return `cannot create ${dir} (${(e as Error).message}): not root, or no bpffs at /sys/fs/bpf`;
  }
  const r = runTool('bpftool', ['prog', 'loadall', object, dir]);
  if (r.status !== 0) return `the kernel refused ${object}: ${r.stderr.split('\n').find((l) => l.includes('failed') || l.includes('Error')) ?? r.stderr.slice(0, 200)}`;
  return undefined;
}

/** BPF_PROG_TEST_RUN in the kernel: return value and packet out. */
function kernelRun(tag: string, program: string, data: Uint8Array): { retval: number; data: Uint8Array } {
  const input = join(scratch, 'in.bin');
  const output = join(scratch, 'out.bin');
  writeFileSync(input, data);
  rmSync(output, { force: true });
  const r = runTool('bpftool', ['-j', 'prog', 'run', 'pinned', join(PIN_ROOT, tag, program), 'data_in', input, 'data_out', output, 'repeat', '1']);
  assert.equal(r.status, 0, `bpftool prog run ${program}: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { retval: number };
  return { retval: json.retval >>> 0, data: new Uint8Array(readFileSync(output)) };
}

/** An IPv6 frame: Ethernet, a 40-byte header (fd00::1 -> fd00::2), ports for TCP (6) and UDP (17), zero padding. */
function ipv6Frame(proto: number, dport: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  const dv = new DataView(f.buffer);
  f.fill(0x02, 0, 6);
  f.fill(0x04, 6, 12);
  dv.setUint16(12, 0x86dd);
  f[14] = 0x60;
  dv.setUint16(18, len - 54);
  f[20] = proto;
  f[21] = 64;
  f[22] = 0xfd;
  f[37] = 1;
  f[38] = 0xfd;
  f[53] = 2;
  dv.setUint16(54, 40000);
  dv.setUint16(56, dport);
  return f;
}

interface Case {
  readonly program: string;
  readonly data: Uint8Array;
}

function compare(t: { diagnostic(m: string): void; skip(m: string): void }, objectPath: string, tag: string, cases: readonly Case[], compareData = true): void {
  const refused = kernelLoad(objectPath, tag);
  if (refused !== undefined) {
    t.skip(refused);
    return;
  }
  const obj: LoadedObject = rt.load(new Uint8Array(readFileSync(objectPath)), { name: objectPath });
  let agree = 0;
  try {
    for (const c of cases) {
      const k = kernelRun(tag, c.program, c.data);
      const ours = obj.program(c.program).run({ data: c.data });
      assert.equal(ours.retval, k.retval, `${c.program} on ${c.data.length} bytes: return value`);
      if (compareData) assert.deepEqual(ours.data, k.data, `${c.program} on ${c.data.length} bytes: packet out`);
      agree++;
    }
  } finally {
    obj.close();
  }
  t.diagnostic(`${agree} of ${cases.length} runs agree with the kernel`);
}

describe('the interpreter agrees with Linux (BPF_PROG_TEST_RUN through bpftool)', () => {
  it('on the runtime test programs: globals, calls, callbacks, tail calls, packet helpers, contexts', (t) => {
    const pkt = ipv4Frame(17, 53, { len: 90 });
    const names = ['globals', 'globals', 'calls', 'deep_ok', 'loop_sum', 'each_sum', 'tail_empty', 'tail_loop', 'redirect_to', 'adjust_head', 'printk_len', 'ld_abs', 'ld_abs_out', 'tc_mark', 'sf_fields', 'tc_fields', 'xdp_fields'];
    const frames = [pkt, ipv4Frame(6, 80), sampleFrames(1, 5)[0]?.bytes as Uint8Array];
    const cases: Case[] = [];
    for (const f of frames) for (const program of names) cases.push({ program, data: f });
    compare(t, join(TESTDATA, 'runtime_cases.o'), 'cases', cases);
  });

  it('on the sk_buff helpers, bpf_fib_lookup, tc redirects, clone_redirect, socket lookups, cookies and a CPU map', (t) => {
    // Packets whose reshaping stays within what Linux's test-run buffer holds without reallocating (64 bytes of
    // headroom, and tail room for 20 more bytes), where the runtime and Linux agree byte for byte. Unicast
    // destinations: the ARP frame too (the loopback device calls ff:ff:ff:ff:ff:ff multicast).
    const arp = new Uint8Array(60);
    arp.fill(0x02, 0, 6);
    arp.fill(0x04, 6, 12);
    arp.set([0x08, 0x06], 12);
    const frames = [ipv4Frame(17, 53, { len: 64 }), ipv4Frame(6, 80, { len: 90 }), ipv6Frame(17, 53, 80), ipv6Frame(6, 443, 100), arp];
    const programs = [
      'pull', 'head', 'head_big', 'tail_grow', 'tail_shrink', 'room_net', 'room_net_shrink', 'room_encap', 'room_encap6', 'room_vxlan', 'room_decap',
      'proto46', 'proto64', 'ptype', 'hash', 'tunnel_none', 'tunnel_v4', 'tunnel_v6', 'tunnel_sizes', 'fib_tc', 'fib_xdp', 'neigh',
      'cookies', 'sk_none', 'cpu_redirect', 'clone_redirect',
    ];
    const cases: Case[] = [];
    for (const data of frames) for (const program of programs) cases.push({ program, data });
    compare(t, join(TESTDATA, 'skb_helpers.o'), 'skb', cases);
  });

  it('on primes with several limits', (t) => {
    const cases = [0, 1, 2, 3, 100, 997, 1000, 5000].map((n) => {
      const d = new Uint8Array(16); // the limit, padded: Linux wants at least an Ethernet header's 14 bytes
      new DataView(d.buffer).setUint32(0, n, true);
      return { program: 'primes', data: d };
    });
    compare(t, join(PROGRAMS_OBJ, 'primes.o'), 'primes', cases);
  });

  it('on payload_hash, xdp_firewall and flow_counter over the sample frames', (t) => {
    const frames = sampleFrames(40, 9).map((f) => f.bytes);
    compare(t, join(PROGRAMS_OBJ, 'payload_hash.o'), 'hash', frames.map((data) => ({ program: 'payload_hash', data })));
    compare(t, join(PROGRAMS_OBJ, 'xdp_firewall.o'), 'fw', frames.map((data) => ({ program: 'xdp_firewall', data })));
    compare(t, join(PROGRAMS_OBJ, 'flow_counter.o'), 'flows', frames.map((data) => ({ program: 'flow_counter', data })));
  });

  it('on repeated runs (repeat 5): packet bytes and bounds, context, maps, tail calls carry over as in Linux, in all three modes', (t) => {
    const object = join(TESTDATA, 'repeat_cases.o');
    const elf = new Uint8Array(readFileSync(object));
    const frame = ipv4Frame(6, 80, { len: 64 });
    const repeat = 5;
    const built = buildNative(elf, { sourceName: 'repeat_cases.o', cache: false }).so;
    const programs = ['bump_byte', 'shrink_head', 'count_runs', 'mark_runs', 'tail_self', 'print_run'];
    let agree = 0;
    for (const program of programs) {
      // A fresh kernel load per program (fresh maps and globals), the prog array filled as libbpf's initial values say.
      const tag = `repeat-${program}`;
      const dir = join(PIN_ROOT, tag);
      const maps = `${dir}-maps`;
      const noBpffs = ensureBpffs();
      if (noBpffs !== undefined) {
        t.skip(noBpffs);
        return;
      }
      mkdirSync(PIN_ROOT, { recursive: true });
      const load = runTool('bpftool', ['prog', 'loadall', object, dir, 'pinmaps', maps]);
      if (load.status !== 0) {
        t.skip(`the kernel refused ${object}: ${load.stderr.slice(0, 200)}`);
        return;
      }
      assert.equal(runTool('bpftool', ['map', 'update', 'pinned', join(maps, 'self'), 'key', '0', '0', '0', '0', 'value', 'pinned', join(dir, 'tail_self')]).status, 0);
      const input = join(scratch, 'in.bin');
      const output = join(scratch, 'out.bin');
      const ctxIn = join(scratch, 'ctx.bin');
      const ctxOut = join(scratch, 'ctx-out.bin');
      writeFileSync(input, frame);
      writeFileSync(ctxIn, new Uint8Array(192));
      const skb = program === 'mark_runs';
      const r = runTool('bpftool', ['-j', 'prog', 'run', 'pinned', join(dir, program), 'data_in', input, 'data_out', output, ...(skb ? ['ctx_in', ctxIn, 'ctx_out', ctxOut] : []), 'repeat', String(repeat)]);
      assert.equal(r.status, 0, `bpftool prog run ${program}: ${r.stderr}`);
      const kernel = { retval: (JSON.parse(r.stdout) as { retval: number }).retval >>> 0, data: new Uint8Array(readFileSync(output)), ctx: skb ? new Uint8Array(readFileSync(ctxOut)) : undefined };
      const input5 = { data: frame, repeat, ...(skb ? { ctx: new Uint8Array(192) } : {}) };
      for (const mode of ['interpret', 'jit', 'native'] as const) {
        let ours: { retval: number; data: Uint8Array | undefined; ctx: Uint8Array };
        if (mode === 'native') {
          const obj = openNativeObject(built, { name: 'repeat_cases.so' });
          try {
            ours = runNativeProgram(obj, program, input5);
          } finally {
            obj.close();
          }
        } else {
          const obj = rt.load(elf, { name: 'repeat_cases.o', mode });
          try {
            ours = obj.program(program).run(input5);
          } finally {
            obj.close();
          }
        }
        assert.equal(ours.retval, kernel.retval, `${program} (${mode}): return value after ${repeat} runs`);
        assert.deepEqual(ours.data, kernel.data, `${program} (${mode}): packet after ${repeat} runs`);
        if (kernel.ctx !== undefined) assert.equal(new DataView(ours.ctx.buffer, ours.ctx.byteOffset).getUint32(8, true), new DataView(kernel.ctx.buffer).getUint32(8, true), `${program} (${mode}): __sk_buff.mark`);
        agree++;
      }
    }
    t.diagnostic(`${agree} of ${programs.length * 3} repeated runs agree with the kernel`);
  });
});


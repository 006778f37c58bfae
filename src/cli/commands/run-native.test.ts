// `bpfship run --mode native` against `bpfship run --mode interpret` on the shared programs: the same report, line
// for line (the mode in the header, times and the interpreter's instruction count aside), in text and JSON, for
// single packets, contexts and captures; an object built on the fly and a native image built by `bpfship build`.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { testRuntime } from '../../runtime/_support.test.ts';
import { writePcap } from '../../packet/pcap.ts';
import { sampleFrames } from '../../packet/sample-frames.ts';
import { cli } from './_test-cli.ts';

let dir: string;
const saved = { cache: process.env.BPFSHIP_CACHE, audit: process.env.BPFSHIP_AUDIT_LOG };
before(() => {
  testRuntime(); // builds the core when it is missing
  dir = mkdtempSync(join(tmpdir(), 'run-native-'));
  process.env.BPFSHIP_CACHE = join(dir, 'cache');
  process.env.BPFSHIP_AUDIT_LOG = join(dir, 'audit.log');
});
after(() => {
  for (const [k, v] of [['BPFSHIP_CACHE', saved.cache], ['BPFSHIP_AUDIT_LOG', saved.audit]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The report with what may differ between executors taken out: the mode, times, instruction counts, trace clocks. */
function normalize(text: string): string {
  return text
    .replace(/ \((\w+), (interpret|native)\)/g, ' ($1, MODE)')
    .replace(/^time: .*$/gm, 'time: ...')
    .replace(/ +\d+\.\d{6}: bpf_trace_printk:/g, ' T: bpf_trace_printk:');
}

function normalizeJson(text: string): unknown {
  const j = JSON.parse(text) as Record<string, unknown>;
  for (const k of ['mode', 'durationNs', 'instructions', 'meanDurationNs', 'meanInstructions']) delete j[k];
  j['trace'] = (j['trace'] as Record<string, unknown>[]).map(({ timeNs: _t, programId: _p, ...rest }) => rest);
  return j;
}

interface Case {
  readonly object: string;
  readonly program?: string;
  readonly packets: boolean;
  readonly maps?: readonly string[];
}
const cases: readonly Case[] = [
  { object: 'xdp_firewall.o', packets: true, maps: ['blocked_ports:1600:01', 'blocked_ports:5000:01'] },
  { object: 'flow_counter.o', packets: true },
  { object: 'payload_hash.o', packets: true },
  { object: 'primes.o', packets: true },
  { object: 'tail_chain.o', program: 'stage0', packets: true },
  { object: 'events_ringbuf.o', packets: true },
  { object: 'hello_world.o', packets: false },
  { object: 'bind_monitor_fixed.o', packets: false },
];

describe('bpfship run --mode native agrees with the interpreter', () => {
  it('on every shared program, packet by packet, in text and JSON', async (t) => {
    const frames = sampleFrames(12, 7);
    const packets = frames.map((f, i) => {
      const p = join(dir, `frame${i}.bin`);
      writeFileSync(p, f.bytes);
      return p;
    });
    let compared = 0;
    for (const c of cases) {
      const object = join(PROGRAMS_OBJ, c.object);
      const image = join(dir, c.object.replace(/\.o$/, '.so'));
      const built = await cli(['build', object, '-o', image]);
      assert.equal(built.code, 0, built.err);
      const common = [...(c.program !== undefined ? ['--program', c.program] : []), ...(c.maps ?? []).flatMap((m) => ['--map', m])];
      for (const data of c.packets ? packets : [undefined]) {
        const input = data === undefined ? [] : ['--data', data];
        for (const json of [false, true]) {
          const extra = [...common, ...input, ...(json ? ['--json'] : [])];
          const interp = await cli(['run', object, ...extra]);
          assert.equal(interp.code, 0, interp.err);
          for (const native of [await cli(['run', object, '--mode', 'native', ...extra]), await cli(['run', image, '--mode', 'native', ...extra])]) {
            assert.equal(native.code, 0, native.err);
            if (json) assert.deepEqual(normalizeJson(native.out), normalizeJson(interp.out), `${c.object} ${data ?? ''}`);
            else assert.equal(normalize(native.out), normalize(interp.out), `${c.object} ${data ?? ''}`);
            compared++;
          }
        }
      }
    }
    t.diagnostic(`${compared} native reports identical to the interpreter's (${cases.length} programs)`);
  });

  it('on a capture, frame by frame', async () => {
    const pcap = join(dir, 'sample.pcap');
    writeFileSync(pcap, writePcap(sampleFrames(200, 3).map((f) => ({ data: f.bytes }))));
    const object = join(PROGRAMS_OBJ, 'xdp_firewall.o');
    const args = ['--pcap', pcap, '--map', 'blocked_ports:1600:01'];
    const interp = await cli(['run', object, ...args]);
    const native = await cli(['run', object, '--mode', 'native', ...args]);
    assert.equal(native.code, 0, native.err);
    assert.equal(normalize(native.out), normalize(interp.out));
    assert.match(native.out, /^time: \d+ ns per frame\n$/m);
  });

  it('prints the trace lines and the time per run', async () => {
    const r = await cli(['run', join(PROGRAMS_OBJ, 'hello_world.o'), '--mode', 'native', '--repeat', '3']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^program hello_world \(cgroup_sock_addr, native\)\nreturn value: 1 \(allow\)\ntrace:\n(.*bpf_trace_printk: Hello World!\n){3}time: \d+ ns per run \(mean of 3\)\n$/);
  });

  it('explains what native mode cannot take', async () => {
    const image = join(dir, 'xdp_firewall.so');
    const interp = await cli(['run', image, '--mode', 'interpret']);
    assert.equal(interp.code, 2);
    assert.match(interp.err, /is a native image, which runs in native mode only: leave out --mode interpret/);
    const noPacket = await cli(['run', image]);
    assert.match(noPacket.err, /xdp programs run on a packet: give --data FILE or --pcap FILE/);
    const wrong = await cli(['run', image, '--mode', 'native', '--program', 'nope', '--data', join(dir, 'frame0.bin')]);
    assert.match(wrong.err, /no program 'nope' \(the image has xdp_firewall\)/);
    const several = await cli(['run', join(dir, 'tail_chain.so'), '--mode', 'native', '--data', join(dir, 'frame0.bin')]);
    assert.match(several.err, /the image has 4 programs \(stage0, stage1, stage2, stage3\): choose one with --program/);
  });
});

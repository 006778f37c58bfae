// `bpfship run`, through its register function on a command tree like main.ts's (the lead wires it into main.ts).
//
// Author: Claude.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { testRuntime } from '../../runtime/_support.test.ts';
import { writePcap } from '../../packet/pcap.ts';
import { sampleFrames } from '../../packet/sample-frames.ts';
import { cli } from './_test-cli.ts';

let dir: string;
const savedAudit = process.env.BPFSHIP_AUDIT_LOG;
before(() => {
  testRuntime(); // builds the core when it is missing
  dir = mkdtempSync(join(tmpdir(), 'run-cli-'));
  process.env.BPFSHIP_AUDIT_LOG = join(dir, 'audit.log'); // not ./bpfship-audit.log of the checkout
});
after(() => {
  if (savedAudit === undefined) delete process.env.BPFSHIP_AUDIT_LOG;
  else process.env.BPFSHIP_AUDIT_LOG = savedAudit;
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(args);
}

function tcpFrame(dport: number): string {
  const f = new Uint8Array(64);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  f[23] = 6;
  dv.setUint16(36, dport);
  const p = join(dir, `tcp${dport}.bin`);
  writeFileSync(p, f);
  return p;
}

describe('bpfship run', () => {
  it('runs an XDP program on a packet: return value, packet, time', async () => {
    const r = await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--data', tcpFrame(22), '--map', 'blocked_ports:1600:01', '--repeat', '10']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^program xdp_firewall \(xdp, interpret\)\nreturn value: 1 \(XDP_DROP\)\npacket after the run \(64 bytes\):\n  0000  00 00 00 00/);
    assert.match(r.out, /time: \d+ ns per run \(mean of 10\), 45 instructions\n$/);
  });

  it('prints trace lines in trace_pipe format, and JSON with --json', async () => {
    const text = await run(['run', join(PROGRAMS_OBJ, 'hello_world.o')]);
    assert.match(text.out, /return value: 1 \(allow\)\ntrace:\n +node-\d+ +\[000\] \.\.\.\.\. +\d+\.\d{6}: bpf_trace_printk: Hello World!\n/);
    const lines = await run(['run', join(PROGRAMS_OBJ, 'hello_world.o'), '--trace-format', 'json']);
    assert.match(lines.out, /trace:\n\{"program":"hello_world","programId":\d+,"timeNs":"\d+","cpu":0,"pid":\d+,"comm":"node","message":"Hello World!"\}\n/);
    const json = JSON.parse((await run(['run', join(PROGRAMS_OBJ, 'hello_world.o'), '--json'])).out) as { retval: number; trace: { message: string }[]; type: string };
    assert.equal(json.retval, 1);
    assert.equal(json.type, 'cgroup_sock_addr');
    assert.equal(json.trace[0]?.message, 'Hello World!');
  });

  it('runs every frame of a capture and summarises the return values', async () => {
    const pcap = join(dir, 'sample.pcap');
    writeFileSync(pcap, writePcap(sampleFrames(100, 4).map((f) => ({ data: f.bytes }))));
    const r = await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--pcap', pcap, '--json']);
    const j = JSON.parse(r.out) as { frames: number; returns: { retval: number; returnName: string; frames: number }[] };
    assert.equal(j.frames, 100);
    assert.equal(j.returns.reduce((n, x) => n + x.frames, 0), 100);
    assert.deepEqual(j.returns.map((x) => x.returnName), ['XDP_DROP', 'XDP_PASS']);
    const text = await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--pcap', pcap]);
    assert.match(text.out, /100 frames from .*\n +\d+  1 \(XDP_DROP\)\n +\d+  2 \(XDP_PASS\)\ntime: \d+ ns per frame/);
  });

  it('writes every load decision to the audit log', async () => {
    await run(['run', join(PROGRAMS_OBJ, 'hello_world.o')]);
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { policy: string; decision: string; mode: string; image: { name: string } });
    assert.deepEqual([lines.at(-1)?.policy, lines.at(-1)?.decision, lines.at(-1)?.mode, lines.at(-1)?.image.name], ['development', 'allowed', 'interpret', 'hello_world.o']);
  });

  it('runs in jit mode with the interpreter\'s result, and refuses an unsafe program with the verifier\'s diagnostics', async () => {
    const ssh = tcpFrame(22);
    const args = ['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--map', 'blocked_ports:1600:01', '--data', ssh, '--json'];
    const interpreted = JSON.parse((await run(args)).out) as { retval: number; mode: string; data: unknown };
    const jit = await run([...args, '--mode', 'jit']);
    assert.equal(jit.code, 0);
    const j = JSON.parse(jit.out) as { retval: number; mode: string; data: unknown; instructions: unknown };
    assert.deepEqual([j.mode, j.retval, j.data, j.instructions], ['jit', interpreted.retval, interpreted.data, null]);
    const unsafe = await run(['run', join(PROGRAMS_OBJ, 'bind_monitor.o'), '--mode', 'jit']);
    assert.equal(unsafe.code, 1);
    assert.match(unsafe.err, /not loaded in jit mode: the verifier did not prove it safe\n.*bind_monitor\.c:33:\d+: error: possible NULL dereference/);
  });

  it('explains what is missing or wrong', async () => {
    const tail = await run(['run', join(PROGRAMS_OBJ, 'tail_chain.o'), '--data', tcpFrame(1)]);
    assert.match(tail.err, /has 4 programs \(stage0, stage1, stage2, stage3\): choose one with --program/);
    assert.match((await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o')])).err, /xdp programs run on a packet: give --data FILE or --pcap FILE/);
    assert.match((await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--mode', 'turbo', '--data', tcpFrame(1)])).err, /unknown mode 'turbo' \(expected interpret, jit, native\)/);
    assert.match((await run(['run', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--program', 'nope', '--data', tcpFrame(1)])).err, /no program named 'nope'/);
  });
});

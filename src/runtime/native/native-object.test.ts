// Native objects: maps in the runtime core shared with TypeScript, helpers, tail calls, global data, batches.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { buildNative } from '../../native/index.ts';
import { NativeBindError, openNativeObject } from './native-object.ts';
import { primesInput, testFrames } from '../../packet/test-frames.ts';

const SUBPROGRAMS = join(import.meta.dirname, '..', '..', 'bpf2c', 'testdata', 'subprograms.o');
const image = (path: string): Uint8Array => buildNative(new Uint8Array(readFileSync(path)), { sourceName: path.slice(path.lastIndexOf('/') + 1) }).so;
const u64 = (b: Uint8Array | undefined): bigint => (b === undefined ? -1n : new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

function tcpFrame(dport: number): Uint8Array {
  const f = new Uint8Array(64);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 6;
  f[36] = dport >> 8;
  f[37] = dport & 0xff;
  return f;
}

describe('native objects', () => {
  it('xdp_firewall: TypeScript fills the block list, the program counts verdicts TypeScript reads', () => {
    const fw = openNativeObject(image(join(PROGRAMS_OBJ, 'xdp_firewall.o')), { name: 'xdp_firewall.so' });
    try {
      fw.map('blocked_ports').update(Uint8Array.of(22, 0), Uint8Array.of(1));
      assert.equal(fw.runXdp('xdp_firewall', tcpFrame(80)).r0, 2n); // XDP_PASS
      assert.equal(fw.runXdp('xdp_firewall', tcpFrame(22)).r0, 1n); // XDP_DROP
      assert.equal(fw.runXdp('xdp_firewall', new Uint8Array(10)).r0, 1n); // malformed
      const verdict = (slot: number): bigint => u64(fw.map('verdicts').lookup(Uint8Array.of(slot, 0, 0, 0)));
      assert.deepEqual([0, 1, 2, 3].map(verdict), [1n, 1n, 1n, 0n]);
      assert.ok(fw.map('blocked_ports').delete(Uint8Array.of(22, 0)));
      assert.equal(fw.runXdp('xdp_firewall', tcpFrame(22)).r0, 2n);
    } finally {
      fw.close();
    }
  });

  it('primes counts the primes below its input', () => {
    const p = openNativeObject(image(join(PROGRAMS_OBJ, 'primes.o')));
    try {
      assert.equal(p.runXdp('primes', primesInput(1000)).r0, 168n);
      assert.equal(p.runXdp('primes', primesInput(10)).r0, 4n);
    } finally {
      p.close();
    }
  });

  it('tail_chain follows tail calls through the prog array TypeScript filled', () => {
    const tc = openNativeObject(image(join(PROGRAMS_OBJ, 'tail_chain.o')));
    try {
      assert.equal(tc.runXdp('stage0', tcpFrame(1)).r0, 2n);
      assert.equal(u64(tc.map('scratch').lookup(new Uint8Array(4))), 1n); // no slots filled: stage0 only
      for (let i = 0; i < 4; i++) tc.map('stages').update(Uint8Array.of(i, 0, 0, 0), Uint8Array.of(tc.program(`stage${i}`).id, 0, 0, 0));
      assert.equal(tc.runXdp('stage0', tcpFrame(1)).r0, 2n);
      assert.equal(u64(tc.map('scratch').lookup(new Uint8Array(4))), 1111n);
    } finally {
      tc.close();
    }
  });

  it('events_ringbuf writes records TypeScript consumes, and global data lives in maps', () => {
    const ev = openNativeObject(image(join(PROGRAMS_OBJ, 'events_ringbuf.o')));
    try {
      assert.deepEqual(ev.map('.rodata').lookup(new Uint8Array(4)), Uint8Array.of(1, 0, 0, 0));
      ev.runXdp(0, tcpFrame(80));
      ev.runXdp(0, tcpFrame(81));
      const records = ev.map('events').consume();
      assert.equal(records.length, 2);
      assert.equal(records[0]?.[8], 6); // protocol TCP
      assert.equal(u64(ev.map('.bss').lookup(new Uint8Array(4))), 0n); // no drops
    } finally {
      ev.close();
    }
  });

  it('subprograms: BPF-to-BPF calls, a bpf_loop callback and a tail call from a subprogram', () => {
    const sp = openNativeObject(image(SUBPROGRAMS));
    try {
      const f = new Uint8Array(64);
      f[0] = 0xff;
      assert.equal(sp.runXdp('entry', f).r0, 7n); // maybe_jump's tail call returns to entry, which returns 7
      assert.equal(u64(sp.map('results').lookup(Uint8Array.of(1, 0, 0, 0))), 0xdeadn); // tail_target ran
      assert.equal(u64(sp.map('.bss').lookup(new Uint8Array(4))), 1n);
    } finally {
      sp.close();
    }
  });

  it('runs a batch of frames with one call', () => {
    const fw = openNativeObject(image(join(PROGRAMS_OBJ, 'xdp_firewall.o')));
    try {
      const frames = testFrames(64, 3);
      const batch = fw.frameBatch(frames.length);
      frames.forEach((f, i) => batch.set(i, f));
      const results = [...fw.runXdpBatch(0, batch)];
      assert.deepEqual(results, frames.map((f) => fw.runXdp(0, f).r0));
      batch.free();
    } finally {
      fw.close();
    }
  });

  it('runs a program whose context has no packet (cgroup/bind4) on a context TypeScript builds', () => {
    const hw = openNativeObject(image(join(PROGRAMS_OBJ, 'hello_world.o')));
    try {
      assert.equal(hw.run('hello_world', new Uint8Array(80)), 1n);
    } finally {
      hw.close();
    }
  });

  it('test-runs like BPF_PROG_TEST_RUN: return value, packet, time per run', () => {
    const fw = openNativeObject(image(join(PROGRAMS_OBJ, 'xdp_firewall.o')));
    try {
      const r = fw.testRun('xdp_firewall', { data: tcpFrame(80), repeat: 100 });
      assert.equal(r.retval, 2);
      assert.deepEqual(r.data, tcpFrame(80));
      assert.ok(r.durationNs > 0);
      assert.equal(u64(fw.map('verdicts').lookup(new Uint8Array(4))), 100n);
    } finally {
      fw.close();
    }
  });

  it('names what is missing', () => {
    const p = openNativeObject(image(join(PROGRAMS_OBJ, 'primes.o')));
    try {
      assert.throws(() => p.program('nope'), (e: unknown) => e instanceof NativeBindError && /has primes/.test(e.message));
      assert.throws(() => p.map('nope'), NativeBindError);
    } finally {
      p.close();
    }
    assert.throws(() => p.runXdp(0, new Uint8Array(64)), /closed/);
  });
});

/**
 * Repeated runs (RunInput.repeat) in every mode, with Linux's semantics (net/bpf/test_run.c, bpf_test_run): the
 * input is set up once and the runs follow one another on the same packet and context with nothing restored, so
 * packet bytes and bounds, context fields, maps and globals carry over; each run starts with its own tail-call
 * count; every run's trace lines are reported. The expected values are what BPF_PROG_TEST_RUN answers on Linux
 * 6.18 for the same objects (kernel-oracle.test.ts checks them against the machine's kernel).
 *
 * Author: Claude.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildNative } from '../native/index.ts';
import { ipv4Frame, testObject, testRuntime } from './_support.test.ts';
import { openNativeObject, type NativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import type { RunInput } from './program-run.ts';
import { RunInputError } from './errors.ts';
import type { Runtime } from './runtime.ts';
import { u32 } from '../core/index.ts';

/** What a test needs of a run's result, whatever the mode. */
interface Outcome {
  readonly retval: number;
  readonly data: Uint8Array | undefined;
  readonly ctx: Uint8Array;
  readonly trace: readonly { readonly message: string }[];
  readonly repeat: number;
  readonly durationNs: number;
}

const MODES = ['interpret', 'jit', 'native'] as const;
let rt: Runtime;
let native: NativeObject;
const elf = testObject('repeat_cases');

before(() => {
  rt = testRuntime();
  native = openNativeObject(buildNative(elf, { sourceName: 'repeat_cases.o', cache: false }).so, { name: 'repeat_cases.so' });
});
after(() => native.close());

/** Loads the object afresh (fresh maps and globals) in `mode` and runs `program` on `input`. */
function runIn(mode: (typeof MODES)[number], program: string, input: RunInput): Outcome {
  if (mode === 'native') {
    const obj = openNativeObject(buildNative(elf, { sourceName: 'repeat_cases.o' }).so, { name: 'repeat_cases.so' });
    try {
      return runNativeProgram(obj, program, input);
    } finally {
      obj.close();
    }
  }
  const obj = rt.load(elf, { name: 'repeat_cases.o', mode });
  try {
    return obj.program(program).run(input);
  } finally {
    obj.close();
  }
}

const frame = ipv4Frame(6, 80, { len: 64 });

describe('repeat: runs follow one another on the same input, as BPF_PROG_TEST_RUN runs them', () => {
  for (const mode of MODES) {
    it(`the packet's bytes carry over from run to run (${mode})`, () => {
      const r = runIn(mode, 'bump_byte', { data: frame, repeat: 5 });
      assert.equal(r.retval, 0x45 + 5);
      assert.equal(r.data?.[14], 0x45 + 5);
      assert.equal(r.repeat, 5);
      assert.ok(r.durationNs > 0);
    });

    it(`so do the packet's bounds (bpf_xdp_adjust_head) (${mode})`, () => {
      const r = runIn(mode, 'shrink_head', { data: frame, repeat: 5 });
      assert.equal(r.retval, 64 - 5);
      assert.deepEqual(r.data, frame.subarray(5));
    });

    it(`map side effects accumulate (${mode})`, () => {
      assert.equal(runIn(mode, 'count_runs', { data: frame, repeat: 1000 }).retval, 1000);
    });

    it(`the context carries over (__sk_buff.mark) (${mode})`, () => {
      const r = runIn(mode, 'mark_runs', { data: frame, ctx: new Uint8Array(192), repeat: 5 });
      assert.equal(r.retval, 5);
      assert.equal(new DataView(r.ctx.buffer, r.ctx.byteOffset).getUint32(8, true), 5);
    });

    it(`each run starts with its own tail-call count (33 tail calls each) (${mode})`, () => {
      assert.equal(runIn(mode, 'tail_self', { data: frame, repeat: 5 }).retval, 5 * 34);
    });

    it(`every run's trace lines are reported (${mode})`, () => {
      const r = runIn(mode, 'print_run', { data: frame, repeat: 3 });
      assert.deepEqual(r.trace.map((t) => t.message), ['run 1', 'run 2', 'run 3']);
    });
  }

  it('refuses a count that is not a u32 of at least 1', () => {
    const obj = rt.load(elf, { name: 'repeat_cases.o' });
    try {
      for (const repeat of [0, -1, 1.5, 2 ** 32]) assert.throws(() => obj.program('count_runs').run({ data: frame, repeat }), RunInputError);
    } finally {
      obj.close();
    }
    assert.throws(() => runNativeProgram(native, 'count_runs', { data: frame, repeat: 0 }), RunInputError);
  });
});

describe('runXdpBatch in jit mode', () => {
  it('runs every frame once, in place, with the results a single run gives', () => {
    const jit = rt.load(elf, { name: 'repeat_cases.o', mode: 'jit' });
    const interp = rt.load(elf, { name: 'repeat_cases.o' });
    const frames = Array.from({ length: 40 }, (_, i) => ipv4Frame(i % 2 === 0 ? 6 : 17, 1000 + i, { len: 60 + i * 20 }));
    const batch = rt.frameBatch(frames.length);
    try {
      frames.forEach((f, i) => batch.set(i, f));
      const results = [...jit.program('bump_byte').runXdpBatch(batch)];
      const expected = frames.map((f) => BigInt(interp.program('bump_byte').run({ data: f }).retval));
      assert.deepEqual(results, expected);
      // Changed in place: the byte after the Ethernet header went up by one in every frame.
      frames.forEach((f, i) => assert.equal(batch.frame(i)[14], ((f[14] as number) + 1) & 0xff));
      // Map side effects of every frame.
      assert.deepEqual([...jit.program('count_runs').runXdpBatch(batch)], frames.map((_, i) => BigInt(i + 1)));
      assert.deepEqual(jit.map('runs').lookup(u32(0)), new Uint8Array(new BigUint64Array([40n]).buffer));
      // Tail calls: 34 hops a frame.
      assert.deepEqual([...jit.program('tail_self').runXdpBatch(batch)].slice(0, 2), [34n, 68n]);
    } finally {
      batch.free();
      jit.close();
      interp.close();
    }
  });

  it('refuses programs that are not XDP or not JIT-compiled, and freed batches', () => {
    const jit = rt.load(elf, { name: 'repeat_cases.o', mode: 'jit' });
    const interp = rt.load(elf, { name: 'repeat_cases.o' });
    const batch = rt.frameBatch(1);
    try {
      batch.set(0, frame);
      assert.throws(() => jit.program('mark_runs').runXdpBatch(batch), /runs XDP programs/);
      assert.throws(() => interp.program('bump_byte').runXdpBatch(batch), /jit mode/);
      batch.free();
      assert.throws(() => jit.program('bump_byte').runXdpBatch(batch), /freed/);
    } finally {
      jit.close();
      interp.close();
    }
  });
});

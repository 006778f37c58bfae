// The runtime's jit mode against its interpreter: the shared programs, the runtime's own test objects and a sample
// of the corpus give the same r0, packet, context, redirect, trace and maps in both modes; programs the verifier
// rejects are refused with its diagnostics; faults and traps become ExecutionErrors.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dsl, Size } from '../asm/index.ts';
import { ExecutionError, prepareProgram } from '../interp/index.ts';
import { CORPUS, corpusObjects, PROGRAMS_OBJ } from '../internal/test-files.ts';
import { readObject, type ObjectSpec } from '../spec/index.ts';
import { RunCtxLayout, u32 } from '../core/core-wasm.ts';
import { RuntimeLoadError, VerificationRefusedError } from './errors.ts';
import { JIT_FRAMES_SIZE, JitProgram } from './jit-program.ts';
import { wasm } from '../jit/index.ts';
import type { LoadedObject } from './loaded-object.ts';
import type { RunInput, RunResult } from './program-run.ts';
import { defineProgramType, linuxProgramType } from './program-type-profiles.ts';
import { Runtime } from './runtime.ts';
import { sampleFrames } from '../packet/sample-frames.ts';
import { LoadError } from '../interp/index.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const hex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));
const objectAt = (path: string): ObjectSpec => readObject(new Uint8Array(readFileSync(path)), { name: path });

/** Everything a run reports that both modes must agree on. */
function outcome(r: RunResult): string {
  const redirect = r.redirect === undefined ? '-' : JSON.stringify(r.redirect, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return `r0=${r.r0} data=${hex(r.data)} ctx=${hex(r.ctx)} redirect=${redirect} trace=${r.trace.map((t) => t.message).join('|')}`;
}

/** Every key and value of the object's maps (program arrays hold ids, which differ between loads: left out). */
function mapContents(obj: LoadedObject): string {
  const out: string[] = [];
  for (const [name, m] of obj.maps) {
    if (m.type === 3 || m.type === 4 || m.type === 17) continue; // prog array, perf event array, xskmap (no lookups from user space)
    if (m.type === 27) {
      out.push(`${name}: ${m.consume().map(hex).join(',')}`);
      continue;
    }
    const entries: string[] = [];
    for (let k = m.nextKey(); k !== undefined && entries.length < 100_000; k = m.nextKey(k)) entries.push(`${hex(k)}=${hex(m.lookup(k))}`);
    out.push(`${name}: ${entries.sort().join(',')}`);
  }
  return out.join('\n');
}

/** Loads `spec` twice (interpret, jit), prepares both the same way, runs `inputs` on each program, compares. */
function compareModes(rt: Runtime, spec: ObjectSpec, programs: readonly string[], inputs: (program: string) => readonly RunInput[], setup?: (o: LoadedObject) => void): number {
  const a = rt.load(spec, { programs });
  const b = rt.load(spec, { programs, mode: 'jit' });
  try {
    setup?.(a);
    setup?.(b);
    let runs = 0;
    for (const p of programs) {
      for (const [i, input] of inputs(p).entries()) {
        const x = a.program(p).run({ ...input, seed: 7n });
        const y = b.program(p).run({ ...input, seed: 7n });
        assert.equal(outcome(y), outcome(x), `${spec.file}: ${p}, input ${i}`);
        assert.equal(y.instructions, undefined);
        runs++;
      }
    }
    assert.equal(mapContents(b), mapContents(a), `${spec.file}: maps after the runs`);
    return runs;
  } finally {
    a.close();
    b.close();
  }
}

const frames = sampleFrames(150, 11).map((f) => ({ data: f.bytes }));
const primes = [2, 3, 100, 1000, 5000].map((n) => {
  const d = new Uint8Array(64);
  new DataView(d.buffer).setUint32(0, n, true);
  return { data: d };
});

describe('jit mode gives the interpreter\'s results', () => {
  const rt = Runtime.createSync();

  it('on every shared example and benchmark program that runs here', (t) => {
    let runs = 0;
    for (const name of ['xdp_firewall', 'flow_counter', 'payload_hash', 'primes', 'tail_chain', 'events_ringbuf', 'hello_world', 'bind_monitor_fixed']) {
      const spec = objectAt(join(PROGRAMS_OBJ, `${name}.o`));
      const programs = spec.programs.map((p) => p.name);
      const profile = linuxProgramType(spec.programs[0]?.kind.programType ?? '', spec.programs[0]?.kind.attachType);
      assert.ok(profile !== undefined, `${name} runs here`);
      const inputs = profile.packet === 'none' ? [{}] : name === 'primes' ? [...primes, ...frames] : frames;
      runs += compareModes(rt, spec, programs, () => inputs, (o) => {
        if (name === 'xdp_firewall') for (const port of [22, 53, 6379]) o.map('blocked_ports').update(Uint8Array.of(port & 0xff, port >> 8), Uint8Array.of(1));
        if (name === 'tail_chain') for (let i = 1; i <= 3; i++) o.map('stages').update(u32(i), u32(o.program(`stage${i}`).id));
      });
    }
    t.diagnostic(`${runs} runs identical in jit and interpret mode, maps too`);
  });

  it('on the runtime\'s test programs: globals, calls 8 deep, callbacks, tail calls, redirect, adjust_head, printk, LD_ABS, every context, the skb helpers', (t) => {
    let runs = 0;
    let programs = 0;
    for (const object of ['runtime_cases', 'skb_helpers']) {
      const spec = objectAt(join(TESTDATA, `${object}.o`));
      for (const p of spec.programs) {
        const profile = linuxProgramType(p.kind.programType, p.kind.attachType);
        assert.ok(profile !== undefined);
        const inputs = profile.packet === 'none' ? [{}] : frames.slice(0, 40);
        runs += compareModes(rt, spec, [p.name], () => inputs, (o) => {
          if (p.name === 'tail_loop') o.map('jump').update(u32(0), u32(o.program('tail_loop').id));
        });
        programs++;
      }
    }
    t.diagnostic(`${programs} programs, ${runs} runs identical`);
  });

  it('runs a tail call from a subprogram in that subprogram\'s place, as Linux does', () => {
    const spec = objectAt(join(TESTDATA, 'jit_cases.o'));
    const obj = rt.load(spec, { mode: 'jit' });
    try {
      const frame = (slot: number): Uint8Array => {
        const f = new Uint8Array(64);
        f[14] = slot;
        return f;
      };
      assert.equal(obj.program('tail_in_sub').run({ data: frame(0) }).retval, 107);
      assert.equal(obj.program('tail_in_sub').run({ data: frame(1) }).retval, 105);
      assert.equal(obj.program('tail_in_entry').run({ data: frame(0) }).retval, 7);
      assert.deepEqual(obj.readGlobal('hits'), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    } finally {
      obj.close();
    }
    const tails = ['target', 'tail_in_sub', 'tail_in_entry'];
    const runs = compareModes(rt, spec, tails, () => [0, 1, 2].map((s) => ({ data: Uint8Array.from({ length: 64 }, (_, i) => (i === 14 ? s : 0)) })));
    assert.equal(runs, 9);
  });

  it('looks maps up without the helper as the helper does: arrays in place (past max_entries too), per-CPU values for the run\'s CPU, hash and LRU lookups', () => {
    const two = Runtime.createSync({ ncpus: 2 });
    const spec = objectAt(join(TESTDATA, 'jit_cases.o'));
    // Keys 0-7 for the array (max_entries 4), 0-4 for the per-CPU array (3) and the LRU map (2 elements: lookups
    // decide what it evicts), on both CPUs, twice over so that values and elements found are used.
    const inputs: RunInput[] = [];
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 8; k++) {
        inputs.push({ data: Uint8Array.from({ length: 64 }, (_, i) => (i === 14 ? k : i === 15 ? (k * 3 + round) % 5 : 0)), cpu: (k + round) % 2 });
      }
    }
    assert.equal(compareModes(two, spec, ['lookups'], () => inputs), 16);
  });

  it('on a sample of corpus programs whose type runs here (up to 6 per object)', (t) => {
    let compared = 0;
    let refused = 0;
    let notLoadable = 0;
    let runs = 0;
    const inputs = frames.slice(0, 12);
    for (const file of corpusObjects().filter((f) => f.startsWith(CORPUS))) {
      let spec: ObjectSpec;
      try {
        spec = objectAt(file);
      } catch {
        continue; // malformed objects are the readers' tests
      }
      // Each load creates all the object's maps (cilium's are large): a few programs per object keep this quick.
      let taken = 0;
      for (const p of spec.programs) {
        const profile = linuxProgramType(p.kind.programType, p.kind.attachType);
        if (profile === undefined || taken === 6) continue;
        taken++;
        try {
          runs += compareModes(rt, spec, [p.name], () => (profile.packet === 'none' ? [{}] : inputs));
          compared++;
        } catch (e) {
          // The verifier rejects it (jit refuses it), or it needs a helper or map type the core lacks (the
          // interpreter refuses it first, at load).
          if (e instanceof VerificationRefusedError) refused++;
          else if (e instanceof LoadError || e instanceof RuntimeLoadError) notLoadable++;
          else throw e;
        }
      }
    }
    t.diagnostic(`corpus: ${compared} programs compared (${runs} runs identical), ${refused} refused by the verifier, ${notLoadable} need helpers or maps the core lacks`);
    assert.ok(compared >= 40, `${compared} corpus programs compared`);
  });
});

describe('jit mode refuses what it must', () => {
  const rt = Runtime.createSync();

  it('a program the verifier rejects, with its source-line diagnostics', () => {
    const bytes = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'bind_monitor.o')));
    assert.throws(() => rt.load(bytes, { name: 'bind_monitor.o', mode: 'jit' }), (e: unknown) => {
      assert.ok(e instanceof VerificationRefusedError);
      assert.equal(e.program, 'bind_monitor');
      assert.match(e.diagnostics, /bind_monitor\.c:33:\d+: error: possible NULL dereference/);
      return true;
    });
    // The interpreter still runs it (it checks every access itself).
    rt.load(bytes, { name: 'bind_monitor.o' }).close();
  });

  it('a tail call into a program loaded in interpret mode (never verified)', () => {
    const spec = objectAt(join(TESTDATA, 'jit_cases.o'));
    const jit = rt.load(spec, { programs: ['tail_in_entry'], mode: 'jit' });
    const interpreted = rt.load(spec, { programs: ['target'] });
    try {
      jit.map('hops').update(u32(0), u32(interpreted.program('target').id));
      assert.throws(() => jit.program('tail_in_entry').run({ data: new Uint8Array(64) }), (e: unknown) => e instanceof ExecutionError && /loaded in interpret mode/.test(e.message));
    } finally {
      jit.close();
      interpreted.close();
    }
  });

  it('a host-defined type\'s program that breaks the host\'s context rules; one that keeps them runs as interpreted', () => {
    const r = Runtime.createSync();
    r.defineProgramType(defineProgramType({
      name: 'ratelimit',
      contextName: 'rl_ctx',
      contextSize: 16,
      fields: [{ name: 'client_id', offset: 0, size: 4 }, { name: 'tokens', offset: 8, size: 8, writable: true }],
      helpers: [1, 2, 3],
      returnNames: { 0: 'refuse', 1: 'accept' },
    }));
    const spec = objectAt(join(TESTDATA, 'host_type.o'));
    assert.throws(() => r.load(spec, { programs: ['forge'], mode: 'jit' }), (e: unknown) => e instanceof VerificationRefusedError && /rl_ctx\.client_id is read-only/.test(e.diagnostics));
    const ctx = (id: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? id : 0));
    const runs = compareModes(r, spec, ['limit'], () => [1, 2, 1, 1, 3, 1].map((id) => ({ ctx: ctx(id) })));
    assert.equal(runs, 6);
  });

  it('native mode for an ELF object, and bare instructions in jit mode', () => {
    assert.throws(() => rt.load(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'primes.o'))), { mode: 'native' }), /native mode runs an image built by `bpfship build`/);
    assert.throws(() => rt.loadInstructions(dsl.program(dsl.mov64Imm(0, 0), dsl.exit()), { programType: 'xdp', mode: 'jit' }), /interpret mode only/);
  });
});

describe('a JIT\'d program that goes wrong (unverified code, compiled directly)', () => {
  const rt = Runtime.createSync();
  const core = rt.core;
  const runCtx = core.alloc(RunCtxLayout.size);
  assert.equal(core.exports.bpfship_run_ctx_init(runCtx, 6, 0, 1n), 0);
  const stack = core.alloc(4096);
  const frame = { runCtx, stackTop: stack + 4096, frames: core.alloc(JIT_FRAMES_SIZE) };
  const compile = (insns: ReturnType<typeof dsl.program>): JitProgram =>
    new JitProgram({ core, programTable: new wasm.Table({ element: 'anyfunc', initial: 0 }), jitProgramById: () => 'none' }, prepareProgram(insns, { id: 900, name: 'wild', helpers: rt.helperCatalog() }), 1_000_000);

  it('traps in the sandbox on an address past the core\'s memory: an ExecutionError, the host untouched', () => {
    const p = compile(dsl.program(dsl.loadImm64(1, 0xfffffff0n), dsl.loadMem(Size.DW, 0, 1, 0), dsl.exit()));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && /trapped in WebAssembly/.test(e.message));
  });

  it('faults on an address of 4 GiB or more (it would wrap in a 32-bit memory)', () => {
    const p = compile(dsl.program(dsl.loadImm64(1, 0x1_0000_0010n), dsl.loadMem(Size.DW, 0, 1, 0), dsl.exit()));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && e.fault.pc === 2);
  });

  it('traps, without wrapping, through a register below 2^32 with an offset that reaches past 4 GiB (no check emitted)', () => {
    // w1 = 0xfffffff0 leaves the upper half zero: the generated code skips its 4 GiB check and leans on
    // WebAssembly adding the memarg offset without wrapping. 0xfffffff0 + 0x7ff0 must trap, not land at 0x7fe0.
    const p = compile(dsl.program(dsl.mov32Imm(1, 0xfffffff0 | 0), dsl.loadMem(Size.DW, 0, 1, 0x7ff0), dsl.exit()));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && /trapped in WebAssembly/.test(e.message));
  });

  it('learns nothing from a 32-bit comparison: an address of 4 GiB or more still faults after one', () => {
    // r1 = 4 GiB + 16; w3 = 0xffffffff; if w1 > w3 (low halves: 16 > 0xffffffff, false) falls through to the load.
    // A 64-bit `r1 <= r3` would have proven r1 below 2^32; the 32-bit one proves nothing about the upper half.
    const p = compile(dsl.program(dsl.loadImm64(1, 0x1_0000_0010n), dsl.mov32Imm(3, -1), dsl.jump32Reg(0x20, 1, 3, 1), dsl.loadMem(Size.DW, 0, 1, 0), dsl.exit()));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && e.fault.pc === 4);
  });

  it('forgets in a loop what it knew of a register the loop writes: the second pass\'s address of 4 GiB + 16 faults', () => {
    // r1 is below 2^32 where the loop is entered, and the loop adds 4 GiB to it: on the second pass the load
    // through it must fault, not wrap to address 16.
    const p = compile(dsl.program(
      dsl.mov32Imm(1, 16), dsl.mov64Imm(3, 2),
      dsl.loadMem(Size.B, 0, 1, 0), // slot 2: the loop's head
      dsl.loadImm64(4, 0x1_0000_0000n), dsl.add64Reg(1, 4), dsl.add64Imm(3, -1),
      dsl.jumpImm(0x50, 3, 0, -6), dsl.exit(),
    ));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && e.fault.pc === 2);
  });

  it('leaves the check out through p when p + k was proven below 2^32, and still traps when p + k wrapped past 2^64', () => {
    // r4 = 2^64 - 16 and r5 = r4 + 16 = 0, which passes `if r5 > r3`. The generated code knows only that r5 is
    // below 2^32, so r4 is either below 2^32 too or wraps to an address at or past 2 GiB; the load through it must
    // trap in WebAssembly (no check emitted), not land at 0xfffffff0 - 2^32.
    const p = compile(dsl.program(
      dsl.loadImm64(4, -16n), dsl.mov64Reg(5, 4), dsl.add64Imm(5, 16), dsl.mov32Imm(3, 100),
      dsl.jumpReg(0x20, 5, 3, 1), dsl.loadMem(Size.B, 0, 4, 0), dsl.exit(),
    ));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && /trapped in WebAssembly/.test(e.message));
  });

  it('forgets p + k once p is written: a check stays, and an address of 4 GiB + 16 faults at the load', () => {
    // r5 = r4 + 1 is proven below 2^32 only after r4 moved up by 4 GiB: that proves nothing of the new r4.
    const p = compile(dsl.program(
      dsl.mov32Imm(4, 16), dsl.mov64Reg(5, 4), dsl.loadImm64(6, 0x1_0000_0000n), dsl.add64Reg(4, 6), dsl.add64Imm(5, 1),
      dsl.mov32Imm(3, 100), dsl.jumpReg(0x20, 5, 3, 1), dsl.loadMem(Size.B, 0, 4, 0), dsl.exit(),
    ));
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'memory' && e.fault.pc === 8);
  });

  it('runs callbacks (bpf_loop, bpf_for_each_map_elem) one frame below the helper\'s caller', () => {
    const obj = rt.load(objectAt(join(TESTDATA, 'runtime_cases.o')), { programs: ['loop_sum', 'each_sum'] });
    try {
      const programs = new Map<number, JitProgram>();
      const services = { core, programTable: new wasm.Table({ element: 'anyfunc', initial: 0 }), jitProgramById: (id: number) => programs.get(id) ?? 'not loaded' };
      core.bindCallbackInvoker(runCtx, (_rc, fn, args) => JitProgram.invokeCallback(services, fn, args, frame));
      for (let k = 0; k < 4; k++) obj.map('arr').update(u32(k), new Uint8Array(new BigUint64Array([BigInt(k * 10)]).buffer));
      const expected = new Map([['loop_sum', 45n], ['each_sum', 200n]]); // 0+..+9; 0*1 + 10*2 + 20*3 + 30*4
      for (const [name, r0] of expected) {
        const p = new JitProgram(services, obj.program(name).prepared, 1_000_000);
        programs.set(p.prepared.id, p);
        assert.equal(p.execute(0, frame), r0, name);
      }
      assert.equal(hex(obj.map('arr').lookup(u32(3))), '1f00000000000000'); // each_cb added 1 to every value
    } finally {
      core.unbindCallbackInvoker(runCtx);
      obj.close();
    }
  });

  it('stops an endless loop when its budget of back edges runs out', () => {
    const p = new JitProgram({ core, programTable: new wasm.Table({ element: 'anyfunc', initial: 0 }), jitProgramById: () => 'none' }, prepareProgram(dsl.program(dsl.ja(-1), dsl.exit()), { id: 901, name: 'spin', helpers: rt.helperCatalog() }), 10_000);
    assert.throws(() => p.execute(0, frame), (e: unknown) => e instanceof ExecutionError && e.fault.kind === 'instruction-limit');
  });
});

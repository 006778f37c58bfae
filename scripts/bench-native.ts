// Native mode benchmarks, on the built package (dist/: run npm run build first), each figure beside its anchor in one run:
//   1. time per run of each benchmark program (../shared/programs/bench) as a native image, next to the same program
//      compiled directly as C against the runtime core (src/runtime/native/direct-c): goal at most 1.1x;
//   2. the cost of calling a native program from TypeScript, one call per packet and batched: goals under 100 ns
//      and under 10 ns per packet;
//   3. build time, bpf2c and the C compiler apart.
// Medians of interleaved rounds (this machine is noisy). `--json` prints the figures as JSON as well.
//
// Author: Claude.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dsl } from '../dist/asm/index.js';
import { translateRaw } from '../dist/bpf2c/index.js';
import { SHARED } from '../src/internal/test-files.ts';
import { buildNative, compileC, findCompiler, optimizationFlags } from '../dist/native/index.js';
import { coreLibraryPath } from '../dist/core/index.js';
import { koffi } from '../dist/core/index.js';
import { openNativeObject, type NativeObject } from '../dist/runtime/native/native-object.js';
import { readObject } from '../dist/spec/index.js';
import { primesInput, testFrames } from '../dist/packet/index.js';

const { values } = parseArgs({ options: { cc: { type: 'string' }, rounds: { type: 'string', default: '9' }, frames: { type: 'string', default: '1024' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const frameCount = Number(values.frames);
/** Compilers to measure with (`--cc gcc,clang-19`): default the one `bpfship build` picks, and clang-19 beside it when present. */
const compilers = values.cc !== undefined ? values.cc.split(',') : defaultCompilers();
const ROOT = resolve(import.meta.dirname, '..');
const BENCH = join(SHARED, 'programs', 'bench');
const OBJ = join(SHARED, 'programs', 'obj');
const DIRECT = join(ROOT, 'src', 'runtime', 'native', 'direct-c');

function defaultCompilers(): string[] {
  const first = findCompiler();
  const list = [process.env['CC'] ?? first.command];
  try {
    if (first.family !== 'clang') list.push(findCompiler('clang-19').command);
  } catch { /* no clang-19: measure with the default compiler only */ }
  return list;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function ns(fn: () => void, reps: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t0) / reps;
}

interface DirectModule {
  setup(): number;
  map(name: string): bigint;
  runBatch(program: number, frames: bigint, stride: number, headroom: number, lengths: bigint, count: number, results: bigint): number;
}

/**
 * The program compiled directly as C against the core (see src/runtime/native/direct-c/README.md), by `cc` with
 * the optimization flags `opt`.
 */
function directModule(name: string, dir: string, cc: string, opt: readonly string[], tag: string): DirectModule {
  const spec = readObject(new Uint8Array(readFileSync(join(OBJ, `${name}.o`))), { name });
  const harness = [
    `#include "${join(BENCH, `${name}.c`)}"`,
    `#define BPFSHIP_DIRECT_MAPS(X) ${spec.maps.map((m) => `X(${m.name})`).join(' ')}`,
    `#define BPFSHIP_DIRECT_PROGRAMS(X) ${spec.programs.map((p) => `X(${p.name})`).join(' ')}`,
    '#include "direct-harness.h"',
    '',
  ].join('\n');
  const c = join(dir, `${name}-direct-${tag}.c`);
  const so = join(dir, `${name}-direct-${tag}.so`);
  writeFileSync(c, harness);
  const core = coreLibraryPath();
  const compiler = findCompiler(cc);
  const arch = execFileSync(compiler.command, ['-dumpmachine'], { encoding: 'utf8' }).trim();
  execFileSync(compiler.command, [...compiler.prefixArgs, '-std=gnu11', ...opt, '-g', '-fPIC', '-shared', '-fvisibility=hidden', '-I', DIRECT, '-I', join(ROOT, 'src', 'core'), '-I', `/usr/include/${arch}`, c, '-L', dirname(core), '-lbpfship_core', `-Wl,-rpath,${dirname(core)}`, '-o', so], { stdio: 'pipe' });
  const lib = koffi.load(so);
  const setup = lib.func('int direct_setup(void)');
  const map = lib.func('void *direct_map(const char *name)');
  const batch = lib.func('uint32_t direct_run_xdp_batch(uint32_t program, void *frames, uint32_t stride, uint32_t headroom, void *lengths, uint32_t count, void *results)');
  return {
    setup: () => setup() as number,
    map: (n) => BigInt(koffi.address(map(n))),
    runBatch: (p, f, s, h, l, c2, r) => batch(p, f, s, h, l, c2, r) as number,
  };
}

const u16le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, v >> 8);
const u32le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);

/** The same map contents on both sides: blocked ports for the firewall, the chain for tail_chain. */
function prepare(name: string, native: NativeObject, direct: DirectModule): void {
  const core = native.core;
  if (name === 'xdp_firewall') {
    for (const port of [22, 53, 6379]) {
      native.map('blocked_ports').update(u16le(port), Uint8Array.of(1));
      core.mapUpdate(direct.map('blocked_ports'), u16le(port), Uint8Array.of(1));
    }
  }
  if (name === 'tail_chain') {
    for (let i = 0; i < 4; i++) {
      native.map('stages').update(u32le(i), u32le(native.program(`stage${i}`).id));
      core.mapUpdate(direct.map('stages'), u32le(i), u32le(i + 1));
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bpfship-bench-native-'));
const out: Record<string, unknown> = { rounds, frames: frameCount, compiler: findCompiler().version };
try {
  console.log(`bench-native: ${frameCount} frames per batch, median of ${rounds} interleaved rounds, ${findCompiler().version}\n`);

  // ---- 1. native vs direct C ----
  const programs = [
    { name: 'xdp_firewall', entry: 'xdp_firewall' },
    { name: 'flow_counter', entry: 'flow_counter' },
    { name: 'payload_hash', entry: 'payload_hash' },
    { name: 'primes', entry: 'primes' },
    { name: 'tail_chain', entry: 'stage0' },
  ];
  const frames = testFrames(frameCount, 1);
  const imageOpt = optimizationFlags('O2');
  const rows: Record<string, unknown>[] = [];
  const builds: Record<string, unknown>[] = [];
  for (const cc of compilers) {
    const compiler = findCompiler(cc);
    console.log(`Time per run (ns) with ${compiler.version.split('\n')[0]}: the native image (${imageOpt.join(' ')}) vs the same program compiled`);
    console.log('directly as C against the core, at -O2 (the goal\'s baseline) and at the image\'s flags:');
    for (const p of programs) {
      const elf = new Uint8Array(readFileSync(join(OBJ, `${p.name}.o`)));
      const built = buildNative(elf, { sourceName: `${p.name}.o`, cache: false, cc });
      if (cc === compilers[0]) builds.push({ program: p.name, bpf2cMs: built.timings.bpf2cMs, compileMs: built.timings.compileMs });
      const native = openNativeObject(built.so, { name: `${p.name}.so` });
      const direct = directModule(p.name, dir, cc, ['-O2'], `${compiler.family}-o2`);
      const directSame = directModule(p.name, dir, cc, imageOpt, `${compiler.family}-image`);
      for (const d of [direct, directSame]) {
        if (d.setup() !== 0) throw new Error(`direct_setup failed for ${p.name}`);
        prepare(p.name, native, d);
      }
      const inputs = p.name === 'primes' ? Array.from({ length: Math.min(frameCount, 64) }, () => primesInput(1000)) : frames;
      const batch = native.frameBatch(inputs.length);
      inputs.forEach((f, i) => batch.set(i, f));
      const index = native.program(p.entry).index;
      const runNative = (): void => void native.runXdpBatch(index, batch);
      const runner = (d: DirectModule) => (): void => void d.runBatch(index, batch.frames, batch.stride, batch.headroom, batch.lengthsAddress, batch.count, batch.resultsAddress);
      const runDirect = runner(direct);
      const runDirectSame = runner(directSame);
      // Same results first.
      const results = (): string => [...batch.results.subarray(0, batch.count)].map((x) => BigInt.asUintN(32, x)).join(); // programs return int: the low 32 bits count
      runNative();
      const a = results();
      for (const run of [runDirect, runDirectSame]) {
        run();
        if (results() !== a) throw new Error(`${p.name}: native and direct C disagree`);
      }
      for (let w = 0; w < 3; w++) { runNative(); runDirect(); runDirectSame(); }
      const tn: number[] = [];
      const td: number[] = [];
      const ts: number[] = [];
      const reps = p.name === 'primes' ? 5 : 50;
      for (let r = 0; r < rounds; r++) {
        tn.push(ns(runNative, reps) / inputs.length);
        td.push(ns(runDirect, reps) / inputs.length);
        ts.push(ns(runDirectSame, reps) / inputs.length);
      }
      const n = median(tn);
      const d = median(td);
      const sd = median(ts);
      rows.push({ compiler: compiler.version.split('\n')[0], program: p.name, nativeNs: n, directNs: d, ratio: n / d, directImageFlagsNs: sd, ratioImageFlags: n / sd });
      console.log(`  ${p.name.padEnd(14)} native ${n.toFixed(1).padStart(9)}   direct C -O2 ${d.toFixed(1).padStart(9)}  ${(n / d).toFixed(2)}x   at the image's flags ${sd.toFixed(1).padStart(9)}  ${(n / sd).toFixed(2)}x`);
      batch.free();
      native.close();
    }
    console.log('  Goal: native at most 1.1x direct C (-O2).\n');
  }
  out.runs = rows;

  // ---- 2. call overhead from TypeScript ----
  const trivial = translateRaw([{ name: 'pass', instructions: dsl.program(dsl.mov64Imm(0, 2), dsl.exit()), programType: 'xdp' }], { sourceName: 'pass' });
  const image = openNativeObject(compileC(trivial.c, { fileName: 'pass.bpf2c.c' }).so, { name: 'pass.so' });
  const frame = frames[0] as Uint8Array;
  const runXdp = image.image.runners.runXdp;
  const rctx = image.runCtx;
  const buf = image.frame;
  const single = (): void => void runXdp(0, rctx, buf, image.headroom, 64, image.frameSize);
  const convenient = (): void => void image.runXdp(0, frame);
  const tb = image.frameBatch(frameCount);
  frames.forEach((f, i) => tb.set(i, f));
  const batched = (): void => void image.runXdpBatch(0, tb);
  for (let w = 0; w < 20000; w++) single();
  const ts: number[] = [];
  const tc: number[] = [];
  const tbt: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ts.push(ns(single, 100_000));
    tc.push(ns(convenient, 20_000));
    tbt.push(ns(batched, 200) / frameCount);
  }
  out.callOverhead = { singleNs: median(ts), convenienceNs: median(tc), batchedPerPacketNs: median(tbt) };
  console.log('Calling a native program from TypeScript (a 2-instruction XDP program, so the figures are the overhead):');
  console.log(`  one FFI call per packet (runners.runXdp, packet already in native memory) ${median(ts).toFixed(1).padStart(7)} ns   goal < 100 ns`);
  console.log(`  one call per packet with the packet copied in and out (NativeObject.runXdp) ${median(tc).toFixed(1).padStart(5)} ns`);
  console.log(`  batched, ${frameCount} packets per call (runXdpBatch), per packet ${median(tbt).toFixed(1).padStart(23)} ns   goal < 10 ns\n`);
  tb.free();
  image.close();

  // ---- 3. build time ----
  out.builds = builds;
  console.log(`Build time (no cache, ${compilers[0]}): bpf2c and the C compiler (${imageOpt.join(' ')} -g):`);
  for (const b of builds) console.log(`  ${String(b.program).padEnd(14)} bpf2c ${(b.bpf2cMs as number).toFixed(1).padStart(6)} ms   compiler ${(b.compileMs as number).toFixed(1).padStart(7)} ms`);
  if (values.json === true) console.log('\n' + JSON.stringify(out, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

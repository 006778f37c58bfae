// The interpreter's benchmark (on the built package, dist/: run npm run build first): time per run of each ../shared/programs/bench program through the runtime's run API
// (BPF_PROG_TEST_RUN semantics, helpers in the WebAssembly core), instructions executed per run, nanoseconds per
// executed instruction; and the whole bpf_conformance suite's time. Inputs as ../shared/programs/README.md says:
// the seeded sample frames (64-1500 bytes) for the XDP programs, a limit of 1000 for primes (in the first 4 bytes of
// a 64-byte packet: Linux wants at least an Ethernet header). Each program is measured in a process of its own (see
// the child mode below), warm.
//
// With --ubpf-src DIR (a checkout of iovisor/ubpf, outside this repository), uBPF's C interpreter runs primes and
// payload_hash side by side on the same bytecode: the script builds a small harness with gcc in a temporary
// directory. The two programs read xdp_md's 32-bit data/data_end, which cannot hold a native pointer, so for uBPF
// those two context loads become 64-bit loads from a {u64 data, u64 data_end} context (same instruction count).
//
// Usage: node --import tsx scripts/bench-interp.ts [--rounds N] [--frames N] [--ubpf-src DIR]
//
// Author: Claude.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeInstructions, makeInstruction, parseConformanceData, type Instruction } from '../dist/asm/index.js';
import { ConformanceHost, Interpreter, checkConformanceTest } from '../dist/interp/index.js';
import { linkProgram, readObject } from '../dist/spec/index.js';
import { u32 } from '../dist/core/index.js';
import type { LoadedObject, LoadedProgram } from '../dist/runtime/loaded-object.js';
import { Runtime } from '../dist/runtime/runtime.js';
import { sampleFrames } from '../dist/packet/index.js';

/**
 * uBPF side: load the bytecode, run it `iters` times on {data, data_end} in uBPF's interpreter, then in its x86-64
 * JIT; best of 7 rounds each; print r0, interpreter ns/run, JIT ns/run.
 */
const HARNESS = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "ubpf.h"
static uint8_t *g_pkt; static size_t g_len;
static bool in_packet(void *c, uint64_t a, uint64_t n) { (void)c; return a >= (uint64_t)(uintptr_t)g_pkt && a + n <= (uint64_t)(uintptr_t)(g_pkt + g_len); }
static uint8_t *slurp(const char *p, size_t *n) { FILE *f = fopen(p, "rb"); if (!f) { perror(p); exit(1); } fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET); uint8_t *b = malloc(*n + 1); if (fread(b, 1, *n, f) != *n) exit(1); fclose(f); return b; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
  size_t clen; uint8_t *code = slurp(argv[1], &clen); g_pkt = slurp(argv[2], &g_len); long iters = atol(argv[3]);
  struct ubpf_vm *vm = ubpf_create(); char *err = NULL;
  ubpf_register_data_bounds_check(vm, NULL, in_packet);
  if (ubpf_load(vm, code, clen, &err) < 0) { fprintf(stderr, "load: %s\n", err); return 1; }
  struct { uint64_t data, data_end; } ctx = { (uint64_t)(uintptr_t)g_pkt, (uint64_t)(uintptr_t)(g_pkt + g_len) };
  uint64_t r = 0; double best = 1e300;
  for (int round = 0; round < 7; round++) {
    double t0 = now();
    for (long i = 0; i < iters; i++) if (ubpf_exec(vm, &ctx, sizeof ctx, &r) < 0) { fprintf(stderr, "exec failed\n"); return 1; }
    double t = (now() - t0) / iters; if (t < best) best = t;
  }
  ubpf_jit_fn fn = ubpf_compile(vm, &err);
  if (!fn) { fprintf(stderr, "jit: %s\n", err); return 1; }
  uint64_t rj = 0; double bestj = 1e300;
  for (int round = 0; round < 7; round++) {
    double t0 = now();
    for (long i = 0; i < iters; i++) rj = fn(&ctx, sizeof ctx);
    double t = (now() - t0) / iters; if (t < bestj) bestj = t;
  }
  if (rj != r) { fprintf(stderr, "jit and interpreter disagree: %llu vs %llu\n", (unsigned long long)rj, (unsigned long long)r); return 1; }
  printf("%llu %.1f %.1f\n", (unsigned long long)r, best, bestj);
  return 0;
}
`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    frames: { type: 'string', default: '1000' },
    'ubpf-src': { type: 'string' },
    only: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const frameCount = Number(values.frames);
const SHARED = resolve(import.meta.dirname, '..', '..', 'shared');
const OBJ = join(SHARED, 'programs', 'obj');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface Bench {
  readonly name: string;
  readonly program: string;
  readonly inputs: () => readonly Uint8Array[];
  readonly setup?: (obj: LoadedObject) => void;
}

const frames = (): Uint8Array[] => sampleFrames(frameCount, 1).map((f) => f.bytes);
const primesInput = (): Uint8Array => {
  const d = new Uint8Array(64);
  new DataView(d.buffer).setUint32(0, 1000, true);
  return d;
};

const benches: Bench[] = [
  {
    name: 'xdp_firewall', program: 'xdp_firewall', inputs: frames,
    setup: (o) => {
      for (const port of [22, 23, 53, 445]) o.map('blocked_ports').update(Uint8Array.of(port & 0xff, port >> 8), Uint8Array.of(1));
    },
  },
  { name: 'flow_counter', program: 'flow_counter', inputs: frames },
  { name: 'payload_hash', program: 'payload_hash', inputs: frames },
  { name: 'primes', program: 'primes', inputs: () => [primesInput()] },
  {
    name: 'tail_chain', program: 'stage0', inputs: frames,
    setup: (o) => {
      for (let i = 1; i <= 3; i++) o.map('stages').update(u32(i), u32(o.program(`stage${i}`).id));
    },
  },
];

/** Runs every input once (or 200 times for a single input); returns ns per run and instructions per run. */
function measure(prog: LoadedProgram, inputs: readonly Uint8Array[]): { nsPerRun: number; insnsPerRun: number } {
  const repeat = inputs.length === 1 ? 200 : 1;
  let insns = 0;
  let runs = 0;
  const t0 = performance.now();
  for (const data of inputs) {
    const r = prog.run({ data, repeat, seed: 1n, packetOut: false });
    insns += (r.instructions ?? 0) * repeat;
    runs += repeat;
  }
  const ns = (performance.now() - t0) * 1e6;
  return { nsPerRun: ns / runs, insnsPerRun: insns / runs };
}

/** Runs for a while first, so that V8 has optimised the interpreter's loop for the program (the warm figure). */
function warmUp(prog: LoadedProgram, inputs: readonly Uint8Array[]): void {
  const until = performance.now() + 300;
  while (performance.now() < until) measure(prog, inputs.slice(0, 100));
}

/** One row: what a child process prints as JSON. */
interface Row {
  readonly name: string;
  readonly nsPerRun: number;
  readonly insnsPerRun: number;
  /** The same program in jit mode (verified, compiled to WebAssembly), same inputs. */
  readonly jitNsPerRun: number;
  readonly ubpf?: { readonly ubpfNsPerRun: number; readonly ubpfJitNsPerRun: number; readonly oursNsPerRun: number; readonly oursJitNsPerRun: number; readonly insns: number };
}

if (values.only !== undefined) {
  // A child: one program, in a process of its own, so that V8's optimisation of the interpreter loop is for this
  // program alone (as a C interpreter's speed does not depend on what ran before it).
  const b = benches.find((x) => x.name === values.only);
  if (b === undefined) throw new Error(`no benchmark named ${values.only}`);
  const rt = Runtime.createSync({ ncpus: 1 });
  const bytes = new Uint8Array(readFileSync(join(OBJ, `${b.name}.o`)));
  const obj = rt.load(bytes, { name: `${b.name}.o` });
  const jitObj = rt.load(bytes, { name: `${b.name}.o`, mode: 'jit' });
  b.setup?.(obj);
  b.setup?.(jitObj);
  const prog = obj.program(b.program);
  const jitProg = jitObj.program(b.program);
  const inputs = b.inputs();
  warmUp(prog, inputs);
  warmUp(jitProg, inputs);
  const ns: number[] = [];
  const jitNs: number[] = [];
  let insns = 0;
  for (let r = 0; r < rounds; r++) {
    const m = measure(prog, inputs);
    ns.push(m.nsPerRun);
    insns = m.insnsPerRun;
    jitNs.push(measure(jitProg, inputs).nsPerRun);
  }
  let row: Row = { name: b.name, nsPerRun: median(ns), insnsPerRun: insns, jitNsPerRun: median(jitNs) };
  const ubpfSrc = values['ubpf-src'];
  if (ubpfSrc !== undefined && (b.name === 'primes' || b.name === 'payload_hash')) {
    // The same bytecode on one input: primes' limit, the largest sample frame for payload_hash.
    const input = b.name === 'primes' ? primesInput() : inputs.reduce((a, x) => (x.length > a.length ? x : a));
    const ubpf = runUbpf(ubpfSrc, b.name, input, b.name === 'primes' ? 300 : 3000);
    warmUp(prog, [input]);
    warmUp(jitProg, [input]);
    const ours = median(Array.from({ length: rounds }, () => measure(prog, [input]).nsPerRun));
    const oursJit = median(Array.from({ length: rounds }, () => measure(jitProg, [input]).nsPerRun));
    row = { ...row, ubpf: { ubpfNsPerRun: ubpf.interpreterNs, ubpfJitNsPerRun: ubpf.jitNs, oursNsPerRun: ours, oursJitNsPerRun: oursJit, insns: prog.run({ data: input }).instructions ?? 0 } };
  }
  process.stdout.write(JSON.stringify(row) + '\n');
} else {
  console.log(`bench-interp: interpreter over the WebAssembly core, ${frameCount} sample frames, median of ${rounds} rounds, one process per program\n`);
  console.log(`  ${'program'.padEnd(14)} ${'ns/run'.padStart(10)} ${'insns/run'.padStart(10)} ${'ns/insn'.padStart(8)}   ${'jit ns/run'.padStart(10)} ${'jit/interp'.padStart(10)}`);
  const rows: Row[] = [];
  for (const b of benches) {
    const args = ['--import', 'tsx', import.meta.filename, '--only', b.name, '--rounds', String(rounds), '--frames', String(frameCount)];
    if (values['ubpf-src'] !== undefined) args.push('--ubpf-src', values['ubpf-src']);
    const row = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') })) as Row;
    rows.push(row);
    console.log(`  ${b.name.padEnd(14)} ${row.nsPerRun.toFixed(0).padStart(10)} ${row.insnsPerRun.toFixed(1).padStart(10)} ${(row.nsPerRun / row.insnsPerRun).toFixed(2).padStart(8)}   ${row.jitNsPerRun.toFixed(0).padStart(10)} ${(row.jitNsPerRun / row.nsPerRun).toFixed(2).padStart(9)}x`);
  }

  // The conformance suite: assemble, prepare and run all tests (what `bpfship conformance` does, without the CLI).
  const dir = join(SHARED, 'conformance');
  const tests = readdirSync(dir).filter((n) => n.endsWith('.data')).sort().map((n) => ({ n, t: parseConformanceData(readFileSync(join(dir, n), 'utf8'), n) }));
  const host = new ConformanceHost();
  const interp = new Interpreter(host);
  const times: number[] = [];
  let passed = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const t0 = performance.now();
    passed = 0;
    for (const { n, t } of tests) if (checkConformanceTest(t, n, { host, interp }).passed) passed++;
    times.push(performance.now() - t0);
  }
  console.log(`\n  conformance suite: ${passed}/${tests.length} passed, ${times[0]?.toFixed(1)} ms cold, ${median(times.slice(1)).toFixed(1)} ms warm (assemble + prepare + run)`);

  const compared = rows.filter((r) => r.ubpf !== undefined);
  if (compared.length === 0) {
    console.log('\n  uBPF: not measured here (give --ubpf-src DIR, a checkout of iovisor/ubpf); its interpreter runs 4.4-6.0 ns/insn on this machine class (research/conformance.md 3.2)');
  } else {
    console.log('\n  uBPF interpreter, same bytecode and input (gcc -O2, bounds checks on):');
    for (const r of compared) {
      const u = r.ubpf as NonNullable<Row['ubpf']>;
      console.log(`  ${r.name.padEnd(14)} uBPF ${u.ubpfNsPerRun.toFixed(0).padStart(8)} ns/run ${(u.ubpfNsPerRun / u.insns).toFixed(2)} ns/insn   bpfship ${u.oursNsPerRun.toFixed(0).padStart(8)} ns/run ${(u.oursNsPerRun / u.insns).toFixed(2)} ns/insn   ratio ${(u.oursNsPerRun / u.ubpfNsPerRun).toFixed(2)}x`);
    }
    console.log('\n  uBPF x86-64 JIT vs bpfship jit mode (eBPF -> WebAssembly -> V8), same bytecode and input, run through the runtime (test-run setup included):');
    for (const r of compared) {
      const u = r.ubpf as NonNullable<Row['ubpf']>;
      console.log(`  ${r.name.padEnd(14)} uBPF JIT ${u.ubpfJitNsPerRun.toFixed(0).padStart(8)} ns/run   bpfship jit ${u.oursJitNsPerRun.toFixed(0).padStart(8)} ns/run   ratio ${(u.oursJitNsPerRun / u.ubpfJitNsPerRun).toFixed(2)}x`);
    }
  }
}

/** Builds the harness against the uBPF sources in a temporary directory and runs `name` on `input`; ns per run. */
function runUbpf(ubpfSrc: string, name: string, input: Uint8Array, iters: number): { interpreterNs: number; jitNs: number } {
  const work = mkdtempSync(join(tmpdir(), 'bench-ubpf-'));
  try {
    const vm = join(ubpfSrc, 'vm');
    writeFileSync(join(work, 'ubpf_config.h'), '#pragma once\n#define UBPF_HAS_ELF_H\n');
    writeFileSync(join(work, 'harness.c'), HARNESS);
    const sources = ['ubpf_vm.c', 'ubpf_loader.c', 'ubpf_instruction_valid.c', 'ubpf_jit.c', 'ubpf_jit_x86_64.c', 'ubpf_jit_support.c', 'ubpf_safe.c'].map((f) => join(vm, f));
    execFileSync('gcc', ['-O2', `-I${work}`, `-I${join(vm, 'inc')}`, `-I${vm}`, join(work, 'harness.c'), ...sources, '-o', join(work, 'harness')], { stdio: 'pipe' });
    const spec = readObject(new Uint8Array(readFileSync(join(OBJ, `${name}.o`))), { name });
    const code = encodeInstructions(widenContextLoads(linkProgram(spec, spec.programs[0] as (typeof spec.programs)[number]).instructions));
    writeFileSync(join(work, `${name}.bin`), code);
    writeFileSync(join(work, `${name}.pkt`), input);
    const [, ns, jitNs] = execFileSync(join(work, 'harness'), [join(work, `${name}.bin`), join(work, `${name}.pkt`), String(iters)], { encoding: 'utf8' }).trim().split(' ');
    return { interpreterNs: Number(ns), jitNs: Number(jitNs) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** xdp_md's 32-bit data/data_end loads at the start (before r1 changes) as 64-bit loads at offsets 0 and 8. */
function widenContextLoads(instructions: readonly Instruction[]): Instruction[] {
  let ctxLive = true;
  return instructions.map((i) => {
    if (ctxLive && i.opcode === 0x61 && i.src === 1 && (i.offset === 0 || i.offset === 4)) {
      if (i.dst === 1) ctxLive = false;
      return makeInstruction(0x79, i.dst, 1, i.offset * 2, 0, undefined, i.slot);
    }
    if (i.dst === 1 && i.opcode !== 0x61) ctxLive = false;
    return i;
  });
}

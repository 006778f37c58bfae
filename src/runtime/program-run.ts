/**
 * Running a loaded program the way Linux's BPF_PROG_TEST_RUN does: the packet copied into a buffer with the
 * program type's headroom, the context built (from the caller's bytes or the type's defaults), the program run
 * `repeat` times in a loop inside the engine over that input (as the kernel's bpf_test_run, nothing is restored
 * between runs: a run sees the packet and context the previous one left), and the packet, context, redirect and
 * trace output of the last run read back.
 *
 * All of a run's memory lives in the core's WebAssembly memory, in an arena allocated once and reused: the stack
 * (8 frames of 512 bytes), the core's run context, the context struct and the packet buffer (grown when a bigger
 * packet comes).
 *
 * Author: Claude.
 *
 * @module
 */

import { Interpreter, type MemoryRegion, type RunSetup, STACK_SIZE } from '../interp/index.ts';
import type { CoreInterpreterHost } from './core-interpreter-host.ts';
import { type CoreWasm, loadLibc, RedirectKind, RunCtxLayout } from '../core/index.ts';
import { RunInputError } from './errors.ts';
import { contextRegions, type ProgramTypeProfile } from './program-type-profiles.ts';
import type { TraceEvent } from './trace.ts';
import type { PreparedProgram } from '../interp/index.ts';
import { JIT_FRAMES_SIZE, JitProgram, type JitRunFrame, type JitServices } from './jit-program.ts';
import type { FrameBatch } from './frame-batch.ts';
import { decodeTunnelInfo, encodeTunnelInfo, SKB_F_TUNNEL, TUNNEL_INFO_SIZE, type TunnelInfo, type TunnelResult } from './tunnel-info.ts';

/** What a run takes: BPF_PROG_TEST_RUN's data_in, ctx_in, repeat, cpu. */
export interface RunInput {
  /** The packet (for program types with one). */
  readonly data?: Uint8Array;
  /** The context struct's bytes (ctx_in); default: the program type's default context. */
  readonly ctx?: Uint8Array;
  /**
   * How many times to run (default 1; at most 2^32 - 1), as BPF_PROG_TEST_RUN's repeat: the input is set up once
   * and the runs follow one another with nothing restored in between (each sees the packet, context and maps the
   * previous one left); the result is the last run's, the time the mean over the loop.
   */
  readonly repeat?: number;
  /** The CPU to run on (per-CPU map slot, bpf_get_smp_processor_id); default 0. */
  readonly cpu?: number;
  /** Seed of bpf_get_prandom_u32 (default: random). */
  readonly seed?: bigint;
  /** Whether to copy the packet out after the run (default true; false saves the copy, like a NULL data_out). */
  readonly packetOut?: boolean;
  /** Tunnel metadata the packet arrives with (what bpf_skb_get_tunnel_key reads); default none. */
  readonly tunnel?: TunnelInfo;
}

/** Where a redirect helper said the packet should go. */
export type RedirectResult =
  | { readonly kind: 'ifindex'; readonly ifindex: number; readonly flags: bigint }
  | { readonly kind: 'map'; readonly mapId: number; readonly key: number; readonly ifindex: number; readonly flags: bigint };

/** What a run gives back. */
export interface RunResult {
  /** r0 as the program left it (64 bits). */
  readonly r0: bigint;
  /** The return value as Linux reports it (the low 32 bits). */
  readonly retval: number;
  /** The return value's name for the program type (`XDP_DROP`), when it has one. */
  readonly returnName: string | undefined;
  /** The packet after the run (data_out), for program types with a packet (unless `packetOut: false`). */
  readonly data: Uint8Array | undefined;
  /** The context after the run (ctx_out). */
  readonly ctx: Uint8Array;
  readonly redirect: RedirectResult | undefined;
  /** Messages the program printed (all runs). */
  readonly trace: readonly TraceEvent[];
  /** Tunnel metadata after the run: the input's, or what bpf_skb_set_tunnel_key set; undefined when none. */
  readonly tunnel: TunnelResult | undefined;
  /**
   * Mean time of one run, nanoseconds: the time around the loop of `repeat` runs divided by the count, as the
   * kernel's `duration` (setting up the input and reading the results are outside the loop, as there; and as
   * there, time the loop spent scheduled out is left out: repeated runs are timed on the thread's CPU clock, as
   * native mode's loop is; a single run on the wall clock).
   */
  readonly durationNs: number;
  /** Instructions the last run executed (tail calls and callbacks included); undefined in jit mode, which does not count. */
  readonly instructions: number | undefined;
  readonly repeat: number;
}

/** A loaded program as the runner needs it. */
export interface RunnableProgram {
  readonly prepared: PreparedProgram;
  readonly profile: ProgramTypeProfile;
  /** Global data and other fixed regions of the program's object. */
  readonly regions: readonly MemoryRegion[];
  /** The compiled program, in jit mode (then no region is checked: the verifier proved the accesses). */
  readonly jit?: JitProgram | undefined;
}

// Linux's test-run geometry.
const XDP_PACKET_HEADROOM = 256;
const XDP_FRAME_SIZE = 4096;
const SKB_SHARED_INFO = 320;
const XDP_FRAME_STRUCT = 40;
const SKB_HEADROOM = 64;
/** The longest packet the core's skb helpers grow a packet to (BPFSHIP_SKB_MAX_LEN). */
const SKB_MAX_LEN = 16064;
const ETH_HLEN = 14;

/** The memory one run uses, reused by the next. */
export class RunArena {
  readonly stack: number;
  readonly runCtx: number;
  readonly ctx: number;
  private packet = 0;
  private packetSize = 0;
  private readonly core: CoreWasm;
  private readonly regionsByProfile = new Map<ProgramTypeProfile, readonly MemoryRegion[]>();
  private readonly image = new Uint8Array(4096);
  private imageView = this.image.subarray(0, 0);
  private ctxView: Uint8Array = new Uint8Array(0);
  private rng = ((Math.random() * 0xffffffff) >>> 0) | 1;
  /** Set while a run uses the arena (a nested run takes another). */
  busy = false;
  /** The trace lines of the run in progress. */
  traces: TraceEvent[] | undefined;
  readonly interp: Interpreter;
  private jitFrame: JitRunFrame | undefined;
  /** Scratch for structs passed to the core during a run (tunnel metadata). */
  readonly scratch: number;
  /** Set while a jit run uses the arena: callbacks then enter JIT'd code instead of the interpreter. */
  jitServices: JitServices | undefined;

  constructor(core: CoreWasm, host: CoreInterpreterHost, instructionLimit?: number) {
    this.core = core;
    this.stack = core.alloc(STACK_SIZE);
    this.runCtx = core.alloc(RunCtxLayout.size);
    this.ctx = core.alloc(4096);
    this.scratch = core.alloc(TUNNEL_INFO_SIZE);
    this.interp = new Interpreter(host, instructionLimit === undefined ? {} : { instructionLimit });
    core.bindCallbackInvoker(this.runCtx, (_rc, fn, args) =>
      this.jitServices !== undefined ? JitProgram.invokeCallback(this.jitServices, fn, args, this.jitRunFrame()) : host.invokeCallback(fn, args));
  }

  /** The addresses a jit run uses in this arena (its frame-record area allocated on first use). */
  jitRunFrame(): JitRunFrame {
    if (this.jitFrame === undefined) this.jitFrame = { runCtx: this.runCtx, stackTop: this.stack + STACK_SIZE, frames: this.core.alloc(JIT_FRAMES_SIZE) };
    return this.jitFrame;
  }

  /** The context's regions at this arena's context address (computed once per program type). */
  contextRegions(profile: ProgramTypeProfile): readonly MemoryRegion[] {
    let r = this.regionsByProfile.get(profile);
    if (r === undefined) {
      r = contextRegions(profile, this.ctx);
      this.regionsByProfile.set(profile, r);
    }
    return r;
  }

  /** A zeroed scratch buffer for building a context of `size` bytes (reused by every run). */
  contextImage(size: number): Uint8Array {
    if (this.imageView.length !== size) this.imageView = this.image.subarray(0, size);
    this.imageView.fill(0);
    return this.imageView;
  }

  /** The first `size` bytes of the arena's context struct in core memory (a view kept while the memory does not grow). */
  contextMemory(size: number): Uint8Array {
    // Growing the memory detaches the buffer, which empties the view.
    const v = this.ctxView;
    if (v.length === size && size !== 0) return v;
    this.ctxView = new Uint8Array(this.core.bytes().buffer, this.ctx, size);
    return this.ctxView;
  }

  /** Four random 32-bit words for a run's bpf_get_prandom_u32 state (xorshift32: cheap, and runs differ). */
  randomWord(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** A packet buffer of at least `size` bytes. */
  packetBuffer(size: number): number {
    if (size > this.packetSize) {
      if (this.packet !== 0) this.core.free(this.packet);
      this.packetSize = Math.max(size, XDP_FRAME_SIZE);
      this.packet = this.core.alloc(this.packetSize);
    }
    return this.packet;
  }
}

/** One run's packet geometry (addresses, or offsets from the buffer's start). */
export interface PacketLayout {
  readonly hardStart: number;
  /** Where the input bytes are copied (before `data` for a socket filter: the Ethernet header). */
  readonly copyAt: number;
  readonly meta: number;
  readonly data: number;
  readonly end: number;
  readonly hardEnd: number;
}

/**
 * Runs `program` on `input` in `arena`. Throws RunInputError for input the program type refuses, ExecutionError
 * for a fault of the program.
 */
export function runProgram(
  core: CoreWasm,
  host: CoreInterpreterHost,
  arena: RunArena,
  program: RunnableProgram,
  input: RunInput,
  traces: TraceEvent[],
): RunResult {
  const profile = program.profile;
  const repeat = checkRepeat(input.repeat);
  const cpu = input.cpu ?? 0;
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= core.ncpus) throw new RunInputError(`CPU ${cpu} does not exist (the runtime has ${core.ncpus})`);
  const data = input.data;
  if (profile.packet === 'none' && data !== undefined && data.length > 0) {
    throw new RunInputError(`${profile.name} programs take no packet (their context is ${profile.contextName}); pass a context instead`);
  }
  if (profile.packet !== 'none' && data === undefined) throw new RunInputError(`${profile.name} programs run on a packet: give one (data)`);
  if ((profile.packet === 'xdp' || profile.packet === 'skb-l2' || profile.packet === 'skb-l3') && data !== undefined && data.length < ETH_HLEN) {
    // bpf_test_init refuses data_in shorter than an Ethernet header, for XDP as for sk_buff programs.
    throw new RunInputError(`the packet is ${data.length} bytes, shorter than an Ethernet header (14), which BPF_PROG_TEST_RUN refuses`, 22);
  }
  const ctxIn = input.ctx ?? profile.defaultContext();
  if (input.ctx !== undefined) profile.checkContext(input.ctx, data?.length ?? 0);
  else if (profile.packet === 'skb-l2' || profile.packet === 'skb-l3') profile.checkContext(ctxIn, data?.length ?? 0);
  if (profile.contextSize > 4096) throw new RunInputError(`the context is ${profile.contextSize} bytes, more than the 4096 a run allows`);

  const offData = roleOffset(profile, 'data');
  const offEnd = roleOffset(profile, 'data_end');
  const offMeta = roleOffset(profile, 'data_meta');
  const metaLen = profile.packet === 'xdp' && input.ctx !== undefined && input.ctx.length >= 4 ? new DataView(input.ctx.buffer, input.ctx.byteOffset).getUint32(0, true) : 0;

  // 1. The input, set up once, as the kernel's test run sets it up before its loop (bpf_test_init copies the
  //    packet, bpf_ctx_init the context): the run context, the context struct, the packet. (No closures here:
  //    under tsx every function expression costs an Object.defineProperty each time it is created.)
  const interp = arena.interp;
  const layout = data !== undefined && profile.packet !== 'none' ? placePacket(arena, profile, data.length, metaLen) : undefined;
  // The context is built where the program reads it.
  const ctxImage = arena.contextMemory(profile.contextSize);
  ctxImage.fill(0);
  profile.fillContext(ctxImage, ctxIn, data);
  if (layout !== undefined) {
    if (offData !== NO_FIELD) putU32(ctxImage, offData, layout.data);
    if (offEnd !== NO_FIELD) putU32(ctxImage, offEnd, layout.end);
    if (offMeta !== NO_FIELD) putU32(ctxImage, offMeta, layout.meta);
  }
  const jit = program.jit;
  const rc = arena.runCtx;
  const err = core.exports.bpfship_run_ctx_init(rc, profile.coreProgType, cpu, input.seed ?? 0n);
  if (err !== 0) throw new RunInputError(`the core refused a run context for CPU ${cpu} (${err})`);
  const mem = core.bytes();
  const dv = core.view();
  if (input.seed === undefined) randomPrandomState(dv, rc, arena);
  // The core takes an skb program type to mean a __sk_buff context; a host type's context is its own struct.
  if (profile.hostDefined === true) dv.setUint8(rc + RunCtxLayout.ctxKind, 0);
  dv.setUint32(rc + RunCtxLayout.progId, program.prepared.id, true);
  if (input.tunnel !== undefined) setTunnel(core, rc, arena.scratch, encodeTunnelInfo(input.tunnel));
  dv.setUint32(rc + RunCtxLayout.ctx, arena.ctx, true);
  dv.setUint32(rc + RunCtxLayout.ctx + 4, 0, true);
  if (layout !== undefined && data !== undefined) {
    if (profile.packet === 'xdp') mem.fill(0, layout.hardStart, layout.meta);
    mem.set(data, layout.copyAt);
    setU64(dv, rc + RunCtxLayout.data, layout.data);
    setU64(dv, rc + RunCtxLayout.dataEnd, layout.end);
    setU64(dv, rc + RunCtxLayout.dataMeta, layout.meta);
    setU64(dv, rc + RunCtxLayout.dataHardStart, layout.hardStart);
    setU64(dv, rc + RunCtxLayout.dataHardEnd, layout.hardEnd);
    dv.setUint32(rc + RunCtxLayout.headroomReserve, profile.packet === 'xdp' ? XDP_FRAME_STRUCT : 0, true);
    dv.setUint16(rc + RunCtxLayout.ctxOffData, offData, true);
    dv.setUint16(rc + RunCtxLayout.ctxOffDataEnd, offEnd, true);
    dv.setUint16(rc + RunCtxLayout.ctxOffDataMeta, offMeta, true);
    dv.setUint8(rc + RunCtxLayout.ctxPtrSize, 4);
  }

  // 2. `repeat` runs inside the engine, timed around the loop as the kernel times its own (bpf_test_run): each run
  //    starts with the per-run results cleared (tail calls, redirect, trace count) and nothing else restored, so a
  //    run sees the packet, context and maps as the run before left them.
  let lastInstructions: number | undefined;
  let r0: bigint;
  let t0: number;
  let t1: number;
  // Repeated runs are timed on the thread's CPU clock, as native mode's loop in C times them (and as the kernel
  // leaves out the time its loop is scheduled out); a single run on the wall clock, which costs less to read.
  const clock = repeat > 1 ? threadCpuClock() : undefined;
  if (jit !== undefined) {
    const jitFrame = arena.jitRunFrame();
    arena.jitServices = jit.services;
    try {
      t0 = clock === undefined ? performance.now() * 1e6 : clock();
      r0 = jit.executeRepeat(arena.ctx, jitFrame, repeat);
      t1 = clock === undefined ? performance.now() * 1e6 : clock();
    } finally {
      arena.jitServices = undefined;
    }
  } else {
    // The interpreter checks every access against these regions; jit mode checks none (the verifier proved them).
    const { setup, packetIndex } = interpreterMemory(arena, profile, layout, program);
    const lo = interp.lo;
    const hi = interp.hi;
    t0 = clock === undefined ? performance.now() * 1e6 : clock();
    for (let i = 0; i < repeat; i++) {
      if (i > 0) clearRunResults(core.view(), rc);
      host.beginRun(interp, rc, setup, packetIndex, profile.packetWritable);
      lo[1] = arena.ctx; hi[1] = 0;
      for (let r = 2; r <= 5; r++) { lo[r] = 0; hi[r] = 0; }
      try {
        interp.execute(program.prepared, setup);
      } finally {
        host.endRun();
      }
    }
    t1 = clock === undefined ? performance.now() * 1e6 : clock();
    lastInstructions = interp.instructions;
    r0 = (BigInt(hi[0] as number >>> 0) << 32n) | BigInt(lo[0] as number >>> 0);
  }
  const durationNs = (t1 - t0) / repeat;

  // 3. Results: the last run's, as the kernel reports them.
  const retval = Number(r0 & 0xffffffffn);
  const out = core.view();
  let dataOut: Uint8Array | undefined;
  if (layout !== undefined && input.packetOut !== false) {
    const meta = out.getUint32(arena.runCtx + RunCtxLayout.dataMeta, true);
    const start = out.getUint32(arena.runCtx + RunCtxLayout.data, true);
    const end = out.getUint32(arena.runCtx + RunCtxLayout.dataEnd, true);
    if (profile.packet === 'xdp') dataOut = core.read(meta, end - meta);
    else if (profile.packet === 'skb-l3') {
      // The kernel pushes the Ethernet header back, zeroed.
      dataOut = new Uint8Array(ETH_HLEN + end - start);
      dataOut.set(core.read(start, end - start), ETH_HLEN);
    } else dataOut = core.read(start, end - start);
  }
  // contextOut copies what it gives back: a view of the memory is enough here.
  const ctxOut = profile.contextOut(arena.contextMemory(profile.contextSize), ctxIn);
  const kind = out.getUint32(arena.runCtx + RunCtxLayout.redirectKind, true);
  let redirect: RedirectResult | undefined;
  if (kind === RedirectKind.Ifindex) {
    redirect = { kind: 'ifindex', ifindex: out.getUint32(arena.runCtx + RunCtxLayout.redirectIfindex, true), flags: out.getBigUint64(arena.runCtx + RunCtxLayout.redirectFlags, true) };
  } else if (kind === RedirectKind.Map) {
    redirect = {
      kind: 'map',
      mapId: out.getUint32(arena.runCtx + RunCtxLayout.redirectMapId, true),
      key: out.getUint32(arena.runCtx + RunCtxLayout.redirectKey, true),
      ifindex: out.getUint32(arena.runCtx + RunCtxLayout.redirectIfindex, true),
      flags: out.getBigUint64(arena.runCtx + RunCtxLayout.redirectFlags, true),
    };
  }
  const names = profile.returnNames;
  const signed = retval | 0;
  const tunnel = (out.getUint32(arena.runCtx + RunCtxLayout.skbFlags, true) & SKB_F_TUNNEL) !== 0 ? getTunnel(core, arena.runCtx, arena.scratch) : undefined;
  return {
    r0,
    retval,
    returnName: names?.[retval] ?? names?.[signed],
    data: dataOut,
    ctx: ctxOut,
    redirect,
    trace: traces,
    tunnel,
    durationNs,
    instructions: lastInstructions,
    repeat,
  };
}

/**
 * Runs an XDP `program` once on each frame of `batch` (jit mode: one call into the generated code, which loops
 * over the frames). Each frame runs with the program type's default context (xdp_md: ingress_ifindex 1), CPU 0,
 * its packet at the batch's headroom; the frame's bytes are changed in place as the program writes them. Returns
 * r0 per frame.
 *
 * @throws {RunInputError} for a program that is not XDP or not loaded in jit mode; {@link ExecutionError} when a
 *   run faults (frames after it did not run).
 */
export function runXdpBatch(core: CoreWasm, arena: RunArena, program: RunnableProgram, batch: FrameBatch, seed: bigint): BigUint64Array {
  const profile = program.profile;
  if (profile.packet !== 'xdp') throw new RunInputError(`runXdpBatch runs XDP programs; '${program.prepared.name}' is ${profile.name}`);
  const jit = program.jit;
  if (jit === undefined) throw new RunInputError(`runXdpBatch runs programs loaded in jit mode; load '${program.prepared.name}' with { mode: 'jit' }, or run each frame with run()`);
  batch.live();
  // The run context and the context struct, once; the generated loop writes each frame's packet pointers.
  const rc = arena.runCtx;
  const err = core.exports.bpfship_run_ctx_init(rc, profile.coreProgType, 0, seed);
  if (err !== 0) throw new RunInputError(`the core refused a run context (${err})`);
  const ctxImage = arena.contextImage(profile.contextSize);
  profile.fillContext(ctxImage, profile.defaultContext(), undefined);
  core.bytes().set(ctxImage, arena.ctx);
  const dv = core.view();
  dv.setUint32(rc + RunCtxLayout.progId, program.prepared.id, true);
  dv.setUint32(rc + RunCtxLayout.ctx, arena.ctx, true);
  dv.setUint32(rc + RunCtxLayout.headroomReserve, XDP_FRAME_STRUCT, true);
  dv.setUint16(rc + RunCtxLayout.ctxOffData, roleOffset(profile, 'data'), true);
  dv.setUint16(rc + RunCtxLayout.ctxOffDataEnd, roleOffset(profile, 'data_end'), true);
  dv.setUint16(rc + RunCtxLayout.ctxOffDataMeta, roleOffset(profile, 'data_meta'), true);
  dv.setUint8(rc + RunCtxLayout.ctxPtrSize, 4);
  arena.jitServices = jit.services;
  try {
    jit.runXdpBatch(arena.ctx, arena.jitRunFrame(), batch.frames, batch.stride, batch.headroom, batch.lengthsAddress, batch.count, batch.resultsAddress);
  } finally {
    arena.jitServices = undefined;
  }
  return batch.results();
}

/**
 * The memory an interpreted run may touch, and where its packet region is (helpers that move the packet replace
 * that region, and the next repetition sees it where the last one left it).
 */
interface InterpreterMemory {
  readonly setup: RunSetup;
  /** Index of the packet region in `setup.regions`, -1 without a packet. */
  readonly packetIndex: number;
}

/** The regions of an interpreted run: the context's, the packet, the object's global data. */
function interpreterMemory(arena: RunArena, profile: ProgramTypeProfile, layout: PacketLayout | undefined, program: RunnableProgram): InterpreterMemory {
  const packetRegion: MemoryRegion | undefined = layout === undefined ? undefined : { start: layout.meta, end: layout.end, writable: profile.packetWritable, name: 'packet' };
  const regions: MemoryRegion[] = [...arena.contextRegions(profile)];
  const packetIndex = packetRegion === undefined ? -1 : regions.length;
  if (packetRegion !== undefined) regions.push(packetRegion);
  regions.push(...program.regions);
  // The link-layer and network headers for LD_ABS/LD_IND at SKF_LL_OFF/SKF_NET_OFF, from data: tc's data is the
  // Ethernet header, the other skb types' the network header after it (copied in all the same).
  const l2 = profile.packet === 'skb-l2';
  const headers = profile.packet === 'skb-l2' || profile.packet === 'skb-l3' ? { link: l2 ? 0 : -ETH_HLEN, network: l2 ? ETH_HLEN : 0 } : {};
  const packet = layout === undefined ? undefined : { start: layout.data, end: layout.end, ...headers };
  return { setup: { stack: arena.stack, regions, packet }, packetIndex };
}

/**
 * The largest repeat count: BPF_PROG_TEST_RUN's `repeat` is a u32.
 */
export const MAX_REPEAT = 0xffffffff;

/** `repeat` of a RunInput, checked: an integer from 1 to {@link MAX_REPEAT} (default 1). */
export function checkRepeat(repeat: number | undefined): number {
  const r = repeat ?? 1;
  if (!Number.isInteger(r) || r < 1 || r > MAX_REPEAT) throw new RunInputError(`repeat must be an integer from 1 to ${MAX_REPEAT} (BPF_PROG_TEST_RUN's u32), not ${r}`);
  return r;
}

let cpuClock: (() => number) | undefined | null = null;

/**
 * The calling thread's CPU time in nanoseconds, read through libc (koffi), or undefined where it cannot be loaded.
 * It leaves out the time the loop spends scheduled out, as the kernel's figure does (bpf_test_timer_continue
 * stops the clock around cond_resched), and the engine's own threads (its compilers and garbage collector), which
 * process.cpuUsage would count.
 */
function threadCpuClock(): (() => number) | undefined {
  if (cpuClock === null) {
    try {
      cpuClock = loadLibc().threadCpuNs;
    } catch {
      cpuClock = undefined;
    }
  }
  return cpuClock;
}

/**
 * Gives bpf_get_prandom_u32 a random xorshift128+ state (any state but all zeros will do): what a random seed
 * gives, without making a BigInt of one on every run.
 */
function randomPrandomState(dv: DataView, rc: number, arena: RunArena): void {
  let any = 0;
  for (let i = 0; i < 4; i++) {
    const word = arena.randomWord();
    any |= word;
    dv.setUint32(rc + RunCtxLayout.prandomState + 4 * i, word, true);
  }
  if (any === 0) dv.setUint32(rc + RunCtxLayout.prandomState, 1, true);
}

/** Clears the run context's per-run results, as every run starts without them (the JIT does the same in WebAssembly). */
function clearRunResults(dv: DataView, rc: number): void {
  dv.setUint32(rc + RunCtxLayout.tailCallPending, 0, true);
  dv.setUint32(rc + RunCtxLayout.tailCallCount, 0, true);
  dv.setUint32(rc + RunCtxLayout.redirectKind, 0, true);
  dv.setUint32(rc + RunCtxLayout.traceCount, 0, true);
}

/** Attaches tunnel metadata (the core's struct) to the run context, through `scratch`. */
function setTunnel(core: CoreWasm, rc: number, scratch: number, info: Uint8Array): void {
  core.write(scratch, info);
  const err = core.exports.bpfship_run_ctx_set_tunnel_info(rc, scratch);
  if (err !== 0) throw new RunInputError(`the core refused the tunnel metadata (${err})`, -err);
}

/** The run context's tunnel metadata, or undefined when it has none. */
function getTunnel(core: CoreWasm, rc: number, scratch: number): TunnelResult | undefined {
  return core.exports.bpfship_run_ctx_get_tunnel_info(rc, scratch) === 0 ? decodeTunnelInfo(core.read(scratch, TUNNEL_INFO_SIZE)) : undefined;
}

/** Where the packet goes in the arena's buffer, with the program type's geometry (the bytes are copied per run). */
function placePacket(arena: RunArena, profile: ProgramTypeProfile, length: number, metaLen: number): PacketLayout {
  const buf = arena.packetBuffer(packetBufferSize(profile, length));
  const l = packetLayout(profile, length, metaLen);
  return { hardStart: buf + l.hardStart, copyAt: buf + l.copyAt, meta: buf + l.meta, data: buf + l.data, end: buf + l.end, hardEnd: buf + l.hardEnd };
}

/** The bytes of buffer a packet of `length` bytes needs under the program type's packet model. */
export function packetBufferSize(profile: ProgramTypeProfile, length: number): number {
  if (profile.packet === 'xdp') return Math.max(XDP_FRAME_SIZE - SKB_SHARED_INFO, XDP_PACKET_HEADROOM + length);
  // Room to grow to the largest packet the skb helpers allow (change_tail, adjust_room...): Linux reallocates the
  // head; the core moves the packet inside its buffer instead.
  if (profile.packet === 'skb-l2' || profile.packet === 'skb-l3') return SKB_HEADROOM + Math.max(length, SKB_MAX_LEN);
  return length + 16;
}

/**
 * Where a packet of `length` bytes lies in its buffer (offsets from the buffer's start), as Linux's test run
 * places it for the program type: shared by the interpreter and native mode, so both see the same geometry.
 */
export function packetLayout(profile: ProgramTypeProfile, length: number, metaLen: number): PacketLayout {
  if (profile.packet === 'xdp') {
    const frame = packetBufferSize(profile, length);
    const meta = XDP_PACKET_HEADROOM;
    return { hardStart: 0, copyAt: meta, meta, data: meta + metaLen, end: meta + length, hardEnd: frame };
  }
  if (profile.packet === 'skb-l2' || profile.packet === 'skb-l3') {
    // A socket filter's data starts after the Ethernet header, which is copied in all the same.
    const frame = SKB_HEADROOM;
    const start = frame + (profile.packet === 'skb-l3' ? ETH_HLEN : 0);
    const end = frame + length;
    return { hardStart: 0, copyAt: frame, meta: start, data: start, end, hardEnd: packetBufferSize(profile, length) };
  }
  // A host type's plain buffer.
  return { hardStart: 0, copyAt: 0, meta: 0, data: 0, end: length, hardEnd: length };
}

/** Bytes reserved at the start of an XDP buffer that adjust_head/meta may not use (Linux: struct xdp_frame). */
export const XDP_HEADROOM_RESERVE = XDP_FRAME_STRUCT;

const NO_FIELD = 0xffff;

/** The offset of the context field with `role`, or 0xffff (the core's "absent"). */
function roleOffset(profile: ProgramTypeProfile, role: 'data' | 'data_end' | 'data_meta'): number {
  for (const f of profile.fields) if (f.role === role) return f.offset;
  return NO_FIELD;
}

function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** A u64 field of the run context, from a number below 2^32. */
function setU64(dv: DataView, at: number, value: number): void {
  dv.setUint32(at, value, true);
  dv.setUint32(at + 4, 0, true);
}

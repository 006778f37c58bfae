/**
 * Running one program of a native image the way the interpreter runs it (program-run.ts), like Linux's
 * BPF_PROG_TEST_RUN: the same packet geometry (XDP headroom, sk_buff data at the Ethernet or network header), the
 * same context built from the caller's bytes or the program type's defaults, `repeat` runs in a loop in C over
 * that input with nothing restored between runs (as Linux's bpf_test_run), and the same results read back (return value and its name, packet, context, redirect, trace lines, time). This
 * is what `bpfship run --mode native` prints, so that its output can be compared with the interpreter's line by
 * line.
 *
 * The context struct lives in core memory; the packet pointers a program loads from it are read from the run
 * context instead (bpf2c rewrites those loads), so the struct's own data/data_end fields only matter for the
 * context given back, which is computed from the run context after the run.
 *
 * Author: Claude.
 *
 * @module
 */
import { RunInputError } from '../errors.ts';
import { checkRepeat, packetBufferSize, packetLayout, XDP_HEADROOM_RESERVE, type RedirectResult, type RunInput } from '../program-run.ts';
import { linuxProgramType, type ProgramTypeProfile } from '../program-type-profiles.ts';
import { stripTraceNewline, type TraceEvent } from '../trace.ts';
import { RUN_CTX_SIZE } from '../../core/index.ts';
import { koffi } from '../../core/index.ts';
import { decodeTunnelInfo, encodeTunnelInfo, SKB_F_TUNNEL, type TunnelResult } from '../tunnel-info.ts';
import type { NativeObject } from './native-object.ts';

/** What a native test run reports: the interpreter's RunResult without an instruction count (native code has none). */
export interface NativeRunResult {
  readonly r0: bigint;
  /** The low 32 bits of r0, the return value as Linux reports it. */
  readonly retval: number;
  readonly returnName: string | undefined;
  /** The packet after the last run, for program types with one. */
  readonly data: Uint8Array | undefined;
  /** The context after the last run (ctx_out). */
  readonly ctx: Uint8Array;
  readonly redirect: RedirectResult | undefined;
  /** Messages the program printed (all runs). */
  readonly trace: readonly TraceEvent[];
  /** Tunnel metadata after the run (as RunResult.tunnel). */
  readonly tunnel: TunnelResult | undefined;
  /** Mean time of one run, nanoseconds: the loop's CPU time on its thread over the count, as the kernel's `duration` (which leaves out time scheduled out). */
  readonly durationNs: number;
  readonly repeat: number;
}

// bpfship_run_ctx offsets (bpfship_core.h).
const RC = { ctx: 0, data: 8, dataEnd: 16, dataMeta: 24, hardStart: 32, hardEnd: 40, progId: 56, headroomReserve: 60, redirectKind: 84, redirectIfindex: 88, redirectMapId: 92, redirectKey: 96, redirectFlags: 104, skbFlags: 152 } as const;
const REDIRECT_IFINDEX = 1;
const REDIRECT_MAP = 2;
const ETH_HLEN = 14;
const TAI_OFFSET_NS = 37n * 1_000_000_000n;
/** The start of native mode's monotonic clock (what bpf_ktime_get_ns counts from), as the interpreter's runtime has one. */
const clockStart = process.hrtime.bigint();

/** The profile a native program runs with: its Linux program type's, from the image's table. */
export function nativeProgramProfile(obj: NativeObject, program: string | number): ProgramTypeProfile {
  const p = obj.program(program);
  const meta = obj.image.metadata.programs[p.index];
  const profile = meta === undefined ? undefined : linuxProgramType(meta.programType, meta.attachType === '' ? undefined : meta.attachType);
  if (meta === undefined || profile === undefined) throw new RunInputError(`program '${p.name}' is of type ${meta?.programType ?? '?'}, which does not run here`);
  return profile;
}

/**
 * Runs `program` of `obj` on `input` as the interpreter would (see the module comment).
 *
 * @example
 * ```ts
 * const fw = openNativeObject(readFileSync('xdp_firewall.so'));
 * const r = runNativeProgram(fw, 'xdp_firewall', { data: frame, repeat: 100 });
 * r.returnName; // 'XDP_PASS'
 * ```
 * @throws {RunInputError} for input the program type refuses, as the interpreter does.
 */
export function runNativeProgram(obj: NativeObject, program: string | number, input: RunInput = {}): NativeRunResult {
  const p = obj.program(program);
  const profile = nativeProgramProfile(obj, program);
  const core = obj.core;
  const repeat = checkRepeat(input.repeat);
  const cpu = input.cpu ?? 0;
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= core.ncpus()) throw new RunInputError(`CPU ${cpu} does not exist (the runtime has ${core.ncpus()})`);
  const data = input.data;
  if (profile.packet === 'none' && data !== undefined && data.length > 0) {
    throw new RunInputError(`${profile.name} programs take no packet (their context is ${profile.contextName}); pass a context instead`);
  }
  if (profile.packet !== 'none' && data === undefined) throw new RunInputError(`${profile.name} programs run on a packet: give one (data)`);
  if (profile.packet !== 'none' && profile.packet !== 'buffer' && data !== undefined && data.length < ETH_HLEN) {
    throw new RunInputError(`the packet is ${data.length} bytes, shorter than an Ethernet header (14), which BPF_PROG_TEST_RUN refuses`, 22);
  }
  const ctxIn = input.ctx ?? profile.defaultContext();
  if (input.ctx !== undefined) profile.checkContext(input.ctx, data?.length ?? 0);
  else if (profile.packet === 'skb-l2' || profile.packet === 'skb-l3') profile.checkContext(ctxIn, data?.length ?? 0);
  const metaLen = profile.packet === 'xdp' && input.ctx !== undefined && input.ctx.length >= 4 ? new DataView(input.ctx.buffer, input.ctx.byteOffset).getUint32(0, true) : 0;

  // 1. Memory in the core: a run context of its own, the context struct, the packet buffer.
  const runCtx = core.alloc(RUN_CTX_SIZE);
  const ctxSize = Math.max(profile.contextSize, 8);
  const ctxAddr = core.alloc(ctxSize);
  const withPacket = data !== undefined && profile.packet !== 'none';
  const bufSize = withPacket ? packetBufferSize(profile, data.length) : 0;
  const buf = withPacket ? core.alloc(bufSize) : 0n;
  const traces: TraceEvent[] = [];
  try {
    const rc = new DataView(koffi.view(runCtx, RUN_CTX_SIZE));
    const ctxMem = new Uint8Array(koffi.view(ctxAddr, ctxSize));
    const bufMem = withPacket ? new Uint8Array(koffi.view(buf, bufSize)) : new Uint8Array(0);
    const layout = withPacket ? packetLayout(profile, data.length, metaLen) : undefined;
    const at = (offset: number): bigint => buf + BigInt(offset);
    const ctxImage = new Uint8Array(profile.contextSize);
    profile.fillContext(ctxImage, ctxIn, data);
    const roles = (['data', 'data_end', 'data_meta'] as const).map((role) => profile.fields.find((f) => f.role === role)?.offset);
    const names = new Map(obj.programs.map((q) => [q.id, q.name]));
    const seed = input.seed ?? BigInt(Math.floor(Math.random() * 2 ** 52));
    const tunnelIn = input.tunnel === undefined ? undefined : encodeTunnelInfo(input.tunnel);

    // 2. Hooks: trace lines and the clocks, as the interpreter's runtime provides them.
    core.setHostHooks({
      trace(ctx, message) {
        const id = ctx === runCtx ? rc.getUint32(RC.progId, true) : p.id;
        traces.push({
          program: names.get(id) ?? p.name,
          programId: id,
          timeNs: process.hrtime.bigint() - clockStart + 1n,
          cpu,
          pid: process.pid,
          comm: 'node',
          message: stripTraceNewline(new TextDecoder().decode(message)),
        });
      },
      ktimeNs(clock) {
        const now = process.hrtime.bigint();
        if (clock === 2) return now - clockStart - ((now - clockStart) % 4_000_000n) + 1n; // coarse: jiffies at HZ=250
        if (clock === 3) return BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS;
        return now - clockStart + 1n;
      },
    });

    // 3. The input, set up once as the kernel's test run sets it up (bpf_test_init, bpf_ctx_init), then `repeat`
    //    runs in one loop in C (bpfship_test_run_repeat), timed around the loop: nothing is restored between runs,
    //    so a run sees the packet, context and maps as the one before left them, as in Linux.
    if (core.runCtxInit(runCtx, profile.coreProgType, cpu, seed) !== 0) throw new RunInputError(`the core refused a run context for CPU ${cpu}`);
    rc.setUint32(RC.progId, p.id, true);
    if (tunnelIn !== undefined && core.setTunnelInfo(runCtx, tunnelIn) !== 0) throw new RunInputError('the core refused the tunnel metadata', 22);
    rc.setBigUint64(RC.ctx, ctxAddr, true);
    ctxMem.fill(0);
    ctxMem.set(ctxImage);
    if (layout !== undefined && data !== undefined) {
      if (profile.packet === 'xdp') bufMem.fill(0, layout.hardStart, layout.meta);
      bufMem.set(data, layout.copyAt);
      rc.setBigUint64(RC.data, at(layout.data), true);
      rc.setBigUint64(RC.dataEnd, at(layout.end), true);
      rc.setBigUint64(RC.dataMeta, at(layout.meta), true);
      rc.setBigUint64(RC.hardStart, at(layout.hardStart), true);
      rc.setBigUint64(RC.hardEnd, at(layout.hardEnd), true);
      rc.setUint32(RC.headroomReserve, profile.packet === 'xdp' ? XDP_HEADROOM_RESERVE : 0, true);
    }
    const { r0, elapsedNs } = core.testRunRepeat(obj.image.runners.runAddress, p.index, runCtx, repeat);
    const durationNs = Number(elapsedNs) / repeat;

    // 4. Results.
    const offset = (field: number): number => Number(rc.getBigUint64(field, true) - buf);
    let dataOut: Uint8Array | undefined;
    if (layout !== undefined && input.packetOut !== false) {
      const meta = offset(RC.dataMeta);
      const start = offset(RC.data);
      const end = offset(RC.dataEnd);
      if (profile.packet === 'xdp') dataOut = bufMem.slice(meta, end);
      else if (profile.packet === 'skb-l3') {
        // The kernel pushes the Ethernet header back, zeroed.
        dataOut = new Uint8Array(ETH_HLEN + end - start);
        dataOut.set(bufMem.subarray(start, end), ETH_HLEN);
      } else dataOut = bufMem.slice(start, end);
    }
    const after = ctxMem.slice(0, profile.contextSize);
    if (layout !== undefined) {
      // The packet pointers as the interpreter keeps them in the struct (32-bit positions), for contextOut.
      const dv = new DataView(after.buffer);
      [RC.data, RC.dataEnd, RC.dataMeta].forEach((field, i) => {
        const off = roles[i];
        if (off !== undefined && off + 4 <= after.length) dv.setUint32(off, offset(field) >>> 0, true);
      });
    }
    const ctxOut = profile.contextOut(after, ctxIn);
    const kind = rc.getUint32(RC.redirectKind, true);
    let redirect: RedirectResult | undefined;
    if (kind === REDIRECT_IFINDEX) redirect = { kind: 'ifindex', ifindex: rc.getUint32(RC.redirectIfindex, true), flags: rc.getBigUint64(RC.redirectFlags, true) };
    else if (kind === REDIRECT_MAP) {
      redirect = {
        kind: 'map',
        mapId: rc.getUint32(RC.redirectMapId, true),
        key: rc.getUint32(RC.redirectKey, true),
        ifindex: rc.getUint32(RC.redirectIfindex, true),
        flags: rc.getBigUint64(RC.redirectFlags, true),
      };
    }
    const retval = Number(r0 & 0xffffffffn);
    const returnNames = profile.returnNames;
    const tunnelOut = (rc.getUint32(RC.skbFlags, true) & SKB_F_TUNNEL) !== 0 ? core.getTunnelInfo(runCtx) : undefined;
    const tunnel = tunnelOut === undefined ? undefined : decodeTunnelInfo(tunnelOut);
    return { r0, retval, returnName: returnNames?.[retval] ?? returnNames?.[retval | 0], data: dataOut, ctx: ctxOut, redirect, trace: traces, tunnel, durationNs, repeat };
  } finally {
    core.setHostHooks(undefined);
    if (buf !== 0n) core.free(buf);
    core.free(ctxAddr);
    core.free(runCtx);
  }
}

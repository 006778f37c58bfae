/**
 * Test support: an eBPF object run by the interpreter over the WebAssembly build of the runtime core, the way
 * interpret mode runs it (maps and helpers in the core, the program's memory in the core's linear memory), so that
 * the differential tests can compare native mode with it. Map checks are permissive (any address a helper hands
 * out is accessible): the point is equal results, not the interpreter's own fault detection.
 *
 * Author: Claude.
 *
 * @module
 */
import { HelperOutcome, Interpreter, prepareLinkedProgram, STACK_SIZE, type InterpreterHost, type PreparedProgram } from '../../interp/index.ts';
import { linkProgram, ProgramType, type ObjectSpec } from '../../spec/index.ts';
import { CoreWasm, type CoreMap } from '../../core/index.ts';
import { libbpfMaxEntries } from '../map-create-size.ts';

const HEADROOM = 256;
const MAX_FRAME = 9216;

/** An object loaded for interpretation. */
export class InterpretedObject {
  readonly core: CoreWasm;
  readonly maps = new Map<string, CoreMap>();
  readonly programs: { name: string; id: number; prog: PreparedProgram }[] = [];
  private readonly byId = new Map<number, PreparedProgram>();
  private readonly runCtx: number;
  private readonly stack: number;
  private readonly ctx: number;
  private readonly buffer: number;
  private readonly interp: Interpreter;

  constructor(spec: ObjectSpec, options: { core?: CoreWasm; seed?: bigint } = {}) {
    this.core = options.core ?? CoreWasm.loadSync();
    const core = this.core;
    const addresses: number[] = [];
    const values: number[] = [];
    for (const m of spec.maps) {
      const inner = m.innerMap === undefined ? undefined : core.createMap({ type: m.innerMap.type as never, keySize: m.innerMap.keySize, valueSize: m.innerMap.valueSize, maxEntries: libbpfMaxEntries(m.innerMap.type, m.innerMap.maxEntries), flags: m.innerMap.flags, mapExtra: m.innerMap.mapExtra, name: `${m.name}.inner` });
      const map = core.createMap({ type: m.type as never, keySize: m.keySize, valueSize: m.valueSize, maxEntries: libbpfMaxEntries(m.type, m.maxEntries), flags: m.flags, mapExtra: m.mapExtra, name: m.name, ...(inner !== undefined ? { innerMap: inner } : {}) });
      this.maps.set(m.name, map);
      addresses.push(map.ptr);
      values.push(0);
    }
    for (const d of spec.dataSections) {
      const map = core.createMap({ type: 2, keySize: 4, valueSize: Math.max(d.size, 1), maxEntries: 1, flags: d.readOnly ? 1 << 7 : 0, name: d.name });
      if (d.size > 0) map.update(new Uint8Array(4), d.initialBytes);
      if (d.readOnly) map.freeze();
      this.maps.set(d.name, map);
      addresses.push(map.ptr);
      values.push(map.valueAddress(0));
    }
    const helpers = { has: (id: number) => core.helperImplemented(id), name: (id: number) => core.helperName(id) };
    spec.programs.forEach((p, i) => {
      const id = i + 1;
      const prog = prepareLinkedProgram(linkProgram(spec, p), {
        id,
        helpers,
        mapAddress: (index) => addresses[index] as number,
        mapValueAddress: (index, offset) => (values[index] as number) + offset,
      });
      this.programs.push({ name: p.name, id, prog });
      this.byId.set(id, prog);
    });
    for (const m of spec.maps) {
      for (const v of m.initialValues) {
        const target = v.kind === 'program' ? this.programs.find((p) => p.name === v.name)?.id : this.maps.get(v.name)?.id;
        if (target !== undefined) this.maps.get(m.name)?.update(u32(v.key), u32(target));
      }
    }
    this.runCtx = core.createRunContext(ProgramType[spec.programs[0]?.kind.programType ?? 'xdp'], 0, options.seed ?? 0n);
    this.stack = core.alloc(STACK_SIZE);
    this.ctx = core.alloc(24);
    this.buffer = core.alloc(HEADROOM + MAX_FRAME);
    const runCtx = this.runCtx;
    const byId = this.byId;
    const host: InterpreterHost = {
      memory: () => core.memory.buffer,
      callHelper(id, interp) {
        const fn = core.helper(id);
        if (fn === undefined) return HelperOutcome.UNKNOWN;
        const reg = (r: number): bigint => (BigInt((interp.hi[r] as number) >>> 0) << 32n) | BigInt((interp.lo[r] as number) >>> 0);
        const r0 = BigInt.asUintN(64, fn(reg(1), reg(2), reg(3), reg(4), reg(5), runCtx));
        interp.lo[0] = Number(BigInt.asIntN(32, r0));
        interp.hi[0] = Number(BigInt.asIntN(32, r0 >> 32n));
        return core.view().getUint32(runCtx + 72, true) !== 0 ? HelperOutcome.TAIL_CALL : HelperOutcome.CONTINUE;
      },
      takeTailCall() {
        const id = core.takeTailCall(runCtx);
        return id === undefined ? undefined : byId.get(id);
      },
      findRegion: (address, size) => ({ start: address, end: address + size, writable: true, name: 'core memory' }),
      program: (id) => byId.get(id),
    };
    this.interp = new Interpreter(host);
    const interp = this.interp;
    core.bindCallbackInvoker(runCtx, (_ctx, fn, args) => interp.invokeCallback(fn, args));
  }

  /** The id of a program (what a prog array slot holds). */
  programId(name: string): number {
    const p = this.programs.find((q) => q.name === name);
    if (p === undefined) throw new Error(`no program ${name}`);
    return p.id;
  }

  /** Runs an XDP program on one frame; returns r0 and the packet after the run. */
  runXdp(name: string | number, frame: Uint8Array): { r0: bigint; packet: Uint8Array } {
    const p = typeof name === 'number' ? this.programs[name] : this.programs.find((q) => q.name === name);
    if (p === undefined) throw new Error(`no program ${String(name)}`);
    const core = this.core;
    const data = this.buffer + HEADROOM;
    core.write(data, frame);
    const dv = core.view();
    // Reset what the helpers record per run (as bs_run_ctx_begin does natively).
    for (const off of [72, 76, 80, 84, 88, 92, 96, 100]) dv.setUint32(this.runCtx + off, 0, true);
    dv.setBigUint64(this.runCtx + 104, 0n, true);
    core.setPacket(this.runCtx, this.buffer, data, data + frame.length, this.buffer + HEADROOM + MAX_FRAME);
    core.write(this.ctx, new Uint8Array(24));
    core.setContext(this.runCtx, this.ctx, 0, 4, 8);
    dv.setBigUint64(this.runCtx, BigInt(this.ctx), true);
    const r0 = this.interp.run(p.prog, {
      stack: this.stack,
      regions: [
        { start: this.ctx, end: this.ctx + 24, writable: false, name: 'xdp_md' },
        { start: this.buffer, end: this.buffer + HEADROOM + MAX_FRAME, writable: true, name: 'packet' },
      ],
    }, [BigInt(this.ctx)]);
    const after = core.view();
    const start = Number(after.getBigUint64(this.runCtx + 8, true));
    const end = Number(after.getBigUint64(this.runCtx + 16, true));
    return { r0, packet: core.read(start, end - start) };
  }
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

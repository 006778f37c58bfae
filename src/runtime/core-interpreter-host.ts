/**
 * The interpreter's host over the WebAssembly core: helpers run in the core (called through a BigInt-free
 * trampoline), tail calls come back from the core's run context, and every pointer a helper is given or hands out
 * is checked or recorded, so that helpers touch no more memory than the program may:
 *
 * - before a call, map arguments must be live maps and pointer arguments must lie in the program's regions for the
 *   size the helper will read or write (a key of the map's key size, a buffer of the size in the next register);
 * - after a call, a map value (bpf_map_lookup_elem, bpf_get_local_storage's storage) or ring buffer record
 *   (bpf_ringbuf_reserve) becomes a region of the run, as the verifier would type the returned pointer; a callback
 *   of bpf_for_each_map_elem gets its key and value as regions.
 *
 * Author: Claude.
 *
 * @module
 */

import { ExecutionError, HelperOutcome, type Interpreter, type InterpreterHost, type MemoryRegion, type PreparedProgram, type RunSetup } from '../interp/index.ts';
import { type CoreMap, type CoreWasm, HelperFlags, MapType, RunCtxLayout } from '../core/index.ts';
import { createHelperTrampoline, type HelperTrampoline, TRAMPOLINE_REGS_SIZE } from '../core/index.ts';

/** How a helper uses one argument register. */
type ArgUse =
  | { readonly reg: number; readonly kind: 'map' }
  | { readonly reg: number; readonly kind: 'read' | 'write'; readonly size: number | 'key' | 'value' | { readonly reg: number } }
  | { readonly reg: number; readonly kind: 'record' }
  | { readonly reg: number; readonly kind: 'cstring' };

const map = (reg: number): ArgUse => ({ reg, kind: 'map' });
const read = (reg: number, size: number | 'key' | 'value' | { reg: number }): ArgUse => ({ reg, kind: 'read', size });
const write = (reg: number, size: number | 'key' | 'value' | { reg: number }): ArgUse => ({ reg, kind: 'write', size });

/** The arguments of the helpers the core implements, by Linux helper id (bpf_func_proto's arg types). */
const HELPER_ARGS: ReadonlyMap<number, readonly ArgUse[]> = new Map<number, readonly ArgUse[]>([
  [1, [map(1), read(2, 'key')]], // map_lookup_elem
  [2, [map(1), read(2, 'key'), read(3, 'value')]], // map_update_elem
  [3, [map(1), read(2, 'key')]], // map_delete_elem
  [4, [write(1, { reg: 2 })]], // probe_read
  [6, [read(1, { reg: 2 })]], // trace_printk
  [9, [read(3, { reg: 4 })]], // skb_store_bytes
  [12, [map(2)]], // tail_call
  [16, [write(1, { reg: 2 })]], // get_current_comm
  [20, [write(2, { reg: 3 })]], // skb_get_tunnel_key
  [21, [read(2, { reg: 3 })]], // skb_set_tunnel_key
  [25, [map(2), read(4, { reg: 5 })]], // perf_event_output
  [26, [write(3, { reg: 4 })]], // skb_load_bytes
  [28, [read(1, { reg: 2 }), read(3, { reg: 4 })]], // csum_diff
  [45, [write(1, { reg: 2 })]], // probe_read_str
  [51, [map(1)]], // redirect_map
  [69, [write(2, { reg: 3 })]], // fib_lookup (reads and writes struct bpf_fib_lookup)
  [81, [map(1)]], // get_local_storage (the storage it returns becomes a value region, as a lookup's does)
  [84, [read(2, { reg: 3 })]], // sk_lookup_tcp
  [85, [read(2, { reg: 3 })]], // sk_lookup_udp
  [87, [map(1), read(2, 'value')]], // map_push_elem
  [88, [map(1), write(2, 'value')]], // map_pop_elem
  [89, [map(1), write(2, 'value')]], // map_peek_elem
  [93, [write(1, 4)]], // spin_lock
  [94, [write(1, 4)]], // spin_unlock
  [99, [read(2, { reg: 3 })]], // skc_lookup_tcp
  [105, [read(1, { reg: 2 }), write(4, 8)]], // strtol
  [106, [read(1, { reg: 2 }), write(4, 8)]], // strtoul
  [112, [write(1, { reg: 2 })]], // probe_read_user
  [113, [write(1, { reg: 2 })]], // probe_read_kernel
  [114, [write(1, { reg: 2 })]], // probe_read_user_str
  [115, [write(1, { reg: 2 })]], // probe_read_kernel_str
  [130, [map(1), read(2, { reg: 3 })]], // ringbuf_output
  [131, [map(1)]], // ringbuf_reserve
  [132, [{ reg: 1, kind: 'record' }]], // ringbuf_submit
  [133, [{ reg: 1, kind: 'record' }]], // ringbuf_discard
  [134, [map(1)]], // ringbuf_query
  [152, [read(2, { reg: 3 })]], // redirect_neigh
  [164, [map(1)]], // for_each_map_elem
  [165, [write(1, { reg: 2 }), { reg: 3, kind: 'cstring' }, read(4, { reg: 5 })]], // snprintf
  [177, [read(1, { reg: 2 }), read(3, { reg: 4 })]], // trace_vprintk
  [195, [map(1), read(2, 'key')]], // map_lookup_percpu_elem
]);

/** One past the largest helper id (the core's BPFSHIP_HELPER_COUNT, with room to grow). */
const HELPER_ID_LIMIT = 256;
const TAIL_CALL_HELPER = 12;
const FOR_EACH_MAP_ELEM = 164;
const RINGBUF_RESERVE = 131;
const GET_LOCAL_STORAGE = 81;
const BPF_F_RDONLY_PROG = 1 << 7;
const MAX_HELPER_BUFFER = 1 << 30;

/** A register's 64-bit value in hex, for messages. */
function registerText(interp: Interpreter, r: number): string {
  return `0x${((BigInt(interp.hi[r] as number >>> 0) << 32n) | BigInt(interp.lo[r] as number >>> 0)).toString(16)}`;
}

/** The state of the run in progress, set by {@link CoreInterpreterHost.beginRun}. */
interface RunState {
  runCtx: number;
  setup: RunSetup;
  /** Index of the packet region in setup.regions, -1 without a packet. */
  packetIndex: number;
  packetWritable: boolean;
  /** Regions handed out by helpers during this run, most recent last. */
  dynamic: MemoryRegion[];
  /** Ring buffer records reserved and not yet submitted or discarded. */
  records: Set<number>;
}

/** An {@link InterpreterHost} over a {@link CoreWasm}. */
export class CoreInterpreterHost implements InterpreterHost {
  readonly core: CoreWasm;
  private readonly trampoline: HelperTrampoline;
  /** The r0..r5 block the trampoline reads and writes. */
  private readonly regs: number;
  /** By helper id: the function table index (0: not implemented; -1: not asked yet), the helper's flags, its argument uses. */
  private readonly tableIndex = new Int32Array(HELPER_ID_LIMIT).fill(-1);
  private readonly flags = new Int32Array(HELPER_ID_LIMIT);
  private readonly argUses: (readonly ArgUse[] | undefined)[] = new Array<readonly ArgUse[] | undefined>(HELPER_ID_LIMIT).fill(undefined);
  private readonly programs = new Map<number, PreparedProgram>();
  private readonly mapCache = new Map<number, CoreMap>();
  private i32 = new Int32Array(0);
  private run: RunState | undefined;
  /** Runs suspended by a nested one. */
  private readonly outer: { run: RunState; interp: Interpreter }[] = [];
  /** The last run's state, reused by the next (no allocation per run). */
  private spare: RunState | undefined;
  private pendingTail: PreparedProgram | undefined;
  /** The helper call in progress (for callbacks' regions). */
  private helperInProgress = -1;
  private helperMap: CoreMap | undefined;
  private interp: Interpreter | undefined;

  constructor(core: CoreWasm) {
    this.core = core;
    this.trampoline = createHelperTrampoline(core.memory, core.exports.__indirect_function_table);
    this.regs = core.alloc(TRAMPOLINE_REGS_SIZE);
  }

  /** Makes `prog` a tail-call and callback target under its id. */
  register(prog: PreparedProgram): void {
    this.programs.set(prog.id, prog);
  }

  /** Forgets a program (its object was closed). */
  unregister(id: number): void {
    this.programs.delete(id);
  }

  program(id: number): PreparedProgram | undefined {
    return this.programs.get(id);
  }

  /**
   * Starts a run: its run context, fixed regions, and which region is the packet (moved by xdp_adjust_*). Runs
   * nest (a trace listener may run another program from inside a helper call): the outer run is restored by
   * {@link endRun}.
   */
  beginRun(interp: Interpreter, runCtx: number, setup: RunSetup, packetIndex: number, packetWritable: boolean): void {
    if (this.run !== undefined && this.interp !== undefined) this.outer.push({ run: this.run, interp: this.interp });
    this.interp = interp;
    let run = this.spare;
    if (run === undefined) run = { runCtx, setup, packetIndex, packetWritable, dynamic: [], records: new Set() };
    else {
      this.spare = undefined;
      run.runCtx = runCtx;
      run.setup = setup;
      run.packetIndex = packetIndex;
      run.packetWritable = packetWritable;
      if (run.dynamic.length > 0) run.dynamic.length = 0;
      if (run.records.size > 0) run.records.clear();
    }
    this.run = run;
    this.pendingTail = undefined;
  }

  /** Ends the run started by {@link beginRun}. */
  endRun(): void {
    const outer = this.outer.pop();
    if (outer === undefined) {
      this.spare = this.run;
      this.run = undefined;
      this.interp = undefined;
    } else {
      this.run = outer.run;
      this.interp = outer.interp;
    }
  }

  memory(): ArrayBuffer {
    return this.core.memory.buffer;
  }

  callHelper(id: number, interp: Interpreter): HelperOutcome {
    const run = this.run;
    if (run === undefined) throw new Error('CoreInterpreterHost.callHelper outside a run (call beginRun first)');
    if (!(id >= 0 && id < HELPER_ID_LIMIT)) return HelperOutcome.UNKNOWN;
    let index = this.tableIndex[id] as number;
    if (index < 0) {
      index = this.core.helperImplemented(id) ? this.core.exports.bpfship_helper_fn_of(id) : 0;
      this.tableIndex[id] = index;
      this.flags[id] = this.core.helperFlags(id);
      this.argUses[id] = HELPER_ARGS.get(id);
    }
    if (index === 0) return HelperOutcome.UNKNOWN;
    const lo = interp.lo;
    const hi = interp.hi;

    // 1. Arguments.
    const uses = this.argUses[id];
    let helperMap: CoreMap | undefined;
    if (uses !== undefined) helperMap = this.checkArguments(id, uses, interp, run);

    // 2. The call, r1-r5 in and r0 out through memory as 32-bit halves.
    // A grown WebAssembly memory detaches its old buffer, whose views then have length 0.
    let i32 = this.i32;
    if (i32.length === 0) i32 = this.i32 = new Int32Array(this.core.memory.buffer);
    const b = this.regs >> 2;
    for (let r = 1; r <= 5; r++) {
      i32[b + 2 * r] = lo[r] as number;
      i32[b + 2 * r + 1] = hi[r] as number;
    }
    const outerHelper = this.helperInProgress;
    const outerMap = this.helperMap;
    this.helperInProgress = id;
    this.helperMap = helperMap;
    try {
      this.trampoline(index, run.runCtx, this.regs);
    } catch (e) {
      if (e instanceof ExecutionError) throw e;
      throw interp.helperFault(`helper bpf_${this.core.helperName(id) ?? id} failed in the core: ${(e as Error).message}`);
    } finally {
      this.helperInProgress = outerHelper;
      this.helperMap = outerMap;
    }
    if (i32.length === 0) i32 = this.i32 = new Int32Array(this.core.memory.buffer);
    const r0lo = i32[b] as number;
    const r0hi = i32[b + 1] as number;
    lo[0] = r0lo;
    hi[0] = r0hi;

    // 3. What the result means for the program's memory.
    if ((r0lo !== 0 || r0hi !== 0) && r0hi === 0) {
      if ((id === 1 || id === 195 || id === GET_LOCAL_STORAGE) && helperMap !== undefined) this.addValueRegion(run, helperMap, r0lo >>> 0);
      else if (id === RINGBUF_RESERVE && helperMap !== undefined) {
        const size = lo[2] as number >>> 0;
        run.dynamic.push({ start: r0lo >>> 0, end: (r0lo >>> 0) + size, writable: true, name: `ring buffer record of map '${helperMap.name}'` });
        run.records.add(r0lo >>> 0);
      }
    }
    if (id === 132 || id === 133) this.dropRecord(run, lo[1] as number >>> 0);
    if (((this.flags[id] as number) & HelperFlags.Packet) !== 0) this.refreshPacket(run);
    if (id === TAIL_CALL_HELPER) {
      const target = this.core.takeTailCall(run.runCtx);
      if (target !== undefined) {
        const prog = this.programs.get(target);
        if (prog === undefined) throw interp.helperFault(`bpf_tail_call jumped to program id ${target}, which is not loaded in this runtime`);
        this.pendingTail = prog;
        return HelperOutcome.TAIL_CALL;
      }
    }
    return HelperOutcome.CONTINUE;
  }

  takeTailCall(): PreparedProgram | undefined {
    const t = this.pendingTail;
    this.pendingTail = undefined;
    return t;
  }

  findRegion(address: number, size: number): MemoryRegion | undefined {
    const dyn = this.run?.dynamic;
    if (dyn === undefined) return undefined;
    for (let i = dyn.length - 1; i >= 0; i--) {
      const r = dyn[i] as MemoryRegion;
      if (address >= r.start && address + size <= r.end) return r;
    }
    return undefined;
  }

  /**
   * The core's invoke_callback hook for this host's runs: bpf_loop and bpf_for_each_map_elem call back into the
   * interpreter. For for_each_map_elem, the key and value pointers become regions first.
   */
  invokeCallback(fn: bigint, args: readonly [bigint, bigint, bigint, bigint, bigint]): bigint {
    const interp = this.interp;
    const run = this.run;
    if (interp === undefined || run === undefined) throw new Error('an eBPF callback ran outside a run');
    if (this.helperInProgress === FOR_EACH_MAP_ELEM && this.helperMap !== undefined) {
      const m = this.helperMap;
      const key = Number(args[1] & 0xffffffffn);
      const value = Number(args[2] & 0xffffffffn);
      run.dynamic.push({ start: key, end: key + m.keySize, writable: false, name: `key of map '${m.name}'` });
      if (value !== 0) this.addValueRegion(run, m, value);
    }
    return interp.invokeCallback(fn, args);
  }

  /** The live map at address `ptr`, or undefined. */
  mapAt(ptr: number): CoreMap | undefined {
    const cached = this.mapCache.get(ptr);
    if (cached !== undefined && this.core.mapById(cached.id) === cached) return cached;
    if (ptr <= 0 || ptr + 64 > this.core.memory.buffer.byteLength) return undefined;
    let id: number;
    try {
      id = this.core.exports.bpfship_map_id(ptr);
    } catch {
      return undefined;
    }
    const m = this.core.mapById(id);
    if (m === undefined || m.ptr !== ptr) return undefined;
    this.mapCache.set(ptr, m);
    return m;
  }

  private checkArguments(id: number, uses: readonly ArgUse[], interp: Interpreter, run: RunState): CoreMap | undefined {
    const lo = interp.lo;
    const hi = interp.hi;
    let theMap: CoreMap | undefined;
    for (const u of uses) {
      const r = u.reg;
      const addr = lo[r] as number >>> 0;
      switch (u.kind) {
        case 'map': {
          const m = hi[r] === 0 ? this.mapAt(addr) : undefined;
          if (m === undefined) throw interp.helperFault(`${this.helperLabel(id)} was given r${r} = ${registerText(interp, r)}, which is not a map`);
          theMap = m;
          break;
        }
        case 'read':
        case 'write': {
          let size: number;
          if (typeof u.size === 'number') size = u.size;
          else if (u.size === 'key') size = theMap?.keySize ?? 0;
          else if (u.size === 'value') size = theMap?.valueSize ?? 0;
          else {
            const s = u.size.reg;
            if (hi[s] !== 0 || (lo[s] as number >>> 0) > MAX_HELPER_BUFFER) throw interp.helperFault(`${this.helperLabel(id)} was given a size of ${registerText(interp, s)} in r${s}`);
            size = lo[s] as number >>> 0;
          }
          if (size === 0) break;
          if (hi[r] !== 0 || interp.regionFor(addr, size, u.kind === 'write') === undefined) {
            throw interp.helperFault(`${this.helperLabel(id)} would ${u.kind} ${size} bytes at r${r} = ${registerText(interp, r)}, outside the program's ${u.kind === 'write' ? 'writable ' : ''}memory`);
          }
          break;
        }
        case 'record':
          if (hi[r] !== 0 || !run.records.has(addr)) throw interp.helperFault(`${this.helperLabel(id)} was given r${r} = ${registerText(interp, r)}, which is not a ring buffer record reserved in this run`);
          break;
        case 'cstring': {
          const region = hi[r] === 0 ? interp.regionFor(addr, 1, false) : undefined;
          if (region === undefined) throw interp.helperFault(`${this.helperLabel(id)} was given r${r} = ${registerText(interp, r)} as a string, outside the program's memory`);
          const bytes = new Uint8Array(this.core.memory.buffer, addr, region.end - addr);
          if (!bytes.includes(0)) throw interp.helperFault(`${this.helperLabel(id)}: the string at r${r} = ${registerText(interp, r)} has no NUL before the end of ${region.name}`);
          break;
        }
      }
    }
    return theMap;
  }

  private helperLabel(id: number): string {
    return `bpf_${this.core.helperName(id) ?? `#${id}`}`;
  }

  private addValueRegion(run: RunState, m: CoreMap, ptr: number): void {
    if (m.type === MapType.ArrayOfMaps || m.type === MapType.HashOfMaps) return; // an inner map, not memory to touch
    const dyn = run.dynamic;
    for (let i = dyn.length - 1; i >= 0 && i >= dyn.length - 8; i--) if ((dyn[i] as MemoryRegion).start === ptr) return;
    dyn.push({ start: ptr, end: ptr + m.valueSize, writable: (m.flags & BPF_F_RDONLY_PROG) === 0, name: `value of map '${m.name}'` });
  }

  private dropRecord(run: RunState, ptr: number): void {
    if (!run.records.delete(ptr)) return;
    const dyn = run.dynamic;
    for (let i = dyn.length - 1; i >= 0; i--) {
      if ((dyn[i] as MemoryRegion).start === ptr && (dyn[i] as MemoryRegion).name.startsWith('ring buffer record')) {
        dyn.splice(i, 1);
        break;
      }
    }
  }

  /** After a helper that moves the packet: the packet region and LD_ABS bounds from the run context. */
  private refreshPacket(run: RunState): void {
    if (run.packetIndex < 0) return;
    const dv = this.core.view();
    const data = dv.getUint32(run.runCtx + RunCtxLayout.data, true);
    const end = dv.getUint32(run.runCtx + RunCtxLayout.dataEnd, true);
    const meta = dv.getUint32(run.runCtx + RunCtxLayout.dataMeta, true);
    run.setup.regions[run.packetIndex] = { start: meta, end, writable: run.packetWritable, name: 'packet' };
    // The headers keep their place relative to data (helpers that move the packet are not modelled for them).
    const { link, network } = run.setup.packet ?? {};
    run.setup.packet = { start: data, end, ...(link !== undefined ? { link } : {}), ...(network !== undefined ? { network } : {}) };
  }
}


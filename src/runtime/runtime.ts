/**
 * The runtime: one instance of the core (maps and helpers, in WebAssembly), the objects loaded into it, the program
 * types it runs, and where `bpf_printk` output goes.
 *
 * ```ts
 * const rt = await Runtime.create();
 * const obj = rt.load(readFileSync('xdp_firewall.o'));
 * obj.map('blocked_ports').update(u16(22), u8(1));
 * const r = obj.program('xdp_firewall').run({ data: frame });
 * r.returnName; // 'XDP_DROP'
 * ```
 *
 * Author: Claude.
 *
 * @module
 */

import type { Instruction } from '../asm/index.ts';
import { prepareLinkedProgram, prepareProgram, type HelperCatalog } from '../interp/index.ts';
import { readObject, type MapSpec, type ObjectSpec, type ProgramSpec } from '../spec/index.ts';
import { CoreInterpreterHost } from './core-interpreter-host.ts';
import { type CoreMap, CoreWasm, type TraceMessage } from '../core/index.ts';
import { renderText, verifyProgram } from '../verifier/index.ts';
import { DEFAULT_INSTRUCTION_LIMIT } from '../interp/index.ts';
import { RuntimeLoadError, VerificationRefusedError } from './errors.ts';
import { Fib, wasmFibBackend } from '../core/index.ts';
import { hostPlatform } from './host-platform.ts';
import { JitProgram, type JitServices } from './jit-program.ts';
import { wasm } from '../jit/index.ts';
import { dataSectionFlags, type LoadedObject, LoadedProgram, loadObject, type LoadOptions } from './loaded-object.ts';
import { RunArena, runProgram, runXdpBatch, type RunInput, type RunResult } from './program-run.ts';
import { FrameBatch } from './frame-batch.ts';
import { linuxProgramType, type ProgramTypeProfile, RUNNABLE_LINUX_TYPES } from './program-type-profiles.ts';
import { stripTraceNewline, type TraceEvent } from './trace.ts';
import { libbpfMaxEntries } from './map-create-size.ts';

/** Program ids whose JIT'd-or-not byte the runtime keeps in core memory for tail calls (ids past it take the slow way). */
const JIT_PROGRAM_IDS = 65536;

/** Options for {@link Runtime.create}. */
export interface RuntimeOptions {
  /** Possible CPUs (the slots of per-CPU maps); default 1. */
  readonly ncpus?: number;
  /** The core's .wasm file (default build/core/bpfship_core.wasm). */
  readonly wasmPath?: string;
  /** The identity bpf_get_current_pid_tgid / uid_gid / comm report (default this process, comm `node`). */
  readonly task?: { readonly pid: number; readonly tgid: number; readonly uid: number; readonly gid: number; readonly comm: string };
}

/** A runtime over one core. Not for concurrent use from several threads (there is one JavaScript thread anyway). */
export class Runtime {
  readonly core: CoreWasm;
  /** The routing table bpf_fib_lookup consults (the host fills it; see fib.ts). */
  readonly fib: Fib;
  private readonly host: CoreInterpreterHost;
  /** What JIT'd programs need of the runtime: the core, and the programs a tail call may enter. */
  private readonly jitServices: JitServices;
  private readonly arenas: RunArena[] = [];
  private readonly programsById = new Map<number, LoadedProgram>();
  private readonly hostTypes = new Map<string, ProgramTypeProfile>();
  private readonly traceListeners = new Set<(e: TraceEvent) => void>();
  private readonly task: { pid: number; comm: string };
  private readonly clockStart: bigint;
  private nextId = 1;

  private constructor(core: CoreWasm, clockStart: bigint, task: { pid: number; comm: string }) {
    this.core = core;
    this.clockStart = clockStart;
    this.task = task;
    this.host = new CoreInterpreterHost(core);
    this.fib = new Fib(wasmFibBackend(core));
    const jitMarks = core.alloc(JIT_PROGRAM_IDS);
    core.bytes().fill(0, jitMarks, jitMarks + JIT_PROGRAM_IDS);
    this.jitServices = {
      core,
      programTable: new wasm.Table({ element: 'anyfunc', initial: 64 }),
      jitPrograms: { address: jitMarks, limit: JIT_PROGRAM_IDS },
      jitProgramById: (id) => {
        const p = this.programsById.get(id);
        if (p === undefined) return 'no program with that id is loaded in this runtime';
        return p.jit ?? `program '${p.name}' was loaded in ${p.mode} mode, and a jit program may tail-call only programs loaded in jit mode (verified)`;
      },
    };
    core.onTrace((m) => this.deliverTrace(m));
  }

  /** Instantiates the core and a runtime over it. */
  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    const start = process.hrtime.bigint();
    const core = await CoreWasm.load({ ...coreOptions(options, start) });
    return new Runtime(core, start, { pid: options.task?.pid ?? process.pid, comm: options.task?.comm ?? 'node' });
  }

  /** {@link create}, synchronously (compiles the core on this thread). */
  static createSync(options: RuntimeOptions = {}): Runtime {
    const start = process.hrtime.bigint();
    const core = CoreWasm.loadSync({ ...coreOptions(options, start) });
    return new Runtime(core, start, { pid: options.task?.pid ?? process.pid, comm: options.task?.comm ?? 'node' });
  }

  /** Nanoseconds on the runtime's monotonic clock (what bpf_ktime_get_ns returns). */
  now(): bigint {
    return process.hrtime.bigint() - this.clockStart + 1n;
  }

  /**
   * Loads an object (ELF bytes or a spec read before): maps, global data, programs.
   *
   * @throws {LoadError} for a program the runtime refuses (a helper it lacks, a malformed instruction);
   *   {@link RuntimeLoadError} for maps the core refuses or program types that do not run here;
   *   {@link PolicyRefusedError} when `options.policy` refuses the load.
   */
  load(object: Uint8Array | ObjectSpec, options: LoadOptions & { readonly name?: string } = {}): LoadedObject {
    if (options.policy !== undefined) {
      if (!(object instanceof Uint8Array)) throw new TypeError('a load policy decides on the bytes loaded: pass the object as bytes, not as a spec');
      options.policy.admit({ bytes: object, name: options.name ?? 'object', input: 'object', mode: options.mode ?? 'interpret' });
    }
    const spec = object instanceof Uint8Array ? readObject(object, { name: options.name ?? 'object' }) : object;
    return loadObject({
      runtime: this,
      createMap: (m, inner, lock) => this.createMapFromSpec(m, inner, lock),
      createArray: (name, valueSize, readOnly) =>
        this.core.createMap({ type: 2, keySize: 4, valueSize, maxEntries: 1, flags: dataSectionFlags(readOnly), name: name.slice(0, 15) }),
      profileFor: (p, override) => this.profileFor(p, override, spec),
      nextProgramId: () => this.nextId++,
      prepare: (_p, linked, opts, profile) => prepareLinkedProgram(linked, {
        ...opts,
        helpers: this.helperCatalog(),
        ...(profile.allowedHelpers === undefined ? {} : { allowHelpers: profile.allowedHelpers }),
      }),
      register: (prepared) => this.host.register(prepared),
      verify: (p, profile) => this.verifyForJit(spec, p, profile, options.verify),
      compile: (prepared) => new JitProgram(this.jitServices, prepared, options.instructionLimit ?? DEFAULT_INSTRUCTION_LIMIT),
    }, spec, options);
  }


  /**
   * jit mode verifies before it compiles, as Linux does: a program the verifier does not prove safe is refused with
   * its diagnostics. A host-defined type is described to the verifier from its profile (hostPlatform).
   */
  private verifyForJit(spec: ObjectSpec, p: ProgramSpec, profile: ProgramTypeProfile, settings: LoadOptions['verify'] = {}): void {
    const host = profile.hostDefined === true ? { platform: hostPlatform(profile) } : {};
    // The object's own license wins, as in libbpf: the one given stands in only when it has none.
    const license = spec.license === undefined && settings.license !== undefined ? { license: settings.license } : {};
    const report = verifyProgram(spec, p, { programType: profile.name, ...host, ...(settings.rules !== undefined ? { rules: settings.rules } : {}), ...license });
    if (report.verdict !== 'pass') throw new VerificationRefusedError(p.name, renderText({ file: spec.file, programs: [report] }), { file: spec.file, section: p.sectionName });
  }

  /**
   * Loads one program from bare instructions (no maps, no global data): for tests, and for hosts that generate
   * programs. `programType` is a Linux type name (`xdp`) or a host-defined one.
   *
   * @throws {LoadError} as {@link load} does.
   */
  loadInstructions(instructions: readonly Instruction[], options: { readonly name?: string; readonly programType: string; readonly attachType?: string; readonly mode?: LoadOptions['mode'] }): LoadedProgram {
    const mode = options.mode ?? 'interpret';
    if (mode !== 'interpret') throw new RuntimeLoadError(`loadInstructions runs bare instructions in interpret mode only (jit mode verifies programs, which needs an object: use load)`);
    const name = options.name ?? 'program';
    const profile = this.hostTypes.get(options.programType) ?? linuxProgramType(options.programType, options.attachType);
    if (profile === undefined) throw new RuntimeLoadError(`program type '${options.programType}' does not run here (runnable: ${[...RUNNABLE_LINUX_TYPES, ...this.hostTypes.keys()].join(', ')})`);
    const prepared = prepareProgram(instructions, {
      id: this.nextId++,
      name,
      helpers: this.helperCatalog(),
      ...(profile.allowedHelpers === undefined ? {} : { allowHelpers: profile.allowedHelpers }),
    });
    this.host.register(prepared);
    const loaded = new LoadedProgram(this, undefined, profile, prepared, [], mode);
    this.registerLoaded(loaded);
    return loaded;
  }

  /**
   * Declares a host-defined program type (see defineProgramType). Programs in sections named after it, or loaded
   * with `programType: name`, run with its context and may call only its helpers.
   */
  defineProgramType(profile: ProgramTypeProfile): void {
    if (RUNNABLE_LINUX_TYPES.includes(profile.name)) throw new RuntimeLoadError(`'${profile.name}' is a Linux program type; choose another name`);
    this.hostTypes.set(profile.name, profile);
  }

  /**
   * The cookies bpf_get_socket_cookie and bpf_get_netns_cookie return (the runtime has no sockets or network
   * namespaces; default 1 and 1).
   */
  setCookies(socketCookie: bigint, netnsCookie: bigint): void {
    this.core.exports.bpfship_core_set_cookies(BigInt.asUintN(64, socketCookie), BigInt.asUintN(64, netnsCookie));
  }

  /** Calls `listener` with every message any program prints; returns a function that removes it. */
  onTrace(listener: (e: TraceEvent) => void): () => void {
    this.traceListeners.add(listener);
    return () => this.traceListeners.delete(listener);
  }

  /** The helpers of the core, for preparing programs. */
  helperCatalog(): HelperCatalog {
    return { has: (id) => this.core.helperImplemented(id), name: (id) => this.core.helperName(id) };
  }

  /** @internal LoadedProgram.run. */
  run(program: LoadedProgram, input: RunInput): RunResult {
    const arena = this.takeArena();
    const traces: TraceEvent[] = [];
    // The run's trace lines are found through its arena (a field, not a Map keyed by run context: deleting the
    // same key from a Map after every run cost a third of a short run's time).
    arena.traces = traces;
    arena.busy = true;
    try {
      return runProgram(this.core, this.host, arena, program, input, traces);
    } finally {
      arena.busy = false;
      arena.traces = undefined;
    }
  }

  /**
   * A batch of `capacity` XDP frames of up to `maxFrame` bytes in the core's memory, for
   * {@link LoadedProgram.runXdpBatch}: fill it once, run programs over it with one call per batch.
   *
   * @example
   * ```ts
   * const batch = rt.frameBatch(frames.length);
   * frames.forEach((f, i) => batch.set(i, f));
   * obj.program('xdp_firewall').runXdpBatch(batch); // r0 per frame
   * ```
   */
  frameBatch(capacity: number, maxFrame = 1536): FrameBatch {
    return new FrameBatch(this.core, capacity, maxFrame);
  }

  /** @internal LoadedProgram.runXdpBatch. */
  runXdpBatch(program: LoadedProgram, batch: FrameBatch): BigUint64Array {
    const arena = this.takeArena();
    const traces: TraceEvent[] = [];
    arena.traces = traces;
    arena.busy = true;
    try {
      return runXdpBatch(this.core, arena, program, batch, BigInt(Math.floor(Math.random() * 2 ** 52)));
    } finally {
      arena.busy = false;
      arena.traces = undefined;
    }
  }

  /** @internal */
  registerLoaded(p: LoadedProgram): void {
    this.programsById.set(p.id, p);
    if (p.jit !== undefined) {
      const table = this.jitServices.programTable;
      if (p.id >= table.length) table.grow(Math.max(p.id + 1 - table.length, table.length));
      table.set(p.id, p.jit.run);
      this.markJitProgram(p.id, 1);
    }
  }

  /** @internal LoadedObject.close. */
  unregisterProgram(id: number): void {
    this.host.unregister(id);
    const p = this.programsById.get(id);
    if (p?.jit !== undefined) {
      this.markJitProgram(id, 0);
      this.jitServices.programTable.set(id, null);
    }
    this.programsById.delete(id);
  }

  /** Sets the byte that tells JIT'd tail calls whether program `id` is in the program table. */
  private markJitProgram(id: number, value: 0 | 1): void {
    const marks = this.jitServices.jitPrograms;
    if (marks !== undefined && id < marks.limit) this.core.bytes()[marks.address + id] = value;
  }

  /** The loaded program with runtime id `id` (what program arrays hold). */
  programById(id: number): LoadedProgram | undefined {
    return this.programsById.get(id);
  }

  private takeArena(): RunArena {
    for (const a of this.arenas) if (!a.busy) return a;
    const a = new RunArena(this.core, this.host);
    this.arenas.push(a);
    return a;
  }

  private createMapFromSpec(m: MapSpec, inner: CoreMap | undefined, spinLock: number): CoreMap {
    // libbpf rounds a ring buffer's size up to a power-of-two number of pages.
    let maxEntries = libbpfMaxEntries(m.type, m.maxEntries);
    // libbpf sizes a perf event array with max_entries 0 to the number of CPUs.
    if (m.type === 4 && maxEntries === 0) maxEntries = this.core.ncpus;
    return this.core.createMap({
      type: m.type as Parameters<CoreWasm['createMap']>[0]['type'],
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries,
      flags: m.flags,
      ...(m.mapExtra !== 0n ? { mapExtra: m.mapExtra } : {}),
      ...(inner === undefined ? {} : { innerMap: inner }),
      ...(spinLock >= 0 ? { spinLockOffset: spinLock } : {}),
      name: m.name.slice(0, 15),
    });
  }

  private profileFor(p: ProgramSpec, override: string | undefined, spec: ObjectSpec): ProgramTypeProfile {
    const typeName = override ?? p.kind.programType;
    const host = this.hostTypes.get(typeName) ?? (override === undefined ? this.hostTypeBySection(p.sectionName) : undefined);
    if (host !== undefined) return host;
    const linux = linuxProgramType(typeName, p.kind.attachType);
    if (linux !== undefined) return linux;
    const hostNames = [...this.hostTypes.keys()];
    throw new RuntimeLoadError(
      `${spec.file}: program '${p.name}' (section '${p.sectionName}') is of type ${typeName}, which does not run here (runnable: ${[...RUNNABLE_LINUX_TYPES, ...hostNames].join(', ')})`,
      { file: spec.file, section: p.sectionName },
    );
  }

  private hostTypeBySection(section: string): ProgramTypeProfile | undefined {
    for (const [name, profile] of this.hostTypes) if (section === name || section.startsWith(`${name}/`)) return profile;
    return undefined;
  }

  private deliverTrace(m: TraceMessage): void {
    const prog = this.host.program(m.progId);
    const event: TraceEvent = {
      program: prog?.name ?? `#${m.progId}`,
      programId: m.progId,
      timeNs: this.now(),
      cpu: m.cpu,
      pid: this.task.pid,
      comm: this.task.comm,
      message: stripTraceNewline(m.text),
    };
    for (const a of this.arenas) if (a.runCtx === m.runCtx) a.traces?.push(event);
    for (const l of this.traceListeners) l(event);
  }
}

function coreOptions(options: RuntimeOptions, start: bigint): Parameters<typeof CoreWasm.loadSync>[0] {
  const TAI_OFFSET_NS = 37n * 1_000_000_000n;
  return {
    ncpus: options.ncpus ?? 1,
    ...(options.wasmPath === undefined ? {} : { wasmPath: options.wasmPath }),
    ...(options.task === undefined ? {} : { task: options.task }),
    ktimeNs: (clock: number): bigint => {
      const now = process.hrtime.bigint();
      if (clock === 2) return now - start - ((now - start) % 4_000_000n) + 1n; // coarse: jiffies at HZ=250
      if (clock === 3) return BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS;
      return now - start + 1n;
    },
  };
}


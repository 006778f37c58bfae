/**
 * Loading an eBPF object into the runtime, as libbpf's bpf_object__load does: maps created in the core (BTF and
 * legacy definitions, map-in-map templates), global data sections made single-element array maps holding the
 * section bytes (`.rodata` read-only to programs and frozen), programs linked (subprograms appended, map and
 * global-data loads resolved to the core's addresses) and prepared for their execution mode, program arrays and
 * map-in-map slots filled from their initial values.
 *
 * Author: Claude.
 *
 * @module
 */

import type { BtfType } from '../btf/index.ts';
import { LoadError, type MemoryRegion, prepareLinkedProgram, type PreparedProgram } from '../interp/index.ts';
import { linkProgram, type MapSpec, type ObjectSpec, type ProgramSpec } from '../spec/index.ts';
import { type CoreMap, MapOperationError, u32 } from '../core/index.ts';
import { RuntimeLoadError } from './errors.ts';
import type { RunInput, RunResult } from './program-run.ts';
import type { ExecutionMode, LoadPolicy } from '../policy/index.ts';
import type { JitProgram } from './jit-program.ts';
import type { ProgramTypeProfile } from './program-type-profiles.ts';
import type { FrameBatch } from './frame-batch.ts';
import type { Runtime } from './runtime.ts';
import type { RuleSet } from '../verifier/index.ts';

/**
 * Execution modes. `interpret` and `jit` load ELF objects here; `native` images load through openNativeImage (see
 * ./native), which shares this runtime's maps and helpers in its own core build.
 */

/** Options for {@link Runtime.load}. */
export interface LoadOptions {
  /**
   * The execution mode (default `interpret`). `jit` verifies every program first (a program the verifier rejects
   * is not loaded: VerificationRefusedError, with the verifier's diagnostics) and compiles it to WebAssembly.
   */
  readonly mode?: ExecutionMode;
  /** Load only these programs (by name) and the programs their program arrays name; default all. */
  readonly programs?: readonly string[];
  /** Run every loaded program as this program type (a Linux type name or a host-defined one). */
  readonly programType?: string;
  /** Instruction budget of one run (see DEFAULT_INSTRUCTION_LIMIT). */
  readonly instructionLimit?: number;
  /**
   * What jit mode verifies with: the rule set (default `linux`) and the license for an object without a `license`
   * section (an object's own wins, as in libbpf).
   */
  readonly verify?: { readonly rules?: RuleSet; readonly license?: string };
  /**
   * The load policy to decide (and audit) the load under; the object must then be given as bytes. Production
   * refuses every ELF object (PolicyRefusedError); see src/policy.
   */
  readonly policy?: LoadPolicy;
}

/** A global variable's place: its data section's map and the byte range. */
interface GlobalPlace {
  readonly map: CoreMap;
  readonly offset: number;
  readonly size: number;
  readonly readOnly: boolean;
}

/** A program ready to run. */
export class LoadedProgram {
  readonly name: string;
  /** The runtime's id of the program (what program arrays hold). */
  readonly id: number;
  /** The program's spec; undefined for programs loaded from bare instructions. */
  readonly spec: ProgramSpec | undefined;
  readonly profile: ProgramTypeProfile;
  readonly prepared: PreparedProgram;
  readonly mode: ExecutionMode;
  /** The object's global data regions, for the executor's bounds checks. */
  readonly regions: readonly MemoryRegion[];
  /** The compiled program, in jit mode. */
  readonly jit: JitProgram | undefined;
  private readonly runtime: Runtime;

  /** @internal Made by {@link loadObject}. */
  constructor(runtime: Runtime, spec: ProgramSpec | undefined, profile: ProgramTypeProfile, prepared: PreparedProgram, regions: readonly MemoryRegion[], mode: ExecutionMode, jit?: JitProgram) {
    this.runtime = runtime;
    this.jit = jit;
    this.name = prepared.name;
    this.id = prepared.id;
    this.spec = spec;
    this.profile = profile;
    this.prepared = prepared;
    this.regions = regions;
    this.mode = mode;
  }

  /**
   * Runs the program once (or `repeat` times) like BPF_PROG_TEST_RUN.
   *
   * @example
   * ```ts
   * const r = obj.program('xdp_firewall').run({ data: frame });
   * r.retval; // 1 (XDP_DROP)
   * ```
   * @throws {RunInputError} for input the program type refuses; {@link ExecutionError} when the program faults.
   */
  run(input: RunInput = {}): RunResult {
    return this.runtime.run(this, input);
  }

  /**
   * Runs this XDP program once on every frame of `batch` (made by {@link Runtime.frameBatch}), in one call into
   * the generated code (jit mode); returns r0 per frame, a view valid until the next run or allocation. The
   * frames are changed in place as the program writes them; trace lines go to the runtime's trace listeners.
   *
   * @throws {RunInputError} unless the program is XDP and loaded in jit mode; {@link ExecutionError} when a run faults.
   */
  runXdpBatch(batch: FrameBatch): BigUint64Array {
    return this.runtime.runXdpBatch(this, batch);
  }
}

/** A loaded object: its maps (by name, global data sections under their section names) and programs. */
export class LoadedObject {
  readonly spec: ObjectSpec;
  readonly maps: ReadonlyMap<string, CoreMap>;
  readonly programs: ReadonlyMap<string, LoadedProgram>;
  private readonly globals: ReadonlyMap<string, GlobalPlace>;
  private readonly runtime: Runtime;
  private closed = false;

  /** @internal Made by {@link loadObject}. */
  constructor(runtime: Runtime, spec: ObjectSpec, maps: ReadonlyMap<string, CoreMap>, programs: ReadonlyMap<string, LoadedProgram>, globals: ReadonlyMap<string, GlobalPlace>) {
    this.runtime = runtime;
    this.spec = spec;
    this.maps = maps;
    this.programs = programs;
    this.globals = globals;
  }

  /** The map `name` (or a data section: `.bss`, `.rodata`); throws naming the maps when absent. */
  map(name: string): CoreMap {
    const m = this.maps.get(name);
    if (m === undefined) throw new RuntimeLoadError(`${this.spec.file}: no map named '${name}' (maps: ${[...this.maps.keys()].join(', ') || 'none'})`);
    return m;
  }

  /** The program `name`; throws naming the programs when absent. */
  program(name: string): LoadedProgram {
    const p = this.programs.get(name);
    if (p === undefined) throw new RuntimeLoadError(`${this.spec.file}: no program named '${name}' (programs: ${[...this.programs.keys()].join(', ') || 'none'})`);
    return p;
  }

  /** The bytes of global variable `name` (in `.data`, `.bss`, `.rodata`...), read from the core now. */
  readGlobal(name: string): Uint8Array {
    const g = this.global(name);
    const value = g.map.lookup(u32(0));
    if (value === undefined) throw new RuntimeLoadError(`${this.spec.file}: the data section of '${name}' has no value`);
    return value.slice(g.offset, g.offset + g.size);
  }

  /**
   * Sets global variable `name`. Read-only ones (`const volatile` in `.rodata`) can only be set before programs
   * run... and here not at all: their map is frozen at load, as libbpf does; set them in the object instead.
   */
  writeGlobal(name: string, bytes: Uint8Array): void {
    const g = this.global(name);
    if (g.readOnly) throw new RuntimeLoadError(`${this.spec.file}: '${name}' is read-only (.rodata is frozen at load)`);
    if (bytes.length !== g.size) throw new RuntimeLoadError(`${this.spec.file}: '${name}' is ${g.size} bytes, not ${bytes.length}`);
    const value = g.map.lookup(u32(0));
    if (value === undefined) throw new RuntimeLoadError(`${this.spec.file}: the data section of '${name}' has no value`);
    value.set(bytes, g.offset);
    g.map.update(u32(0), value);
  }

  private global(name: string): GlobalPlace {
    const g = this.globals.get(name);
    if (g === undefined) throw new RuntimeLoadError(`${this.spec.file}: no global variable named '${name}' (globals: ${[...this.globals.keys()].join(', ') || 'none'})`);
    return g;
  }

  /** Releases the maps and unregisters the programs. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.programs.values()) this.runtime.unregisterProgram(p.id);
    for (const m of this.maps.values()) m.release();
  }
}

/** What {@link loadObject} needs from the runtime. */
export interface LoaderServices {
  readonly runtime: Runtime;
  createMap(spec: MapSpec, inner: CoreMap | undefined, spinLockOffset: number): CoreMap;
  createArray(name: string, valueSize: number, readOnly: boolean): CoreMap;
  profileFor(program: ProgramSpec, override: string | undefined): ProgramTypeProfile;
  nextProgramId(): number;
  prepare(program: ProgramSpec, linked: ReturnType<typeof linkProgram>, options: Parameters<typeof prepareLinkedProgram>[1], profile: ProgramTypeProfile): PreparedProgram;
  register(prepared: PreparedProgram): void;
  /** jit mode: throws VerificationRefusedError (or RuntimeLoadError) when `program` may not be compiled. */
  verify(program: ProgramSpec, profile: ProgramTypeProfile): void;
  /** jit mode: compiles a prepared (and verified) program. */
  compile(prepared: PreparedProgram): JitProgram;
}

const BPF_F_RDONLY_PROG = 1 << 7;

/** Loads `spec` (see the module comment). On failure every map created so far is released. */
export function loadObject(services: LoaderServices, spec: ObjectSpec, options: LoadOptions = {}): LoadedObject {
  const mode = options.mode ?? 'interpret';
  if (mode === 'native') throw new RuntimeLoadError(`${spec.file}: an ELF object loads in interpret or jit mode; native mode runs an image built by \`bpfship build\` (openNativeImage)`);
  if (mode !== 'interpret' && mode !== 'jit') throw new RuntimeLoadError(`execution mode '${String(mode)}' does not exist (interpret, jit, native)`);
  const created: CoreMap[] = [];
  const registered: number[] = [];
  try {
    // 1. Maps, in declaration order; map-in-map templates first.
    const maps = new Map<string, CoreMap>();
    const byIndex: CoreMap[] = [];
    for (const m of spec.maps) {
      let inner: CoreMap | undefined;
      if (m.innerMap !== undefined) {
        inner = services.createMap({ ...m.innerMap, name: `${m.name}.inner` }, undefined, spinLockOffset(spec, m.innerMap));
      }
      try {
        const map = withMapContext(spec, m.name, () => services.createMap(m, inner, spinLockOffset(spec, m)));
        created.push(map);
        maps.set(m.name, map);
        byIndex.push(map);
      } finally {
        inner?.release();
      }
    }
    // 2. Global data: one array map per section, value = the section's bytes.
    const globals = new Map<string, GlobalPlace>();
    const dataRegions: MemoryRegion[] = [];
    const dataMaps: (CoreMap | undefined)[] = [];
    for (const d of spec.dataSections) {
      if (d.size === 0) {
        dataMaps.push(undefined);
        continue;
      }
      const readOnly = d.readOnly || d.kind === 'rodata';
      const map = withMapContext(spec, d.name, () => services.createArray(d.name, d.size, readOnly));
      created.push(map);
      map.update(u32(0), padded(d.initialBytes, d.size));
      if (readOnly) map.freeze();
      maps.set(d.name, map);
      dataMaps.push(map);
      const start = map.valueAddress(0);
      dataRegions.push({ start, end: start + d.size, writable: !readOnly, name: d.name });
      for (const v of d.variables) globals.set(v.name, { map, offset: v.offset, size: v.size, readOnly });
    }
    const mapAt = (index: number): CoreMap => {
      const m = index < byIndex.length ? byIndex[index] : dataMaps[index - byIndex.length];
      if (m === undefined) throw new LoadError(`${spec.file}: a load refers to map #${index}, which does not exist (${byIndex.length} maps, ${dataMaps.length} data sections)`);
      return m;
    };

    // 3. Programs: which ones, then link and prepare each.
    let chosen = spec.programs;
    if (options.programs !== undefined) {
      const wanted = new Set(options.programs);
      for (const n of wanted) {
        if (!spec.programs.some((p) => p.name === n)) throw new RuntimeLoadError(`${spec.file}: no program named '${n}' (programs: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
      }
      // Tail-call targets named by program arrays come along.
      for (const m of spec.maps) for (const v of m.initialValues) if (v.kind === 'program') wanted.add(v.name);
      chosen = spec.programs.filter((p) => wanted.has(p.name));
    }
    const programs = new Map<string, LoadedProgram>();
    for (const p of chosen) {
      const profile = services.profileFor(p, options.programType);
      const linked = linkProgram(spec, p);
      const id = services.nextProgramId();
      const prepared = services.prepare(p, linked, {
        id,
        where: { file: spec.file, section: p.sectionName },
        mapAddress: (index) => mapAt(index).ptr,
        mapValueAddress: (index, offset) => {
          const m = mapAt(index);
          if (offset >= m.valueSize) throw new LoadError(`${spec.file}: program '${p.name}' loads offset ${offset} of map '${m.name}', past its ${m.valueSize}-byte value`, { file: spec.file, section: p.sectionName });
          return m.valueAddress(0) + offset;
        },
      }, profile);
      // jit: verified after preparing (which refuses helpers the core lacks, cheaply), then compiled.
      if (mode === 'jit') services.verify(p, profile);
      const jit = mode === 'jit' ? services.compile(prepared) : undefined;
      services.register(prepared);
      registered.push(id);
      const loaded = new LoadedProgram(services.runtime, p, profile, prepared, dataRegions, mode, jit);
      services.runtime.registerLoaded(loaded);
      programs.set(p.name, loaded);
    }

    // 4. Initial values: program arrays and map-in-map slots.
    for (const m of spec.maps) {
      const map = maps.get(m.name) as CoreMap;
      for (const v of m.initialValues) {
        let id: number;
        if (v.kind === 'program') {
          const target = programs.get(v.name);
          if (target === undefined) throw new RuntimeLoadError(`${spec.file}: map '${m.name}' slot ${v.key} names program '${v.name}', which is not loaded`);
          id = target.id;
        } else {
          const inner = maps.get(v.name);
          if (inner === undefined) throw new RuntimeLoadError(`${spec.file}: map '${m.name}' slot ${v.key} names map '${v.name}', which the object does not define`);
          id = inner.id;
        }
        withMapContext(spec, m.name, () => map.update(u32(v.key), u32(id)));
      }
    }
    return new LoadedObject(services.runtime, spec, maps, programs, globals);
  } catch (e) {
    for (const id of registered) services.runtime.unregisterProgram(id);
    for (const m of created) m.release();
    throw e;
  }
}

function padded(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length === size) return bytes;
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, size));
  return out;
}

function withMapContext<T>(spec: ObjectSpec, name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MapOperationError) throw new RuntimeLoadError(`${spec.file}: map '${name}': ${e.detail}`, {}, { cause: e });
    throw e;
  }
}

/** The offset of a `struct bpf_spin_lock` member at the top of the map's value type (from BTF), or -1. */
function spinLockOffset(spec: ObjectSpec, m: MapSpec): number {
  const btf = spec.btf;
  if (btf === undefined || m.valueTypeId === 0) return -1;
  let t: BtfType;
  try {
    t = btf.resolve(m.valueTypeId);
  } catch {
    return -1;
  }
  if (t.kind !== 'STRUCT') return -1;
  for (const member of t.members) {
    let mt: BtfType;
    try {
      mt = btf.resolve(member.type);
    } catch {
      continue;
    }
    if (mt.kind === 'STRUCT' && mt.name === 'bpf_spin_lock') return member.bitOffset / 8;
  }
  return -1;
}

/** Map flags for a data section's array: `.rodata` is read-only to programs. */
export function dataSectionFlags(readOnly: boolean): number {
  return readOnly ? BPF_F_RDONLY_PROG : 0;
}

/**
 * A native image opened for running: its maps and global data created in the runtime core (the same map objects
 * TypeScript reads and writes), its helper table bound to the core's helpers, its programs registered for tail
 * calls, and a run context ready. This is what `bpfship run --mode native` and the benchmarks use.
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError } from '../../internal/errors.ts';
import type { NativeMapMetadata } from '../../bpf2c/index.ts';
import { loadCoreLibrary, RUN_CTX_SIZE, type CoreLibrary } from '../../core/index.ts';
import { koffi } from '../../core/index.ts';
import { loadNativeImage, type LoadNativeImageOptions, type NativeImage } from './native-image.ts';
import { NativeProgramRegistry } from './program-registry.ts';
import { libbpfMaxEntries } from '../map-create-size.ts';

/** The image asks for something the runtime cannot give (an unimplemented helper, an unknown program name). */
export class NativeBindError extends BpfshipError {
  constructor(detail: string) {
    super('NATIVE_BIND', detail);
    this.name = 'NativeBindError';
  }
}

const BPF_F_RDONLY_PROG = 1 << 7;
const MAP_TYPE_ARRAY = 2;
const MAP_TYPE_BLOOM_FILTER = 30;
const ENOENT = 2;

/** Options of {@link openNativeObject}. */
export interface NativeObjectOptions extends LoadNativeImageOptions {
  /** Possible CPUs for the core (per-CPU map shape); default 1. */
  readonly ncpus?: number;
  /** The CPU programs run on (per-CPU slot, bpf_get_smp_processor_id); default 0. */
  readonly cpu?: number;
  /** Seed of bpf_get_prandom_u32; default 0. */
  readonly seed?: bigint;
  /** A registry shared with other objects (tail calls between them); default: one of its own. */
  readonly registry?: NativeProgramRegistry;
  /** Largest frame runXdp accepts (default 9216 bytes) and the headroom before it (default 256, XDP_PACKET_HEADROOM). */
  readonly maxFrame?: number;
  readonly headroom?: number;
}

/** A map of an opened object, backed by the core. Values are the user-space view (per-CPU: all CPUs). */
export interface NativeMapHandle {
  readonly name: string;
  /** The core's bpfship_map, what the image's map binding holds. */
  readonly address: bigint;
  readonly id: number;
  readonly definition: NativeMapMetadata | { readonly name: string; readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number };
  lookup(key: Uint8Array | null): Uint8Array | undefined;
  /** Bloom filters: whether `value` may have been added (BPF_MAP_LOOKUP_ELEM with key NULL). */
  contains(value: Uint8Array): boolean;
  /** @throws {NativeBindError} with the errno when the core refuses. */
  update(key: Uint8Array | null, value: Uint8Array, flags?: bigint): void;
  delete(key: Uint8Array): boolean;
  /** Every key, in the core's iteration order. */
  keys(): Uint8Array[];
  /** Ring buffers: every committed record, consumed. */
  consume(): Uint8Array[];
}

/** One program of an opened object. */
export interface NativeProgramHandle {
  readonly name: string;
  readonly index: number;
  /** Its id in the registry: what a prog array slot holds to tail-call it. */
  readonly id: number;
  readonly function: bigint;
  readonly programTypeId: number;
}

/** The result of one XDP run. */
export interface XdpRunResult {
  readonly r0: bigint;
  /** The packet after the run (the program may have moved its start and end). */
  readonly packet: Uint8Array;
}

/** What {@link NativeObject.testRun} reports, as BPF_PROG_TEST_RUN does. */
export interface NativeTestRunResult {
  /** The full r0. */
  readonly r0: bigint;
  /** Its low 32 bits, the program's return value as Linux reads it. */
  readonly retval: number;
  /** The packet after the last run (XDP), undefined without a packet. */
  readonly data: Uint8Array | undefined;
  /** Mean time per run, nanoseconds (the FFI call included). */
  readonly durationNs: number;
}

/** An opened native object. */
export class NativeObject {
  readonly image: NativeImage;
  readonly core: CoreLibrary;
  readonly registry: NativeProgramRegistry;
  readonly programs: readonly NativeProgramHandle[];
  readonly maps: ReadonlyMap<string, NativeMapHandle>;
  /** The run context programs of this object run with (bpfship_run_ctx, core memory). */
  readonly runCtx: bigint;
  /** The frame buffer of runXdp: headroom, then up to maxFrame bytes. */
  readonly frame: bigint;
  readonly frameSize: number;
  readonly headroom: number;
  private readonly frameView: Uint8Array;
  private readonly frameLow: number;
  private readonly runCtxView: DataView;
  private readonly ownedMaps: bigint[] = [];
  private closed = false;

  private constructor(image: NativeImage, core: CoreLibrary, registry: NativeProgramRegistry, options: NativeObjectOptions) {
    this.image = image;
    this.core = core;
    this.registry = registry;
    const meta = image.metadata;

    // 1. Helpers: every one the image calls must be implemented by the core.
    meta.helperIds.forEach((id, slot) => {
      const address = core.helperAddress(id);
      if (address === 0n) throw new NativeBindError(`${image.name}: helper ${id} (bpf_${core.helperName(id) ?? '?'}) is not implemented by the runtime core`);
      image.bindHelper(slot, address);
    });

    // 2. Programs, registered for tail calls.
    this.programs = meta.programs.map((p, index) => {
      const fn = image.programFunctions[index] as bigint;
      return { name: p.name, index, id: registry.register(fn), function: fn, programTypeId: p.programTypeId };
    });
    image.bindRuntime(registry.address, registry.capacity, core.helperResolverAddress());

    // 3. Maps, then global data sections (map bindings in that order).
    const maps = new Map<string, NativeMapHandle>();
    meta.maps.forEach((m, index) => {
      let innerMapId = 0;
      if (m.innerMap !== undefined) {
        const inner = this.createMap(m.innerMap, `${m.name}.inner`);
        innerMapId = core.mapId(inner);
      }
      const address = this.createMap(m, m.name, innerMapId);
      image.bindMap(index, address, 0n);
      maps.set(m.name, this.handle(m.name, address, m));
    });
    meta.maps.forEach((m) => {
      const map = maps.get(m.name) as NativeMapHandle;
      for (const v of m.initialValues) {
        let value: number;
        if (v.kind === 'program') {
          const p = this.programs.find((q) => q.name === v.name);
          if (p === undefined) throw new NativeBindError(`${image.name}: map '${m.name}' slot ${v.key} names program '${v.name}', which the image does not have`);
          value = p.id;
        } else {
          const target = maps.get(v.name);
          if (target === undefined) throw new NativeBindError(`${image.name}: map '${m.name}' slot ${v.key} names map '${v.name}', which the image does not have`);
          value = target.id;
        }
        map.update(u32(v.key), u32(value));
      }
    });
    meta.dataSections.forEach((d, i) => {
      const def = { name: d.name, type: MAP_TYPE_ARRAY, keySize: 4, valueSize: Math.max(d.size, 1), maxEntries: 1, flags: d.readOnly ? BPF_F_RDONLY_PROG : 0, pinning: 0, mapExtra: 0, innerMap: undefined, initialValues: [] };
      const address = this.createMap(def, d.name);
      const handle = this.handle(d.name, address, def);
      if (d.size > 0) handle.update(u32(0), d.initialBytes);
      if (d.readOnly) core.mapFreeze(address);
      const value = core.mapValueAddress(address, 0, 0);
      image.bindMap(meta.maps.length + i, address, value);
      maps.set(d.name, handle);
    });
    this.maps = maps;

    // 4. A run context and a frame buffer.
    this.runCtx = core.alloc(RUN_CTX_SIZE);
    this.runCtxView = new DataView(koffi.view(this.runCtx, RUN_CTX_SIZE));
    const progType = meta.programs[0]?.programTypeId ?? 0;
    const rc = core.runCtxInit(this.runCtx, progType, options.cpu ?? 0, options.seed ?? 0n);
    if (rc !== 0) throw new NativeBindError(`${image.name}: cannot set up the run context for CPU ${options.cpu ?? 0} (${core.ncpus()} CPUs)`);
    this.headroom = options.headroom ?? 256;
    this.frameSize = this.headroom + (options.maxFrame ?? 9216);
    this.frame = core.alloc(this.frameSize);
    this.frameView = new Uint8Array(koffi.view(this.frame, this.frameSize));
    this.frameLow = Number(this.frame & 0xffffffffn);
  }

  /**
   * Loads the image and binds it to the core.
   *
   * @example
   * ```ts
   * const obj = openNativeObject(readFileSync('xdp_firewall.so'));
   * obj.runXdp('xdp_firewall', frame).r0; // 2n (XDP_PASS)
   * ```
   * @throws {NativeImageError} for a bad image; {@link NativeBindError} when it needs what the core lacks.
   */
  static open(bytes: Uint8Array, options: NativeObjectOptions = {}): NativeObject {
    const core = loadCoreLibrary(options.ncpus ?? 1);
    const image = loadNativeImage(bytes, options);
    try {
      return new NativeObject(image, core, options.registry ?? new NativeProgramRegistry(core), options);
    } catch (e) {
      image.unload();
      throw e;
    }
  }

  /** The program named `name` (or at index `name`). */
  program(name: string | number): NativeProgramHandle {
    const p = typeof name === 'number' ? this.programs[name] : this.programs.find((q) => q.name === name);
    if (p === undefined) throw new NativeBindError(`${this.image.name}: no program ${typeof name === 'number' ? `#${name}` : `'${name}'`} (the image has ${this.programs.map((q) => q.name).join(', ') || 'none'})`);
    return p;
  }

  /** The map (or global data section) named `name`. */
  map(name: string): NativeMapHandle {
    const m = this.maps.get(name);
    if (m === undefined) throw new NativeBindError(`${this.image.name}: no map '${name}' (the image has ${[...this.maps.keys()].join(', ') || 'none'})`);
    return m;
  }

  /** Runs an XDP program on one frame (copied into the object's frame buffer, after the headroom). */
  runXdp(program: string | number, packet: Uint8Array): XdpRunResult {
    this.live();
    const p = this.program(program);
    if (packet.length > this.frameSize - this.headroom) throw new RangeError(`the frame is ${packet.length} bytes, more than the ${this.frameSize - this.headroom} this object was opened for`);
    this.frameView.set(packet, this.headroom);
    const r0 = this.image.runners.runXdp(p.index, this.runCtx, this.frame, this.headroom, packet.length, this.frameSize);
    // data and data_end lie inside the frame buffer (< 4 GiB): their low 32 bits give the offsets, without BigInts.
    const data = (this.runCtxView.getUint32(8, true) - this.frameLow) >>> 0;
    const end = (this.runCtxView.getUint32(16, true) - this.frameLow) >>> 0;
    return { r0, packet: this.frameView.slice(data, end) };
  }

  /**
   * A batch of frames in native memory, laid out every `stride` bytes (headroom first): fill it once, run it many
   * times with one FFI call per batch.
   */
  frameBatch(capacity: number, maxFrame = 1536): NativeFrameBatch {
    this.live();
    return new NativeFrameBatch(this, capacity, maxFrame);
  }

  /** Runs an XDP program on every frame of `batch`; returns r0 per frame (a view valid until the next run). */
  runXdpBatch(program: string | number, batch: NativeFrameBatch): BigUint64Array {
    this.live();
    const p = this.program(program);
    const n = this.image.runners.runXdpBatch(p.index, this.runCtx, batch.frames, batch.stride, batch.headroom, batch.lengthsAddress, batch.count, batch.resultsAddress);
    return batch.results.subarray(0, n);
  }

  /**
   * Runs a program with r1 pointing at a copy of `ctx` (its context struct, as the program type defines it) and
   * no packet: for program types whose context holds no packet pointers (cgroup/bind4's bpf_sock_addr...).
   */
  run(program: string | number, ctx: Uint8Array): bigint {
    this.live();
    const p = this.program(program);
    const mem = this.core.alloc(Math.max(ctx.length, 8));
    try {
      new Uint8Array(koffi.view(mem, ctx.length)).set(ctx);
      this.runCtxView.setBigUint64(0, mem, true);
      return this.image.runners.run(p.index, this.runCtx);
    } finally {
      this.runCtxView.setBigUint64(0, 0n, true);
      this.core.free(mem);
    }
  }

  /**
   * Runs a program `repeat` times like BPF_PROG_TEST_RUN: on `data` as an XDP frame (each run on a fresh copy), or
   * with r1 pointing at a copy of `ctx` for program types without a packet.
   */
  testRun(program: string | number, input: { readonly data?: Uint8Array; readonly ctx?: Uint8Array; readonly repeat?: number }): NativeTestRunResult {
    const repeat = Math.max(1, input.repeat ?? 1);
    let r: XdpRunResult | { r0: bigint; packet: undefined } = { r0: 0n, packet: undefined };
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) r = input.data !== undefined ? this.runXdp(program, input.data) : { r0: this.run(program, input.ctx ?? new Uint8Array(0)), packet: undefined };
    const durationNs = Number(process.hrtime.bigint() - t0) / repeat;
    return { r0: r.r0, retval: Number(r.r0 & 0xffffffffn), data: r.packet, durationNs };
  }

  /** Unloads the image, unregisters its programs and releases its maps. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.programs) this.registry.unregister(p.id);
    this.image.unload();
    for (const m of this.ownedMaps) this.core.releaseMap(m);
    this.core.free(this.frame);
    this.core.free(this.runCtx);
  }

  private live(): void {
    if (this.closed) throw new NativeBindError(`${this.image.name}: the object was closed`);
  }

  private createMap(m: { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; mapExtra: number }, name: string, innerMapId = 0): bigint {
    // libbpf rounds a ring buffer's size up to a power-of-two number of pages.
    const maxEntries = libbpfMaxEntries(m.type, m.maxEntries);
    const address = this.core.createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries, flags: m.flags, mapExtra: BigInt(m.mapExtra), innerMapId, name });
    this.ownedMaps.push(address);
    return address;
  }

  private handle(name: string, address: bigint, definition: NativeMapHandle['definition']): NativeMapHandle {
    const core = this.core;
    const id = core.mapId(address);
    const perCpu = [5, 6, 10].includes(definition.type); // percpu_hash, percpu_array, lru_percpu_hash
    const fdLike = [3, 4, 12, 13, 14].includes(definition.type);
    const valueSize = fdLike ? 4 : perCpu ? core.ncpus() * ((definition.valueSize + 7) & ~7) : definition.valueSize;
    return {
      name,
      address,
      id,
      definition,
      lookup(key) {
        const value = new Uint8Array(valueSize);
        return core.mapLookup(address, key, value) === 0 ? value : undefined;
      },
      update(key, value, flags = 0n) {
        const rc = core.mapUpdate(address, key, value, flags);
        if (rc !== 0) throw new NativeBindError(`updating map '${name}' failed with errno ${-rc}`);
      },
      contains(value) {
        if (definition.type !== MAP_TYPE_BLOOM_FILTER) throw new NativeBindError(`map '${name}' is no bloom filter (type ${definition.type}): contains() tests bloom filters only`);
        if (value.length !== definition.valueSize) throw new NativeBindError(`map '${name}': the value has ${value.length} bytes, expected ${definition.valueSize}`);
        const rc = core.mapLookup(address, null, value.slice());
        if (rc !== 0 && rc !== -ENOENT) throw new NativeBindError(`testing a value of map '${name}' failed with errno ${-rc}`);
        return rc === 0;
      },
      delete: (key) => core.mapDelete(address, key) === 0,
      keys() {
        const out: Uint8Array[] = [];
        let prev: Uint8Array | null = null;
        for (let i = 0; i <= definition.maxEntries; i++) {
          const next = new Uint8Array(definition.keySize);
          if (core.mapNextKey(address, prev, next) !== 0) break;
          out.push(next);
          prev = next;
        }
        return out;
      },
      consume() {
        const out: Uint8Array[] = [];
        for (let r = core.ringbufNext(address); r !== undefined; r = core.ringbufNext(address)) out.push(r);
        return out;
      },
    };
  }
}

/** Frames in native memory for {@link NativeObject.runXdpBatch}. */
export class NativeFrameBatch {
  readonly capacity: number;
  readonly stride: number;
  readonly headroom: number;
  readonly frames: bigint;
  readonly lengthsAddress: bigint;
  readonly resultsAddress: bigint;
  /** r0 of each frame after a run. */
  readonly results: BigUint64Array;
  private readonly bytes: Uint8Array;
  private readonly lengths: Uint32Array;
  private readonly core: CoreLibrary;
  private used = 0;

  constructor(object: NativeObject, capacity: number, maxFrame: number) {
    this.core = object.core;
    this.capacity = capacity;
    this.headroom = object.headroom;
    this.stride = (object.headroom + maxFrame + 63) & ~63;
    this.frames = this.core.alloc(this.stride * capacity);
    this.lengthsAddress = this.core.alloc(4 * capacity);
    this.resultsAddress = this.core.alloc(8 * capacity);
    this.bytes = new Uint8Array(koffi.view(this.frames, this.stride * capacity));
    this.lengths = new Uint32Array(koffi.view(this.lengthsAddress, 4 * capacity));
    this.results = new BigUint64Array(koffi.view(this.resultsAddress, 8 * capacity));
  }

  /** Frames set so far. */
  get count(): number {
    return this.used;
  }

  /** Sets frame `i` (and the count to at least i + 1). A run may change the bytes: set them again to rerun. */
  set(i: number, frame: Uint8Array): void {
    if (i < 0 || i >= this.capacity) throw new RangeError(`frame ${i} is outside the batch's ${this.capacity}`);
    if (frame.length > this.stride - this.headroom) throw new RangeError(`frame ${i} is ${frame.length} bytes, more than the batch's ${this.stride - this.headroom}`);
    this.bytes.set(frame, i * this.stride + this.headroom);
    this.lengths[i] = frame.length;
    if (i >= this.used) this.used = i + 1;
  }

  /** Frees the native memory. */
  free(): void {
    this.core.free(this.frames);
    this.core.free(this.lengthsAddress);
    this.core.free(this.resultsAddress);
  }
}

/** {@link NativeObject.open}. */
export function openNativeObject(bytes: Uint8Array, options: NativeObjectOptions = {}): NativeObject {
  return NativeObject.open(bytes, options);
}

/** Little-endian u32 bytes. */
function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

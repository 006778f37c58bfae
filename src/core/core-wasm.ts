/**
 * The runtime core (src/core/*.c) built as WebAssembly, with typed wrappers: maps readable and writable
 * from TypeScript, the ring buffer consumer, perf and trace output, run contexts, and direct access to the
 * module's memory and helper functions for the interpreter and the JIT.
 *
 * The module exports its linear memory: the eBPF stack, context, packet and every map live in it and eBPF pointers
 * are byte offsets into it. It imports five host hooks (module "bpfship_host": ktime_ns, trace, perf_output,
 * ringbuf_notify, invoke_callback), which this class provides.
 *
 * ```ts
 * const core = await CoreWasm.load({ ncpus: 2 });
 * const counts = core.createMap({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 1024 });
 * counts.update(u32(7), u64(1n));
 * for (const [key, value] of counts.entries()) console.log(key, value);
 * ```
 *
 * Author: Claude.
 *
 * @module
 */
import { getRandomValues } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { BpfshipError } from '../internal/errors.ts';
import { mapCreateNote } from './map-create-note.ts';

/*
 * The project's tsconfig has no WebAssembly typings (lib ES2023 without DOM, and @types/node 20 does not declare
 * the namespace), so the few pieces used here are typed locally and reached through globalThis.
 */

/** A WebAssembly.Memory as used here. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A WebAssembly.Table of functions. */
export interface WasmTable {
  readonly length: number;
  get(index: number): unknown;
}

/** A compiled WebAssembly.Module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Linux map types (enum bpf_map_type) the core implements. */
export const MapType = {
  Hash: 1,
  Array: 2,
  ProgArray: 3,
  PerfEventArray: 4,
  PerCPUHash: 5,
  PerCPUArray: 6,
  LRUHash: 9,
  LRUCPUHash: 10,
  LPMTrie: 11,
  ArrayOfMaps: 12,
  HashOfMaps: 13,
  DevMap: 14,
  CpuMap: 16,
  XskMap: 17,
  /**
   * Cgroup local storage for bpf_get_local_storage: one storage per test run (zeroed before its first run, shared
   * by its repeats), never visible to user space, where the map is empty (no cgroup is attached).
   */
  CgroupStorage: 19,
  /** The same, one copy per CPU. */
  PerCPUCgroupStorage: 21,
  Queue: 22,
  Stack: 23,
  RingBuf: 27,
  /** Keyless: update adds a value, {@link CoreMap.contains} tests one; nothing can be deleted. */
  BloomFilter: 30,
  /** Created as Linux creates it; no user-space producer and no bpf_user_ringbuf_drain yet. */
  UserRingBuf: 31,
} as const;
/** A map type number from {@link MapType}. */
export type MapTypeId = (typeof MapType)[keyof typeof MapType];

/** Flags of map updates (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). */
export const UpdateFlags = { Any: 0, NoExist: 1, Exist: 2, Lock: 4 } as const;

/** Map creation flags (BPF_F_*). */
export const MapFlags = {
  NoPrealloc: 1 << 0,
  NoCommonLRU: 1 << 1,
  NumaNode: 1 << 2,
  ReadOnly: 1 << 3,
  WriteOnly: 1 << 4,
  ZeroSeed: 1 << 6,
  ReadOnlyProg: 1 << 7,
  WriteOnlyProg: 1 << 8,
  Mmapable: 1 << 10,
  PreserveElems: 1 << 11,
  InnerMap: 1 << 12,
} as const;

/** The Linux errno values the core returns (negated). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

const errnoNames = new Map<number, string>(Object.entries(Errno).map(([name, value]) => [value, name]));

/** The name of a (positive or negative) errno: `errnoName(-7)` is "E2BIG". */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** Program types the helpers distinguish (enum bpf_prog_type). */
export const ProgType = {
  SocketFilter: 1,
  Kprobe: 2,
  SchedCLS: 3,
  SchedACT: 4,
  TracePoint: 5,
  XDP: 6,
  CGroupSKB: 8,
} as const;

/**
 * Byte offsets of the fields of `struct bpfship_run_ctx` (bpfship_core.h), the per-run state every helper
 * receives; the interpreter and the JIT read and write it through the module's memory.
 */
export const RunCtxLayout = {
  size: 160,
  ctx: 0,
  data: 8,
  dataEnd: 16,
  dataMeta: 24,
  dataHardStart: 32,
  dataHardEnd: 40,
  progType: 48,
  cpu: 52,
  progId: 56,
  headroomReserve: 60,
  ctxOffData: 64,
  ctxOffDataEnd: 66,
  ctxOffDataMeta: 68,
  ctxPtrSize: 70,
  /** What the context struct is (the core writes packet fields into a __sk_buff only): 0 none. */
  ctxKind: 71,
  tailCallPending: 72,
  tailCallTarget: 76,
  tailCallCount: 80,
  redirectKind: 84,
  redirectIfindex: 88,
  redirectMapId: 92,
  redirectKey: 96,
  traceCount: 100,
  redirectFlags: 104,
  prandomState: 112,
  callbackInvoker: 128,
  executorData: 136,
  /** The skb helpers' state: network and transport header offsets, flags. */
  skbNetworkOff: 144,
  skbTransportOff: 148,
  skbFlags: 152,
  /** The test run number bpfship_run_ctx_init gives (cgroup storage is fresh per test run). */
  testRun: 156,
} as const;

/** Helper flags (BPFSHIP_HELPER_F_*, bpfship_helper_flags): what an executor must do around the call. */
export const HelperFlags = {
  /** Reads or moves the packet: re-read its bounds after the call. */
  Packet: 1 << 0,
  /** Calls a function of the program back while it runs (bpf_loop, for_each_map_elem). */
  Callback: 1 << 1,
  /** Records a tail call the executor must perform. */
  TailCall: 1 << 2,
} as const;

/** What bpf_redirect / bpf_redirect_map recorded (run context field redirect_kind). */
export const RedirectKind = { None: 0, Ifindex: 1, Map: 2 } as const;

/** Ring buffer query selectors (bpf_ringbuf_query flags). */
export const RingbufQuery = { AvailData: 0n, RingSize: 1n, ConsPos: 2n, ProdPos: 3n } as const;

/** The signature of every helper export: five registers and the run context pointer, returning r0 (as a signed
 * i64: take BigInt.asUintN(64, r0) for the register value). Arguments may be signed or unsigned. */
export type HelperFunction = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, runCtx: number) => bigint;

/** The module's exports, typed (pointers are numbers, u64 values bigints). */
export interface CoreExports {
  readonly memory: WasmMemory;
  readonly __indirect_function_table: WasmTable;
  bpfship_core_init(ncpus: number): number;
  bpfship_core_ncpus(): number;
  bpfship_core_abi_version(): number;
  bpfship_core_set_task(pid: number, tgid: number, uid: number, gid: number, comm: number): void;
  bpfship_core_add_entropy(entropy: bigint): void;
  bpfship_alloc(size: number): number;
  bpfship_free(ptr: number): void;
  bpfship_map_create(attr: number, out: number): number;
  bpfship_map_release(map: number): void;
  bpfship_map_id(map: number): number;
  bpfship_map_from_id(id: number): number;
  bpfship_map_get_info(map: number, info: number): number;
  bpfship_map_freeze(map: number): number;
  bpfship_map_lookup(map: number, key: number, value: number, flags: bigint): number;
  bpfship_map_update(map: number, key: number, value: number, flags: bigint): number;
  bpfship_map_delete(map: number, key: number): number;
  bpfship_map_lookup_and_delete(map: number, key: number, value: number, flags: bigint): number;
  bpfship_map_get_next_key(map: number, key: number, nextKey: number): number;
  bpfship_map_lookup_batch(m: number, inB: number, outB: number, k: number, v: number, c: number, f: bigint): number;
  bpfship_map_lookup_and_delete_batch(
    m: number, inB: number, outB: number, k: number, v: number, c: number, f: bigint,
  ): number;
  bpfship_map_update_batch(map: number, keys: number, values: number, count: number, flags: bigint): number;
  bpfship_map_delete_batch(map: number, keys: number, count: number): number;
  bpfship_map_value_addr(map: number, index: number, cpu: number): number;
  bpfship_map_lookup_elem(map: number, key: number, runCtx: number): number;
  bpfship_map_lookup_op(map: number): number;
  bpfship_prog_array_slots(map: number): number;
  bpfship_ringbuf_peek(map: number, sampleOut: number): bigint;
  bpfship_ringbuf_advance(map: number): number;
  bpfship_ringbuf_query(map: number, flags: bigint): bigint;
  bpfship_run_ctx_init(ctx: number, progType: number, cpu: number, seed: bigint): number;
  bpfship_run_ctx_size(): number;
  bpfship_run_ctx_set_packet(ctx: number, hardStart: bigint, data: bigint, dataEnd: bigint, hardEnd: bigint): number;
  bpfship_run_ctx_set_ctx(ctx: number, addr: bigint, offData: number, offEnd: number, offMeta: number, ptr: number): void;
  bpfship_run_ctx_take_tail_call(ctx: number, progIdOut: number): number;
  bpfship_fib_reset(): void;
  bpfship_fib_set_device(dev: number): number;
  bpfship_fib_add_route(route: number): number;
  bpfship_fib_set_neighbour(neighbour: number): number;
  bpfship_core_set_cookies(socketCookie: bigint, netnsCookie: bigint): void;
  bpfship_run_ctx_set_tunnel_info(ctx: number, info: number): number;
  bpfship_run_ctx_get_tunnel_info(ctx: number, info: number): number;
  bpfship_helper_implemented(id: number): number;
  bpfship_helper_name(id: number): number;
  bpfship_helper_fn_of(id: number): number;
  bpfship_helper_flags(id: number): number;
  bpfship_call_helper(id: number, runCtx: number, regs: number): number;
  bpfship_bprintf(out: number, outSize: number, fmt: number, fmtSize: number, args: number, nargs: number): number;
}

/** A failed map operation: `errno` is Linux's (positive), `operation` what was attempted. */
export class MapOperationError extends BpfshipError {
  /** The positive errno, e.g. 7 for E2BIG. */
  readonly errno: number;
  /** The operation that failed: "update", "lookup", "create", ... */
  readonly operation: string;

  constructor(operation: string, errno: number, subject: string, why = '') {
    super('MAP_OPERATION', `${subject}: ${operation} failed with ${errnoName(errno)} (-${Math.abs(errno)})${why ? `: ${why}` : ''}`);
    this.name = 'MapOperationError';
    this.errno = Math.abs(errno);
    this.operation = operation;
  }
}

/** A call that cannot be right whatever the map holds (wrong key length, wrong map type for the operation). */
export class CoreUsageError extends BpfshipError {
  constructor(detail: string) {
    super('CORE_USAGE', detail);
    this.name = 'CoreUsageError';
  }
}

/** One record a program sent with bpf_perf_event_output. */
export interface PerfRecord {
  /** The perf_event_array slot, which is the CPU the program ran on. */
  readonly cpu: number;
  /** The bytes the program passed. */
  readonly data: Uint8Array;
  /** Packet bytes appended through the BPF_F_CTXLEN_MASK bits (empty when none). */
  readonly packet: Uint8Array;
  /** The executor's id of the program (run context prog_id). */
  readonly progId: number;
}

/** One bpf_trace_printk / bpf_printk message. */
export interface TraceMessage {
  readonly text: string;
  readonly progId: number;
  readonly cpu: number;
  /** The run context that produced it. */
  readonly runCtx: number;
}

/** Runs an eBPF callback (bpf_loop, bpf_for_each_map_elem) for the executor that owns `runCtx`. */
export type CallbackInvoker = (runCtx: number, fn: bigint, args: readonly [bigint, bigint, bigint, bigint, bigint]) => bigint;

/** Options of {@link CoreWasm.load}. */
export interface CoreLoadOptions {
  /** Possible CPUs: the number of slots of every per-CPU map (default 1). */
  readonly ncpus?: number;
  /** The .wasm file (default build/core/bpfship_core.wasm of this repository). */
  readonly wasmPath?: string;
  /** The module bytes, instead of reading a file. */
  readonly wasmBytes?: Uint8Array;
  /** Clock source for the ktime helpers (clock: 0 monotonic, 1 boottime, 2 coarse, 3 tai), in nanoseconds. */
  readonly ktimeNs?: (clock: number) => bigint;
  /** The identity bpf_get_current_pid_tgid/uid_gid/comm report (default: this process). */
  readonly task?: { readonly pid: number; readonly tgid: number; readonly uid: number; readonly gid: number; readonly comm: string };
}

/** What {@link CoreWasm.createMap} takes: BPF_MAP_CREATE's attributes. */
export interface MapDefinition {
  readonly type: MapTypeId;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** Map-in-map: the template every inner map must match. */
  readonly innerMap?: CoreMap;
  /** Offset of the struct bpf_spin_lock inside the value (from BTF). */
  readonly spinLockOffset?: number;
  /** BPF_MAP_CREATE's map_extra: a bloom filter's number of hash functions (0..15, 0 means 5); else 0. */
  readonly mapExtra?: bigint;
  readonly name?: string;
}

/** What the core knows about a map (struct bpfship_map_info). */
export interface MapInfo {
  readonly id: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Bytes of one value in the user-space view (per-CPU maps: ncpus * round_up(valueSize, 8)). */
  readonly userValueSize: number;
  readonly spinLockOffset: number;
  readonly innerMapId: number;
  readonly frozen: boolean;
  /** Elements present (hash, LRU, LPM, queue, stack); maxEntries for arrays. */
  readonly entries: number;
}

/** One chunk of a batch lookup. */
export interface BatchResult {
  readonly entries: Array<[Uint8Array, Uint8Array]>;
  /** The token to pass to get the next chunk (undefined when nothing was returned). */
  readonly token: Uint8Array | undefined;
  /** True once the map is exhausted (the kernel's -ENOENT). */
  readonly done: boolean;
}

// Every module of the package runs two directories below its root (src/<layer>/ under tsx, dist/<layer>/ compiled,
// dist/bundle/ for the command line); the package ships the module at build/core/ (package.json "files").
const defaultWasmPath = fileURLToPath(new URL('../../build/core/bpfship_core.wasm', import.meta.url));

/** Where {@link CoreWasm.load} looks for the module by default (built by scripts/build-core.sh, shipped in the package). */
export function coreWasmPath(): string {
  return defaultWasmPath;
}

/** The module's bytes, or a CoreUsageError that says what is missing and what to do. */
function readWasmModule(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const remedy = path === defaultWasmPath
      ? 'the package is incomplete (reinstall bpfship; in a checkout of its sources: npm run build)'
      : 'check the wasmPath given';
    throw new CoreUsageError(`the runtime core's WebAssembly module ${path} cannot be read (${code ?? (e as Error).message}): ${remedy}`);
  }
}

const MAP_ATTR_SIZE = 56;
/** sizeof(struct bpfship_map_info). */
export const MAP_INFO_SIZE = 48;
const TAI_OFFSET_NS = 37n * 1_000_000_000n;
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** The core's WebAssembly instance and its typed API. */
export class CoreWasm {
  /** The raw exports, for executors that call the core directly. */
  readonly exports: CoreExports;
  /** The linear memory: every eBPF address is an offset into it. Views must be re-taken after it grows. */
  readonly memory: WasmMemory;
  /** The number of possible CPUs. */
  readonly ncpus: number;

  private readonly maps = new Map<number, CoreMap>();
  private readonly traceListeners = new Set<(message: TraceMessage) => void>();
  private readonly invokers = new Map<number, CallbackInvoker>();
  private defaultInvoker: CallbackInvoker | undefined;
  private readonly ktime: (clock: number) => bigint;
  private u8cache: Uint8Array;
  private dvcache: DataView;
  /** A scratch region for small transfers (sizes, out-pointers). */
  private readonly scratch: number;

  private constructor(instance: WasmInstance, ncpus: number, ktime: (clock: number) => bigint) {
    this.exports = instance.exports as unknown as CoreExports;
    this.memory = this.exports.memory;
    this.ktime = ktime;
    this.u8cache = new Uint8Array(this.memory.buffer);
    this.dvcache = new DataView(this.memory.buffer);
    const err = this.exports.bpfship_core_init(ncpus);
    if (err !== 0) throw new CoreUsageError(`CPU count ${ncpus} is not accepted (expected 1..1024)`);
    this.ncpus = ncpus;
    this.scratch = this.allocOrThrow(64);
  }

  /** Reads (or takes) the module and instantiates it with this process's host hooks. */
  static async load(options: CoreLoadOptions = {}): Promise<CoreWasm> {
    const bytes = options.wasmBytes ?? readWasmModule(options.wasmPath ?? defaultWasmPath);
    const module = await wasmApi.compile(bytes);
    return CoreWasm.instantiate(module, options);
  }

  /** Synchronous {@link CoreWasm.load} (compiles on this thread). */
  static loadSync(options: CoreLoadOptions = {}): CoreWasm {
    const bytes = options.wasmBytes ?? readWasmModule(options.wasmPath ?? defaultWasmPath);
    return CoreWasm.instantiate(new wasmApi.Module(bytes), options);
  }

  private static instantiate(module: WasmModule, options: CoreLoadOptions): CoreWasm {
    const ncpus = options.ncpus ?? 1;
    const start = process.hrtime.bigint();
    const ktime =
      options.ktimeNs ??
      ((clock: number): bigint => {
        const now = process.hrtime.bigint();
        if (clock === 2) return now - (now % 4_000_000n); /* coarse: jiffy resolution at HZ=250 */
        if (clock === 3) return BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS;
        return now - start + 1n;
      });
    let core: CoreWasm | undefined;
    const hooks = {
      ktime_ns: (clock: number): bigint => ktime(clock),
      trace: (runCtx: number, msg: number, len: number): void => core?.deliverTrace(runCtx, msg, len),
      perf_output: (runCtx: number, mapId: number, cpu: number, data: number, size: number, ctxData: number, ctxSize: number): number =>
        core?.deliverPerf(runCtx, mapId, cpu, data, size, ctxData, ctxSize) ?? 0,
      ringbuf_notify: (mapId: number): void => core?.maps.get(mapId)?.notifyListeners(),
      invoke_callback: (runCtx: number, fn: bigint, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint => {
        if (!core) throw new CoreUsageError('a callback ran before the core was ready');
        return core.invokeCallback(runCtx, fn, [a1, a2, a3, a4, a5]);
      },
    };
    const instance = new wasmApi.Instance(module, { bpfship_host: hooks });
    core = new CoreWasm(instance, ncpus, ktime);
    const task = options.task ?? {
      pid: process.pid,
      tgid: process.pid,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      comm: 'node',
    };
    const comm = core.writeTemp(textEncoder.encode(task.comm.slice(0, 15) + '\0'));
    core.exports.bpfship_core_set_task(task.pid, task.tgid, task.uid, task.gid, comm);
    core.free(comm);
    // The module has no entropy of its own: random per-map hash seeds (bloom filters) start from these bits.
    const entropy = new BigUint64Array(1);
    getRandomValues(entropy);
    core.exports.bpfship_core_add_entropy(entropy[0] as bigint);
    return core;
  }

  // ---- memory ----

  /** The whole memory as bytes (re-taken when the memory has grown). */
  bytes(): Uint8Array {
    // Growing the memory detaches its old buffer, which empties every view of it: a cheaper test than reading
    // memory.buffer (a call into the engine) on every use.
    if (this.u8cache.length === 0) this.refreshViews();
    return this.u8cache;
  }

  /** The whole memory as a little-endian DataView (re-taken when the memory has grown). */
  view(): DataView {
    if (this.u8cache.length === 0) this.refreshViews();
    return this.dvcache;
  }

  private refreshViews(): void {
    this.u8cache = new Uint8Array(this.memory.buffer);
    this.dvcache = new DataView(this.memory.buffer);
  }

  /** Allocates `size` zeroed bytes (16-aligned) in the core's memory; throws when memory is exhausted. */
  alloc(size: number): number {
    return this.allocOrThrow(size);
  }

  /** Frees a region from {@link alloc}. */
  free(ptr: number): void {
    if (ptr !== 0) this.exports.bpfship_free(ptr);
  }

  /** Copies `length` bytes out of memory. */
  read(ptr: number, length: number): Uint8Array {
    return this.bytes().slice(ptr, ptr + length);
  }

  /** Copies `data` into memory at `ptr`. */
  write(ptr: number, data: Uint8Array): void {
    this.bytes().set(data, ptr);
  }

  private allocOrThrow(size: number): number {
    const p = this.exports.bpfship_alloc(size);
    if (p === 0) throw new MapOperationError('alloc', Errno.ENOMEM, `the core's memory (${size} bytes requested)`);
    return p;
  }

  private writeTemp(data: Uint8Array): number {
    const p = this.allocOrThrow(Math.max(data.length, 1));
    this.write(p, data);
    return p;
  }

  // ---- helpers ----

  /** Whether the core implements helper `id` (Linux helper ids). */
  helperImplemented(id: number): boolean {
    return this.exports.bpfship_helper_implemented(id) === 1;
  }

  /** Linux's name of helper `id` ("map_lookup_elem"), or undefined past the table. */
  helperName(id: number): string | undefined {
    const p = this.exports.bpfship_helper_name(id);
    return p === 0 ? undefined : this.readCString(p, 64);
  }

  /** The helper's export, callable from JS and importable by a JIT module; undefined when not implemented. */
  helper(id: number): HelperFunction | undefined {
    const index = this.exports.bpfship_helper_fn_of(id);
    if (index === 0) return undefined;
    return this.exports.__indirect_function_table.get(index) as HelperFunction;
  }

  /** BPFSHIP_HELPER_F_* flags of helper `id` (1 packet, 2 callback, 4 tail call). */
  helperFlags(id: number): number {
    return this.exports.bpfship_helper_flags(id);
  }

  /**
   * Formats like bpf_trace_printk/bpf_snprintf; returns the text or the (negative) errno the helper would.
   * `nargs` is how many arguments the helper allows (3 for trace_printk; args.length otherwise).
   */
  format(fmt: string, args: readonly bigint[] = [], nargs: number = args.length): string | number {
    const fmtBytes = textEncoder.encode(fmt + '\0');
    const f = this.writeTemp(fmtBytes);
    const a = this.allocOrThrow(Math.max(8 * args.length, 8));
    args.forEach((v, i) => this.view().setBigUint64(a + 8 * i, BigInt.asUintN(64, v), true));
    const out = this.allocOrThrow(1024);
    try {
      const n = this.exports.bpfship_bprintf(out, 1024, f, fmtBytes.length, a, nargs);
      return n < 0 ? n : this.readCString(out, 1024);
    } finally {
      this.free(out);
      this.free(a);
      this.free(f);
    }
  }

  /** Reads a NUL-terminated UTF-8 string of at most `max` bytes. */
  readCString(ptr: number, max: number): string {
    const mem = this.bytes();
    let end = ptr;
    while (end < ptr + max && end < mem.length && mem[end] !== 0) end++;
    return textDecoder.decode(mem.subarray(ptr, end));
  }

  // ---- output hooks ----

  /** Calls `listener` for every trace message; returns a function that removes it. */
  onTrace(listener: (message: TraceMessage) => void): () => void {
    this.traceListeners.add(listener);
    return () => this.traceListeners.delete(listener);
  }

  private deliverTrace(runCtx: number, msg: number, len: number): void {
    if (this.traceListeners.size === 0) return;
    const dv = this.view();
    const message: TraceMessage = {
      text: textDecoder.decode(this.bytes().subarray(msg, msg + len)),
      progId: dv.getUint32(runCtx + RunCtxLayout.progId, true),
      cpu: dv.getUint32(runCtx + RunCtxLayout.cpu, true),
      runCtx,
    };
    for (const l of this.traceListeners) l(message);
  }

  private deliverPerf(runCtx: number, mapId: number, cpu: number, data: number, size: number, ctxData: number, ctxSize: number): number {
    const map = this.maps.get(mapId);
    const record: PerfRecord = {
      cpu,
      data: this.read(data, size),
      packet: ctxSize > 0 ? this.read(ctxData, ctxSize) : new Uint8Array(0),
      progId: this.view().getUint32(runCtx + RunCtxLayout.progId, true),
    };
    map?.deliverPerf(record);
    return 0;
  }

  // ---- callbacks into executors ----

  /** The invoker used for run contexts without their own (see {@link bindCallbackInvoker}). */
  setCallbackInvoker(invoker: CallbackInvoker | undefined): void {
    this.defaultInvoker = invoker;
  }

  /** Routes bpf_loop / for_each_map_elem callbacks of run context `runCtx` to `invoker`. */
  bindCallbackInvoker(runCtx: number, invoker: CallbackInvoker): void {
    this.invokers.set(runCtx, invoker);
  }

  /** Forgets the invoker bound to `runCtx`. */
  unbindCallbackInvoker(runCtx: number): void {
    this.invokers.delete(runCtx);
  }

  private invokeCallback(runCtx: number, fn: bigint, args: readonly [bigint, bigint, bigint, bigint, bigint]): bigint {
    const invoker = this.invokers.get(runCtx) ?? this.defaultInvoker;
    if (!invoker) throw new CoreUsageError(`an eBPF callback (${fn}) ran for run context ${runCtx} but no executor is bound to it`);
    return BigInt.asUintN(64, invoker(runCtx, fn, args));
  }

  // ---- run contexts ----

  /** Allocates and initialises a run context; free it with {@link free}. */
  createRunContext(progType: number, cpu = 0, seed = 0n): number {
    const p = this.allocOrThrow(RunCtxLayout.size);
    const err = this.exports.bpfship_run_ctx_init(p, progType, cpu, seed);
    if (err !== 0) {
      this.free(p);
      throw new CoreUsageError(`CPU ${cpu} is out of range (the core has ${this.ncpus})`);
    }
    return p;
  }

  /** Describes the packet of a run: buffer [hardStart, hardEnd), packet [data, dataEnd). */
  setPacket(runCtx: number, hardStart: number, data: number, dataEnd: number, hardEnd: number): void {
    const err = this.exports.bpfship_run_ctx_set_packet(runCtx, BigInt(hardStart), BigInt(data), BigInt(dataEnd), BigInt(hardEnd));
    if (err !== 0) throw new CoreUsageError(`packet bounds ${hardStart} <= ${data} <= ${dataEnd} <= ${hardEnd} do not hold`);
  }

  /** Says where data/data_end/data_meta live in the program's context struct (u32 fields: xdp_md, __sk_buff). */
  setContext(runCtx: number, ctxAddr: number, offData: number, offDataEnd: number, offDataMeta = 0xffff): void {
    this.exports.bpfship_run_ctx_set_ctx(runCtx, BigInt(ctxAddr), offData, offDataEnd, offDataMeta, 4);
  }

  /** Takes a pending tail call: the target program id, or undefined. */
  takeTailCall(runCtx: number): number | undefined {
    if (this.exports.bpfship_run_ctx_take_tail_call(runCtx, this.scratch) === 0) return undefined;
    return this.view().getUint32(this.scratch, true);
  }

  // ---- maps ----

  /** Creates a map; throws MapOperationError with Linux's errno when the attributes are refused. */
  createMap(def: MapDefinition): CoreMap {
    const attr = this.allocOrThrow(MAP_ATTR_SIZE);
    try {
      const dv = this.view();
      dv.setUint32(attr + 0, def.type, true);
      dv.setUint32(attr + 4, def.keySize, true);
      dv.setUint32(attr + 8, def.valueSize, true);
      dv.setUint32(attr + 12, def.maxEntries, true);
      dv.setUint32(attr + 16, def.flags ?? 0, true);
      dv.setUint32(attr + 20, def.innerMap?.id ?? 0, true);
      dv.setInt32(attr + 24, def.spinLockOffset ?? -1, true);
      dv.setBigUint64(attr + 32, BigInt.asUintN(64, def.mapExtra ?? 0n), true);
      const name = textEncoder.encode((def.name ?? '').slice(0, 15));
      this.bytes().set(name.subarray(0, 15), attr + 40);
      const err = this.exports.bpfship_map_create(attr, this.scratch);
      const subject = `map ${def.name ? `'${def.name}' ` : ''}(type ${def.type}, key ${def.keySize}, value ${def.valueSize}, max ${def.maxEntries})`;
      if (err !== 0) throw new MapOperationError('create', err, subject, mapCreateNote(def));
      const ptr = this.view().getUint32(this.scratch, true);
      const map = new CoreMap(this, ptr, def.name ?? '');
      this.maps.set(map.id, map);
      return map;
    } finally {
      this.free(attr);
    }
  }

  /** The live map with id `id` created through this object, or undefined. */
  mapById(id: number): CoreMap | undefined {
    return this.maps.get(id);
  }

  /** @internal Called by CoreMap.release. */
  forgetMap(id: number): void {
    this.maps.delete(id);
  }
}

/**
 * A map living in the core's memory. Keys and values are Uint8Arrays of exactly keySize / userValueSize bytes
 * (per-CPU maps: one round_up(valueSize, 8) slot per CPU; fd-like maps: a u32 id).
 */
export class CoreMap {
  /** The map's address in the core's memory (what `ld_imm64 BPF_PSEUDO_MAP_FD` resolves to). */
  readonly ptr: number;
  readonly id: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly userValueSize: number;
  readonly name: string;

  private readonly core: CoreWasm;
  /** Scratch: key | second key | value, each 16-aligned, reused by every single-element operation. */
  private readonly buf: number;
  private readonly keyA: number;
  private readonly keyB: number;
  private readonly val: number;
  private perfListener: ((record: PerfRecord) => void) | undefined;
  private readonly notifyFns = new Set<() => void>();
  private released = false;

  /** @internal Use CoreWasm.createMap. */
  constructor(core: CoreWasm, ptr: number, name: string) {
    this.core = core;
    this.ptr = ptr;
    this.name = name;
    const info = core.alloc(MAP_INFO_SIZE);
    core.exports.bpfship_map_get_info(ptr, info);
    const dv = core.view();
    this.id = dv.getUint32(info, true);
    this.type = dv.getUint32(info + 4, true);
    this.keySize = dv.getUint32(info + 8, true);
    this.valueSize = dv.getUint32(info + 12, true);
    this.maxEntries = dv.getUint32(info + 16, true);
    this.flags = dv.getUint32(info + 20, true);
    this.userValueSize = dv.getUint32(info + 24, true);
    core.free(info);
    const k = align16(Math.max(this.keySize, 4));
    this.buf = core.alloc(2 * k + align16(Math.max(this.userValueSize, 8)) + 16);
    this.keyA = this.buf;
    this.keyB = this.buf + k;
    this.val = this.buf + 2 * k;
  }

  /** Current facts about the map (entries, frozen, ...). */
  info(): MapInfo {
    const p = this.core.alloc(MAP_INFO_SIZE);
    try {
      this.core.exports.bpfship_map_get_info(this.ptr, p);
      const dv = this.core.view();
      return {
        id: dv.getUint32(p, true),
        type: dv.getUint32(p + 4, true),
        keySize: dv.getUint32(p + 8, true),
        valueSize: dv.getUint32(p + 12, true),
        maxEntries: dv.getUint32(p + 16, true),
        flags: dv.getUint32(p + 20, true),
        userValueSize: dv.getUint32(p + 24, true),
        spinLockOffset: dv.getInt32(p + 28, true),
        innerMapId: dv.getUint32(p + 32, true),
        frozen: dv.getUint32(p + 36, true) !== 0,
        entries: dv.getUint32(p + 40, true),
      };
    } finally {
      this.core.free(p);
    }
  }

  /**
   * The value of `key`, or undefined when absent (-ENOENT). Queue and stack maps: peek (key ignored). A bloom
   * filter has no value to give: test one with {@link CoreMap.contains}.
   */
  lookup(key?: Uint8Array, flags = 0): Uint8Array | undefined {
    if (this.type === MapType.BloomFilter) throw new CoreUsageError(`${this.subject()}: a bloom filter gives no values back; test membership with contains(value)`);
    const kp = this.putKey(key);
    const err = this.core.exports.bpfship_map_lookup(this.ptr, kp, this.val, BigInt(flags));
    if (err === -Errno.ENOENT) return undefined;
    this.check('lookup', err);
    return this.core.read(this.val, this.userValueSize);
  }

  /** Per-CPU maps: the value of `key` as one valueSize-byte array per CPU, or undefined. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    this.requirePerCpu();
    const all = this.lookup(key);
    if (!all) return undefined;
    const slot = align8(this.valueSize);
    return Array.from({ length: this.core.ncpus }, (_, cpu) => all.slice(cpu * slot, cpu * slot + this.valueSize));
  }

  /** Sets `key` to `value` (BPF_ANY unless flags say otherwise); throws MapOperationError (E2BIG, EEXIST, ...). */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = 0): void {
    const kp = this.putKey(key);
    this.putValue(value);
    this.check('update', this.core.exports.bpfship_map_update(this.ptr, kp, this.val, BigInt(flags)));
  }

  /** Per-CPU maps: sets every CPU's value (`values[cpu]`, valueSize bytes each). */
  updatePerCpu(key: Uint8Array, values: readonly Uint8Array[], flags = 0): void {
    this.requirePerCpu();
    if (values.length !== this.core.ncpus) throw new CoreUsageError(`${this.subject()}: expected ${this.core.ncpus} per-CPU values, got ${values.length}`);
    const slot = align8(this.valueSize);
    const all = new Uint8Array(this.userValueSize);
    values.forEach((v, cpu) => {
      if (v.length !== this.valueSize) throw new CoreUsageError(`${this.subject()}: CPU ${cpu}'s value has ${v.length} bytes, expected ${this.valueSize}`);
      all.set(v, cpu * slot);
    });
    this.update(key, all, flags);
  }

  /** Deletes `key`; returns false when it was absent. */
  delete(key: Uint8Array): boolean {
    const err = this.core.exports.bpfship_map_delete(this.ptr, this.putKey(key));
    if (err === -Errno.ENOENT) return false;
    this.check('delete', err);
    return true;
  }

  /** Looks up and deletes (hash maps), or pops (queue, stack); undefined when absent or empty. */
  lookupAndDelete(key?: Uint8Array, flags = 0): Uint8Array | undefined {
    const kp = this.putKey(key);
    const err = this.core.exports.bpfship_map_lookup_and_delete(this.ptr, kp, this.val, BigInt(flags));
    if (err === -Errno.ENOENT) return undefined;
    this.check('lookup_and_delete', err);
    return this.core.read(this.val, this.userValueSize);
  }

  /**
   * Bloom filter: whether `value` may have been added (BPF_MAP_LOOKUP_ELEM with key NULL: 0 or -ENOENT). false
   * means certainly never added; true may be a false positive.
   *
   * @example
   * ```ts
   * const seen = core.createMap({ type: MapType.BloomFilter, keySize: 0, valueSize: 4, maxEntries: 1000, mapExtra: 3n });
   * seen.update(undefined, u32(7)); // add (BPF_ANY only)
   * seen.contains(u32(7)); // true
   * ```
   */
  contains(value: Uint8Array, flags = 0): boolean {
    this.requireType(MapType.BloomFilter, 'contains');
    this.putValue(value);
    const err = this.core.exports.bpfship_map_lookup(this.ptr, 0, this.val, BigInt(flags));
    if (err === -Errno.ENOENT) return false;
    this.check('lookup', err);
    return true;
  }

  /** Queue/stack: push (BPF_EXIST overwrites the oldest element of a full map). Bloom filter: add. */
  push(value: Uint8Array, flags = 0): void {
    this.update(undefined, value, flags);
  }

  /** Queue/stack: remove and return the next element, or undefined when empty. */
  pop(): Uint8Array | undefined {
    return this.lookupAndDelete(undefined);
  }

  /** Queue/stack: the next element without removing it. */
  peek(): Uint8Array | undefined {
    return this.lookup(undefined);
  }

  /** The key after `key` (the first key when undefined or absent), or undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const kp = key === undefined ? 0 : this.putKey(key);
    const err = this.core.exports.bpfship_map_get_next_key(this.ptr, kp, this.keyB);
    if (err === -Errno.ENOENT) return undefined;
    this.check('get_next_key', err);
    return this.core.read(this.keyB, this.keySize);
  }

  /**
   * All keys. The next key is fetched before the current one is yielded, so deleting the yielded key while
   * iterating is safe (deleting others may restart a hash map's walk, as in Linux).
   */
  *keys(): Generator<Uint8Array> {
    let cur = this.nextKey();
    let guard = 0;
    const limit = this.maxEntries * 4 + 16;
    while (cur !== undefined && guard++ < limit) {
      const next = this.nextKey(cur);
      yield cur;
      cur = next;
    }
  }

  /** All [key, value] pairs (keys removed meanwhile are skipped). */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /**
   * One chunk of BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH): up to `count` entries after `token`.
   */
  lookupBatch(count: number, token?: Uint8Array, options: { readonly delete?: boolean; readonly flags?: number } = {}): BatchResult {
    const ks = this.keySize;
    const vs = this.userValueSize;
    const region = this.core.alloc(align16(ks) * 2 + align16(ks * count) + vs * count + 16);
    const inTok = region;
    const outTok = region + align16(ks);
    const keys = region + 2 * align16(ks);
    const values = keys + align16(ks * count);
    const countPtr = values + vs * count;
    try {
      if (token) this.core.write(inTok, this.fit(token, ks, 'token'));
      this.core.view().setUint32(countPtr, count, true);
      const fn = options.delete ? this.core.exports.bpfship_map_lookup_and_delete_batch : this.core.exports.bpfship_map_lookup_batch;
      const err = fn(this.ptr, token ? inTok : 0, outTok, keys, values, countPtr, BigInt(options.flags ?? 0));
      const n = this.core.view().getUint32(countPtr, true);
      if (err !== 0 && err !== -Errno.ENOENT) this.check(options.delete ? 'lookup_and_delete_batch' : 'lookup_batch', err);
      const entries: Array<[Uint8Array, Uint8Array]> = [];
      for (let i = 0; i < n; i++) entries.push([this.core.read(keys + i * ks, ks), this.core.read(values + i * vs, vs)]);
      return { entries, token: n > 0 ? this.core.read(outTok, ks) : token, done: err === -Errno.ENOENT };
    } finally {
      this.core.free(region);
    }
  }

  /** BPF_MAP_UPDATE_BATCH: returns how many were written; throws (with that count lost) on the first error. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    if (keys.length !== values.length) throw new CoreUsageError(`${this.subject()}: ${keys.length} keys but ${values.length} values`);
    const n = keys.length;
    const ks = this.keySize;
    const vs = this.userValueSize;
    const region = this.core.alloc(align16(ks * n) + vs * n + 16);
    const vp = region + align16(ks * n);
    const countPtr = vp + vs * n;
    try {
      keys.forEach((k, i) => this.core.write(region + i * ks, this.fit(k, ks, 'key')));
      values.forEach((v, i) => this.core.write(vp + i * vs, this.fit(v, vs, 'value')));
      this.core.view().setUint32(countPtr, n, true);
      const err = this.core.exports.bpfship_map_update_batch(this.ptr, region, vp, countPtr, BigInt(flags));
      this.check('update_batch', err);
      return this.core.view().getUint32(countPtr, true);
    } finally {
      this.core.free(region);
    }
  }

  /** BPF_MAP_DELETE_BATCH: returns how many were deleted before the first missing key (which is not an error). */
  deleteBatch(keys: readonly Uint8Array[]): number {
    const n = keys.length;
    const ks = this.keySize;
    const region = this.core.alloc(align16(ks * n) + 16);
    const countPtr = region + align16(ks * n);
    try {
      keys.forEach((k, i) => this.core.write(region + i * ks, this.fit(k, ks, 'key')));
      this.core.view().setUint32(countPtr, n, true);
      const err = this.core.exports.bpfship_map_delete_batch(this.ptr, region, countPtr);
      if (err !== -Errno.ENOENT) this.check('delete_batch', err);
      return this.core.view().getUint32(countPtr, true);
    } finally {
      this.core.free(region);
    }
  }

  /** BPF_MAP_FREEZE: user-space writes fail with EPERM from now on. */
  freeze(): void {
    this.check('freeze', this.core.exports.bpfship_map_freeze(this.ptr));
  }

  /** Array maps: the address of value `index` (for CPU `cpu`), as `ld_imm64 BPF_PSEUDO_MAP_VALUE` needs. */
  valueAddress(index: number, cpu = 0): number {
    const p = this.core.exports.bpfship_map_value_addr(this.ptr, index, cpu);
    if (p === 0) throw new CoreUsageError(`${this.subject()}: no value ${index} for CPU ${cpu}`);
    return p;
  }

  // ---- ring buffer consumer ----

  /**
   * Ring buffers: takes up to `max` committed records (0 = all available) in order, skipping discarded ones and
   * stopping at a record still reserved.
   */
  consume(max = 0): Uint8Array[] {
    this.requireType(MapType.RingBuf, 'consume');
    const out: Uint8Array[] = [];
    const samplePtr = this.val;
    while (max === 0 || out.length < max) {
      const len = this.core.exports.bpfship_ringbuf_peek(this.ptr, samplePtr);
      if (len < 0n) break;
      const sample = this.core.view().getUint32(samplePtr, true);
      out.push(this.core.read(sample, Number(len)));
      this.core.exports.bpfship_ringbuf_advance(this.ptr);
    }
    return out;
  }

  /** Ring buffers: bpf_ringbuf_query (available bytes, size, consumer/producer positions). */
  ringbufQuery(which: bigint): bigint {
    this.requireType(MapType.RingBuf, 'query');
    return this.core.exports.bpfship_ringbuf_query(this.ptr, which);
  }

  /** Ring buffers: called when a committed record may wake a consumer; returns a function that removes it. */
  onNotify(listener: () => void): () => void {
    this.notifyFns.add(listener);
    return () => this.notifyFns.delete(listener);
  }

  /** @internal */
  notifyListeners(): void {
    for (const f of this.notifyFns) f();
  }

  // ---- perf output ----

  /**
   * Perf event arrays: opens every slot (like libbpf's perf_buffer__new) and delivers each record the programs
   * output to `listener`. Passing undefined closes the slots.
   */
  openPerfOutput(listener: ((record: PerfRecord) => void) | undefined): void {
    this.requireType(MapType.PerfEventArray, 'openPerfOutput');
    this.perfListener = listener;
    for (let i = 0; i < this.maxEntries; i++) {
      const key = u32(i);
      if (listener) this.update(key, u32(i));
      else this.delete(key);
    }
  }

  /** @internal */
  deliverPerf(record: PerfRecord): void {
    this.perfListener?.(record);
  }

  /** Drops the user reference (the core frees the map once no outer map holds it). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.core.free(this.buf);
    this.core.exports.bpfship_map_release(this.ptr);
    this.core.forgetMap(this.id);
  }

  // ---- plumbing ----

  private subject(): string {
    return `map ${this.id}${this.name ? ` '${this.name}'` : ''}`;
  }

  private check(operation: string, err: number): void {
    if (err < 0) throw new MapOperationError(operation, err, this.subject());
  }

  private fit(data: Uint8Array, size: number, what: string): Uint8Array {
    if (data.length !== size) throw new CoreUsageError(`${this.subject()}: the ${what} has ${data.length} bytes, expected ${size}`);
    return data;
  }

  private putKey(key: Uint8Array | undefined): number {
    if (key === undefined) {
      if (this.keySize !== 0) throw new CoreUsageError(`${this.subject()}: a ${this.keySize}-byte key is required`);
      return 0;
    }
    this.core.write(this.keyA, this.fit(key, this.keySize, 'key'));
    return this.keyA;
  }

  private putValue(value: Uint8Array): void {
    this.core.write(this.val, this.fit(value, this.userValueSize, 'value'));
  }

  private requirePerCpu(): void {
    if (this.type !== MapType.PerCPUArray && this.type !== MapType.PerCPUHash && this.type !== MapType.LRUCPUHash)
      throw new CoreUsageError(`${this.subject()}: not a per-CPU map (type ${this.type})`);
  }

  private requireType(type: number, operation: string): void {
    if (this.type !== type) throw new CoreUsageError(`${this.subject()}: ${operation} needs a map of type ${type}, not ${this.type}`);
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** A little-endian u32 as 4 bytes (keys of arrays, ids of fd maps). */
export function u32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return b;
}

/** A little-endian u64 as 8 bytes. */
export function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return b;
}

/** Reads a little-endian u32 from the start of `bytes`. */
export function readU32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

/** Reads a little-endian u64 from the start of `bytes`. */
export function readU64(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true);
}

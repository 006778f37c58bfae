/**
 * The runtime core's native library (libbpfship_core.so, compiled from the package's C sources on first use, see
 * core-build.ts) as seen from Node through koffi: the functions native mode needs to create maps, fill an image's helper table and set up run
 * contexts. Native images never link against the core; the loader hands them the core's function and map
 * addresses, so the maps a program uses are the same objects TypeScript reads through this binding.
 *
 * Pointers are BigInt addresses (koffi 3's convention).
 *
 * Author: Claude.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { ensureCoreLibrary } from './core-build.ts';
import { CoreError } from './core-error.ts';
import { koffi } from './ffi.ts';
import { Fib } from './fib.ts';
import { mapCreateNote } from './map-create-note.ts';

export { CoreError } from './core-error.ts';

/** The ABI version this binding was written for (bpfship_core.h BPFSHIP_CORE_ABI_VERSION). */
export const CORE_ABI_VERSION = 1;
/** sizeof(bpfship_run_ctx). */
export const RUN_CTX_SIZE = 160;

/** The attributes of a new map (bpfship_map_attr). */
export interface CoreMapAttributes {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly innerMapId?: number;
  readonly spinLockOffset?: number;
  /** map_extra: a bloom filter's number of hash functions (0..15, 0 means 5); else 0. */
  readonly mapExtra?: bigint;
  readonly name?: string;
}

/** The functions of libbpfship_core.so native mode uses. */
export interface CoreLibrary {
  readonly path: string;
  abiVersion(): number;
  /** bpfship_core_init(ncpus): idempotent for the same count. */
  init(ncpus: number): void;
  ncpus(): number;
  alloc(size: number): bigint;
  free(ptr: bigint): void;
  /** The helper's function address, or 0n when the core does not implement it. */
  helperAddress(id: number): bigint;
  helperImplemented(id: number): boolean;
  helperName(id: number): string | undefined;
  createMap(attr: CoreMapAttributes): bigint;
  releaseMap(map: bigint): void;
  mapId(map: bigint): number;
  mapFromId(id: number): bigint;
  /** Returns 0 or a negative errno, as the core does. A bloom filter reads `value` (the value to test). */
  mapLookup(map: bigint, key: Uint8Array | null, value: Uint8Array, flags?: bigint): number;
  mapUpdate(map: bigint, key: Uint8Array | null, value: Uint8Array, flags?: bigint): number;
  mapDelete(map: bigint, key: Uint8Array): number;
  mapNextKey(map: bigint, key: Uint8Array | null, next: Uint8Array): number;
  mapFreeze(map: bigint): number;
  /** bpfship_map_value_addr(map, index, cpu): the address of an array value, or 0n. */
  mapValueAddress(map: bigint, index: number, cpu: number): bigint;
  /** bpfship_run_ctx_init: returns 0 or -EINVAL. */
  runCtxInit(ctx: bigint, progType: number, cpu: number, seed: bigint): number;
  /**
   * bpfship_test_run_repeat: calls the image runner at `runner` (bpfship_native_run) `repeat` times on the run
   * context as set up, in one FFI call; the last r0 and the nanoseconds the loop took.
   */
  testRunRepeat(runner: bigint, program: number, ctx: bigint, repeat: number): { readonly r0: bigint; readonly elapsedNs: bigint };
  /** The native core's FIB (what bpf_fib_lookup consults in native images; one per process, as the library is). */
  readonly fib: Fib;
  /** bpfship_core_set_cookies: what bpf_get_socket_cookie and bpf_get_netns_cookie return in native images. */
  setCookies(socketCookie: bigint, netnsCookie: bigint): void;
  /** bpfship_run_ctx_set_tunnel_info with the 56-byte struct: 0 or -EINVAL. */
  setTunnelInfo(ctx: bigint, info: Uint8Array): number;
  /** bpfship_run_ctx_get_tunnel_info: the 56-byte struct, or undefined when the run has none. */
  getTunnelInfo(ctx: bigint): Uint8Array | undefined;
  /** The address of bpfship_helper_fn_of, which images use to resolve `callx`. */
  helperResolverAddress(): bigint;
  /** bpfship_ringbuf_peek + advance: the next committed record's bytes, or undefined when none. */
  ringbufNext(map: bigint): Uint8Array | undefined;
  /**
   * Installs the host hooks (bpfship_core_set_hooks): where bpf_printk messages go and what the clocks read. Without
   * hooks (the default, and `undefined`) messages are dropped and time reads 0, which costs nothing on the hot path;
   * the hooks are JavaScript called back from native code, so install them only around runs that need them.
   */
  setHostHooks(hooks: CoreHostHooks | undefined): void;
}

/** Host services the native core calls back (see bpfship_core.h, bpfship_host_hooks). */
export interface CoreHostHooks {
  /** One bpf_trace_printk/bpf_printk message; `runCtx` is the run context of the printing program. */
  trace?(runCtx: bigint, message: Uint8Array): void;
  /** bpf_ktime_get_*_ns: clock 0 monotonic, 1 boottime, 2 coarse, 3 TAI. */
  ktimeNs?(clock: number): bigint;
}

let loaded: CoreLibrary | undefined;

/**
 * Where the core library is: `$BPFSHIP_CORE_LIB`, else the library built from the package's C sources in the
 * per-user cache (compiled now if it is not there yet; see core-build.ts).
 *
 * @throws {CoreError} when it must be built and cannot be (no C compiler, an unwritable cache).
 */
export function coreLibraryPath(): string {
  const env = process.env.BPFSHIP_CORE_LIB;
  if (env !== undefined && env !== '') return env;
  return ensureCoreLibrary().path;
}

/**
 * Loads the core library once (and initialises it for `ncpus` possible CPUs, 1 by default).
 *
 * @throws {CoreError} when the library is missing and cannot be built, or its ABI version differs.
 */
export function loadCoreLibrary(ncpus = 1): CoreLibrary {
  if (loaded !== undefined) {
    loaded.init(ncpus);
    return loaded;
  }
  const path = coreLibraryPath();
  if (!existsSync(path)) throw new CoreError(`the runtime core library ${path} does not exist (BPFSHIP_CORE_LIB names it; unset it to build the library from the package's sources)`);
  const lib = koffi.load(path);
  const f = {
    init: lib.func('int bpfship_core_init(uint32_t ncpus)'),
    ncpus: lib.func('uint32_t bpfship_core_ncpus(void)'),
    abi: lib.func('uint32_t bpfship_core_abi_version(void)'),
    alloc: lib.func('void *bpfship_alloc(size_t size)'),
    free: lib.func('void bpfship_free(void *ptr)'),
    fnOf: lib.func('void *bpfship_helper_fn_of(uint32_t id)'),
    implemented: lib.func('int bpfship_helper_implemented(uint32_t id)'),
    name: lib.func('const char *bpfship_helper_name(uint32_t id)'),
    create: lib.func('int bpfship_map_create(const void *attr, _Out_ void **out)'),
    release: lib.func('void bpfship_map_release(void *map)'),
    id: lib.func('uint32_t bpfship_map_id(void *map)'),
    fromId: lib.func('void *bpfship_map_from_id(uint32_t id)'),
    lookup: lib.func('int bpfship_map_lookup(void *map, const void *key, void *value, uint64_t flags)'),
    update: lib.func('int bpfship_map_update(void *map, const void *key, const void *value, uint64_t flags)'),
    del: lib.func('int bpfship_map_delete(void *map, const void *key)'),
    next: lib.func('int bpfship_map_get_next_key(void *map, const void *key, void *next_key)'),
    freeze: lib.func('int bpfship_map_freeze(void *map)'),
    valueAddr: lib.func('void *bpfship_map_value_addr(void *map, uint32_t index, uint32_t cpu)'),
    runCtxInit: lib.func('int bpfship_run_ctx_init(void *ctx, uint32_t prog_type, uint32_t cpu, uint64_t seed)'),
    testRunRepeat: lib.func('uint64_t bpfship_test_run_repeat(void *run, uint32_t program, void *ctx, uint32_t repeat, void *elapsed_ns)'),
    setTunnel: lib.func('int bpfship_run_ctx_set_tunnel_info(void *ctx, const void *info)'),
    fibReset: lib.func('void bpfship_fib_reset(void)'),
    fibDevice: lib.func('int bpfship_fib_set_device(const void *dev)'),
    fibRoute: lib.func('int bpfship_fib_add_route(const void *route)'),
    fibNeighbour: lib.func('int bpfship_fib_set_neighbour(const void *neighbour)'),
    setCookies: lib.func('void bpfship_core_set_cookies(uint64_t socket_cookie, uint64_t netns_cookie)'),
    getTunnel: lib.func('int bpfship_run_ctx_get_tunnel_info(const void *ctx, _Out_ void *info)'),
    peek: lib.func('int64_t bpfship_ringbuf_peek(void *map, _Out_ void **sample)'),
    setHooks: lib.func('void bpfship_core_set_hooks(const void *hooks)'),
    advance: lib.func('int bpfship_ringbuf_advance(void *map)'),
  };
  const abi = f.abi() as number;
  if (abi !== CORE_ABI_VERSION) throw new CoreError(`${path} has core ABI version ${abi}; this runtime needs ${CORE_ABI_VERSION}`);
  const addr = (p: unknown): bigint => (p === null || p === undefined ? 0n : BigInt(koffi.address(p)));
  const resolver = addr(lib.symbol('bpfship_helper_fn_of'));
  const traceProto = koffi.proto('void bpfship_trace_hook(void *user, void *ctx, void *msg, uint32_t len)');
  const ktimeProto = koffi.proto('uint64_t bpfship_ktime_hook(void *user, int clock)');
  let registered: bigint[] = [];
  const core: CoreLibrary = {
    path,
    abiVersion: () => abi,
    init(n) {
      const rc = f.init(n) as number;
      if (rc !== 0 && (f.ncpus() as number) !== n) throw new CoreError(`bpfship_core_init(${n}) failed with ${rc} (the core was initialised for ${f.ncpus() as number} CPUs)`, -rc);
    },
    ncpus: () => f.ncpus() as number,
    alloc(size) {
      const p = addr(f.alloc(size));
      if (p === 0n) throw new CoreError(`bpfship_alloc(${size}) failed`);
      return p;
    },
    free: (p) => void f.free(p),
    helperAddress: (id) => addr(f.fnOf(id)),
    helperImplemented: (id) => (f.implemented(id) as number) === 1,
    helperName: (id) => (f.name(id) as string | null) ?? undefined,
    createMap(attr) {
      const buf = Buffer.alloc(56);
      buf.writeUInt32LE(attr.type, 0);
      buf.writeUInt32LE(attr.keySize, 4);
      buf.writeUInt32LE(attr.valueSize, 8);
      buf.writeUInt32LE(attr.maxEntries, 12);
      buf.writeUInt32LE(attr.flags ?? 0, 16);
      buf.writeUInt32LE(attr.innerMapId ?? 0, 20);
      buf.writeInt32LE(attr.spinLockOffset ?? -1, 24);
      buf.writeBigUInt64LE(BigInt.asUintN(64, attr.mapExtra ?? 0n), 32);
      buf.write((attr.name ?? '').slice(0, 15), 40, 'latin1');
      const out: unknown[] = [null];
      const rc = f.create(buf, out) as number;
      const note = mapCreateNote(attr);
      if (rc !== 0) throw new CoreError(`creating map '${attr.name ?? ''}' (type ${attr.type}, key ${attr.keySize}, value ${attr.valueSize}, ${attr.maxEntries} entries) failed with errno ${-rc}${note ? `: ${note}` : ''}`, -rc);
      return addr(out[0]);
    },
    releaseMap: (m) => void f.release(m),
    mapId: (m) => f.id(m) as number,
    mapFromId: (id) => addr(f.fromId(id)),
    mapLookup: (m, k, v, flags = 0n) => f.lookup(m, k, v, flags) as number,
    mapUpdate: (m, k, v, flags = 0n) => f.update(m, k, v, flags) as number,
    mapDelete: (m, k) => f.del(m, k) as number,
    mapNextKey: (m, k, n) => f.next(m, k, n) as number,
    mapFreeze: (m) => f.freeze(m) as number,
    mapValueAddress: (m, i, cpu) => addr(f.valueAddr(m, i, cpu)),
    runCtxInit: (ctx, t, cpu, seed) => f.runCtxInit(ctx, t, cpu, seed) as number,
    testRunRepeat(runner, program, ctx, repeat) {
      const elapsed = new BigUint64Array(1);
      const r0 = BigInt(f.testRunRepeat(runner, program, ctx, repeat, elapsed) as number | bigint);
      return { r0: BigInt.asUintN(64, r0), elapsedNs: elapsed[0] as bigint };
    },
    fib: new Fib({
      reset: () => void f.fibReset(),
      setDevice: (b) => f.fibDevice(b) as number,
      addRoute: (b) => f.fibRoute(b) as number,
      setNeighbour: (b) => f.fibNeighbour(b) as number,
    }),
    setCookies: (socket, netns) => void f.setCookies(BigInt.asUintN(64, socket), BigInt.asUintN(64, netns)),
    setTunnelInfo: (ctx, info) => f.setTunnel(ctx, info) as number,
    getTunnelInfo(ctx) {
      const out = new Uint8Array(56);
      return (f.getTunnel(ctx, out) as number) === 0 ? out : undefined;
    },
    helperResolverAddress: () => resolver,
    ringbufNext(m) {
      const out: unknown[] = [null];
      const n = Number(f.peek(m, out) as number | bigint);
      if (n < 0) return undefined;
      const bytes = new Uint8Array(koffi.view(out[0], n).slice(0));
      f.advance(m);
      return bytes;
    },
    setHostHooks(hooks) {
      // struct bpfship_host_hooks: user, ktime_ns, trace, perf_output, ringbuf_notify (5 pointers).
      const table = Buffer.alloc(40);
      const next: bigint[] = [];
      if (hooks?.ktimeNs !== undefined) {
        const fn = hooks.ktimeNs;
        const cb = koffi.register((_user: unknown, clock: number) => fn(clock), koffi.pointer(ktimeProto));
        table.writeBigUInt64LE(cb, 8);
        next.push(cb);
      }
      if (hooks?.trace !== undefined) {
        const fn = hooks.trace;
        const cb = koffi.register((_user: unknown, ctx: unknown, msg: unknown, len: number) => {
          fn(addr(ctx), len === 0 ? new Uint8Array(0) : new Uint8Array(koffi.view(msg, len).slice(0)));
        }, koffi.pointer(traceProto));
        table.writeBigUInt64LE(cb, 16);
        next.push(cb);
      }
      f.setHooks(next.length === 0 ? null : table);
      for (const cb of registered) koffi.unregister(cb);
      registered = next;
    },
  };
  core.init(ncpus);
  loaded = core;
  return core;
}

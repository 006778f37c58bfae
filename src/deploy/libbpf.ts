/**
 * libbpf, the library every loader of the ecosystem uses, called through koffi: Debian's `libbpf1` (`libbpf.so.1`,
 * 1.1 on Debian 12). Only the functions deployment needs are bound, with their C prototypes as libbpf.h and bpf.h
 * declare them; the option structs are declared at the size of the fields we set (libbpf reads an options struct
 * only up to its `sz`, so a shorter struct is how a caller says "the rest is zero").
 *
 * libbpf 1.x returns a negative errno from int functions and NULL with errno set from pointer functions; the
 * wrappers below turn both into a {@link LibbpfError} naming the call, the errno and what libbpf printed meanwhile
 * (its print callback is captured, see {@link captureLibbpfOutput}).
 *
 * Author: Claude.
 *
 * @module
 */
import koffi, { type LibraryHandle } from 'koffi';

/** A libbpf call failed. */
export class LibbpfError extends Error {
  /** The positive errno (EPERM = 1, EINVAL = 22, ...). */
  readonly errno: number;
  /** The errno's name (`EINVAL`), when known. */
  readonly errnoName: string;
  /** The function that failed. */
  readonly call: string;
  /** What libbpf printed during the call (warnings and debug lines), oldest first. */
  readonly libbpfLog: readonly string[];
  constructor(call: string, errno: number, what: string, libbpfLog: readonly string[]) {
    const name = errnoName(errno);
    super(`${what}: ${call} failed: ${name} (${errno}): ${strerror(errno)}`);
    this.name = 'LibbpfError';
    this.errno = errno;
    this.errnoName = name;
    this.call = call;
    this.libbpfLog = libbpfLog;
  }
}

/** The name of an errno (`EPERM`), from the table koffi carries. */
export function errnoName(errno: number): string {
  return Object.entries(koffi.os.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

/** Opaque handles. */
export type ObjectHandle = { readonly __brand: 'bpf_object' };
export type ProgramHandle = { readonly __brand: 'bpf_program' };
export type MapHandle = { readonly __brand: 'bpf_map' };
type BtfHandle = { readonly __brand: 'btf' };
/** A pointer to native memory (koffi's external). */
export type NativePointer = { readonly __brand: 'pointer' };

/** `enum bpf_tc_attach_point`. */
export const TcAttachPoint = { ingress: 1 << 0, egress: 1 << 1 } as const;

/** libbpf's `struct bpf_tc_hook` and `struct bpf_tc_opts` as JavaScript values. */
export interface TcHook {
  readonly ifindex: number;
  readonly attach_point: number;
  readonly parent: number;
}
export interface TcOpts {
  prog_fd: number;
  flags: number;
  prog_id: number;
  handle: number;
  priority: number;
}

/** The bound functions (see the module comment). */
export interface Libbpf {
  readonly version: string;
  openMem(bytes: Uint8Array, objectName: string, pinRootPath: string): ObjectHandle;
  close(obj: ObjectHandle): void;
  load(obj: ObjectHandle): void;
  programs(obj: ObjectHandle): ProgramHandle[];
  programName(prog: ProgramHandle): string;
  programSection(prog: ProgramHandle): string;
  setAutoload(prog: ProgramHandle, autoload: boolean): void;
  setType(prog: ProgramHandle, type: number): void;
  setExpectedAttachType(prog: ProgramHandle, type: number): void;
  /** Makes the kernel's verifier log of `prog` land in `buffer` (native memory of `size` bytes). */
  setLogBuffer(prog: ProgramHandle, buffer: NativePointer, size: number): void;
  programFd(prog: ProgramHandle): number;
  maps(obj: ObjectHandle): MapHandle[];
  mapName(map: MapHandle): string;
  mapFd(map: MapHandle): number;
  mapPinPath(map: MapHandle): string | undefined;
  mapIsPinned(map: MapHandle): boolean;
  mapType(map: MapHandle): number;
  mapIsInternal(map: MapHandle): boolean;
  linkCreate(progFd: number, targetFd: number, attachType: number, flags: number): number;
  linkDetach(linkFd: number): void;
  /** How many programs are attached at `target` (an fd, or an ifindex for tcx) for `attachType` (BPF_PROG_QUERY). */
  progQueryCount(target: number, attachType: number): number;
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  /** `bpf_obj_get_info_by_fd` into a buffer of `size` bytes (zeroed first); returns the bytes the kernel wrote. */
  objInfo(fd: number, size: number, prefill?: (view: DataView) => void): Uint8Array;
  progFdById(id: number): number;
  mapFdById(id: number): number;
  linkFdById(id: number): number;
  mapNextKey(fd: number, key: Uint8Array | null, next: Uint8Array): boolean;
  mapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean;
  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags: number): void;
  /** The raw BTF (header, types, strings) of the kernel's BTF object `id`. */
  btfRaw(id: number): Uint8Array;
  possibleCpus(): number;
  tcHookCreate(hook: TcHook): 'created' | 'exists';
  tcHookDestroy(hook: TcHook): void;
  tcAttach(hook: TcHook, opts: TcOpts): TcOpts;
  tcDetach(hook: TcHook, opts: { handle: number; priority: number }): void;
  /** The id of the program of the filter `handle`/`priority` at the hook, undefined when there is no such filter. */
  tcQuery(hook: TcHook, opts: { handle: number; priority: number }): number | undefined;
  /** Zeroed native memory (calloc), and its release. */
  malloc(size: number): NativePointer;
  free(ptr: NativePointer): void;
  /** `size` bytes of native memory as a copy. */
  read(ptr: NativePointer, size: number): Uint8Array;
  close_fd(fd: number): void;
  /** The interface's index in this process's network namespace (libc's if_nametoindex), 0 when there is none. */
  ifNameToIndex(name: string): number;
}

/** What libbpf printed (through libbpf_set_print) while `fn` ran, with `fn`'s result or error. */
export interface Captured<T> {
  readonly result?: T;
  readonly error?: unknown;
  readonly lines: string[];
}

let bound: Libbpf | undefined;
/** Lines libbpf prints are appended here while a capture runs; otherwise dropped (debug) or kept for errors. */
let sink: string[] | undefined;
/** `enum libbpf_print_level`: LIBBPF_WARN 0, LIBBPF_INFO 1, LIBBPF_DEBUG 2 (debug lines are dropped). */
const LIBBPF_INFO = 1;

/**
 * Runs `fn` collecting what libbpf prints (warnings and info; not its debug lines). libbpf is not
 * reentrant in this respect (one print callback per process), and nothing here is asynchronous, so captures do
 * not interleave.
 */
export function captureLibbpfOutput<T>(fn: () => T): Captured<T> {
  const saved = sink;
  const lines: string[] = [];
  sink = lines;
  try {
    return { result: fn(), lines };
  } catch (error) {
    return { error, lines };
  } finally {
    sink = saved;
  }
}

/** libbpf through koffi, loaded once. Throws an Error naming the package when libbpf.so.1 cannot be loaded. */
export function loadLibbpf(): Libbpf {
  if (bound !== undefined) return bound;
  let lib: LibraryHandle;
  let libc: LibraryHandle;
  try {
    lib = koffi.load('libbpf.so.1');
    libc = koffi.load('libc.so.6');
  } catch (e) {
    throw new Error(`cannot load libbpf (libbpf.so.1): ${(e as Error).message}; install Debian's libbpf1 (bash scripts/setup.sh)`);
  }
  koffi.opaque('bpf_object');
  koffi.opaque('bpf_program');
  koffi.opaque('bpf_map');
  koffi.opaque('btf');
  const OpenOpts = koffi.struct('bpfship_open_opts', {
    sz: 'size_t',
    object_name: 'const char *',
    relaxed_maps: 'bool',
    pin_root_path: 'const char *',
  });
  const LinkCreateOpts = koffi.struct('bpfship_link_create_opts', { sz: 'size_t', flags: 'uint32_t' });
  const TcHookStruct = koffi.struct('bpfship_tc_hook', { sz: 'size_t', ifindex: 'int', attach_point: 'int', parent: 'uint32_t' });
  const TcOptsStruct = koffi.struct('bpfship_tc_opts', { sz: 'size_t', prog_fd: 'int', flags: 'uint32_t', prog_id: 'uint32_t', handle: 'uint32_t', priority: 'uint32_t' });
  const PrintFn = koffi.proto('int bpfship_libbpf_print(int level, const char *fmt, void *args)');

  const vsnprintf = libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *args)');
  const cCalloc = libc.func('void *calloc(size_t count, size_t size)');
  const cFree = libc.func('void free(void *ptr)');
  const cClose = libc.func('int close(int fd)');
  const cStrerror = libc.func('const char *strerror(int errnum)');
  const cIfNameToIndex = libc.func('unsigned int if_nametoindex(const char *ifname)');
  strerrorImpl = (n) => cStrerror(n) as string;

  const f = {
    set_print: lib.func('void *libbpf_set_print(bpfship_libbpf_print *fn)'),
    open_mem: lib.func('bpf_object *bpf_object__open_mem(const void *buf, size_t sz, const bpfship_open_opts *opts)'),
    close: lib.func('void bpf_object__close(bpf_object *obj)'),
    load: lib.func('int bpf_object__load(bpf_object *obj)'),
    next_program: lib.func('bpf_program *bpf_object__next_program(bpf_object *obj, bpf_program *prev)'),
    program_name: lib.func('const char *bpf_program__name(bpf_program *prog)'),
    program_section: lib.func('const char *bpf_program__section_name(bpf_program *prog)'),
    set_autoload: lib.func('int bpf_program__set_autoload(bpf_program *prog, bool autoload)'),
    set_type: lib.func('int bpf_program__set_type(bpf_program *prog, int type)'),
    set_expected_attach_type: lib.func('int bpf_program__set_expected_attach_type(bpf_program *prog, int type)'),
    set_log_buf: lib.func('int bpf_program__set_log_buf(bpf_program *prog, void *buf, size_t size)'),
    program_fd: lib.func('int bpf_program__fd(bpf_program *prog)'),
    next_map: lib.func('bpf_map *bpf_object__next_map(bpf_object *obj, bpf_map *prev)'),
    map_name: lib.func('const char *bpf_map__name(bpf_map *map)'),
    map_fd: lib.func('int bpf_map__fd(bpf_map *map)'),
    map_pin_path: lib.func('const char *bpf_map__pin_path(bpf_map *map)'),
    map_is_pinned: lib.func('bool bpf_map__is_pinned(bpf_map *map)'),
    map_type: lib.func('int bpf_map__type(bpf_map *map)'),
    map_is_internal: lib.func('bool bpf_map__is_internal(bpf_map *map)'),
    link_create: lib.func('int bpf_link_create(int prog_fd, int target_fd, int attach_type, const bpfship_link_create_opts *opts)'),
    link_detach: lib.func('int bpf_link_detach(int link_fd)'),
    prog_query: lib.func('int bpf_prog_query(int target_fd, int type, uint32_t query_flags, _Out_ uint32_t *attach_flags, uint32_t *prog_ids, _Inout_ uint32_t *prog_cnt)'),
    obj_pin: lib.func('int bpf_obj_pin(int fd, const char *path)'),
    obj_get: lib.func('int bpf_obj_get(const char *path)'),
    obj_info: lib.func('int bpf_obj_get_info_by_fd(int fd, _Inout_ uint8_t *info, _Inout_ uint32_t *len)'),
    prog_fd_by_id: lib.func('int bpf_prog_get_fd_by_id(uint32_t id)'),
    map_fd_by_id: lib.func('int bpf_map_get_fd_by_id(uint32_t id)'),
    link_fd_by_id: lib.func('int bpf_link_get_fd_by_id(uint32_t id)'),
    map_next_key: lib.func('int bpf_map_get_next_key(int fd, const uint8_t *key, _Out_ uint8_t *next)'),
    map_lookup: lib.func('int bpf_map_lookup_elem(int fd, const uint8_t *key, _Out_ uint8_t *value)'),
    map_update: lib.func('int bpf_map_update_elem(int fd, const uint8_t *key, const uint8_t *value, uint64_t flags)'),
    btf_load_by_id: lib.func('btf *btf__load_from_kernel_by_id(uint32_t id)'),
    btf_raw_data: lib.func('const void *btf__raw_data(btf *btf, _Out_ uint32_t *size)'),
    btf_free: lib.func('void btf__free(btf *btf)'),
    possible_cpus: lib.func('int libbpf_num_possible_cpus()'),
    tc_hook_create: lib.func('int bpf_tc_hook_create(const bpfship_tc_hook *hook)'),
    tc_hook_destroy: lib.func('int bpf_tc_hook_destroy(const bpfship_tc_hook *hook)'),
    tc_attach: lib.func('int bpf_tc_attach(const bpfship_tc_hook *hook, _Inout_ bpfship_tc_opts *opts)'),
    tc_detach: lib.func('int bpf_tc_detach(const bpfship_tc_hook *hook, const bpfship_tc_opts *opts)'),
    tc_query: lib.func('int bpf_tc_query(const bpfship_tc_hook *hook, _Inout_ bpfship_tc_opts *opts)'),
  };

  // libbpf prints through one process-wide callback: format the message with the C library (the va_list is only
  // readable from C) and keep it when a capture runs. Registered once and never unregistered: libbpf keeps it.
  const line = Buffer.alloc(8192);
  const printer = koffi.register((level: number, fmt: string, args: unknown): number => {
    if (sink === undefined || level > LIBBPF_INFO) return 0;
    const n = vsnprintf(line, line.length, fmt, args) as number;
    if (n > 0) sink.push(line.toString('utf8', 0, Math.min(n, line.length - 1)).replace(/\n$/, ''));
    return 0;
  }, koffi.pointer(PrintFn));
  f.set_print(printer);

  const errnoOf = (ret: number): number => (ret < 0 ? -ret : koffi.errno() || 22);
  /** Calls `fn` under capture, throwing a LibbpfError when `failed` says so. */
  const checked = <T>(call: string, what: string, fn: () => T, failed: (r: T) => boolean, errno: (r: T) => number): T => {
    const captured = captureLibbpfOutput(() => {
      koffi.errno(0);
      const r = fn();
      return { r, errno: failed(r) ? errno(r) : 0 };
    });
    if (captured.error !== undefined) throw captured.error;
    const { r, errno: e } = captured.result as { r: T; errno: number };
    if (sink !== undefined) sink.push(...captured.lines);
    if (e !== 0) throw new LibbpfError(call, e, what, captured.lines);
    return r;
  };
  const int = (call: string, what: string, fn: () => number): number => checked(call, what, fn, (r) => r < 0, (r) => errnoOf(r));
  const ptr = <T>(call: string, what: string, fn: () => T | null): T => checked(call, what, fn, (r) => r === null, () => koffi.errno() || 22) as T;

  const iterate = <P>(next: (prev: P | null) => P | null): P[] => {
    const out: P[] = [];
    for (let p = next(null); p !== null; p = next(p)) out.push(p);
    return out;
  };
  const hookValue = (h: TcHook) => ({ sz: koffi.sizeof(TcHookStruct), ifindex: h.ifindex, attach_point: h.attach_point, parent: h.parent });

  bound = {
    version: (lib.func('const char *libbpf_version_string()')() as string) ?? 'unknown',
    openMem: (bytes, objectName, pinRootPath) =>
      ptr('bpf_object__open_mem', `opening the object '${objectName}'`, () =>
        f.open_mem(bytes, bytes.length, { sz: koffi.sizeof(OpenOpts), object_name: objectName, relaxed_maps: false, pin_root_path: pinRootPath }) as ObjectHandle | null),
    close: (obj) => void f.close(obj),
    load: (obj) => void int('bpf_object__load', 'loading the object into the kernel', () => f.load(obj) as number),
    programs: (obj) => iterate<ProgramHandle>((p) => f.next_program(obj, p) as ProgramHandle | null),
    programName: (p) => f.program_name(p) as string,
    programSection: (p) => f.program_section(p) as string,
    setAutoload: (p, a) => void int('bpf_program__set_autoload', 'choosing the programs to load', () => f.set_autoload(p, a) as number),
    setType: (p, t) => void int('bpf_program__set_type', 'setting the program type', () => f.set_type(p, t) as number),
    setExpectedAttachType: (p, t) => void int('bpf_program__set_expected_attach_type', 'setting the expected attach type', () => f.set_expected_attach_type(p, t) as number),
    setLogBuffer: (p, b, size) => void int('bpf_program__set_log_buf', 'setting the verifier log buffer', () => f.set_log_buf(p, b, size) as number),
    programFd: (p) => f.program_fd(p) as number,
    maps: (obj) => iterate<MapHandle>((m) => f.next_map(obj, m) as MapHandle | null),
    mapName: (m) => f.map_name(m) as string,
    mapFd: (m) => f.map_fd(m) as number,
    mapPinPath: (m) => (f.map_pin_path(m) as string | null) ?? undefined,
    mapIsPinned: (m) => f.map_is_pinned(m) as boolean,
    mapType: (m) => f.map_type(m) as number,
    mapIsInternal: (m) => f.map_is_internal(m) as boolean,
    linkCreate: (progFd, targetFd, attachType, flags) =>
      int('bpf_link_create', 'attaching', () => f.link_create(progFd, targetFd, attachType, { sz: koffi.sizeof(LinkCreateOpts), flags }) as number),
    linkDetach: (fd) => void int('bpf_link_detach', 'detaching the link', () => f.link_detach(fd) as number),
    progQueryCount: (target, attachType) => {
      const flags = [0];
      const count = [0];
      int('bpf_prog_query', 'querying the attached programs', () => f.prog_query(target, attachType, 0, flags, null, count) as number);
      return count[0] ?? 0;
    },
    objPin: (fd, path) => void int('bpf_obj_pin', `pinning at ${path}`, () => f.obj_pin(fd, path) as number),
    objGet: (path) => int('bpf_obj_get', `opening the pinned object ${path}`, () => f.obj_get(path) as number),
    objInfo: (fd, size, prefill) => {
      const info = new Uint8Array(size);
      if (prefill !== undefined) prefill(new DataView(info.buffer));
      const len = [size];
      int('bpf_obj_get_info_by_fd', 'reading the object information', () => f.obj_info(fd, info, len) as number);
      return info;
    },
    progFdById: (id) => int('bpf_prog_get_fd_by_id', `opening program ${id}`, () => f.prog_fd_by_id(id) as number),
    mapFdById: (id) => int('bpf_map_get_fd_by_id', `opening map ${id}`, () => f.map_fd_by_id(id) as number),
    linkFdById: (id) => int('bpf_link_get_fd_by_id', `opening link ${id}`, () => f.link_fd_by_id(id) as number),
    mapNextKey: (fd, key, next) => {
      koffi.errno(0);
      const r = f.map_next_key(fd, key, next) as number;
      if (r === 0) return true;
      const e = errnoOf(r);
      if (e === 2) return false; // ENOENT: the last key
      throw new LibbpfError('bpf_map_get_next_key', e, 'walking the map', []);
    },
    mapLookup: (fd, key, value) => {
      koffi.errno(0);
      const r = f.map_lookup(fd, key, value) as number;
      if (r === 0) return true;
      const e = errnoOf(r);
      if (e === 2) return false;
      throw new LibbpfError('bpf_map_lookup_elem', e, 'reading the map', []);
    },
    mapUpdate: (fd, key, value, flags) => void int('bpf_map_update_elem', 'updating the map', () => f.map_update(fd, key, value, flags) as number),
    btfRaw: (id) => {
      const btf = ptr('btf__load_from_kernel_by_id', `reading BTF object ${id}`, () => f.btf_load_by_id(id) as BtfHandle | null);
      try {
        const size = [0];
        const data = f.btf_raw_data(btf, size) as NativePointer | null;
        if (data === null || size[0] === undefined) throw new LibbpfError('btf__raw_data', 22, `reading BTF object ${id}`, []);
        return new Uint8Array(koffi.view(data, size[0]).slice(0));
      } finally {
        f.btf_free(btf);
      }
    },
    possibleCpus: () => int('libbpf_num_possible_cpus', 'counting the possible CPUs', () => f.possible_cpus() as number),
    tcHookCreate: (hook) => {
      const r = f.tc_hook_create(hookValue(hook)) as number;
      if (r === -17) return 'exists'; // EEXIST: the clsact qdisc is there already
      if (r < 0) throw new LibbpfError('bpf_tc_hook_create', -r, `creating the clsact qdisc on ifindex ${hook.ifindex}`, []);
      return 'created';
    },
    tcHookDestroy: (hook) => void int('bpf_tc_hook_destroy', `removing the clsact qdisc of ifindex ${hook.ifindex}`, () => f.tc_hook_destroy(hookValue(hook)) as number),
    tcAttach: (hook, opts) => {
      const o = { sz: koffi.sizeof(TcOptsStruct), ...opts };
      int('bpf_tc_attach', `attaching a tc filter to ifindex ${hook.ifindex}`, () => f.tc_attach(hookValue(hook), o) as number);
      return { prog_fd: o.prog_fd, flags: o.flags, prog_id: o.prog_id, handle: o.handle, priority: o.priority };
    },
    tcDetach: (hook, opts) =>
      void int('bpf_tc_detach', `detaching the tc filter of ifindex ${hook.ifindex}`, () => f.tc_detach(hookValue(hook), { sz: koffi.sizeof(TcOptsStruct), prog_fd: 0, flags: 0, prog_id: 0, handle: opts.handle, priority: opts.priority }) as number),
    tcQuery: (hook, opts) => {
      const o = { sz: koffi.sizeof(TcOptsStruct), prog_fd: 0, flags: 0, prog_id: 0, handle: opts.handle, priority: opts.priority };
      const r = f.tc_query(hookValue(hook), o) as number;
      if (r === -2 || r === -19 || r === -22) return undefined; // ENOENT, ENODEV, EINVAL: no such filter (or interface)
      if (r < 0) throw new LibbpfError('bpf_tc_query', -r, `querying the tc filter of ifindex ${hook.ifindex}`, []);
      return o.prog_id;
    },
    malloc: (size) => {
      const p = cCalloc(1, size) as NativePointer | null;
      if (p === null) throw new Error(`out of memory allocating ${size} bytes`);
      return p;
    },
    free: (p) => void cFree(p),
    read: (p, size) => new Uint8Array(koffi.view(p, size).slice(0)),
    close_fd: (fd) => void cClose(fd),
    ifNameToIndex: (name) => cIfNameToIndex(name) as number,
  };
  return bound;
}

let strerrorImpl: ((n: number) => string) | undefined;
/** The C library's text for an errno. */
function strerror(errno: number): string {
  return strerrorImpl?.(errno) ?? `errno ${errno}`;
}

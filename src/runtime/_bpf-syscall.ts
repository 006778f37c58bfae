/**
 * Test support: the bpf() system call, for tests that ask the running kernel what it answers to a map's creation
 * and user-space operations and compare with the core (bloom-filter-kernel.test.ts, cgroup-storage-kernel.test.ts),
 * and an object loaded into the kernel with its programs and maps pinned, to run them as the runtimes do. The call
 * goes through libc's `syscall` (koffi) over buffers in native memory the core's library allocates. Only tests
 * import this.
 *
 * Author: Claude.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { koffi, loadCoreLibrary, type CoreLibrary } from '../core/index.ts';
import { ensureBpffs, runTool } from '../internal/test-files.ts';

/** __NR_bpf: 321 on x86_64, 280 on arm64 (the asm-generic number). */
const SYS_BPF = process.arch === 'arm64' ? 280 : 321;

/** The commands these tests use (enum bpf_cmd). */
export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
} as const;

/** BPF_MAP_CREATE's attributes as these tests set them. */
export interface MapCreateAttrs {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** A bloom filter's number of hash functions; 0 otherwise. */
  readonly mapExtra?: bigint;
}

/** The size of the attribute buffer (union bpf_attr as far as these commands read it, rounded up). */
const ATTR_SIZE = 128;
/** The size passed to bpf(): the map-create attributes end before offset 72 in every kernel these tests meet. */
const ATTR_PASSED = 72;
/** Room for a key, and for a value of up to 1024 CPUs of 8 bytes (per-CPU maps answer one value per CPU). */
const KEY_SIZE = 64;
const VALUE_SIZE = 8 * 1024;

/** The bpf() system call; every method returns the call's result, or -errno. */
export class BpfSyscall {
  private readonly core: CoreLibrary;
  private readonly call: (nr: number, cmd: number, attr: bigint, size: number) => number | bigint;
  private readonly closeFd: (fd: number) => number;
  private readonly attr: bigint;
  private readonly key: bigint;
  private readonly value: bigint;
  private readonly attrBytes: DataView;
  private readonly keyBytes: Uint8Array;
  private readonly valueBytes: Uint8Array;

  constructor() {
    this.core = loadCoreLibrary();
    const libc = koffi.load('libc.so.6');
    this.call = libc.func('long syscall(long nr, long cmd, long attr, long size)') as never;
    this.closeFd = libc.func('int close(int fd)') as never;
    this.attr = this.core.alloc(ATTR_SIZE);
    this.key = this.core.alloc(KEY_SIZE);
    this.value = this.core.alloc(VALUE_SIZE);
    this.attrBytes = new DataView(koffi.view(this.attr, ATTR_SIZE));
    this.keyBytes = new Uint8Array(koffi.view(this.key, KEY_SIZE));
    this.valueBytes = new Uint8Array(koffi.view(this.value, VALUE_SIZE));
  }

  private run(cmd: number, fill: (dv: DataView) => void): number {
    for (let i = 0; i < ATTR_SIZE; i++) this.attrBytes.setUint8(i, 0);
    fill(this.attrBytes);
    const r = Number(this.call(SYS_BPF, cmd, this.attr, ATTR_PASSED));
    return r < 0 ? -koffi.errno() : r;
  }

  /** BPF_MAP_CREATE: a file descriptor, or -errno. */
  createMap(a: MapCreateAttrs): number {
    return this.run(BpfCmd.MAP_CREATE, (dv) => {
      dv.setUint32(0, a.type, true);
      dv.setUint32(4, a.keySize, true);
      dv.setUint32(8, a.valueSize, true);
      dv.setUint32(12, a.maxEntries, true);
      dv.setUint32(16, a.flags, true);
      dv.setBigUint64(64, a.mapExtra ?? 0n, true);
    });
  }

  /**
   * An element command on map `fd`. `key`: its bytes, or null for none (keyless maps: the pointer is NULL); zero
   * bytes by default. `value`: copied into the value buffer first (the value to add or test), zero bytes by
   * default. Delete's attributes end at the key: nothing after it is set (the kernel wants it zero).
   */
  elem(cmd: number, fd: number, options: { readonly key?: Uint8Array | null; readonly value?: Uint8Array; readonly flags?: bigint } = {}): number {
    const key = options.key === undefined ? new Uint8Array(0) : options.key;
    if (key !== null) {
      this.keyBytes.fill(0);
      this.keyBytes.set(key);
    }
    this.valueBytes.fill(0);
    if (options.value !== undefined) this.valueBytes.set(options.value);
    return this.run(cmd, (dv) => {
      dv.setUint32(0, fd, true);
      dv.setBigUint64(8, key === null ? 0n : this.key, true);
      if (cmd === BpfCmd.MAP_DELETE_ELEM) return;
      dv.setBigUint64(16, this.value, true);
      dv.setBigUint64(24, options.flags ?? 0n, true);
    });
  }

  /** Closes a file descriptor createMap returned (a negative one is ignored). */
  close(fd: number): void {
    if (fd >= 0) this.closeFd(fd);
  }

  /** Frees the buffers; the object is unusable afterwards. */
  free(): void {
    this.core.free(this.attr);
    this.core.free(this.key);
    this.core.free(this.value);
  }
}

/** Where `bpftool prog loadall` pinned an object's programs and its maps. */
export interface PinnedObject {
  readonly progs: string;
  readonly maps: string;
}

/**
 * Loads `object` into the running kernel with `bpftool prog loadall`, its programs pinned in `pinRoot`/progs and its
 * maps in `pinRoot`/maps; or, as `{ skip }`, why the kernel cannot run it: no BPF filesystem, or the load failed,
 * said by `unavailable` (not root, or what the test needs is absent from this kernel) or else as the kernel's
 * refusal of the object.
 */
export function loadPinned(object: string, pinRoot: string, unavailable: (sys: BpfSyscall) => string | undefined): PinnedObject | { readonly skip: string } {
  const noBpffs = ensureBpffs();
  if (noBpffs !== undefined) return { skip: noBpffs };
  const pinned = { progs: join(pinRoot, 'progs'), maps: join(pinRoot, 'maps') };
  mkdirSync(pinRoot, { recursive: true });
  const load = runTool('bpftool', ['prog', 'loadall', object, pinned.progs, 'pinmaps', pinned.maps]);
  if (load.status === 0) return pinned;
  const sys = new BpfSyscall();
  try {
    return { skip: unavailable(sys) ?? `the kernel refused ${object}: ${load.stderr.slice(0, 300)}` };
  } finally {
    sys.free();
  }
}

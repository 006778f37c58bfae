/**
 * Loading a native image (a `.so` built from bpf2c's output): from a sealed memfd holding the bytes read once,
 * with its description table (`bpfship_native_metadata`, see src/bpf2c/bpfship_native.h) decoded and checked, and
 * its loader-filled tables (helpers, map bindings, tail-call registry) exposed for binding.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { fstatSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfshipError } from '../../internal/errors.ts';
import type { NativeImageMetadata, NativeMapMetadata, NativeProgramMetadata } from '../../bpf2c/index.ts';
import { koffi } from '../../core/index.ts';
import { NATIVE_ABI_VERSION, NATIVE_MAGIC, NativeImageError } from '../../native/index.ts';
import { closeFd, moveFd, readFd, sealedMemfd } from './sealed-memfd.ts';

const IMAGE_SIZE = 168;
const PROGRAM_SIZE = 104;
const MAP_SIZE = 64;
const DATA_SECTION_SIZE = 32;

/** Options of {@link loadNativeImage}. */
export interface LoadNativeImageOptions {
  /** A name for messages and for the memfd (shown in /proc/PID/maps, perf and gdb). */
  readonly name?: string;
  /** Refuse the image unless the SHA-256 of its bytes is this (hex): the digest a signature covered. */
  readonly expectedSha256?: string;
  /**
   * For profiling and debugging only: write the checked bytes to `<dir>/<name>-<sha256 prefix>.so` (read-only) and
   * load that file instead of a sealed memfd, so that perf can read the image's symbols and lines after the
   * process has exited (it cannot reopen a memfd). Default: `$BPFSHIP_NATIVE_DEBUG_DIR`. A file can be replaced
   * between check and load, so a production policy must not allow it (see `sealedOnly`).
   */
  readonly debugDirectory?: string;
  /**
   * Load only from a sealed memfd: a debug directory (the option or `$BPFSHIP_NATIVE_DEBUG_DIR`) is then an error
   * rather than a way around the seal. The production policy sets it.
   */
  readonly sealedOnly?: boolean;
}

let loads = 0;

/** How many images this process has mapped so far (for tests and diagnostics: a refused load maps nothing). */
export function nativeImageLoadCount(): number {
  return loads;
}

/** What bpfship_native_run_xdp_batch and friends are, as callable functions. */
export interface NativeRunners {
  /** bpfship_native_run(program, run_ctx): r1 = run_ctx->ctx as the caller set it up. */
  run(program: number, runCtx: bigint): bigint;
  /** The address of bpfship_native_run, for loops in C that call it (bpfship_test_run_repeat). */
  readonly runAddress: bigint;
  /** bpfship_native_run_xdp(program, run_ctx, buffer, headroom, length, buffer_size). */
  runXdp(program: number, runCtx: bigint, buffer: bigint, headroom: number, length: number, bufferSize: number): bigint;
  /** bpfship_native_run_xdp_batch(...): returns the number of frames run. */
  runXdpBatch(program: number, runCtx: bigint, frames: bigint, stride: number, headroom: number, lengths: bigint, count: number, results: bigint): number;
}

/** A loaded image. */
export interface NativeImage {
  readonly name: string;
  /** SHA-256 of the image bytes, hex. */
  readonly sha256: string;
  /** The decoded description table. */
  readonly metadata: NativeImageMetadata;
  /** The address of each program's function (the helper-like signature of bpfship_native_fn). */
  readonly programFunctions: readonly bigint[];
  readonly runners: NativeRunners;
  /** Writes helpers[i] (the table is indexed like metadata.helperIds). */
  bindHelper(slot: number, address: bigint): void;
  /** Writes map_bindings[index]: the core's map, and for data sections the value's address. */
  bindMap(index: number, map: bigint, value: bigint): void;
  /** Writes the runtime struct: tail-call registry and callx resolver. */
  bindRuntime(programsById: bigint, count: number, helperById: bigint): void;
  /** The index of the program named `name`, or -1. */
  programIndex(name: string): number;
  /** Unloads the library: nothing of it may be called afterwards. */
  unload(): void;
}

function u32(dv: DataView, off: number): number {
  return dv.getUint32(off, true);
}
function ptr(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off, true);
}
function view(address: bigint, size: number): DataView {
  return new DataView(koffi.view(address, size));
}
function cstr(address: bigint): string {
  if (address === 0n) return '';
  return koffi.decode.string(address);
}
function u32Array(address: bigint, count: number): number[] {
  if (count === 0 || address === 0n) return [];
  const dv = view(address, count * 4);
  return Array.from({ length: count }, (_, i) => dv.getUint32(i * 4, true));
}
function hex(dv: DataView, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += dv.getUint8(off + i).toString(16).padStart(2, '0');
  return s;
}

/**
 * Loads a native image from its bytes: checks the digest when one is expected, writes the bytes into a sealed
 * memfd, dlopens `/proc/self/fd/N`, and decodes and checks its table (magic, ABI version, size, counts).
 *
 * @example
 * ```ts
 * const image = loadNativeImage(readFileSync('xdp_firewall.so'), { name: 'xdp_firewall.so' });
 * image.metadata.programs.map((p) => p.name); // ['xdp_firewall']
 * ```
 * @throws {NativeImageError} for a digest mismatch or a table that is not a bpfship image's.
 */
export function loadNativeImage(bytes: Uint8Array, options: LoadNativeImageOptions = {}): NativeImage {
  const name = options.name ?? 'image.so';
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== sha256) {
    throw new NativeImageError(`${name}: the image's SHA-256 is ${sha256}, expected ${options.expectedSha256}`);
  }
  const debugDirectory = options.debugDirectory ?? (process.env.BPFSHIP_NATIVE_DEBUG_DIR || undefined);
  if (debugDirectory !== undefined && options.sealedOnly === true) {
    throw new NativeImageError(`${name}: a debug directory (${options.debugDirectory !== undefined ? 'the debugDirectory option' : '$BPFSHIP_NATIVE_DEBUG_DIR'}: ${debugDirectory}) loads the image from a file that can be replaced after the check; this load must come from a sealed memfd`);
  }
  const debugPath = debugDirectory === undefined ? undefined : debugFile(bytes, name, sha256, debugDirectory);
  let fd = debugPath === undefined ? sealedMemfd(bytes, name) : openSync(debugPath, 'r');
  if (debugPath === undefined && options.expectedSha256 !== undefined) {
    // What the loader will map is the memfd's content: check that, not only the buffer it was written from.
    const sealed = createHash('sha256').update(readFd(fd, bytes.length + 1)).digest('hex');
    if (sealed !== sha256) {
      closeFd(fd);
      throw new NativeImageError(`${name}: the sealed memfd holds bytes with SHA-256 ${sealed}, not the checked ${sha256}`);
    }
  }
  let lib: ReturnType<typeof koffi.load> | undefined;
  try {
    // dlopen finds an already loaded library by its path before it looks at the file: `/proc/self/fd/N` of an
    // earlier image whose descriptor had the same number would be returned instead of this one. The descriptor
    // therefore stays open while the image is loaded (live images have distinct paths), and the mapping is checked
    // to come from this memfd (its inode); on a mismatch the memfd is moved to another descriptor number.
    const ino = fstatSync(fd).ino;
    for (let attempt = 0; lib === undefined; attempt++) {
      let candidate: ReturnType<typeof koffi.load>;
      try {
        // A debug file is loaded by its path, which gdb and perf can open too.
        candidate = koffi.load(debugPath !== undefined && attempt === 0 ? debugPath : `/proc/self/fd/${fd}`);
      } catch (e) {
        throw new NativeImageError(`${name}: cannot load the image: ${(e as Error).message}`);
      }
      let table: bigint | undefined;
      try {
        table = BigInt(koffi.address(candidate.symbol('bpfship_native_metadata')));
      } catch {
        table = undefined;
      }
      const ours = table !== undefined ? mappedInode(table) === ino : inodeMapped(ino);
      if (ours && table === undefined) {
        candidate.unload();
        throw new NativeImageError(`${name}: no bpfship_native_metadata symbol: not a bpfship native image`);
      }
      if (ours) {
        lib = candidate;
        loads++;
        break;
      }
      candidate.unload();
      if (attempt >= 8) throw new NativeImageError(`${name}: the loader kept returning another library for /proc/self/fd/${fd}`);
      fd = moveFd(fd);
    }
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  try {
    return decodeImage(lib, name, sha256, fd);
  } catch (e) {
    lib.unload();
    closeFd(fd);
    throw e;
  }
}

/** The image written to a read-only file of `dir`: its path (see LoadNativeImageOptions.debugDirectory). */
function debugFile(bytes: Uint8Array, name: string, sha256: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9_.+-]/g, '_').replace(/\.so$/, '')}-${sha256.slice(0, 12)}.so`);
  let same = false;
  try {
    same = createHash('sha256').update(readFileSync(path)).digest('hex') === sha256;
  } catch {
    same = false;
  }
  if (!same) {
    rmSync(path, { force: true });
    writeFileSync(path, bytes, { mode: 0o444 });
  }
  return path;
}

/** Whether some mapping of this process comes from inode `ino`. */
function inodeMapped(ino: number): boolean {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').some((line) => /^\S+ \S+ \S+ \S+ (\d+)/.exec(line)?.[1] === String(ino));
}

/** The inode of the file mapped at `address` (from /proc/self/maps), or -1. */
function mappedInode(address: bigint): number {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)/.exec(line);
    if (m === null) continue;
    if (address >= BigInt(`0x${m[1] as string}`) && address < BigInt(`0x${m[2] as string}`)) return Number(m[3]);
  }
  return -1;
}

function decodeImage(lib: ReturnType<typeof koffi.load>, name: string, sha256: string, fd: number): NativeImage {
  let table: bigint;
  try {
    table = BigInt(koffi.address(lib.symbol('bpfship_native_metadata')));
  } catch {
    throw new NativeImageError(`${name}: no bpfship_native_metadata symbol: not a bpfship native image`);
  }
  const head = view(table, 16);
  if (u32(head, 0) !== NATIVE_MAGIC) throw new NativeImageError(`${name}: bad magic 0x${u32(head, 0).toString(16)} in bpfship_native_metadata`);
  if (u32(head, 4) !== NATIVE_ABI_VERSION) throw new NativeImageError(`${name}: native ABI version ${u32(head, 4)}, this runtime loads version ${NATIVE_ABI_VERSION}`);
  if (u32(head, 8) < IMAGE_SIZE) throw new NativeImageError(`${name}: the image table is ${u32(head, 8)} bytes, expected at least ${IMAGE_SIZE}`);
  const dv = view(table, IMAGE_SIZE);
  const programCount = u32(dv, 72);
  const mapCount = u32(dv, 76);
  const dataCount = u32(dv, 96);
  const helperCount = u32(dv, 100);
  for (const [what, n] of [['programs', programCount], ['maps', mapCount], ['data sections', dataCount], ['helpers', helperCount]] as const) {
    if (n > 1 << 16) throw new NativeImageError(`${name}: ${n} ${what} is past any image bpf2c writes`);
  }
  const helpersTable = ptr(dv, 120);
  const bindingsTable = ptr(dv, 128);
  const runtimeStruct = ptr(dv, 136);

  const programs: NativeProgramMetadata[] = [];
  const programFunctions: bigint[] = [];
  const pbase = ptr(dv, 80);
  for (let i = 0; i < programCount; i++) {
    const p = view(pbase + BigInt(i * PROGRAM_SIZE), PROGRAM_SIZE);
    const pname = cstr(ptr(p, 0));
    programFunctions.push(ptr(p, 16));
    programs.push({
      name: pname,
      cName: pname,
      section: cstr(ptr(p, 8)),
      programTypeId: u32(p, 24),
      insnCount: u32(p, 28),
      programType: cstr(ptr(p, 32)),
      attachType: cstr(ptr(p, 40)),
      helpers: u32Array(ptr(p, 56), u32(p, 48)),
      maps: u32Array(ptr(p, 64), u32(p, 52)),
      infoHash: hex(p, 72, 32),
    });
  }
  const decodeMap = (address: bigint): NativeMapMetadata => {
    const m = view(address, MAP_SIZE);
    const inner = ptr(m, 32);
    const initCount = u32(m, 40);
    const initBase = ptr(m, 48);
    const initialValues: NativeMapMetadata['initialValues'][number][] = [];
    for (let j = 0; j < initCount; j++) {
      const v = view(initBase + BigInt(j * 16), 16);
      initialValues.push({ key: u32(v, 0), kind: u32(v, 4) === 0 ? 'program' : 'map', name: cstr(ptr(v, 8)) });
    }
    return {
      name: cstr(ptr(m, 0)), type: u32(m, 8), keySize: u32(m, 12), valueSize: u32(m, 16), maxEntries: u32(m, 20), flags: u32(m, 24), pinning: u32(m, 28),
      mapExtra: Number(ptr(m, 56)),
      innerMap: inner === 0n ? undefined : decodeMap(inner),
      initialValues,
    };
  };
  const maps: NativeMapMetadata[] = [];
  const mbase = ptr(dv, 88);
  for (let i = 0; i < mapCount; i++) maps.push(decodeMap(mbase + BigInt(i * MAP_SIZE)));
  const dataSections: NativeImageMetadata['dataSections'][number][] = [];
  const dbase = ptr(dv, 104);
  for (let i = 0; i < dataCount; i++) {
    const d = view(dbase + BigInt(i * DATA_SECTION_SIZE), DATA_SECTION_SIZE);
    const size = u32(d, 8);
    const init = ptr(d, 16);
    dataSections.push({ name: cstr(ptr(d, 0)), size, readOnly: u32(d, 12) !== 0, initialBytes: init === 0n || size === 0 ? new Uint8Array(size) : new Uint8Array(koffi.view(init, size).slice(0)) });
  }
  const metadata: NativeImageMetadata = {
    bpf2cVersion: cstr(ptr(dv, 16)),
    sourceName: cstr(ptr(dv, 24)),
    elfSha256: hex(dv, 32, 32),
    license: cstr(ptr(dv, 64)),
    programs,
    maps,
    dataSections,
    helperIds: u32Array(ptr(dv, 112), helperCount),
  };

  const run = lib.func('uint64_t bpfship_native_run(uint32_t program, void *run_ctx)');
  const runXdp = lib.func('uint64_t bpfship_native_run_xdp(uint32_t program, void *run_ctx, void *buffer, uint32_t headroom, uint32_t length, uint32_t buffer_size)');
  const runBatch = lib.func('uint32_t bpfship_native_run_xdp_batch(uint32_t program, void *run_ctx, void *frames, uint32_t stride, uint32_t headroom, void *lengths, uint32_t count, void *results)');
  const bindingCount = mapCount + dataCount;
  let helperView: DataView | undefined;
  let bindingView: DataView | undefined;
  let loaded = true;
  const live = (): void => {
    if (!loaded) throw new NativeImageError(`${name}: the image was unloaded`);
  };
  return {
    name,
    sha256,
    metadata,
    programFunctions,
    runners: {
      run: (program, runCtx) => BigInt(run(program, runCtx) as number | bigint),
      runAddress: BigInt(koffi.address(lib.symbol('bpfship_native_run'))),
      runXdp: (program, runCtx, buffer, headroom, length, size) => BigInt(runXdp(program, runCtx, buffer, headroom, length, size) as number | bigint),
      runXdpBatch: (program, runCtx, frames, stride, headroom, lengths, count, results) => runBatch(program, runCtx, frames, stride, headroom, lengths, count, results) as number,
    },
    bindHelper(slot, address) {
      live();
      if (slot < 0 || slot >= helperCount) throw new RangeError(`helper slot ${slot} is outside the image's ${helperCount}`);
      helperView ??= view(helpersTable, helperCount * 8);
      helperView.setBigUint64(slot * 8, address, true);
    },
    bindMap(index, map, value) {
      live();
      if (index < 0 || index >= bindingCount) throw new RangeError(`map binding ${index} is outside the image's ${bindingCount}`);
      bindingView ??= view(bindingsTable, bindingCount * 16);
      bindingView.setBigUint64(index * 16, map, true);
      bindingView.setBigUint64(index * 16 + 8, value, true);
    },
    bindRuntime(programsById, count, helperById) {
      live();
      const rt = view(runtimeStruct, 32);
      rt.setBigUint64(0, programsById, true);
      rt.setUint32(8, count, true);
      rt.setBigUint64(16, helperById, true);
    },
    programIndex: (n) => programs.findIndex((p) => p.name === n),
    unload() {
      if (!loaded) return;
      loaded = false;
      lib.unload();
      closeFd(fd);
    },
  };
}

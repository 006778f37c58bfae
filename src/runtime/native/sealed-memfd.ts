/**
 * A sealed memfd: an anonymous in-memory file holding exactly the bytes given, which nobody (this process
 * included) can change afterwards. Loading a native image from it closes the gap between checking an image's
 * digest or signature and mapping it: `dlopen("/proc/self/fd/N")` maps the very bytes that were checked, not a
 * file on disk someone could replace in between.
 *
 * Author: Claude.
 *
 * @module
 */
import { readSync, writeSync } from 'node:fs';
import { BpfshipError } from '../../internal/errors.ts';
import { errnoText, loadLibc } from '../../core/index.ts';

// <linux/memfd.h>, <linux/fcntl.h>
const MFD_CLOEXEC = 0x0001;
const MFD_ALLOW_SEALING = 0x0002;
const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;
const F_SEAL_SEAL = 0x0001;
const F_SEAL_SHRINK = 0x0002;
const F_SEAL_GROW = 0x0004;
const F_SEAL_WRITE = 0x0008;

/** Every seal: no write, no resize, no further change to the seals. */
export const ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

/** The memfd could not be created, written or sealed. */
export class MemfdError extends BpfshipError {
  constructor(detail: string) {
    super('NATIVE_MEMFD', detail);
    this.name = 'MemfdError';
  }
}

/**
 * Creates a memfd named `name` holding `bytes`, sealed with F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW and
 * F_SEAL_SEAL, and returns its file descriptor (close-on-exec). The caller closes it.
 *
 * @example
 * ```ts
 * const fd = sealedMemfd(image, 'xdp_firewall.so');
 * koffi.load(`/proc/self/fd/${fd}`);
 * ```
 * @throws {MemfdError} when a step fails (with errno).
 */
export function sealedMemfd(bytes: Uint8Array, name: string): number {
  const libc = loadLibc();
  const fd = libc.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw new MemfdError(`memfd_create failed: ${errnoText()}`);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (libc.fcntlInt(fd, F_ADD_SEALS, ALL_SEALS) < 0) throw new MemfdError(`sealing the memfd failed: ${errnoText()}`);
    const seals = libc.fcntlInt(fd, F_GET_SEALS, 0);
    if (seals < 0 || (seals & ALL_SEALS) !== ALL_SEALS) throw new MemfdError(`the memfd's seals are 0x${seals.toString(16)}, expected 0x${ALL_SEALS.toString(16)}`);
    return fd;
  } catch (e) {
    libc.close(fd);
    throw e;
  }
}

/** The seals of an open memfd (F_GET_SEALS), for tests and diagnostics. */
export function memfdSeals(fd: number): number {
  return loadLibc().fcntlInt(fd, F_GET_SEALS, 0);
}

const F_DUPFD_CLOEXEC = 1030;
let nextFdFloor = 64;

/**
 * Moves `fd` to a new, higher descriptor number (close-on-exec) and closes the old one: gives a memfd a path
 * (`/proc/self/fd/N`) no library was loaded from before.
 *
 * @throws {MemfdError} when no descriptor is free.
 */
export function moveFd(fd: number): number {
  const libc = loadLibc();
  nextFdFloor = Math.max(nextFdFloor, fd + 1) + 1;
  const moved = libc.fcntlInt(fd, F_DUPFD_CLOEXEC, nextFdFloor);
  if (moved < 0) throw new MemfdError(`moving the memfd to a new descriptor failed: ${errnoText()}`);
  libc.close(fd);
  nextFdFloor = moved + 1;
  return moved;
}

/** Closes a file descriptor opened here. */
export function closeFd(fd: number): void {
  loadLibc().close(fd);
}

/** Reads an open file from its start: at most `limit` bytes (the whole of a smaller file). */
export function readFd(fd: number, limit: number): Uint8Array {
  const out = new Uint8Array(limit);
  let off = 0;
  while (off < limit) {
    const n = readSync(fd, out, off, limit - off, off);
    if (n === 0) break;
    off += n;
  }
  return out.subarray(0, off);
}

/**
 * koffi, loaded once, and the libc functions the native runtime calls through it.
 *
 * @module
 */
import koffi from 'koffi';

export { koffi };

/** The C library (memfd_create, fcntl). */
export interface Libc {
  memfd_create(name: string, flags: number): number;
  /** fcntl with one int argument. */
  fcntlInt(fd: number, cmd: number, arg: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

/** libc through koffi (glibc's libc.so.6). */
export function loadLibc(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  const memfd = lib.func('int memfd_create(const char *name, unsigned int flags)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const close = lib.func('int close(int fd)');
  libc = {
    memfd_create: (name, flags) => memfd(name, flags) as number,
    fcntlInt: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    close: (fd) => close(fd) as number,
  };
  return libc;
}

/** The current errno as text, e.g. `EPERM (1)`. */
export function errnoText(): string {
  const n = koffi.errno();
  const name = Object.entries(koffi.os.errno).find(([, v]) => v === n)?.[0];
  return name === undefined ? `errno ${n}` : `${name} (${n})`;
}

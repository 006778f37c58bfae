/**
 * koffi, loaded once, and the libc functions the native runtime calls through it.
 *
 * Author: Claude.
 *
 * @module
 */
import koffi from 'koffi';

export { koffi };

/** The C library (memfd_create, fcntl, the calling thread's CPU clock). */
export interface Libc {
  memfd_create(name: string, flags: number): number;
  /** fcntl with one int argument. */
  fcntlInt(fd: number, cmd: number, arg: number): number;
  close(fd: number): number;
  /**
   * The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID): what a loop costs on a machine other
   * processes share, without the engine's own threads (garbage collection, compilers) that process.cpuUsage counts.
   */
  threadCpuNs(): number;
}

let libc: Libc | undefined;
const CLOCK_THREAD_CPUTIME_ID = 3;

/** libc through koffi (glibc's libc.so.6). */
export function loadLibc(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  const memfd = lib.func('int memfd_create(const char *name, unsigned int flags)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const close = lib.func('int close(int fd)');
  // struct timespec written straight into a typed array (a koffi struct out-parameter costs twice as much).
  const clockGettime = lib.func('int clock_gettime(int clock, void *ts)');
  const ts = new BigInt64Array(2);
  libc = {
    memfd_create: (name, flags) => memfd(name, flags) as number,
    fcntlInt: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    close: (fd) => close(fd) as number,
    threadCpuNs: () => {
      clockGettime(CLOCK_THREAD_CPUTIME_ID, ts);
      return Number(ts[0]) * 1e9 + Number(ts[1]);
    },
  };
  return libc;
}

/** The current errno as text, e.g. `EPERM (1)`. */
export function errnoText(): string {
  const n = koffi.errno();
  const name = Object.entries(koffi.os.errno).find(([, v]) => v === n)?.[0];
  return name === undefined ? `errno ${n}` : `${name} (${n})`;
}

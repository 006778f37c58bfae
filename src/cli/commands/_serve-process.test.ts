/**
 * `bpfship serve` as a real process for the CLI's tests (no tests of its own): started through tsx on an ephemeral
 * port, its startup line parsed for the address it really listens on, its standard output (the request log) sent
 * to a file when asked, stopped by its pid.
 *
 * Author: Claude.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

/** A running `bpfship serve`. */
export interface ServeProcess {
  readonly process: ChildProcess;
  /** The URL from the startup line (`http://127.0.0.1:PORT`, `https://...`). */
  readonly url: string;
  /** The whole startup line. */
  readonly line: string;
  /** Standard error so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Sends a signal (by pid). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `bpfship serve ARGS...`; rejects with its standard error if it exits before listening. */
export function startServe(args: readonly string[], options: { readonly logFile?: string; readonly env?: Record<string, string> } = {}): Promise<ServeProcess> {
  const out = options.logFile !== undefined ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', out, 'pipe'],
    env: { ...process.env, ...options.env },
  });
  if (typeof out === 'number') closeSync(out);
  let err = '';
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? -1)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${err}`)), 60_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const before = err;
      err += chunk;
      const m = /bpfship: serving on (https?:\/\/\S+)[^\n]*\n/.exec(err);
      if (m !== null && !/serving on/.test(before)) {
        clearTimeout(timer);
        resolveStart({
          process: child,
          url: (m[1] as string).replace(/\/$/, ''),
          line: m[0],
          stderr: () => err,
          exited,
          signal: (s) => {
            if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, s);
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${err}`));
    });
  });
}

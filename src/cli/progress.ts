/**
 * Progress on stderr for long work (verifying each program, bpf2c, the C compiler), when stderr is a terminal and
 * `--quiet` was not given: nothing appears for work done within a second, then one line, rewritten in place,
 * says what is being done and for how long; it is cleared when the work ends. Nothing is ever written when stderr
 * is not a terminal (pipes, CI logs, tests).
 *
 * The work itself runs synchronously on the main thread (the verifier, bpf2c, a spawnSync'd compiler), so no timer
 * of the main thread could fire to draw the line. A small worker thread draws it instead, writing straight to file
 * descriptor 2; the two share a SharedArrayBuffer holding the current stage, updated with Atomics, so reporting a
 * stage costs the work a few memory writes and never waits on the worker. The worker starts with the first stage,
 * only on a terminal.
 *
 * Author: Claude.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type { VerifyHook } from '../bpf2c/index.ts';
import type { Io } from './context.ts';

/** Reports the stages of a long piece of work. */
export interface Progress {
  /** The work moved on to `text` (e.g. `verifying xdp/xdp_prog (3/12)`). */
  stage(text: string): void;
  /** The work is over: the line, if one was drawn, is cleared before this returns. */
  done(): void;
}

/** A Progress that draws nothing. */
export const silentProgress: Progress = { stage: () => undefined, done: () => undefined };

/** How long work runs before the line appears (`$BPFSHIP_PROGRESS_DELAY_MS` changes it, for tests). */
export const PROGRESS_DELAY_MS = 1000;

function delayMs(): number {
  const env = Number(process.env.BPFSHIP_PROGRESS_DELAY_MS);
  return Number.isInteger(env) && env >= 0 ? env : PROGRESS_DELAY_MS;
}
const REDRAW_MS = 250;
const TEXT_BYTES = 1024;
// Int32 slots of the control block.
const GENERATION = 0;
const STOP = 1;
const ACKNOWLEDGED = 2;
const LENGTH = 3;

// The worker: waits for the delay, then redraws the current stage with the time spent until told to stop.
// (Plain JavaScript, evaluated in the worker: it must not depend on how this module was loaded or bundled.)
const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const ctl = new Int32Array(workerData.buffer, 0, 4);
const text = new Uint8Array(workerData.buffer, 16, ${TEXT_BYTES});
const start = workerData.start;
const delay = workerData.delay;
const decoder = new TextDecoder();
let drawn = false;
let last = '';
for (;;) {
  const generation = Atomics.load(ctl, ${GENERATION});
  if (Atomics.load(ctl, ${STOP}) === 1) break;
  const elapsed = Date.now() - start;
  if (elapsed >= delay) {
    const line = 'bpfship: ' + decoder.decode(text.slice(0, Atomics.load(ctl, ${LENGTH}))) + ' (' + Math.floor(elapsed / 1000) + ' s)';
    if (line !== last) {
      try {
        writeSync(2, '\\r\\x1b[K' + line);
        drawn = true;
        last = line;
      } catch {}
    }
  }
  Atomics.wait(ctl, ${GENERATION}, generation, elapsed >= delay ? ${REDRAW_MS} : delay - elapsed);
}
if (drawn) {
  try { writeSync(2, '\\r\\x1b[K'); } catch {}
}
Atomics.store(ctl, ${ACKNOWLEDGED}, 1);
Atomics.notify(ctl, ${ACKNOWLEDGED});
`;

/**
 * The progress reporter for a command: silent unless stderr is a terminal and `quiet` is not set.
 *
 * @example
 * ```ts
 * const progress = startProgress(io, opts.quiet === true);
 * try { for (const p of programs) { progress.stage(`verifying ${p.name}`); verify(p); } } finally { progress.done(); }
 * ```
 */
export function startProgress(io: Io, quiet: boolean): Progress {
  if (quiet || io.stderrIsTerminal !== true) return silentProgress;
  const start = Date.now();
  const delay = delayMs();
  const buffer = new SharedArrayBuffer(16 + TEXT_BYTES);
  const ctl = new Int32Array(buffer, 0, 4);
  const text = new Uint8Array(buffer, 16, TEXT_BYTES);
  const encoder = new TextEncoder();
  // One line: a line that wraps could not be cleared with \r. Room for "bpfship: " and " (999 s)".
  // (A pseudo-terminal without a size says 0 columns: take 80 then.)
  const columns = io.stderrColumns !== undefined && io.stderrColumns > 0 ? io.stderrColumns : 80;
  const width = Math.max(20, Math.min(columns - 18, TEXT_BYTES / 4));
  let worker: Worker | undefined;
  let finished = false;
  return {
    stage(stage) {
      if (finished) return;
      const { written } = encoder.encodeInto(stage.length > width ? `${stage.slice(0, width - 3)}...` : stage, text);
      Atomics.store(ctl, LENGTH, written);
      Atomics.add(ctl, GENERATION, 1);
      Atomics.notify(ctl, GENERATION);
      if (worker === undefined) {
        // Loaded here, on a terminal only: node:worker_threads is not free to load, and most commands never draw.
        const { Worker: WorkerThread } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
        worker = new WorkerThread(WORKER, { eval: true, workerData: { buffer, start, delay } });
        // The worker never keeps the process alive on its own.
        worker.unref();
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (worker === undefined) return;
      Atomics.store(ctl, STOP, 1);
      Atomics.add(ctl, GENERATION, 1);
      Atomics.notify(ctl, GENERATION);
      // Before the delay nothing can have been drawn: no need to wait for the worker (it may not even run yet).
      // After it, wait (briefly) for the line to be cleared, so the command's own output starts on a clean line.
      if (Date.now() - start >= delay - 50) Atomics.wait(ctl, ACKNOWLEDGED, 0, 500);
      void worker.terminate();
    },
  };
}

/**
 * A verify hook that reports each program it is asked about (`verifying xdp/prog (2/5)`) and, after the last, that
 * the translation to C follows.
 */
export function reportingVerifyHook(hook: VerifyHook, progress: Progress): VerifyHook {
  return (request) => {
    const all = request.spec.programs;
    const index = all.indexOf(request.program);
    progress.stage(`verifying ${request.program.sectionName}/${request.program.name} (${index + 1}/${all.length})`);
    const outcome = hook(request);
    if (outcome.ok && index === all.length - 1) progress.stage('translating to C (bpf2c)');
    return outcome;
  };
}

// Robustness run over mutated corpus objects, shared by the test suite (short) and `npm run fuzz` (long).
// Runs variants in a worker thread; a variant that takes longer than the limit is a hang: the worker is
// terminated, the hang recorded with its seed and index, and the run goes on from the next variant.
//
// Author: Claude.
import { Worker } from 'node:worker_threads';

export interface FuzzFailure { index: number; file: string; description: string; error: string }
export interface FuzzResult { variants: number; typed: number; accepted: number; failures: FuzzFailure[]; hangs: FuzzFailure[]; seconds: number }

const workerUrl = new URL('./fuzz-worker-boot.mjs', import.meta.url);

/** Runs variants [start, end) of `seed` over `files`, each under `limitMs`. */
export async function fuzzObjects(files: string[], seed: number, start: number, end: number, limitMs = 1000, onProgress?: (done: number) => void): Promise<FuzzResult> {
  const t0 = performance.now();
  const result: FuzzResult = { variants: end - start, typed: 0, accepted: 0, failures: [], hangs: [], seconds: 0 };
  let next = start;
  while (next < end) {
    next = await new Promise<number>((resolveRun) => {
      const w = new Worker(workerUrl, { workerData: { files, seed, start: next, end } });
      let current: { index: number; file: string; description: string } | undefined;
      let lastStart = performance.now();
      let ready = false;
      const timer = setInterval(() => {
        // The first variant also pays for loading the modules, so the watch starts with the second.
        if (!ready || current === undefined) return;
        if (performance.now() - lastStart > limitMs) {
          clearInterval(timer);
          result.hangs.push({ ...current, error: `no result after ${limitMs} ms` });
          void w.terminate();
          resolveRun(current.index + 1);
        }
      }, Math.max(50, limitMs / 5));
      w.on('message', (m: { type: string; index: number; file: string; description: string; error: string; typed: number; accepted: number }) => {
        if (m.type === 'start') {
          if (current !== undefined) ready = true;
          current = m;
          lastStart = performance.now();
          if (onProgress !== undefined && m.index % 1000 === 0) onProgress(m.index - start);
        } else if (m.type === 'failure') {
          result.failures.push({ index: m.index, file: m.file, description: m.description, error: m.error });
        } else if (m.type === 'done') {
          result.typed += m.typed;
          result.accepted += m.accepted;
          clearInterval(timer);
          resolveRun(end);
        }
      });
      w.on('error', (e) => {
        clearInterval(timer);
        // A worker that dies before its first variant cannot run at all: stop instead of retrying each variant.
        if (current === undefined) throw new Error(`the fuzz worker failed to start: ${e.stack ?? String(e)}`);
        result.failures.push({ index: current?.index ?? next, file: current?.file ?? '', description: current?.description ?? '', error: `worker died: ${e.stack ?? String(e)}` });
        resolveRun((current?.index ?? next) + 1);
      });
    });
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

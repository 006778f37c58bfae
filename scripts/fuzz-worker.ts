// The worker side of the robustness run: mutates corpus objects and runs each variant through every reader
// (ELF, BTF, spec, disassembler, inspect). A typed BpfshipError is a correct answer to bad input; anything else
// thrown is a failure, reported with the seed and index that reproduce it. The parent thread watches for hangs.
//
// Author: Claude.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { elfHotRanges, mutate } from '../src/internal/mutate.ts';
import { exerciseObject } from './exercise.ts';
import { BpfshipError } from '../src/internal/errors.ts';

interface Job { files: string[]; seed: number; start: number; end: number }
const job = workerData as Job;
const inputs = job.files.map((f) => {
  const bytes = new Uint8Array(readFileSync(f));
  return { name: basename(f), path: f, bytes, hot: elfHotRanges(bytes) };
});
const port = parentPort;
if (port === null) throw new Error('fuzz-worker must run as a worker thread');

let typed = 0;
let accepted = 0;
for (let i = job.start; i < job.end; i++) {
  const input = inputs[i % inputs.length];
  if (input === undefined) break;
  const v = mutate(input.bytes, job.seed, i, input.hot);
  port.postMessage({ type: 'start', index: i, file: input.path, description: v.description });
  try {
    exerciseObject(v.bytes, input.name);
    accepted++;
  } catch (e) {
    if (e instanceof BpfshipError) typed++;
    else port.postMessage({ type: 'failure', index: i, file: input.path, description: v.description, error: (e as Error).stack ?? String(e) });
  }
}
port.postMessage({ type: 'done', typed, accepted });

/**
 * The body of a build worker thread: runs {@link runBuildJob} for each job the service posts and posts the outcome
 * back, the native image's bytes transferred rather than copied. One job at a time per worker; build-pool.ts
 * decides how many workers there are.
 *
 * Author: Claude.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { runBuildJob, type BuildJobInput, type BuildJobOutcome } from './build-job.ts';

/** A job posted to a worker. */
export interface BuildJobMessage {
  readonly id: number;
  readonly input: BuildJobInput;
}

/** A worker's answer. */
export interface BuildResultMessage {
  readonly id: number;
  readonly outcome: BuildJobOutcome;
}

parentPort?.on('message', (message: BuildJobMessage) => {
  const outcome = runBuildJob(message.input);
  const transfer = outcome.kind === 'built' && outcome.image.so.byteOffset === 0 && outcome.image.so.byteLength === outcome.image.so.buffer.byteLength ? [outcome.image.so.buffer as ArrayBuffer] : [];
  parentPort?.postMessage({ id: message.id, outcome } satisfies BuildResultMessage, transfer);
});

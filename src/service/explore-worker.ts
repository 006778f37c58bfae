/**
 * The body of the explore worker thread: verifies one program of an ELF object with its states recorded
 * (src/web's explore document) and posts the document back as JSON text, so that the service's HTTP thread never
 * runs a verification. explore-runner.ts starts it.
 *
 * Author: Claude.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { readObject } from '../spec/index.ts';
import { exploreProgram } from '../web/index.ts';

/** A request posted to the worker. */
export interface ExploreJobMessage {
  readonly id: number;
  readonly elf: Uint8Array;
  readonly name: string;
  readonly index: number;
  readonly programType?: string;
}

/** The worker's answer: the document's JSON, or why there is none. */
export interface ExploreResultMessage {
  readonly id: number;
  readonly json?: string;
  readonly error?: string;
}

parentPort?.on('message', (m: ExploreJobMessage) => {
  let answer: ExploreResultMessage;
  try {
    const spec = readObject(m.elf, { name: m.name });
    answer = { id: m.id, json: JSON.stringify(exploreProgram(spec, m.index, m.programType !== undefined ? { programType: m.programType } : {})) };
  } catch (e) {
    answer = { id: m.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(answer);
});

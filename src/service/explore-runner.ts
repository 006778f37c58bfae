/**
 * Where the service verifies programs for the explorer: one worker thread (started when first needed), one program
 * at a time, each under a time limit, so that exploring a large program never holds up the HTTP thread. Answers are
 * the explore documents' JSON text, cached by ELF digest and program (a published ELF never changes).
 *
 * Author: Claude.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { ExploreJobMessage, ExploreResultMessage } from './explore-worker.ts';

/** Options of {@link ExploreRunner}. */
export interface ExploreRunnerOptions {
  /** A program still verifying after this long is abandoned (its worker stopped); default 60 s. */
  readonly timeoutMs?: number;
  /** Documents kept (most recently used); default 16. */
  readonly cacheEntries?: number;
}

interface Pending {
  readonly resolve: (json: string) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** See the module comment. */
export class ExploreRunner {
  readonly #timeoutMs: number;
  readonly #cacheEntries: number;
  readonly #cache = new Map<string, Promise<string>>();
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #nextId = 1;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: ExploreRunnerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#cacheEntries = options.cacheEntries ?? 16;
  }

  /** The explore document (JSON) of program `index` of the ELF whose digest is `digest`. */
  explore(digest: string, elf: () => Promise<Uint8Array>, name: string, index: number): Promise<string> {
    const key = `${digest}:${index}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    // One at a time: a second request waits for the first (the machine's other cores build images).
    const p = this.#chain.then(async () => this.#run({ id: this.#nextId++, elf: await elf(), name, index }));
    this.#chain = p.catch(() => undefined);
    this.#cache.set(key, p);
    p.catch(() => this.#cache.delete(key));
    while (this.#cache.size > this.#cacheEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    return p;
  }

  /** Stops the worker; requests in progress fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new Error('the explorer was closed'));
    }
    this.#pending.clear();
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  #run(message: ExploreJobMessage): Promise<string> {
    if (this.#closed) return Promise.reject(new Error('the explorer is closed'));
    const worker = this.#spawn();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(message.id);
        this.#worker = undefined;
        void worker.terminate();
        reject(new Error(`verifying the program took longer than ${this.#timeoutMs / 1000} s`));
      }, this.#timeoutMs);
      this.#pending.set(message.id, { resolve, reject, timer });
      worker.postMessage(message);
    });
  }

  #spawn(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './explore-worker.ts' : './explore-worker.js', import.meta.url);
    // Worker threads do not inherit tsx's loader: from source, a one-line module registers it first.
    const worker = fromSource
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
      : new Worker(url);
    worker.unref();
    worker.on('message', (m: ExploreResultMessage) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.json !== undefined) p.resolve(m.json);
      else p.reject(new Error(m.error ?? 'the explore worker gave no answer'));
    });
    const lost = (why: string): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`the explore worker stopped: ${why}`));
        this.#pending.delete(id);
      }
    };
    worker.on('error', (e) => lost(e.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.#worker = worker;
    return worker;
  }
}

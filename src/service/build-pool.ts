/**
 * Where builds run. Verification, bpf2c and the C compiler take from tens of milliseconds to seconds and are
 * synchronous, so the service runs them in worker threads: the HTTP thread stays free for downloads and health
 * checks while a build runs. The pool never runs more builds at once than it has workers, and never more workers
 * than CPUs (each build runs one compiler), and it holds at most `maxQueued` builds waiting; past that a build is
 * refused at once ({@link BuildQueueFullError}, HTTP 503) rather than left to wait without bound.
 *
 * `mode: 'in-process'` runs builds on the calling thread, one at a time: for embedding where worker threads are
 * not wanted (the HTTP thread is then busy while a build runs).
 *
 * Author: Claude.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runBuildJob, type BuildJobInput, type BuildJobOutcome } from './build-job.ts';
import type { BuildJobMessage, BuildResultMessage } from './build-worker.ts';

/** Options of {@link BuildPool}. */
export interface BuildPoolOptions {
  /** Builds at once; default and maximum: the number of CPUs. */
  readonly concurrency?: number;
  /** Builds that may wait for a free worker; default 64. */
  readonly maxQueued?: number;
  /** Default `worker`. */
  readonly mode?: 'worker' | 'in-process';
  /**
   * A build still running after this long is abandoned (its worker is stopped) and fails with BUILD_TIMEOUT;
   * default 300 s. Worker mode only. A compiler the worker started is killed by src/native's own 300 s limit; its output is discarded.
   */
  readonly timeoutMs?: number;
}

/** The service is stopping: a build waiting for a worker, or still running when the grace period ended (HTTP 503). */
export class ServiceStoppingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceStoppingError';
  }
}

/** Too many builds are waiting: try again later (HTTP 503). */
export class BuildQueueFullError extends Error {
  constructor(queued: number) {
    super(`the build queue is full (${queued} builds waiting): try again later`);
    this.name = 'BuildQueueFullError';
  }
}

interface Job {
  readonly input: BuildJobInput;
  readonly resolve: (outcome: BuildJobOutcome) => void;
  readonly reject: (e: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  job: (Job & { readonly id: number; readonly timer: NodeJS.Timeout }) | undefined;
}

/** The build workers and their queue (see the module comment). */
export class BuildPool {
  /** Builds at once. */
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly mode: 'worker' | 'in-process';
  readonly timeoutMs: number;
  readonly #queue: Job[] = [];
  readonly #workers: PoolWorker[] = [];
  #inProcessRunning = 0;
  #nextId = 1;
  #closed = false;
  #stopping = false;

  constructor(options: BuildPoolOptions = {}) {
    const cpus = Math.max(1, availableParallelism());
    const wanted = options.concurrency ?? cpus;
    if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`expected a build concurrency of at least 1, got ${wanted}`);
    this.mode = options.mode ?? 'worker';
    this.concurrency = this.mode === 'in-process' ? 1 : Math.min(wanted, cpus);
    this.maxQueued = options.maxQueued ?? 64;
    this.timeoutMs = options.timeoutMs ?? 300_000;
  }

  /** Builds running now. */
  get running(): number {
    return this.mode === 'in-process' ? this.#inProcessRunning : this.#workers.filter((w) => w.job !== undefined).length;
  }

  /** Builds waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs a build when a worker is free.
   *
   * @throws {BuildQueueFullError} at once when `maxQueued` builds are already waiting.
   */
  run(input: BuildJobInput): Promise<BuildJobOutcome> {
    if (this.#closed || this.#stopping) return Promise.reject(new ServiceStoppingError('the service is stopping: the build was not started'));
    if (this.running >= this.concurrency && this.#queue.length >= this.maxQueued) return Promise.reject(new BuildQueueFullError(this.#queue.length));
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * The first step of a stop: no new build is accepted, and every build waiting for a worker is refused
   * ({@link ServiceStoppingError}); running builds go on.
   */
  stopAccepting(): void {
    this.#stopping = true;
    for (const job of this.#queue.splice(0)) job.reject(new ServiceStoppingError('the service is stopping: the build was waiting for a worker and was not started'));
  }

  /** Resolves when no build runs any more, or after `graceMs`; answers how many still run then. */
  async drain(graceMs: number): Promise<number> {
    const deadline = Date.now() + graceMs;
    while (this.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - Date.now()))));
    return this.running;
  }

  /** Stops the workers; builds waiting or running are refused (a running build is abandoned, nothing stored). */
  async close(): Promise<void> {
    this.#closed = true;
    this.stopAccepting();
    const workers = this.#workers.splice(0);
    for (const w of workers) {
      if (w.job === undefined) continue;
      clearTimeout(w.job.timer);
      w.job.reject(new ServiceStoppingError('the service stopped during the build (past its grace period): nothing was published'));
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #dispatch(): void {
    if (this.mode === 'in-process') {
      while (this.#inProcessRunning < this.concurrency && this.#queue.length > 0) {
        const job = this.#queue.shift() as Job;
        this.#inProcessRunning++;
        // Later, not now: the caller's request handling goes on first.
        setImmediate(() => {
          const outcome = runBuildJob(job.input);
          this.#inProcessRunning--;
          job.resolve(outcome);
          this.#dispatch();
        });
      }
      return;
    }
    while (this.#queue.length > 0) {
      let free = this.#workers.find((w) => w.job === undefined);
      if (free === undefined) {
        if (this.#workers.length >= this.concurrency) return;
        free = this.#spawn();
      }
      const job = this.#queue.shift() as Job;
      const id = this.#nextId++;
      const worker = free;
      const timer = setTimeout(() => this.#abandon(worker, `the build took longer than ${this.timeoutMs / 1000} s`), this.timeoutMs);
      worker.job = { ...job, id, timer };
      worker.worker.postMessage({ id, input: job.input } satisfies BuildJobMessage);
    }
  }

  #spawn(): PoolWorker {
    const { script, evaluated } = workerScript();
    const worker = new Worker(script, { eval: evaluated });
    const entry: PoolWorker = { worker, job: undefined };
    this.#workers.push(entry);
    worker.on('message', (m: BuildResultMessage) => {
      const job = entry.job;
      entry.job = undefined;
      if (job !== undefined && job.id === m.id) {
        clearTimeout(job.timer);
        job.resolve(m.outcome);
      }
      this.#dispatch();
    });
    worker.on('error', (e) => this.#lose(entry, 'BUILD_WORKER_LOST', `the build worker stopped during the build: ${e.message}`));
    worker.on('exit', (code) => this.#lose(entry, 'BUILD_WORKER_LOST', `the build worker stopped during the build: exit code ${code}`));
    return entry;
  }

  /** Gives up on a worker's build (timeout): the build fails, the worker is stopped and replaced when needed. */
  #abandon(entry: PoolWorker, why: string): void {
    this.#lose(entry, 'BUILD_TIMEOUT', why);
    void entry.worker.terminate();
  }

  /** Removes a worker that stopped or was given up on, failing its build. */
  #lose(entry: PoolWorker, code: string, message: string): void {
    const i = this.#workers.indexOf(entry);
    if (i < 0) return; // already gone (closed, or abandoned before it exited)
    this.#workers.splice(i, 1);
    const job = entry.job;
    entry.job = undefined;
    if (job !== undefined) {
      clearTimeout(job.timer);
      job.resolve({ kind: 'failed', code, message });
    }
    if (!this.#closed) this.#dispatch();
  }
}

/**
 * The worker's entry point. Built (dist/), it is build-worker.js; run from source under tsx, worker threads do not
 * inherit tsx's loader, so a one-line module registers it in the worker before importing build-worker.ts.
 */
function workerScript(): { script: string | URL; evaluated: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './build-worker.ts' : './build-worker.js', import.meta.url);
  if (!fromSource) return { script: url, evaluated: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  return { script: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, evaluated: true };
}

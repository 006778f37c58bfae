/**
 * A first-come, first-served lock for asynchronous work inside one process: the SQLite index runs its writes one at
 * a time through it, since a write transaction may now wait for a registry between its first and last statement.
 *
 * @module
 */

/** The lock (see the module comment). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` once every earlier holder is done; its result or its error passes through. */
  run<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(work, work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * First-come, first-served locks for asynchronous work inside one process: the SQLite index runs its writes one at
 * a time through one, since a write transaction may wait for a registry between its first and last statement; the
 * PostgreSQL index lets one publish per name at a time take a connection and wait for the name's advisory lock
 * (the others wait here, holding no connection).
 *
 * Author: Claude.
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

/** One {@link Mutex} per key (an image name), dropped when nobody holds or waits for it. */
export class KeyedMutex {
  readonly #locks = new Map<string, { mutex: Mutex; users: number }>();

  /** Runs `work` once every earlier holder of `key` is done. */
  async run<T>(key: string, work: () => Promise<T> | T): Promise<T> {
    let entry = this.#locks.get(key);
    if (entry === undefined) {
      entry = { mutex: new Mutex(), users: 0 };
      this.#locks.set(key, entry);
    }
    entry.users++;
    try {
      return await entry.mutex.run(work);
    } finally {
      if (--entry.users === 0) this.#locks.delete(key);
    }
  }
}

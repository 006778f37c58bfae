/**
 * Exploring an object in the browser itself (a refused upload, whose bytes the service does not keep): the same
 * reader, verifier and explore document as the CLI and the service, bundled into this chunk of the page and loaded
 * only when asked for.
 *
 * Author: Claude.
 *
 * @module
 */
import { readObject } from '../../spec/index.ts';
import { exploreObject, exploreProgram, type ExploreProgram } from '../explore-document.ts';
import type { ProgramSource } from './explorer.tsx';

/** A program source over an ELF object's bytes, verified here program by program as they are shown. */
export function exploreLocally(bytes: Uint8Array, name: string): ProgramSource {
  const spec = readObject(bytes, { name });
  const object = exploreObject(spec);
  const cache = new Map<number, Promise<ExploreProgram>>();
  return {
    object,
    load(index) {
      let p = cache.get(index);
      if (p === undefined) {
        // Later, so that the page can say it is verifying first.
        p = new Promise((resolve, reject) => setTimeout(() => {
          try {
            resolve(exploreProgram(spec, index));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        }, 0));
        cache.set(index, p);
      }
      return p;
    },
  };
}

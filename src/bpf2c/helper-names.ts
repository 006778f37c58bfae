/**
 * Helper names for generated code's comments and the image metadata, from the abi layer's table (Linux's
 * `___BPF_FUNC_MAPPER` order).
 *
 * Author: Claude.
 *
 * @module
 */
import { helperNames } from '../abi/index.ts';

/** The helper's name (`map_lookup_elem`), or `helper_<id>` for an id Linux does not define. */
export function helperName(id: number): string {
  return (helperNames as readonly string[])[id] ?? `helper_${id}`;
}

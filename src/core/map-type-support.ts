/**
 * Which map types the runtime core creates, so that a refused creation can say why: the core, like the kernel,
 * answers an unknown type with -EINVAL, which alone reads as if the attributes were wrong.
 *
 * Author: Claude.
 *
 * @module
 */
import { mapTypeName } from '../abi/index.ts';

/** The Linux map type ids the core implements (bpfship_core.h, the types marked +; core-wasm.ts MapType). */
export const CORE_MAP_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 22, 23, 27, 30, 31]);

/**
 * For a map type the core does not implement, the sentence that says so (naming Linux's type); '' otherwise.
 *
 * @example
 * ```ts
 * unsupportedMapTypeNote(24); // 'BPF_MAP_TYPE_SK_STORAGE (24) is a map type the runtime core does not implement'
 * unsupportedMapTypeNote(1); // ''
 * ```
 */
export function unsupportedMapTypeNote(type: number): string {
  if (CORE_MAP_TYPES.has(type)) return '';
  const name = mapTypeName(type);
  if (name === undefined) return `${type} is no Linux map type`;
  return `BPF_MAP_TYPE_${name.toUpperCase()} (${type}) is a map type the runtime core does not implement`;
}

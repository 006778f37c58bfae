/**
 * The ELF layer: reads the ELF64 objects clang writes for eBPF. Pure (no `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @module
 */
export { readElf, type ReadElfOptions } from './reader.ts';
export * from './types.ts';

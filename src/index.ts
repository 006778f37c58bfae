/**
 * bpfship's library API: read eBPF objects, their BTF and instructions.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { readObject } from 'bpfship';
 * const spec = readObject(bytes, { name: 'prog.o' });
 * ```
 * @module
 */
export * from './spec/index.ts';
export * from './elf/index.ts';
export * from './btf/index.ts';
export * from './asm/index.ts';
export { BpfshipError, ElfError, BtfError, InstructionError, AsmSyntaxError, SpecError, formatLocation, type Location } from './internal/errors.ts';

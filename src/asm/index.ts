/**
 * The asm layer: the eBPF instruction set (RFC 9669, with the Linux and LLVM extensions clang emits), its binary
 * codec, a formatter and object listing in llvm-objdump's syntax, and an assembler for that syntax and for the
 * bpf_conformance suite's. Pure (no `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @module
 */
export * from './opcode.ts';
export {
  type Instruction,
  Register,
  isLoadImm64,
  isCall,
  isHelperCall,
  isLocalCall,
  isKfuncCall,
  isCallx,
  isExit,
  isJump,
  isUnconditionalJump,
  isConditionalJump,
  isArithmetic,
  isMemoryLoad,
  isMemoryStore,
  isAtomic,
  isLegacyPacketLoad,
  registersWritten,
  jumpTarget,
  callTarget,
  isKnownEncoding,
  slotsOf,
  makeInstruction,
  withSlots,
} from './instruction.ts';
export { decodeInstructions, type DecodeOptions } from './decode.ts';
export { encodeInstructions } from './encode.ts';
export { formatInstruction, branchDisplacement, UNKNOWN, type FormatOptions } from './format.ts';
export { formatProgram, type ProgramTextOptions } from './program-text.ts';
export { assemble, assembleProgram, type AssembleOptions, type AssembledProgram } from './assemble.ts';
export { parseConformanceData, type ConformanceTest } from './conformance-data.ts';
export { validateInstructions, writesFramePointer, type ValidateOptions } from './validate.ts';
export * as dsl from './dsl.ts';
export {
  disassembleObject,
  type DisassembleOptions,
  type LineInfoLookup,
  type SourceLine,
  type CoreRelocationLookup,
} from './listing.ts';

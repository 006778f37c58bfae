/**
 * The interp layer: the eBPF interpreter, the way programs are prepared for it, the interface to the environment it
 * runs in, and the bpf_conformance environment. Pure (no `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @module
 */
export { Interpreter, DEFAULT_INSTRUCTION_LIMIT, type InterpreterOptions } from './interpreter.ts';
export { HelperOutcome, MAX_CALL_FRAMES, STACK_FRAME_SIZE, STACK_SIZE, type InterpreterHost, type RunSetup } from './host.ts';
export {
  prepareProgram,
  prepareLinkedProgram,
  codeAddress,
  decodeCodeAddress,
  describeInstruction,
  describeSlot,
  CODE_ADDRESS_TAG,
  MAX_PROGRAM_ID,
  type PrepareOptions,
  type PrepareLinkedOptions,
  type PreparedProgram,
  type HelperCatalog,
} from './prepare.ts';
export { type MemoryRegion, formatRegion, regionContains } from './memory-region.ts';
export { LoadError, ExecutionError, FaultKind, type FaultDetail } from './errors.ts';
export {
  ConformanceHost,
  conformanceHelpers,
  conformanceInstructions,
  prepareConformanceProgram,
  runConformanceProgram,
  checkConformanceTest,
  CONFORMANCE_UNWIND_HELPER,
  type ConformanceRun,
  type ConformanceVerdict,
} from './conformance.ts';

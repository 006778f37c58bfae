/**
 * The errors of running eBPF: a program refused before it runs, and a run stopped by a fault.
 *
 * Both extend BpfshipError, so the CLI reports them like every other input problem (exit status 2, no stack); the
 * location names the program and the instruction slot. They live here rather than in `internal/errors.ts` because
 * only the executors (interpreter, JIT, native) and the runtime throw them.
 *
 * Author: Claude.
 *
 * @module
 */

import { BpfshipError, type Location } from '../internal/errors.ts';

/**
 * A program the runtime refuses to load: an unknown or malformed instruction, a call to a helper the runtime lacks,
 * a jump out of the program, a map or data reference it cannot resolve.
 */
export class LoadError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('PROGRAM_REFUSED', detail, where, options);
    this.name = 'LoadError';
  }
}

/** What stopped a run. */
export const FaultKind = {
  /** A load, store or atomic outside every region the program may touch (or a store into a read-only one). */
  MEMORY: 'memory',
  /** More than 8 frames of BPF-to-BPF calls or callbacks. */
  CALL_DEPTH: 'call-depth',
  /** The instruction budget of the run was used up (a runaway loop in an unverified program). */
  INSTRUCTION_LIMIT: 'instruction-limit',
  /** A call through a register (`callx`) to something that is neither a function of the program nor a helper. */
  BAD_CALL: 'bad-call',
  /** A helper reported a fault of its own (a bad argument the core refused). */
  HELPER: 'helper',
  /** Control reached an instruction slot that holds no instruction (past the end, or an undecodable one). */
  BAD_INSTRUCTION: 'bad-instruction',
} as const;
/** One of the {@link FaultKind} values. */
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** Facts about a fault, as typed fields for programs (the message says the same for people). */
export interface FaultDetail {
  readonly kind: FaultKind;
  /** The program that was running (its name). */
  readonly program: string;
  /** The instruction slot in the linked program. */
  readonly pc: number;
  /** For memory faults: the address, the access size and whether it was a store. */
  readonly address?: number;
  readonly size?: number;
  readonly store?: boolean;
}

/** A run stopped by a fault: the program did something an unverified program may do but no run may complete. */
export class ExecutionError extends BpfshipError {
  readonly fault: FaultDetail;

  constructor(detail: string, fault: FaultDetail, where: Location = {}, options?: { cause?: unknown }) {
    super('EXECUTION_FAULT', detail, where, options);
    this.name = 'ExecutionError';
    this.fault = fault;
  }
}

/**
 * Errors of the runtime's own: input a run cannot take (a context of the wrong size, a packet too short for the
 * program type), and objects the runtime cannot load (a map the core refuses, a mode that is not available).
 *
 * Programs refused at load and runs stopped by a fault use the executors' LoadError and ExecutionError
 * (`src/interp/errors.ts`).
 *
 * Author: Claude.
 *
 * @module
 */

import { BpfshipError, type Location } from '../internal/errors.ts';

/** Input a run cannot take, as BPF_PROG_TEST_RUN would refuse it (with the errno Linux would give, when it would). */
export class RunInputError extends BpfshipError {
  /** Linux's errno for the same input to BPF_PROG_TEST_RUN (22 EINVAL, 7 E2BIG, 524 ENOTSUPP), when it has one. */
  readonly errno: number | undefined;

  constructor(detail: string, errno?: number, where: Location = {}) {
    super('RUN_INPUT', detail, where);
    this.name = 'RunInputError';
    this.errno = errno;
  }
}

/** An object the runtime cannot load: a map the core refuses, a program-type or mode it does not offer. */
export class RuntimeLoadError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('RUNTIME_LOAD', detail, where, options);
    this.name = 'RuntimeLoadError';
  }
}

/**
 * jit mode refused a program because the verifier did not prove it safe: `diagnostics` is the verifier's
 * compiler-style report (source line, caret, path), as `bpfship verify` prints it.
 */
export class VerificationRefusedError extends RuntimeLoadError {
  readonly program: string;
  readonly diagnostics: string;

  constructor(program: string, diagnostics: string, where: Location = {}) {
    super(`program '${program}' is not loaded in jit mode: the verifier did not prove it safe\n${diagnostics}`, where);
    this.name = 'VerificationRefusedError';
    this.program = program;
    this.diagnostics = diagnostics;
  }
}

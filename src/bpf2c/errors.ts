/**
 * The errors bpf2c throws.
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError, type Location } from '../internal/errors.ts';

/**
 * A program bpf2c cannot translate: an instruction native code cannot express (a kfunc call, an arena address
 * space cast), a reference it cannot resolve, or a verification failure reported through the verify hook.
 */
export class Bpf2cError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('BPF2C_UNSUPPORTED', detail, where, options);
    this.name = 'Bpf2cError';
  }
}

/** Verification of a program failed; `diagnostics` holds the verifier's messages, rendered as a compiler's. */
export class Bpf2cVerificationError extends BpfshipError {
  readonly program: string;
  readonly diagnostics: readonly string[];

  constructor(program: string, diagnostics: readonly string[], where: Location = {}) {
    super('BPF2C_VERIFICATION_FAILED', `program '${program}' failed verification${diagnostics.length > 0 ? ':\n' + diagnostics.join('\n') : ''}`, where);
    this.name = 'Bpf2cVerificationError';
    this.program = program;
    this.diagnostics = diagnostics;
  }
}

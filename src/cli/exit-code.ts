/**
 * The exit statuses, the same for every command and mode (docs/cli.md has the table), and which status an error
 * that leaves a command calls for.
 *
 * Errors are told apart by their `name` and shape, not `instanceof`: their classes live in layers a command may
 * never have loaded (the runtime, the policy, bpf2c), and importing them here only to test membership would load
 * them all at start-up. (The installed command also bundles each command on its own, with its own copy of the
 * layers it uses: an error's class there is not the class main.ts would import.)
 *
 * Author: Claude.
 *
 * @module
 */

/** Exit statuses. */
export const ExitCode = {
  /** The command did what was asked: proven safe, built, signed, run. */
  ok: 0,
  /** A negative verdict: verification failed, or a policy (load, signing) refused. */
  refused: 1,
  /** Wrong arguments, or input that is malformed or missing (including a missing tool such as the C compiler). */
  usage: 2,
  /** The program faulted at run time (an unverified program's bad access, a runaway loop, a bad call). */
  faulted: 3,
  /** A bug in bpfship: the message asks for a report. */
  internal: 70,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Error names (the `name` property) that mean "refused": a negative verdict, not bad input. */
const REFUSED = new Set(['VerificationRefusedError', 'Bpf2cVerificationError', 'PolicyRefusedError', 'SigningRefusedError', 'RefusedError']);
/** Error names that mean a run stopped by a fault of the program. */
const FAULTED = new Set(['ExecutionError']);
/** Error names of usage problems that are not BpfshipErrors. */
const USAGE = new Set(['UsageError', 'CommanderError']);

/**
 * The exit status for an error thrown out of a command: 1 refused, 3 faulted, 2 input or usage (every
 * BpfshipError: a typed error about the input), 70 anything else (a bug).
 */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (!(error instanceof Error)) return ExitCode.internal;
  if (REFUSED.has(error.name)) return ExitCode.refused;
  if (FAULTED.has(error.name)) return ExitCode.faulted;
  if (USAGE.has(error.name) || isBpfshipError(error)) return ExitCode.usage;
  return ExitCode.internal;
}

/** A BpfshipError of any layer (internal/errors.ts): a string `code`, a `where` location, a `detail`, `withLocation`. */
export function isBpfshipError(e: Error): boolean {
  const x = e as Error & { code?: unknown; where?: unknown; detail?: unknown; withLocation?: unknown };
  return typeof x.code === 'string' && typeof x.where === 'object' && x.where !== null && typeof x.detail === 'string' && typeof x.withLocation === 'function';
}

/**
 * A refusal raised by a command itself (the signing policy, a missing verifier): exit status 1, its message
 * printed as `bpfship: refused: ...`.
 */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

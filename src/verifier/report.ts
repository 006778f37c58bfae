/**
 * What the verifier returns: per program, a verdict, figures, and diagnostics that say what is wrong, where in
 * the source, on which path, and with which register states. Plain data: the renderers in `render.ts` turn it into
 * compiler-style text, JSON or SARIF.
 *
 * Author: Claude.
 *
 * @module
 */

import type { StateRecording } from './state-recorder.ts';
import type { RuleSet } from './rules.ts';

/** A position in the program's source, from BTF line info. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The text of the source line, as the compiler recorded it. */
  readonly text: string;
}

/** One decision on the path to a diagnostic. */
export interface PathStep {
  /** A conditional jump both of whose outcomes were possible, a call into a subprogram, or its return. */
  readonly kind: 'branch' | 'call' | 'return';
  readonly slot: number;
  /** For branches: whether the jump was taken. */
  readonly taken?: boolean;
  /** The instruction, in llvm-objdump syntax. */
  readonly instruction: string;
  readonly function: string;
  readonly source?: SourcePosition;
}

/** A register involved in a diagnostic. */
export interface RegisterNote {
  /** `r7`. */
  readonly register: string;
  /** The verifier's view of it, in the kernel log's notation: `map_value_or_null(id=2,map=bind_limit,off=0)`. */
  readonly state: string;
  /** The same in words: "a map value pointer or NULL". */
  readonly description: string;
  /** Where its value came from, when known. */
  readonly origin?: { readonly slot: number; readonly what: string; readonly source?: SourcePosition };
}

/** Stable codes of the problems the verifier reports. */
export const DiagnosticCode = {
  MALFORMED: 'malformed',
  UNINIT_REGISTER: 'uninitialized-register',
  UNINIT_STACK: 'uninitialized-stack',
  NULL_DEREFERENCE: 'null-dereference',
  OUT_OF_BOUNDS: 'out-of-bounds',
  UNBOUNDED_ACCESS: 'unbounded-access',
  INVALID_POINTER: 'invalid-pointer',
  INVALID_POINTER_ARITHMETIC: 'invalid-pointer-arithmetic',
  POINTER_LEAK: 'pointer-leak',
  INVALID_CONTEXT_ACCESS: 'invalid-context-access',
  READ_ONLY: 'read-only',
  INVALID_HELPER_ARGUMENT: 'invalid-helper-argument',
  UNKNOWN_HELPER: 'unknown-helper',
  HELPER_NOT_ALLOWED: 'helper-not-allowed',
  UNRELEASED_REFERENCE: 'unreleased-reference',
  INVALID_RETURN: 'invalid-return',
  INFINITE_LOOP: 'infinite-loop',
  TOO_COMPLEX: 'too-complex',
  CALL_DEPTH: 'call-depth',
  STACK_LIMIT: 'stack-limit',
  MISALIGNED: 'misaligned-access',
  UNSUPPORTED: 'unsupported',
} as const;
/** One of the {@link DiagnosticCode} values. */
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** One problem found. */
export interface Diagnostic {
  readonly severity: 'error' | 'note';
  readonly code: DiagnosticCode;
  /** The problem in words, naming registers and where their values came from. */
  readonly message: string;
  /** The instruction slot (an lddw counts two, as the kernel counts). */
  readonly slot: number;
  /** The function of the linked program the instruction belongs to. */
  readonly function: string;
  /** The instruction in llvm-objdump syntax. */
  readonly instruction: string;
  readonly source?: SourcePosition;
  /** Branch decisions and calls from the program's start to the problem, oldest first. */
  readonly path: readonly PathStep[];
  readonly registers: readonly RegisterNote[];
}

/** The outcome for one program. */
export interface ProgramReport {
  readonly section: string;
  readonly name: string;
  /** The program type it was verified as (`xdp`). */
  readonly type: string;
  /** The rule set it was verified under (see `rules.ts`). */
  readonly rules: RuleSet;
  readonly verdict: 'pass' | 'fail';
  /** The program failed the structure checks (bad instructions or control flow) rather than the safety proof. */
  readonly malformed: boolean;
  /** Instructions processed over all paths (the kernel's "processed N insns"). */
  readonly insnsProcessed: number;
  /** States remembered for pruning. */
  readonly statesStored: number;
  /** Paths cut short because their state was included in one already proven safe. */
  readonly statesPruned: number;
  /** Stack bytes used by the deepest chain of calls. */
  readonly stackDepth: number;
  /**
   * The program may read stack bytes it never wrote (allowed by the `linux` rule set): a runtime must give it
   * stack frames whose contents are defined (a native image zero-fills them).
   */
  readonly readsUninitializedStack: boolean;
  readonly timeMs: number;
  readonly diagnostics: readonly Diagnostic[];
  /** The state log, with `log` level 2 (or the error's state with level 1). */
  readonly log: readonly string[];
  /** The states at each instruction on each path, with the `record` option. */
  readonly recording?: StateRecording;
}

/** The outcome for an object. */
export interface VerifierReport {
  readonly file: string;
  /** The rule set the programs were verified under, when they share one. */
  readonly rules?: RuleSet;
  readonly programs: readonly ProgramReport[];
}

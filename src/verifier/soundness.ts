/**
 * The soundness check: programs the verifier accepts must never access memory outside a region (or read stack
 * bytes never written) when run, on any input. Generated programs (see `generator.ts`) are verified, and those
 * accepted are executed on random inputs by a bounds-checking executor; any fault is a soundness bug.
 *
 * The executor is pluggable: `_reference-executor.ts` is a small one written for this check; the project's
 * interpreter plugs in through the same {@link SoundnessExecutor} interface.
 *
 * @module
 */

import { Random } from './_random.ts';
import { testProgram } from './_test-program.ts';
import { type GeneratedProgram, generateProgram } from './generator.ts';
import type { RuleSet } from './rules.ts';
import { verifyLinked } from './verify.ts';

/** One concrete input for a generated (XDP) program. */
export interface ConcreteInput {
  /** The packet bytes (its length is the packet's size). */
  readonly packet: Uint8Array;
  /** Whether a map lookup of `key` in map `map` finds an element. */
  readonly present: (map: number, key: bigint) => boolean;
  /** Results of helpers that return numbers (prandom, ktime, smp id). */
  readonly helperResult: (id: number, call: number) => bigint;
  /** The program was verified under the linux rule set: reads of stack bytes never written are no fault. */
  readonly allowUninitializedStack?: boolean;
}

/** What one run did. */
export type ExecutionOutcome =
  | { readonly kind: 'ok'; readonly r0: bigint }
  /** A memory access outside every region, or a read of stack bytes never written: the verifier was wrong. */
  | { readonly kind: 'fault'; readonly slot: number; readonly message: string }
  /** The run hit the executor's step limit. */
  | { readonly kind: 'limit' }
  /** The executor cannot run this program (a feature it lacks); not a verdict on the verifier. */
  | { readonly kind: 'unsupported'; readonly message: string };

/** Runs generated programs concretely with bounds checks. */
export interface SoundnessExecutor {
  readonly name: string;
  run(program: GeneratedProgram, input: ConcreteInput): ExecutionOutcome;
}

/** A fault in a program the verifier accepted. */
export interface SoundnessViolation {
  readonly seed: number;
  readonly text: string;
  readonly packetSize: number;
  readonly outcome: ExecutionOutcome;
}

/** The figures of a soundness run. */
export interface SoundnessReport {
  readonly generated: number;
  readonly accepted: number;
  readonly runs: number;
  readonly faultsInRejected: number;
  readonly violations: readonly SoundnessViolation[];
  readonly unsupported: number;
  /**
   * Programs whose verdict changed when a state was remembered at every prune point (more pruning): a verdict must
   * not depend on that, so each is a pruning bug (or, if the extra states made it too complex, a limit).
   */
  readonly pruningInconsistencies: readonly { readonly seed: number; readonly text: string; readonly usual: string; readonly eager: string }[];
}

/** A random input for seed `seed`. */
export function randomInput(seed: number): ConcreteInput {
  const r = new Random(seed);
  const size = r.pick([0, 1, 8, 13, 14, 20, 33, 34, 54, 60, 64, 100]);
  const packet = new Uint8Array(size);
  for (let i = 0; i < size; i++) packet[i] = r.int(256);
  const hitRate = r.pick([0, 0.5, 1]);
  const salt = r.u32();
  const values = [0n, 1n, 7n, 63n, 64n, 65n, 1000n, 0xffffffffn, 0xffffffffffffffffn, BigInt(r.u32())];
  return {
    packet,
    present: (map, key) => hitRate === 1 || (hitRate > 0 && ((Number(key & 0xffffn) ^ salt ^ map) & 1) === 1),
    helperResult: (id, call) => values[(id * 31 + call * 7 + salt) % values.length] as bigint,
  };
}

/**
 * Generates `count` programs from `firstSeed` on, verifies them (under `rules`, strict by default), runs the accepted
 * ones on `inputs` random inputs each, and reports faults. With `callbacks`, the programs call bpf_loop too. With `runRejected`, rejected programs
 * run too (to see the generator produce unsafe programs the verifier rightly refused: `faultsInRejected`).
 */
export function checkSoundness(executor: SoundnessExecutor, options: { firstSeed?: number; count: number; inputs?: number; runRejected?: boolean; length?: number; callbacks?: boolean; rules?: RuleSet }): SoundnessReport {
  // Strict by default: it proves initialization too, which the executor checks.
  const rules = options.rules ?? 'strict';
  const first = options.firstSeed ?? 1;
  const inputs = options.inputs ?? 8;
  let accepted = 0;
  let runs = 0;
  let faultsInRejected = 0;
  let unsupported = 0;
  const violations: SoundnessViolation[] = [];
  const pruningInconsistencies: SoundnessReport['pruningInconsistencies'][number][] = [];
  for (let seed = first; seed < first + options.count; seed++) {
    const p = generateProgram(seed, options.length, { callbacks: options.callbacks === true });
    const linked = testProgram(p.instructions);
    const context = { programType: p.programType, gpl: true };
    const report = verifyLinked(linked, p.maps, context, { maxInsns: 200_000, rules });
    const eager = verifyLinked(linked, p.maps, context, { maxInsns: 200_000, checkpointEveryPrunePoint: true, rules });
    const pass = report.verdict === 'pass';
    const tooComplex = (r: typeof report): boolean => r.diagnostics[0]?.code === 'too-complex';
    if ((eager.verdict === 'pass') !== pass && !tooComplex(report) && !tooComplex(eager)) {
      pruningInconsistencies.push({ seed, text: p.text, usual: report.diagnostics[0]?.message ?? 'pass', eager: eager.diagnostics[0]?.message ?? 'pass' });
    }
    if (pass) accepted++;
    if (!pass && options.runRejected !== true) continue;
    for (let i = 0; i < inputs; i++) {
      const input = { ...randomInput(seed * 1000 + i), allowUninitializedStack: rules === 'linux' };
      const out = executor.run(p, input);
      runs++;
      if (out.kind === 'unsupported') {
        unsupported++;
        break;
      }
      if (out.kind !== 'fault') continue;
      if (pass) violations.push({ seed, text: p.text, packetSize: input.packet.length, outcome: out });
      else faultsInRejected++;
      break;
    }
  }
  return { generated: options.count, accepted, runs, faultsInRejected, violations, unsupported, pruningInconsistencies };
}

/**
 * The soundness check: programs the verifier accepts must never access memory outside a region when run, on any
 * input (nor, under the `strict` rule set, read stack bytes never written). Generated programs (see `generator.ts`)
 * are verified under a rule set, and those accepted are executed on random inputs by a bounds-checking executor that
 * judges faults by the same rule set; any fault is a soundness bug.
 *
 * What a fault is, per rule set: an access outside every region (the context, the packet, the stack, map values
 * handed out), a NULL dereference or a store into read-only memory is one under both. A read of stack bytes the
 * program never wrote is one under `strict` only: `linux` (Linux's `allow_uninit_stack`) reads them as unknown
 * numbers, and the stack is the program's own memory in every runtime of ours, so the read discloses nothing of
 * anyone else's.
 *
 * The executor is pluggable: `_reference-executor.ts` is a small one written for this check; the project's
 * interpreter plugs in through the same {@link SoundnessExecutor} interface.
 *
 * Author: Claude.
 *
 * @module
 */

import { Random } from './_random.ts';
import { type GeneratedProgram, type GeneratorOptions, generateProgram, linkGenerated } from './generator.ts';
import { type RuleSet, RULE_SETS, ruleSetPolicy } from './rules.ts';
import { verifyLinked } from './verify.ts';

/** One concrete input for a generated (XDP) program. */
export interface ConcreteInput {
  /** The packet bytes (its length is the packet's size). */
  readonly packet: Uint8Array;
  /** Whether a map lookup of `key` in map `map` finds an element. */
  readonly present: (map: number, key: bigint) => boolean;
  /** Results of helpers that return numbers (prandom, ktime, smp id). */
  readonly helperResult: (id: number, call: number) => bigint;
  /**
   * The `may_goto` budget each function call starts with (Linux's is BPF_MAX_LOOPS, 2^23). The verifier assumes
   * nothing about it (it follows both ways at every `may_goto`), so every budget gives a run it must have covered;
   * small ones reach the loops' exits within the executor's step limit. The project's interpreter has Linux's.
   */
  readonly mayGotoBudget: number;
}

/** What one run did. */
export type ExecutionOutcome =
  | { readonly kind: 'ok'; readonly r0: bigint }
  /**
   * A memory access outside every region, or (under `strict`) a read of stack bytes never written: the verifier was
   * wrong.
   */
  | { readonly kind: 'fault'; readonly slot: number; readonly message: string }
  /** The run hit the executor's step limit. */
  | { readonly kind: 'limit' }
  /** The executor cannot run this program (a feature it lacks); not a verdict on the verifier. */
  | { readonly kind: 'unsupported'; readonly message: string };

/** Runs generated programs concretely with bounds checks. */
export interface SoundnessExecutor {
  readonly name: string;
  /** Runs `program` on `input`; what counts as a fault follows `rules`, the rule set it was verified under. */
  run(program: GeneratedProgram, input: ConcreteInput, rules: RuleSet): ExecutionOutcome;
}

/** Whether a run under `rules` faults on reading stack bytes never written (`strict`; `linux` reads unknown numbers). */
export function faultsOnUninitializedStack(rules: RuleSet): boolean {
  return !ruleSetPolicy(rules).allowUninitStack;
}

/** A fault in a program the verifier accepted. */
export interface SoundnessViolation {
  readonly seed: number;
  readonly rules: RuleSet;
  readonly text: string;
  readonly packetSize: number;
  readonly outcome: ExecutionOutcome;
}

/** The figures of a soundness run. */
export interface SoundnessReport {
  readonly generated: number;
  /** Verifications that passed (with both rule sets, a program counts once for each that accepts it). */
  readonly accepted: number;
  readonly runs: number;
  /** Verifications that failed and whose program then faulted when run (with `runRejected`). */
  readonly faultsInRejected: number;
  readonly violations: readonly SoundnessViolation[];
  readonly unsupported: number;
  /**
   * Programs whose verdict changed when a state was remembered at every prune point (more pruning): a verdict must
   * not depend on that, so each is a pruning bug (or, if the extra states made it too complex, a limit).
   */
  readonly pruningInconsistencies: readonly PruningInconsistency[];
}

/** A verdict that changed when a state was remembered at every prune point. */
export interface PruningInconsistency {
  readonly seed: number;
  readonly rules: RuleSet;
  readonly text: string;
  readonly usual: string;
  readonly eager: string;
}

/** What verifying and running one generated program under one rule set found. */
export interface ProgramCheck {
  readonly rules: RuleSet;
  readonly pass: boolean;
  /** The first diagnostic's code when the program was rejected. */
  readonly rejectCode: string | undefined;
  readonly runs: number;
  /** A fault of an accepted program (a soundness violation). */
  readonly violation: SoundnessViolation | undefined;
  /** Whether a rejected program (run with `runRejected`) faulted: the verifier was right to reject it. */
  readonly faultedWhenRejected: boolean;
  readonly unsupported: boolean;
  readonly pruning: PruningInconsistency | undefined;
}

/**
 * Verifies `p` under `rules` (as usual, and with a checkpoint at every prune point, which must not change the
 * verdict) and, if accepted (or with `runRejected`), runs it on `inputs` random inputs until a run faults.
 *
 * @example
 * ```ts
 * const c = checkProgram(referenceExecutor, generateProgram(11), 'linux', { inputs: 8 });
 * if (c.violation !== undefined) console.log(c.violation.outcome);
 * ```
 */
export function checkProgram(executor: SoundnessExecutor, p: GeneratedProgram, rules: RuleSet, options: { inputs: number; runRejected?: boolean }): ProgramCheck {
  const linked = linkGenerated(p);
  const context = { programType: p.programType, gpl: true };
  const report = verifyLinked(linked, p.maps, context, { maxInsns: 200_000, rules });
  const pass = report.verdict === 'pass';
  const tooComplex = (r: typeof report): boolean => r.diagnostics[0]?.code === 'too-complex';
  // A too-complex verdict is compared with nothing (more checkpoints may well change it), so the second run is spared.
  const eager = tooComplex(report) ? report : verifyLinked(linked, p.maps, context, { maxInsns: 200_000, checkpointEveryPrunePoint: true, rules });
  const pruning = (eager.verdict === 'pass') !== pass && !tooComplex(report) && !tooComplex(eager)
    ? { seed: p.seed, rules, text: p.text, usual: report.diagnostics[0]?.message ?? 'pass', eager: eager.diagnostics[0]?.message ?? 'pass' }
    : undefined;
  let runs = 0;
  let violation: SoundnessViolation | undefined;
  let faultedWhenRejected = false;
  let unsupported = false;
  if (pass || options.runRejected === true) {
    for (let i = 0; i < options.inputs; i++) {
      const input = randomInput(p.seed * 1000 + i);
      const out = executor.run(p, input, rules);
      runs++;
      if (out.kind === 'unsupported') {
        unsupported = true;
        break;
      }
      if (out.kind !== 'fault') continue;
      if (pass) violation = { seed: p.seed, rules, text: p.text, packetSize: input.packet.length, outcome: out };
      else faultedWhenRejected = true;
      break;
    }
  }
  return { rules, pass, rejectCode: pass ? undefined : report.diagnostics[0]?.code, runs, violation, faultedWhenRejected, unsupported, pruning };
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
  // Drawn last, so that the inputs of earlier seeds are as they were. Linux's 2^23 acts as 1000 does in generated
  // loops (their own bounds end them first), but makes a loop that only may_goto ends run into the step limit.
  const mayGotoBudget = r.pick([0, 1, 2, 3, 5, 8, 64, 1000]);
  return {
    packet,
    mayGotoBudget,
    present: (map, key) => hitRate === 1 || (hitRate > 0 && ((Number(key & 0xffffn) ^ salt ^ map) & 1) === 1),
    helperResult: (id, call) => values[(id * 31 + call * 7 + salt) % values.length] as bigint,
  };
}

/** Which rule sets to verify under: one, or `both` (each program under each). */
export type RuleChoice = RuleSet | 'both';

/** The rule sets of `choice`. */
export function ruleSetsOf(choice: RuleChoice): readonly RuleSet[] {
  return choice === 'both' ? RULE_SETS : [choice];
}

/** Options of {@link checkSoundness} and of the generated programs. */
export interface SoundnessOptions extends GeneratorOptions {
  readonly firstSeed?: number;
  readonly count: number;
  readonly inputs?: number;
  readonly runRejected?: boolean;
  readonly length?: number;
  /** Strict by default. */
  readonly rules?: RuleChoice;
}

/**
 * Generates `count` programs from `firstSeed` on, verifies them (under `rules`, strict by default; with `both`, each
 * under each rule set), runs the accepted ones on `inputs` random inputs each, and reports faults. The generator
 * options (`callbacks`, `mayGoto`, ...) add those features to the programs. With `runRejected`, rejected programs run
 * too (to see the generator produce unsafe programs the verifier rightly refused: `faultsInRejected`).
 */
export function checkSoundness(executor: SoundnessExecutor, options: SoundnessOptions): SoundnessReport {
  const ruleSets = ruleSetsOf(options.rules ?? 'strict');
  const first = options.firstSeed ?? 1;
  const inputs = options.inputs ?? 8;
  let accepted = 0;
  let runs = 0;
  let faultsInRejected = 0;
  let unsupported = 0;
  const violations: SoundnessViolation[] = [];
  const pruningInconsistencies: PruningInconsistency[] = [];
  for (let seed = first; seed < first + options.count; seed++) {
    const p = generateProgram(seed, options.length, options);
    for (const rules of ruleSets) {
      const c = checkProgram(executor, p, rules, { inputs, runRejected: options.runRejected === true });
      if (c.pass) accepted++;
      runs += c.runs;
      if (c.faultedWhenRejected) faultsInRejected++;
      if (c.unsupported) unsupported++;
      if (c.violation !== undefined) violations.push(c.violation);
      if (c.pruning !== undefined) pruningInconsistencies.push(c.pruning);
    }
  }
  return { generated: options.count, accepted, runs, faultsInRejected, violations, unsupported, pruningInconsistencies };
}

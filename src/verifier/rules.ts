/**
 * Rule sets: what the verifier allows beyond memory safety. Both sets refuse everything Linux refuses for a safety
 * reason; they differ in what Linux lets a privileged (root, CAP_BPF) loader do that discloses information rather
 * than corrupting memory.
 *
 * - `linux` (the default) follows Linux's privileged rules (`allow_ptr_leaks`, `allow_uninit_stack`): a program may
 *   store pointers into maps, the context or the packet, return them, pass them to helpers as plain numbers,
 *   compare pointers of different kinds, and read stack bytes it never wrote (as unknown numbers). What a root
 *   libbpf loader gets through the kernel passes here too.
 * - `strict` keeps addresses inside the program and proves every stack byte written before it is read: no pointer
 *   values stored outside the stack, returned or passed as numbers, no comparisons that reveal an address, no
 *   reads of uninitialized stack. For programs whose output leaves the host (packets, maps read by others) or whose
 *   authors are not trusted with the host's addresses.
 *
 * Why `linux` is memory-safe in every runtime, and which to choose: `src/verifier/DESIGN.md`, "Rule sets".
 *
 * Author: Claude.
 *
 * @module
 */

/** The name of a rule set. */
export type RuleSet = 'linux' | 'strict';

/** Every rule set, the default first. */
export const RULE_SETS: readonly RuleSet[] = ['linux', 'strict'];

/** The rule set used when none is asked for. */
export const DEFAULT_RULES: RuleSet = 'linux';

/** What a rule set allows. */
export interface RuleSetPolicy {
  /** Pointer values may leave the program as numbers (Linux's `allow_ptr_leaks`). */
  readonly allowPointerLeaks: boolean;
  /** Never-written stack bytes read as unknown numbers (Linux's `allow_uninit_stack`). */
  readonly allowUninitStack: boolean;
}

const POLICIES: Readonly<Record<RuleSet, RuleSetPolicy>> = {
  linux: { allowPointerLeaks: true, allowUninitStack: true },
  strict: { allowPointerLeaks: false, allowUninitStack: false },
};

/** What rule set `rules` allows. */
export function ruleSetPolicy(rules: RuleSet): RuleSetPolicy {
  return POLICIES[rules];
}

/**
 * `rules` as a rule set name, or a RangeError naming the choices.
 *
 * @example
 * ```ts
 * parseRuleSet('strict'); // 'strict'
 * parseRuleSet('lax'); // throws RangeError: Expected a rule set (linux, strict), got 'lax'
 * ```
 */
export function parseRuleSet(rules: string): RuleSet {
  if ((RULE_SETS as readonly string[]).includes(rules)) return rules as RuleSet;
  throw new RangeError(`Expected a rule set (${RULE_SETS.join(', ')}), got '${rules}'`);
}

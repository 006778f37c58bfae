// Author: Claude.
import { DEFAULT_RULES, type RuleSet } from './rules.ts';

/** The verifier's name and version, as build records and attestations name it. Bumped when verdicts can change. */
export const VERIFIER_NAME = 'bpfship-verifier';
export const VERIFIER_VERSION = '0.1.0';

/** What a command asked of the verifier that can change verdicts, and so must be named wherever verdicts are. */
export interface VerifierSettings {
  /** The rule set (default `linux`). */
  readonly rules?: RuleSet;
  /** The license given for an object without one (`--license`), if any. */
  readonly license?: string;
}

/**
 * The verifier as an attestation and a build record name it: name, version and the settings it ran with. The rule
 * set is always recorded (a production policy can require `strict`), the license only when one was given.
 *
 * @example
 * ```ts
 * verifierIdentity({ rules: 'strict' }); // { name: 'bpfship-verifier', version: '0.1.0', options: { rules: 'strict' } }
 * ```
 */
export function verifierIdentity(settings: VerifierSettings = {}): { readonly name: string; readonly version: string; readonly options: Readonly<Record<string, string>> } {
  return {
    name: VERIFIER_NAME,
    version: VERIFIER_VERSION,
    options: { rules: settings.rules ?? DEFAULT_RULES, ...(settings.license !== undefined ? { license: settings.license } : {}) },
  };
}

/**
 * The verifier and its settings in one line, for build cache keys and messages: `bpfship-verifier 0.1.0` with the
 * defaults (the key images built before rule sets existed had), then `rules=strict`, `license=GPL` when set.
 *
 * @example
 * ```ts
 * verifierIdOf({}); // 'bpfship-verifier 0.1.0'
 * verifierIdOf({ rules: 'strict', license: 'GPL' }); // 'bpfship-verifier 0.1.0 rules=strict license=GPL'
 * ```
 */
export function verifierIdOf(settings: VerifierSettings = {}): string {
  const rules = settings.rules ?? DEFAULT_RULES;
  return [
    `${VERIFIER_NAME} ${VERIFIER_VERSION}`,
    ...(rules !== DEFAULT_RULES ? [`rules=${rules}`] : []),
    ...(settings.license !== undefined ? [`license=${JSON.stringify(settings.license).slice(1, -1)}`] : []),
  ].join(' ');
}

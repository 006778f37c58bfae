/**
 * The verifier's options as `verify`, `bpf2c`, `build` and `run` take them: `--rules linux|strict` (the rule set,
 * recorded in a signed image's attestation), `--license STR` (the license an object without a `license` section is
 * loaded under, as its loader would pass one) and, on `verify`, `--btf FILE` (the kernel's BTF, default
 * `/sys/kernel/btf/vmlinux` when present).
 *
 * The license follows libbpf: an object's own `license` section wins (libbpf loads `obj->license`), and `--license`
 * stands in only for an object that has none (falco's objects call GPL-only helpers and carry no license: their
 * loader passes "GPL").
 *
 * Author: Claude.
 *
 * @module
 */
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { existsSync } from 'node:fs';
import { DEFAULT_RULES, parseRuleSet, RULE_SETS, type RuleSet } from '../verifier/rules.ts';
import type { VerifierSettings } from '../verifier/version.ts';
import type { KernelBtf } from '../verifier/kernel-btf.ts';
import { readInput, UsageError } from './io.ts';

/** Where the running kernel publishes its BTF. */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** The options {@link addVerifierOptions} adds, as commander parses them. */
export interface VerifierOptionValues {
  readonly rules: string;
  readonly license?: string | undefined;
}

/**
 * Adds `--rules` and `--license` to a command (the options of every command that verifies).
 *
 * @example
 * ```ts
 * addVerifierOptions(command.argument('<file>')).action((file, opts) => verifierSettings(opts));
 * ```
 */
export function addVerifierOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(command: Command<Args, Opts, Globals>) {
  return command
    .addOption(new Option('--rules <set>', "the verifier's rule set: linux (Linux's privileged rules) or strict (also: no address leaves the program, no read of never-written stack); a signed image's attestation records it").choices(RULE_SETS).default(DEFAULT_RULES))
    .option('--license <string>', "the license for an object without a license section, as its loader passes one (e.g. GPL, for GPL-only helpers); an object's own license section wins, as in libbpf");
}

/** The rule set and license asked for, checked. */
export function verifierSettings(opts: VerifierOptionValues): VerifierSettings & { readonly rules: RuleSet } {
  let rules: RuleSet;
  try {
    rules = parseRuleSet(opts.rules);
  } catch (e) {
    throw new UsageError(`--rules: ${(e as Error).message}`);
  }
  if (opts.license !== undefined && (opts.license === '' || opts.license.includes('\0'))) throw new UsageError('--license must be a non-empty string without NUL bytes');
  return { rules, ...(opts.license !== undefined ? { license: opts.license } : {}) };
}

/**
 * The license to verify an object under: undefined (the object's own) when it has a `license` section, else the
 * one given with `--license` (libbpf's precedence, see the module comment).
 */
export function licenseFor(objectLicense: string | undefined, given: string | undefined): { readonly license?: string } {
  return objectLicense === undefined && given !== undefined ? { license: given } : {};
}

/**
 * The kernel BTF for `--btf FILE`: a file given is read and parsed at once, so a missing or invalid one is a usage
 * error naming it; without the option, `/sys/kernel/btf/vmlinux` when present, parsed only if a check needs it
 * (parsing it takes about 0.2 s, more than verifying a small object).
 */
export async function kernelBtfFor(file: string | undefined): Promise<KernelBtf | undefined> {
  const { lazyKernelBtf, parsedKernelBtf } = await import('../verifier/kernel-btf.ts');
  if (file === undefined) {
    if (!existsSync(VMLINUX_BTF)) return undefined;
    return lazyKernelBtf(VMLINUX_BTF, () => readInput(VMLINUX_BTF));
  }
  let bytes: Uint8Array;
  try {
    bytes = readInput(file);
  } catch (e) {
    throw new UsageError(`--btf ${(e as Error).message}`); // `FILE: no such file`, `FILE: permission denied`...
  }
  const { parseBtf } = await import('../btf/index.ts');
  try {
    return parsedKernelBtf(file, parseBtf(bytes, { file }));
  } catch (e) {
    throw new UsageError(`--btf ${file}: not a kernel BTF file (as /sys/kernel/btf/vmlinux is): ${(e as Error).message}`);
  }
}

/**
 * The verifier as bpf2c, build and run use it: every program is verified before it is translated, and a failure
 * stops the build with the verifier's compiler-style diagnostics.
 *
 * The verifier's code is loaded only when a program must actually be verified: a `build` answered from the cache
 * names the verifier in its cache key but never runs it, and must not pay for loading it (native-build.ts).
 *
 * Author: Claude.
 *
 * @module
 */
import type { VerifyHook } from '../bpf2c/index.ts';
import { verifierIdentity, verifierIdOf, type VerifierSettings } from '../verifier/version.ts';

/** How the commands reach a verifier. */
export interface VerifierWiring {
  readonly verify?: VerifyHook;
  /** Names the verifier and its options in build cache keys and messages, e.g. `bpfship-verifier 0.1.0`. */
  readonly verifierId?: string;
  /**
   * Which verifier this is, as the signed attestation records it (name, version, options). Without it a signed
   * image records `verifierId` as the name and `unknown` as the version.
   */
  readonly identity?: { readonly name: string; readonly version: string; readonly options: Readonly<Record<string, string | number | boolean>> };
}

/** A verifier whose code may not be loaded yet. */
export interface VerifierSource {
  /** Whether there is a verifier at all (tests run without one). */
  readonly present: boolean;
  /** The wiring without its `verify` (what cache keys and records name), known without loading anything. */
  readonly described: VerifierWiring;
  /** Loads the verifier's code. */
  load(): Promise<VerifierWiring>;
}

/**
 * bpfship's verifier (src/verifier) with `settings` (rule set, license for objects without one), wired for the
 * bpf2c, build and run commands. Its id and identity name the settings, so images verified under different rules
 * never share a cache entry, and a signed image's attestation records the rule set.
 */
export function builtinVerifierWith(settings: VerifierSettings = {}): VerifierSource {
  const described: VerifierWiring = { verifierId: verifierIdOf(settings), identity: verifierIdentity(settings) };
  let loaded: VerifierWiring | undefined;
  return {
    present: true,
    described,
    async load() {
      if (loaded !== undefined) return loaded;
      const { renderText, verifyProgram } = await import('../verifier/index.ts');
      const verify: VerifyHook = ({ spec, program }) => {
        // The object's own license wins, as in libbpf: the one given stands in only when it has none.
        const license = spec.license === undefined && settings.license !== undefined ? { license: settings.license } : {};
        const report = verifyProgram(spec, program, { ...(settings.rules !== undefined ? { rules: settings.rules } : {}), ...license });
        return report.verdict === 'pass' ? { ok: true, diagnostics: [] } : { ok: false, diagnostics: [renderText({ file: spec.file, programs: [report] })] };
      };
      loaded = { ...described, verify };
      return loaded;
    },
  };
}

/** bpfship's verifier with the default settings (Linux's rules). */
export const builtinVerifier: VerifierSource = builtinVerifierWith();

/** The verifier a command uses: the one main was given (tests), else bpfship's own with `settings`. */
export function verifierFor(ctx: { readonly verifier?: VerifierSource }, settings: VerifierSettings = {}): VerifierSource {
  return ctx.verifier ?? builtinVerifierWith(settings);
}

/** A wiring given whole (tests; `{}` is "no verifier"). */
export function fixedVerifier(wiring: VerifierWiring): VerifierSource {
  const described: VerifierWiring = {
    ...(wiring.verifierId !== undefined ? { verifierId: wiring.verifierId } : {}),
    ...(wiring.identity !== undefined ? { identity: wiring.identity } : {}),
  };
  return { present: wiring.verify !== undefined, described, load: () => Promise.resolve(wiring) };
}

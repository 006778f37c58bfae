/**
 * The verifier as bpf2c, build and run use it: every program is verified before it is translated, and a failure
 * stops the build with the verifier's compiler-style diagnostics.
 *
 * The verifier's code is loaded only when a program must actually be verified: a `build` answered from the cache
 * names the verifier in its cache key but never runs it, and must not pay for loading it (native-build.ts).
 *
 * @module
 */
import type { VerifyHook } from '../bpf2c/index.ts';
import { VERIFIER_NAME, VERIFIER_VERSION } from '../verifier/version.ts';

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

/** The identity of bpfship's own verifier (src/verifier), without its code. */
const builtinDescription: VerifierWiring = {
  verifierId: `${VERIFIER_NAME} ${VERIFIER_VERSION}`,
  identity: { name: VERIFIER_NAME, version: VERIFIER_VERSION, options: {} },
};

let builtinLoaded: VerifierWiring | undefined;

/** bpfship's verifier (src/verifier), wired for the bpf2c, build and run commands. */
export const builtinVerifier: VerifierSource = {
  present: true,
  described: builtinDescription,
  async load() {
    if (builtinLoaded !== undefined) return builtinLoaded;
    const { renderText, verifyProgram } = await import('../verifier/index.ts');
    const verify: VerifyHook = ({ spec, program }) => {
      const report = verifyProgram(spec, program);
      return report.verdict === 'pass' ? { ok: true, diagnostics: [] } : { ok: false, diagnostics: [renderText({ file: spec.file, programs: [report] })] };
    };
    builtinLoaded = { ...builtinDescription, verify };
    return builtinLoaded;
  },
};

/** A wiring given whole (tests; `{}` is "no verifier"). */
export function fixedVerifier(wiring: VerifierWiring): VerifierSource {
  const described: VerifierWiring = {
    ...(wiring.verifierId !== undefined ? { verifierId: wiring.verifierId } : {}),
    ...(wiring.identity !== undefined ? { identity: wiring.identity } : {}),
  };
  return { present: wiring.verify !== undefined, described, load: () => Promise.resolve(wiring) };
}

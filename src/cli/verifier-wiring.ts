/**
 * The verifier as bpf2c and build use it: every program is verified before it is translated, and a failure stops
 * the build with the verifier's compiler-style diagnostics.
 *
 * @module
 */
import type { VerifyHook } from '../bpf2c/index.ts';
import { renderText, verifyProgram, VERIFIER_NAME, VERIFIER_VERSION } from '../verifier/index.ts';
import type { VerifierWiring } from './commands/bpf2c.ts';

const verify: VerifyHook = ({ spec, program }) => {
  const report = verifyProgram(spec, program);
  return report.verdict === 'pass'
    ? { ok: true, diagnostics: [] }
    : { ok: false, diagnostics: [renderText({ file: spec.file, programs: [report] })] };
};

/** bpfship's verifier, wired for the bpf2c and build commands. */
export const verifierWiring: VerifierWiring = {
  verify,
  verifierId: `${VERIFIER_NAME} ${VERIFIER_VERSION}`,
  identity: { name: VERIFIER_NAME, version: VERIFIER_VERSION, options: {} },
};

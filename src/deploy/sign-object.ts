/**
 * Signing an eBPF object for the kernel: `bpfship sign-object` and `signObjectForKernel(...)`. Verification is not
 * optional: every program of the object goes through bpfship's verifier first, and an object with a program it
 * does not prove safe is not signed. The signature (`prog.o.sig`) carries the in-toto statement whose subject is
 * the object itself, with the verifier, its verdicts and options, each program's program-info hash and the kernel
 * ABI the verdicts hold for (src/sign/attestation.ts), which `bpfship deploy` checks under the production policy.
 *
 * Author: Claude.
 *
 * @module
 */
import { LINUX_ABI_VERSION } from '../abi/index.ts';
import { objectPrograms } from '../policy/index.ts';
import { buildKernelObjectPredicate, signKernelObject, type Certificate, type KernelObjectPredicate, type SignatureFile, type SigningIdentity, type VerifierIdentity } from '../sign/index.ts';
import { readObject } from '../spec/index.ts';
import { DEFAULT_RULES, renderText, verifyProgram, VERIFIER_NAME, VERIFIER_VERSION, type ProgramReport, type VerifyOptions } from '../verifier/index.ts';

/** What {@link signObjectForKernel} needs. */
export interface SignObjectOptions {
  /** The object's bytes, read once: what is verified is what is signed. */
  readonly object: Uint8Array;
  /** Its file name, the statement's subject name. */
  readonly objectName: string;
  readonly signer: SigningIdentity;
  /** Roots to validate the signer's chain against before signing (what a deployment would refuse, refused now). */
  readonly trustedRoots?: readonly Certificate[];
  /**
   * The verifier's options (`rules`: `linux`, the default, or `strict`), and how the attestation names the verifier
   * (default bpfship's, with the rule set it applied as its `rules` option).
   */
  readonly verifyOptions?: VerifyOptions;
  readonly verifier?: VerifierIdentity;
  /** When the attestation says it was made (default now). */
  readonly attestedAt?: Date;
}

/** A signed object. */
export interface SignedObject {
  readonly signature: SignatureFile;
  readonly predicate: KernelObjectPredicate;
  /** The verifier's report on each program. */
  readonly reports: readonly ProgramReport[];
}

/** The object has a program bpfship's verifier did not prove safe: nothing was signed. */
export class ObjectNotVerifiedError extends Error {
  readonly reports: readonly ProgramReport[];
  /** The verifier's compiler-style report of the programs that failed, as `bpfship verify` prints it. */
  readonly diagnostics: string;
  constructor(objectName: string, reports: readonly ProgramReport[], diagnostics: string) {
    const failed = reports.filter((r) => r.verdict !== 'pass').map((r) => `'${r.name}'`);
    super(`${objectName}: not signed: bpfship's verifier did not prove program${failed.length === 1 ? '' : 's'} ${failed.join(', ')} safe`);
    this.name = 'ObjectNotVerifiedError';
    this.reports = reports;
    this.diagnostics = diagnostics;
  }
}

/**
 * Verifies every program of an object and signs it for the kernel (see the module comment).
 *
 * @example
 * ```ts
 * const { signature } = signObjectForKernel({ object, objectName: 'prog.o', signer: readSigningIdentity({ key, certificate, chain }) });
 * writeFileSync('prog.o.sig', formatSignatureFile(signature));
 * ```
 * @throws {ObjectNotVerifiedError} when a program is not proven safe; BpfshipError for a malformed object;
 *   SignError for keys, certificates and chains the sign layer refuses.
 */
export function signObjectForKernel(options: SignObjectOptions): SignedObject {
  const spec = readObject(options.object, { name: options.objectName });
  const reports = spec.programs.map((p) => verifyProgram(spec, p, options.verifyOptions ?? {}));
  if (reports.length === 0 || reports.some((r) => r.verdict !== 'pass')) {
    const failed = reports.filter((r) => r.verdict !== 'pass');
    const text = reports.length === 0 ? `${options.objectName}: the object has no programs\n` : renderText({ file: spec.file, programs: failed });
    throw new ObjectNotVerifiedError(options.objectName, reports, text);
  }
  const hashes = new Map(objectPrograms(spec).map((p) => [p.name, p.infoHash]));
  const predicate = buildKernelObjectPredicate({
    verifier: options.verifier ?? { name: VERIFIER_NAME, version: VERIFIER_VERSION, options: { rules: options.verifyOptions?.rules ?? DEFAULT_RULES } },
    programs: spec.programs.map((p) => ({ name: p.name, section: p.sectionName, verdict: 'accepted' as const, programInfoHash: hashes.get(p.name) as string })),
    target: { kernel: 'linux', abi: LINUX_ABI_VERSION },
    ...(options.attestedAt !== undefined ? { attestedAt: options.attestedAt } : {}),
  });
  const signature = signKernelObject({ object: options.object, objectName: options.objectName, predicate }, options.signer, options.trustedRoots !== undefined ? { trustedRoots: options.trustedRoots } : {});
  return { signature, predicate, reports };
}

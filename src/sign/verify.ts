/**
 * Offline verification of a signed native image or of an eBPF object signed for the kernel: `bpfship
 * verify-signature`, and the core of the production policy (the native runtime's and kernel deployment's).
 *
 * It takes the image's bytes (read once by the caller, who then loads exactly those bytes) and the signature file,
 * and checks, in this order, stopping at the first failure:
 *
 * 1. the signature file parses (SIGFILE_*, CERT_MALFORMED; no file at all: IMAGE_UNSIGNED);
 * 2. the signing certificate chains to a trusted root at the verification time, with every path check and the
 *    revoked serials (CHAIN_*, CERT_*; see chain.ts);
 * 3. the envelope's single signature verifies with the signing certificate's key (DSSE_*);
 * 4. the payload is an in-toto v1 statement with our predicate, every field valid (ATTESTATION_INVALID);
 * 5. the image's SHA-256, recomputed, is the statement's subject (IMAGE_DIGEST_MISMATCH) and is not revoked
 *    (IMAGE_REVOKED);
 * 6. when given, the ELF object's and the generated C's SHA-256 are the attested ones (ELF_DIGEST_MISMATCH,
 *    GENERATED_C_DIGEST_MISMATCH);
 * 7. every attested program was accepted by the verifier (PROGRAM_NOT_VERIFIED);
 * 8. when given, each expected program-info hash (program name → hex SHA-256, computed by the runtime from its own
 *    helper table) matches the attested one (PROGRAM_NOT_ATTESTED, PROGRAM_INFO_MISMATCH). Attested programs
 *    absent from the map are not checked: the runtime asks about the programs it loads.
 *
 * An object signed for the kernel (`verifyKernelObject`) goes through the same steps with the object as the subject
 * of step 5 and no step 6.
 *
 * The result is plain data (JSON-ready for `--json` and the audit log). Verification never throws on bad input:
 * any unexpected fault becomes a refusal with code INTERNAL, so that a bug fails closed.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Location } from '../internal/errors.ts';
import { parseKernelObjectStatement, parseStatement, ProgramVerdict, type KernelObjectStatement, type NativeImageStatement, type SignedStatement } from './attestation.ts';
import type { Certificate, CertificateSummary } from './certificate.ts';
import { validateChain, type ValidatedChain } from './chain.ts';
import { verifyEnvelope } from './dsse.ts';
import { sha256Hex } from './encoding.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import { NO_REVOCATIONS, type RevocationList } from './revocation-list.ts';
import { parseSignatureFile } from './signature-file.ts';

/** What `verifyImage` checks. */
export interface VerifyImageInput {
  /** The image's bytes, exactly those that will be loaded. */
  readonly image: Uint8Array;
  /** The signature file's content; undefined when the image has none. */
  readonly signature: Uint8Array | string | undefined;
  /** Where the signature came from (`{ file: 'prog.so.sig' }`), for messages. */
  readonly signatureSource?: Location;
  readonly trustedRoots: readonly Certificate[];
  readonly revocations?: RevocationList;
  /** Program name → the program-info hash (hex SHA-256) the runtime computes. */
  readonly expectedProgramInfo?: ReadonlyMap<string, string>;
  /** The source ELF object, when at hand, to check against the attestation. */
  readonly elf?: Uint8Array;
  /** The generated C, when at hand. */
  readonly generatedC?: Uint8Array;
  /** Verification time; default now. */
  readonly time?: Date;
  /** EKUs the signing certificate must carry; default ours and code signing. */
  readonly requiredLeafEkus?: readonly string[];
}

/** The signing certificate's facts, with its DSSE keyid. */
export interface SignerSummary extends CertificateSummary {
  readonly keyId: string;
}

/** An artifact whose signature and attestation passed every check. */
export interface Verified<S extends SignedStatement> {
  readonly ok: true;
  /** `sha256:<hex>` of the artifact's bytes (the image, or the object). */
  readonly imageDigest: string;
  readonly statement: S;
  readonly signer: SignerSummary;
  /** The intermediates of the validated path, leaf side first. */
  readonly intermediates: readonly CertificateSummary[];
  /** The trusted root the path ends at. */
  readonly trustRoot: CertificateSummary;
}

/** A refused artifact: the first failure, by code and message. */
export interface Refused<S extends SignedStatement> {
  readonly ok: false;
  readonly code: SignErrorCode;
  readonly message: string;
  /** `sha256:<hex>` of the artifact's bytes. */
  readonly imageDigest: string;
  /** The signing certificate when the signature file named one; `signerVerified` says whether its chain passed. */
  readonly signer?: SignerSummary;
  readonly signerVerified: boolean;
  /** The statement when the signature over it verified (and it parsed). */
  readonly statement?: S;
}

/** An image whose signature and attestation passed every check. */
export type VerifiedImage = Verified<NativeImageStatement>;
/** A refused image. */
export type RefusedImage = Refused<NativeImageStatement>;
/** The outcome of `verifyImage`. */
export type ImageVerification = VerifiedImage | RefusedImage;

/** The outcome of `verifyKernelObject`. */
export type KernelObjectVerification = Verified<KernelObjectStatement> | Refused<KernelObjectStatement>;

/** The outcome of either verification. */
export type SignatureVerification = Verified<SignedStatement> | Refused<SignedStatement>;

/**
 * Verifies an image against its signature file (see the module comment for the steps).
 *
 * @example
 * ```ts
 * const image = readFileSync('prog.so');
 * const result = verifyImage({ image, signature: readFileSync('prog.so.sig'), trustedRoots: readTrustedRoots(['root-ca.pem']) });
 * if (!result.ok) console.error(`${result.code}: ${result.message}`);
 * ```
 */
export function verifyImage(input: VerifyImageInput): ImageVerification {
  return verifySigned(input, { what: 'image', parse: parseStatement }, (statement) => {
    // 6. The sources, when at hand.
    const predicate = statement.predicate;
    if (input.elf !== undefined) {
      const elf = sha256Hex(input.elf);
      if (elf !== predicate.elf.digest.sha256) throw new SignError('ELF_DIGEST_MISMATCH', `the ELF object's SHA-256 is ${elf}, the attestation names '${predicate.elf.name}' with ${predicate.elf.digest.sha256}`);
    }
    if (input.generatedC !== undefined) {
      const c = sha256Hex(input.generatedC);
      if (c !== predicate.generatedC.digest.sha256) {
        throw new SignError('GENERATED_C_DIGEST_MISMATCH', `the generated C's SHA-256 is ${c}, the attestation names '${predicate.generatedC.name}' with ${predicate.generatedC.digest.sha256}`);
      }
    }
  });
}

/** What `verifyKernelObject` checks: `image` is the ELF object's bytes, exactly those that will be loaded. */
export type VerifyKernelObjectInput = Omit<VerifyImageInput, 'elf' | 'generatedC'>;

/**
 * Verifies an eBPF object signed for the kernel (`bpfship sign-object`) against its signature file: the same steps
 * as {@link verifyImage}, with the object itself as the attested subject (step 5 is the ELF digest) and no step 6
 * (there are no other sources: the object is what was verified and what is loaded).
 *
 * @example
 * ```ts
 * const object = readFileSync('prog.o');
 * const result = verifyKernelObject({ image: object, signature: readFileSync('prog.o.sig'), trustedRoots });
 * ```
 */
export function verifyKernelObject(input: VerifyKernelObjectInput): KernelObjectVerification {
  return verifySigned(input, { what: 'object', parse: parseKernelObjectStatement }, () => {});
}

type State<S> = { signer?: SignerSummary; signerVerified: boolean; statement?: S };

/** What is verified: a native image or a kernel object, and how its statement is read. */
interface Subject<S> {
  readonly what: 'image' | 'object';
  readonly parse: (payload: Uint8Array) => S;
}

function verifySigned<S extends SignedStatement>(input: VerifyKernelObjectInput, subject: Subject<S>, sourceChecks: (statement: S) => void): Verified<S> | Refused<S> {
  const imageDigest = 'sha256:' + sha256Hex(input.image);
  const state: State<S> = { signerVerified: false };
  try {
    return runChecks(input, imageDigest, state, subject, sourceChecks);
  } catch (e) {
    const code: SignErrorCode = e instanceof SignError ? e.code : 'INTERNAL';
    const message = e instanceof SignError ? e.message : `internal fault during verification, ${subject.what} refused: ${e instanceof Error ? e.message : String(e)}`;
    return {
      ok: false,
      code,
      message,
      imageDigest,
      ...(state.signer !== undefined ? { signer: state.signer } : {}),
      signerVerified: state.signerVerified,
      ...(state.statement !== undefined ? { statement: state.statement } : {}),
    };
  }
}

function runChecks<S extends SignedStatement>(input: VerifyKernelObjectInput, imageDigest: string, state: State<S>, subject: Subject<S>, sourceChecks: (statement: S) => void): Verified<S> {
  const where = input.signatureSource ?? {};
  const what = subject.what;
  const kernelObject = what === 'object';
  // 1. The signature file.
  if (input.signature === undefined) {
    throw new SignError('IMAGE_UNSIGNED', kernelObject ? 'the object has no signature file; production policy deploys only signed objects (bpfship sign-object)' : 'the image has no signature file; production policy loads only signed images', where);
  }
  const file = parseSignatureFile(input.signature, where);
  const [leaf, ...intermediates] = file.certificates;
  if (leaf === undefined) throw new SignError('SIGFILE_SHAPE', 'certificateChain holds no certificate', where);
  state.signer = { ...leaf.summary(), keyId: leaf.keyId };

  // 2. The chain.
  const revocations = input.revocations ?? NO_REVOCATIONS;
  const chain: ValidatedChain = validateChain(leaf, intermediates, {
    trustedRoots: input.trustedRoots,
    revokedSerials: revocations.serials,
    ...(input.time !== undefined ? { time: input.time } : {}),
    ...(input.requiredLeafEkus !== undefined ? { requiredLeafEkus: input.requiredLeafEkus } : {}),
  });
  state.signerVerified = true;

  // 3. The envelope's signature, then 4. the statement it carries.
  const { payload } = verifyEnvelope(file.envelope, leaf.publicKey, leaf.keyId);
  const statement = subject.parse(payload);
  state.statement = statement;

  // 5. The artifact itself.
  const attested = statement.subject[0];
  const hex = imageDigest.slice('sha256:'.length);
  if (attested === undefined || attested.digest.sha256 !== hex) {
    throw new SignError('IMAGE_DIGEST_MISMATCH', `the ${what}'s SHA-256 is ${hex}, but the signature is for '${attested?.name ?? '?'}' with SHA-256 ${attested?.digest.sha256 ?? '?'} (the ${what} changed, or the signature belongs to another ${what})`);
  }
  if (revocations.imageDigests.has(hex)) throw new SignError('IMAGE_REVOKED', `the ${what}'s digest sha256:${hex} is on the revocation list`);

  // 6. The sources, when at hand.
  sourceChecks(statement);

  // 7. Verdicts, 8. program-info hashes.
  const predicate = statement.predicate;
  const unverified = predicate.programs.find((p) => p.verdict !== ProgramVerdict.accepted);
  if (unverified !== undefined) throw new SignError('PROGRAM_NOT_VERIFIED', `the attestation records program '${unverified.name}' with verdict '${unverified.verdict}'`);
  for (const [name, expected] of input.expectedProgramInfo ?? []) {
    const program = predicate.programs.find((p) => p.name === name);
    if (program === undefined) {
      throw new SignError('PROGRAM_NOT_ATTESTED', `program '${name}' is not in the attestation (attested: ${predicate.programs.map((p) => `'${p.name}'`).join(', ')})`);
    }
    if (program.programInfoHash.sha256 !== expected.toLowerCase()) {
      throw new SignError('PROGRAM_INFO_MISMATCH', `program '${name}' was verified against program info ${program.programInfoHash.sha256}, but this ${kernelObject ? 'toolchain' : 'runtime'} computes ${expected.toLowerCase()} (program type, context or helper prototypes differ)`);
    }
  }

  return {
    ok: true,
    imageDigest,
    statement,
    signer: state.signer,
    intermediates: chain.path.slice(1).map((c) => c.summary()),
    trustRoot: chain.anchor.summary(),
  };
}

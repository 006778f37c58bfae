/**
 * Signing a native image (or an eBPF object for the kernel): the in-toto statement about its bytes, in a DSSE envelope signed by the signing key,
 * with the certificate chain, as the `.sig` file holds them.
 *
 * The image is passed as bytes, not a path, so that what is hashed is exactly what the caller holds (the build
 * step's output buffer, or a file it read once).
 *
 * Author: Claude.
 *
 * @module
 */
import { buildKernelObjectStatement, buildStatement, encodeStatement, ProgramVerdict, type AttestedProgram, type KernelObjectPredicate, type NativeImagePredicate, type SignedStatement } from './attestation.ts';
import { signatureKeyTypeOf, type Certificate } from './certificate.ts';
import { validateChain } from './chain.ts';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelope } from './dsse.ts';
import { SignError } from './errors.ts';
import { assertKeyMatches, type SigningIdentity } from './keys.ts';
import type { SignatureFile } from './signature-file.ts';

/** What is signed. */
export interface SignImageInput {
  /** The native image's bytes. */
  readonly image: Uint8Array;
  /** Its file name, recorded as the statement's subject name (not checked on verification: renaming is fine). */
  readonly imageName: string;
  /** The build record (`buildPredicate`). */
  readonly predicate: NativeImagePredicate;
}

/** Optional checks at signing time. */
export interface SignImageOptions {
  /**
   * When given, the signer's chain is validated against these roots first (the same checks as verification), so
   * that `sign` fails at once on a certificate the runtime would refuse (expired, no EKU, a CA as signer).
   */
  readonly trustedRoots?: readonly Certificate[];
  readonly time?: Date;
  readonly requiredLeafEkus?: readonly string[];
}

/**
 * Signs an image. Refuses (ATTESTATION_UNSIGNABLE) a predicate recording a program the verifier rejected, since the
 * signature is the proof of verification; refuses a key that is not the certificate's (KEY_CERTIFICATE_MISMATCH) or
 * not Ed25519/P-256 (KEY_UNSUPPORTED), and with `options.trustedRoots`, a chain the verifier would refuse (CHAIN_*,
 * CERT_*). The new signature is verified once before it is returned.
 *
 * @example
 * ```ts
 * const sig = signImage({ image, imageName: 'prog.so', predicate }, readSigningIdentity({ key, certificate, chain }));
 * writeFileSync('prog.so.sig', formatSignatureFile(sig));
 * ```
 */
export function signImage(input: SignImageInput, signer: SigningIdentity, options: SignImageOptions = {}): SignatureFile {
  return signStatement(input.predicate.programs, 'an image', () => buildStatement(input.imageName, input.image, input.predicate), signer, options);
}

/** What {@link signKernelObject} signs. */
export interface SignKernelObjectInput {
  /** The ELF object's bytes, exactly those that were verified and will be deployed. */
  readonly object: Uint8Array;
  /** Its file name, recorded as the statement's subject name. */
  readonly objectName: string;
  readonly predicate: KernelObjectPredicate;
}

/**
 * Signs an eBPF object for the kernel: a statement whose subject is the object itself, with the same refusals as
 * {@link signImage} (a program the verifier rejected, a key that is not the certificate's, a chain the roots refuse).
 *
 * @example
 * ```ts
 * const sig = signKernelObject({ object, objectName: 'prog.o', predicate }, readSigningIdentity({ key, certificate, chain }));
 * writeFileSync('prog.o.sig', formatSignatureFile(sig));
 * ```
 */
export function signKernelObject(input: SignKernelObjectInput, signer: SigningIdentity, options: SignImageOptions = {}): SignatureFile {
  return signStatement(input.predicate.programs, 'an object', () => buildKernelObjectStatement(input.objectName, input.object, input.predicate), signer, options);
}

function signStatement(programs: readonly AttestedProgram[], what: string, statement: () => SignedStatement, signer: SigningIdentity, options: SignImageOptions): SignatureFile {
  if (options.trustedRoots !== undefined) {
    validateChain(signer.certificate, signer.intermediates, {
      trustedRoots: options.trustedRoots,
      ...(options.time !== undefined ? { time: options.time } : {}),
      ...(options.requiredLeafEkus !== undefined ? { requiredLeafEkus: options.requiredLeafEkus } : {}),
    });
  }
  const rejected = programs.find((p) => p.verdict !== ProgramVerdict.accepted);
  if (rejected !== undefined) {
    throw new SignError('ATTESTATION_UNSIGNABLE', `program '${rejected.name}' (section '${rejected.section}') was not accepted by the verifier; ${what} is signed only when every program is`);
  }
  if (signatureKeyTypeOf(signer.privateKey) === undefined) {
    throw new SignError('KEY_UNSUPPORTED', `the signing key is a ${signer.privateKey.asymmetricKeyType ?? 'secret'} key; expected Ed25519 or ECDSA P-256`);
  }
  assertKeyMatches(signer.privateKey, signer.certificate);
  const payload = encodeStatement(statement());
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, signer.privateKey, signer.certificate.keyId);
  verifyEnvelope(envelope, signer.certificate.publicKey, signer.certificate.keyId);
  return { envelope, certificates: [signer.certificate, ...signer.intermediates] };
}

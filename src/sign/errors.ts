/**
 * The sign layer's error type and its stable codes.
 *
 * Every refusal names its cause with one of the codes below, so that `verify-signature --json`, the audit log and
 * the runtime's policy all speak the same words, and tests can assert the cause rather than a message.
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError, type Location } from '../internal/errors.ts';

/**
 * Why a key, certificate, signature file or image was refused. Grouped by the step that finds the fault, in the
 * order `verifyImage` takes the steps.
 */
export const SignErrorCode = {
  // Keys and certificates given to `keys init`, `sign` or as trust roots.
  /** The private key cannot be read (not PEM, wrong passphrase, damaged). */
  KEY_INVALID: 'KEY_INVALID',
  /** The key is neither Ed25519 nor ECDSA P-256. */
  KEY_UNSUPPORTED: 'KEY_UNSUPPORTED',
  /** The private key does not belong to the signing certificate. */
  KEY_CERTIFICATE_MISMATCH: 'KEY_CERTIFICATE_MISMATCH',
  /** `keys init` would overwrite an existing file. */
  KEYS_EXIST: 'KEYS_EXIST',
  /** No trusted root was given, so nothing can be trusted. */
  TRUST_ROOTS_EMPTY: 'TRUST_ROOTS_EMPTY',
  /** The revocation list is not the JSON document described in revocation-list.ts. */
  REVOCATION_LIST_INVALID: 'REVOCATION_LIST_INVALID',
  /** The attestation to sign is incomplete or claims a program the verifier did not accept. */
  ATTESTATION_UNSIGNABLE: 'ATTESTATION_UNSIGNABLE',

  // The signature file.
  /** The image has no signature file. */
  IMAGE_UNSIGNED: 'IMAGE_UNSIGNED',
  /** The signature file is not JSON (or not UTF-8, or too large). */
  SIGFILE_JSON: 'SIGFILE_JSON',
  /** The signature file is JSON of the wrong shape (missing or extra field, wrong type, wrong media type). */
  SIGFILE_SHAPE: 'SIGFILE_SHAPE',
  /** A base64 field is not canonical base64. */
  SIGFILE_BASE64: 'SIGFILE_BASE64',
  /** The certificate chain is not well-formed PEM. */
  SIGFILE_PEM: 'SIGFILE_PEM',
  /** A certificate cannot be parsed, or breaks a structural rule (duplicate extension). */
  CERT_MALFORMED: 'CERT_MALFORMED',

  // The certificate chain.
  /** The chain does not lead to any of the trusted roots. */
  CHAIN_UNTRUSTED_ROOT: 'CHAIN_UNTRUSTED_ROOT',
  /** A certificate's issuer was found by name but its signature does not verify with the issuer's key. */
  CHAIN_SIGNATURE_INVALID: 'CHAIN_SIGNATURE_INVALID',
  /** The path has more certificates than the validator accepts. */
  CHAIN_TOO_LONG: 'CHAIN_TOO_LONG',
  /** A certificate of the path expired before the verification time. */
  CERT_EXPIRED: 'CERT_EXPIRED',
  /** A certificate of the path is not valid yet at the verification time. */
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  /** An issuing certificate is not a CA (no basicConstraints with cA true). */
  CERT_NOT_CA: 'CERT_NOT_CA',
  /** A certificate's keyUsage lacks keyCertSign (CA) or digitalSignature (signer). */
  CERT_KEY_USAGE: 'CERT_KEY_USAGE',
  /** A CA's pathLenConstraint allows fewer intermediates below it than the path has. */
  CERT_PATH_LENGTH_EXCEEDED: 'CERT_PATH_LENGTH_EXCEEDED',
  /** The signing certificate is a CA certificate. */
  CERT_LEAF_IS_CA: 'CERT_LEAF_IS_CA',
  /** The signing certificate lacks a required extended key usage (ours, or code signing). */
  CERT_EKU_MISSING: 'CERT_EKU_MISSING',
  /** A CA restricts extended key usages and does not allow one the signer needs. */
  CERT_EKU_NOT_PERMITTED: 'CERT_EKU_NOT_PERMITTED',
  /** A certificate has a critical extension the validator does not process. */
  CERT_UNKNOWN_CRITICAL_EXTENSION: 'CERT_UNKNOWN_CRITICAL_EXTENSION',
  /** A certificate of the path has a revoked serial number. */
  CERT_REVOKED: 'CERT_REVOKED',

  // The DSSE envelope.
  /** The envelope carries no signature. */
  DSSE_NO_SIGNATURE: 'DSSE_NO_SIGNATURE',
  /** The envelope carries more than one signature (the file holds one chain, so one signature). */
  DSSE_TOO_MANY_SIGNATURES: 'DSSE_TOO_MANY_SIGNATURES',
  /** The envelope's payloadType is not the in-toto type. */
  DSSE_PAYLOAD_TYPE: 'DSSE_PAYLOAD_TYPE',
  /** The signature's keyid names another key than the signing certificate's. */
  DSSE_KEYID_MISMATCH: 'DSSE_KEYID_MISMATCH',
  /** The signature does not verify over the envelope's payload with the signing certificate's key. */
  DSSE_SIGNATURE_INVALID: 'DSSE_SIGNATURE_INVALID',

  // The attestation and what it claims.
  /** The signed payload is not an in-toto v1 statement with our predicate, field by field. */
  ATTESTATION_INVALID: 'ATTESTATION_INVALID',
  /** The image's SHA-256 is not the statement's subject digest (a changed image, or a signature of another). */
  IMAGE_DIGEST_MISMATCH: 'IMAGE_DIGEST_MISMATCH',
  /** The image's digest is on the revocation list. */
  IMAGE_REVOKED: 'IMAGE_REVOKED',
  /** The ELF object given is not the one the attestation names. */
  ELF_DIGEST_MISMATCH: 'ELF_DIGEST_MISMATCH',
  /** The generated C given is not the one the attestation names. */
  GENERATED_C_DIGEST_MISMATCH: 'GENERATED_C_DIGEST_MISMATCH',
  /** The attestation records a program the verifier did not accept. */
  PROGRAM_NOT_VERIFIED: 'PROGRAM_NOT_VERIFIED',
  /** The runtime expects a program the attestation does not name. */
  PROGRAM_NOT_ATTESTED: 'PROGRAM_NOT_ATTESTED',
  /** A program's attested program-info hash differs from the one the runtime computes. */
  PROGRAM_INFO_MISMATCH: 'PROGRAM_INFO_MISMATCH',

  // The policy itself.
  /** The decision could not be written to the audit log, so the image is refused. */
  AUDIT_LOG_FAILED: 'AUDIT_LOG_FAILED',
  /** An unexpected fault inside verification (a bug); the image is refused. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the codes of `SignErrorCode`. */
export type SignErrorCode = (typeof SignErrorCode)[keyof typeof SignErrorCode];

/**
 * A key, certificate, signature or attestation that is not acceptable. `code` names the cause; `where.file` names
 * the file when one is known.
 *
 * @example
 * ```ts
 * try { parseSignatureFile(text) } catch (e) { if (e instanceof SignError && e.code === 'SIGFILE_JSON') ... }
 * ```
 */
export class SignError extends BpfshipError {
  declare readonly code: SignErrorCode;

  constructor(code: SignErrorCode, detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super(code, detail, where, options);
    this.name = 'SignError';
  }
}

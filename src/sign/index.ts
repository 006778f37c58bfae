/**
 * The sign layer: keys and certificates, certification path validation, DSSE envelopes holding in-toto statements
 * about native images and about eBPF objects signed for the kernel, the `.sig` file, offline verification and the audit log. The production policy itself (every
 * check folded into one audited decision) is the runtime's LoadPolicy (src/policy/load-policy.ts).
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { initDevKeys, buildPredicate, signImageFile, verifyImageFile } from './sign/index.ts';
 * await initDevKeys('keys');
 * signImageFile({ imagePath: 'prog.so', predicate, keyPath: 'keys/signer.key', certificatePath: 'keys/signer.pem', chainPaths: ['keys/intermediate-ca.pem'] });
 * const result = verifyImageFile({ imagePath: 'prog.so', trustPaths: ['keys/root-ca.pem'] });
 * ```
 * @module
 */
export { SignError, SignErrorCode } from './errors.ts';
export {
  BPFSHIP_OID_ARC,
  DEFAULT_SIGNER_EKUS,
  EKU_ANY,
  EKU_CODE_SIGNING,
  EKU_EBPF_PROGRAM_VERIFICATION,
  ExtensionOid,
  isObjectIdentifier,
} from './oids.ts';
export { decodeBase64Strict, decodePem, encodeBase64, encodePem, isSha256Hex, sha256Hex, type DecodePemOptions, type PemBlock } from './encoding.ts';
export {
  Certificate,
  KeyUsageBit,
  normalizeSerial,
  parseCertificates,
  SignatureKeyType,
  signatureKeyTypeOf,
  type BasicConstraints,
  type CertificateSummary,
  type ParseCertificatesOptions,
} from './certificate.ts';
export { MAX_PATH_LENGTH, validateChain, type ChainValidationOptions, type ValidatedChain } from './chain.ts';
export { issueCertificate, type CertificateIssuer, type IssueCertificateParams } from './issue-certificate.ts';
export {
  assertKeyMatches,
  createDevHierarchy,
  DevKeyFile,
  encodePrivateKeyPem,
  generateSigningKeyPair,
  initDevKeys,
  loadPrivateKey,
  loadSigningIdentity,
  readSigningIdentity,
  readTrustedRoots,
  type CertifiedKey,
  type DevHierarchy,
  type DevHierarchyOptions,
  type DevKeyPaths,
  type SigningIdentity,
  type SigningIdentityInput,
} from './keys.ts';
export {
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  preAuthEncoding,
  signEnvelope,
  signPae,
  verifyEnvelope,
  verifyPae,
  type DsseEnvelope,
  type DsseSignature,
  type VerifiedEnvelope,
} from './dsse.ts';
export {
  buildKernelObjectPredicate,
  buildKernelObjectStatement,
  buildPredicate,
  buildStatement,
  encodeStatement,
  IN_TOTO_STATEMENT_TYPE,
  KERNEL_OBJECT_PREDICATE_TYPE,
  MAX_STATEMENT_BYTES,
  NATIVE_IMAGE_PREDICATE_TYPE,
  parseKernelObjectPredicate,
  parseKernelObjectStatement,
  parsePredicate,
  parseStatement,
  parseStatementOf,
  ProgramVerdict,
  type ArtifactInput,
  type AttestedProgram,
  type CompilerIdentity,
  type DigestSet,
  type KernelObjectPredicate,
  type KernelObjectPredicateInput,
  type KernelObjectStatement,
  type KernelTarget,
  type NativeImagePredicate,
  type NativeImageStatement,
  type PredicateInput,
  type PredicateType,
  type SignedStatement,
  type ResourceDescriptor,
  type VerifierIdentity,
  type VerifierOptionValue,
} from './attestation.ts';
export {
  formatSignatureFile,
  MAX_SIGNATURE_FILE_BYTES,
  parseSignatureFile,
  SIGNATURE_FILE_MEDIA_TYPE,
  signatureFilePath,
  type SignatureFile,
} from './signature-file.ts';
export { signImage, signKernelObject, type SignImageInput, type SignImageOptions, type SignKernelObjectInput } from './sign-image.ts';
export { NO_REVOCATIONS, parseRevocationList, revocationList, type RevocationList } from './revocation-list.ts';
export {
  verifyImage,
  verifyKernelObject,
  type ImageVerification,
  type KernelObjectVerification,
  type Refused,
  type RefusedImage,
  type SignatureVerification,
  type SignerSummary,
  type Verified,
  type VerifiedImage,
  type VerifyImageInput,
  type VerifyKernelObjectInput,
} from './verify.ts';
export { AUDIT_OK, AuditDecision, AuditLog, auditRecordFor, readAuditLog, type AuditRecord } from './audit-log.ts';
export { formatVerification, signImageFile, verifyImageFile, type SignImageFileOptions, type VerifyImageFileOptions } from './commands.ts';

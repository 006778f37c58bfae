/**
 * The file-level cores of the `sign`, `verify-signature` and `keys init` commands (the CLI parses arguments and
 * prints; these read and write files). Each reads an image exactly once and works on those bytes.
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ET_REL, isEbpfMachine } from '../elf/index.ts';
import type { NativeImagePredicate } from './attestation.ts';
import { readSigningIdentity, readTrustedRoots } from './keys.ts';
import { parseRevocationList } from './revocation-list.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile, signatureFilePath, type SignatureFile } from './signature-file.ts';
import { NATIVE_IMAGE_PREDICATE_TYPE } from './attestation.ts';
import { verifyImage, verifyKernelObject, type SignatureVerification } from './verify.ts';

/** Options of `signImageFile`. */
export interface SignImageFileOptions {
  /** The native image to sign. */
  readonly imagePath: string;
  /** The build record (`buildPredicate`). */
  readonly predicate: NativeImagePredicate;
  /** The signing key (PEM). */
  readonly keyPath: string;
  /** The signing certificate (PEM; may be a full chain, leaf first). */
  readonly certificatePath: string;
  /** Intermediate certificates (PEM files). */
  readonly chainPaths?: readonly string[];
  readonly passphrase?: string;
  /** Where to write; default `<image>.sig`. */
  readonly signaturePath?: string;
  /** Trusted roots (PEM files) to validate the signer's chain against before signing; skipped when absent. */
  readonly trustPaths?: readonly string[];
}

/**
 * `bpfship sign OUT.so`: signs the image and writes `OUT.so.sig` atomically (a temporary file, flushed, then
 * renamed, so a reader never sees half a signature). Returns the path written and the signature.
 */
export function signImageFile(options: SignImageFileOptions): { signaturePath: string; signature: SignatureFile } {
  const image = readFileSync(options.imagePath);
  const signer = readSigningIdentity({
    key: options.keyPath,
    certificate: options.certificatePath,
    ...(options.chainPaths !== undefined ? { chain: options.chainPaths } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
  });
  const trust = options.trustPaths !== undefined ? { trustedRoots: readTrustedRoots(options.trustPaths) } : {};
  const signature = signImage({ image, imageName: basename(options.imagePath), predicate: options.predicate }, signer, trust);
  const signaturePath = options.signaturePath ?? signatureFilePath(options.imagePath);
  writeFileAtomic(signaturePath, formatSignatureFile(signature));
  return { signaturePath, signature };
}

/** Options of `verifyImageFile`. */
export interface VerifyImageFileOptions {
  readonly imagePath: string;
  /** Default `<image>.sig`; a missing file means an unsigned image. */
  readonly signaturePath?: string;
  /** PEM files of trusted roots (`--trust`). */
  readonly trustPaths: readonly string[];
  /** A revocation list file (revocation-list.ts). */
  readonly revocationPath?: string;
  /** The source ELF and the generated C, to check against the attestation when at hand. */
  readonly elfPath?: string;
  readonly generatedCPath?: string;
  /** Program name → expected program-info hash. */
  readonly expectedProgramInfo?: ReadonlyMap<string, string>;
  readonly time?: Date;
  readonly requiredLeafEkus?: readonly string[];
}

/**
 * `bpfship verify-signature OUT.so --trust ROOT.pem`: the offline check. Faults in the image's own signature
 * become a refusal in the result; unreadable trust roots or revocation list (the verifier's own configuration)
 * throw, since then there is nothing to verify against.
 */
export function verifyImageFile(options: VerifyImageFileOptions): SignatureVerification {
  const trustedRoots = readTrustedRoots(options.trustPaths);
  const revocations = options.revocationPath !== undefined ? parseRevocationList(readFileSync(options.revocationPath, 'utf8'), { file: options.revocationPath }) : undefined;
  const image = readFileSync(options.imagePath);
  const signaturePath = options.signaturePath ?? signatureFilePath(options.imagePath);
  let signature: Buffer | undefined;
  try {
    signature = readFileSync(signaturePath);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  // An eBPF object (ELF e_machine EM_BPF, 247, or 0 as older LLVM wrote, in a relocatable object) is checked as
  // an object signed for the kernel (sign-object).
  if (image.length >= 20 && image.readUInt32BE(0) === 0x7f454c46 && isEbpfMachine(image.readUInt16LE(18)) && image.readUInt16LE(16) === ET_REL) {
    return verifyKernelObject({
      image,
      signature,
      signatureSource: { file: signaturePath },
      trustedRoots,
      ...(revocations !== undefined ? { revocations } : {}),
      ...(options.expectedProgramInfo !== undefined ? { expectedProgramInfo: options.expectedProgramInfo } : {}),
      ...(options.time !== undefined ? { time: options.time } : {}),
      ...(options.requiredLeafEkus !== undefined ? { requiredLeafEkus: options.requiredLeafEkus } : {}),
    });
  }
  return verifyImage({
    image,
    signature,
    signatureSource: { file: signaturePath },
    trustedRoots,
    ...(revocations !== undefined ? { revocations } : {}),
    ...(options.elfPath !== undefined ? { elf: readFileSync(options.elfPath) } : {}),
    ...(options.generatedCPath !== undefined ? { generatedC: readFileSync(options.generatedCPath) } : {}),
    ...(options.expectedProgramInfo !== undefined ? { expectedProgramInfo: options.expectedProgramInfo } : {}),
    ...(options.time !== undefined ? { time: options.time } : {}),
    ...(options.requiredLeafEkus !== undefined ? { requiredLeafEkus: options.requiredLeafEkus } : {}),
  });
}

/**
 * The human-readable report of a verification, one line per fact, for `verify-signature` without `--json`
 * (`--json` prints the result object itself: it is plain data).
 *
 * @example
 * ```text
 * prog.so: verified
 *   image     sha256:9f86...
 *   signer    CN=bpfship development signer, O=bpfship development (serial 3a7f...)
 *   root      CN=bpfship development root CA, O=bpfship development (sha256 fingerprint 1c2d...)
 *   elf       prog.o sha256:...
 *   programs  xdp_prog (xdp) accepted by bpfship-verifier 0.1.0
 * ```
 */
export function formatVerification(imageName: string, result: SignatureVerification): string {
  if (!result.ok) {
    const lines = [`${imageName}: refused: ${result.code}: ${result.message}`, `  image     ${result.imageDigest}`];
    if (result.signer !== undefined) lines.push(`  signer    ${result.signer.subject} (serial ${result.signer.serialNumber}${result.signerVerified ? '' : ', not verified'})`);
    return lines.join('\n') + '\n';
  }
  const statement = result.statement;
  const p = statement.predicate;
  const made =
    statement.predicateType === NATIVE_IMAGE_PREDICATE_TYPE
      ? [
          `  elf       ${statement.predicate.elf.name} sha256:${statement.predicate.elf.digest.sha256}`,
          `  c         ${statement.predicate.generatedC.name} sha256:${statement.predicate.generatedC.digest.sha256}`,
          `  compiler  ${statement.predicate.compiler.name} ${statement.predicate.compiler.version} ${statement.predicate.compiler.flags.join(' ')}`.trimEnd(),
        ]
      : [`  target    ${statement.predicate.target.kernel} ${statement.predicate.target.abi} (an eBPF object signed for the kernel)`];
  const options = Object.entries(p.verifier.options).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  const lines = [
    `${imageName}: verified`,
    `  ${statement.predicateType === NATIVE_IMAGE_PREDICATE_TYPE ? 'image ' : 'object'}    ${result.imageDigest}`,
    `  signer    ${result.signer.subject} (serial ${result.signer.serialNumber})`,
    ...result.intermediates.map((c) => `  via       ${c.subject}`),
    `  root      ${result.trustRoot.subject} (sha256 fingerprint ${result.trustRoot.fingerprint256})`,
    ...made,
    ...p.programs.map((prog) => `  program   ${prog.name} (${prog.section}) ${prog.verdict} by ${p.verifier.name} ${p.verifier.version}${options === '' ? '' : ` (${options})`}, program info sha256:${prog.programInfoHash.sha256}`),
    `  attested  ${p.attestedAt}`,
  ];
  return lines.join('\n') + '\n';
}

/** Writes a file so that readers see either the old content or all of the new. */
function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * Turns a finished build into its build record and its signatures: the same record `bpfship build` writes beside an
 * image (src/store/build-record.ts), the same DSSE envelope with the in-toto statement that `bpfship sign` makes
 * from that record, and the ELF object's signature for the kernel that `bpfship sign-object` makes (`NAME.o.sig`,
 * what `bpfship deploy` checks), from the same verdicts and program-info hashes. The signing key is held by the
 * service's thread only; build workers never see it.
 *
 * Author: Claude.
 *
 * @module
 */
import { LINUX_ABI_VERSION } from '../abi/index.ts';
import { buildKernelObjectPredicate, buildPredicate, formatSignatureFile, sha256Hex, signImage, signKernelObject, type Certificate, type SigningIdentity } from '../sign/index.ts';
import { buildRecordFor, formatBuildRecord, type BuildRecord } from '../store/index.ts';
import { cFileName } from '../native/index.ts';
import { verifierIdentity } from '../verifier/index.ts';
import type { BuiltImage } from './build-job.ts';

/** What signing a build gives. */
export interface AttestedBuild {
  readonly record: BuildRecord;
  /** The record as stored (`IMAGE.build.json`). */
  readonly recordText: string;
  /** The signature file as stored (`IMAGE.sig`). */
  readonly signatureText: string;
  /** The ELF object's signature for the kernel, as stored (`NAME.o.sig`). */
  readonly objectSignatureText: string;
  /** The signing certificate's subject. */
  readonly signer: string;
}

/** File names of a build's artifacts: `NAME.o`, `NAME.bpf2c.c`, `NAME.so` (recorded in the record and statement). */
export function artifactNames(name: string): { readonly elf: string; readonly c: string; readonly image: string } {
  const elf = `${name}.o`;
  return { elf, c: cFileName(elf), image: `${name}.so` };
}

/**
 * Makes the build record of a verified build and signs the image and `elf`, the object it was built from (see the
 * module comment).
 *
 * @throws {SignError} when the signer cannot sign (a key that is not the certificate's; with `trustedRoots`, a
 *   chain that does not lead to them), or the record holds a program that was not accepted.
 */
export function attestBuild(
  image: BuiltImage,
  elf: Uint8Array,
  name: string,
  signer: SigningIdentity,
  options: { readonly trustedRoots?: readonly Certificate[]; readonly now?: Date } = {},
): AttestedBuild {
  if (sha256Hex(elf) !== image.elfSha256) throw new Error(`internal: the ELF given to sign is not the one '${name}' was built from`);
  const names = artifactNames(name);
  const now = options.now ?? new Date();
  const record = buildRecordFor(image, names, image.verified ? verifierIdentity({ rules: image.rules }) : null, now);
  if (record.verifier === null) throw new Error(`internal: build of '${name}' reached signing without verification`);
  const predicate = buildPredicate({
    elf: { name: record.elf.name, sha256: record.elf.sha256 },
    generatedC: { name: record.generatedC.name, sha256: record.generatedC.sha256 },
    verifier: record.verifier,
    programs: record.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: p.programInfoHash })),
    compiler: record.compiler,
    attestedAt: now,
  });
  const trust = options.trustedRoots !== undefined ? { trustedRoots: options.trustedRoots } : {};
  const signature = signImage({ image: image.so, imageName: names.image, predicate }, signer, trust);
  // The object itself, for the kernel: the same verifier and verdicts; bpf2c's program-info hashes are the ones
  // the deploy policy recomputes from the object (src/policy/object-programs.ts).
  const objectPredicate = buildKernelObjectPredicate({
    verifier: record.verifier,
    programs: record.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: p.programInfoHash })),
    target: { kernel: 'linux', abi: LINUX_ABI_VERSION },
    attestedAt: now,
  });
  const objectSignature = signKernelObject({ object: elf, objectName: names.elf, predicate: objectPredicate }, signer, trust);
  return {
    record,
    recordText: formatBuildRecord(record),
    signatureText: formatSignatureFile(signature),
    objectSignatureText: formatSignatureFile(objectSignature),
    signer: signer.certificate.summary().subject,
  };
}

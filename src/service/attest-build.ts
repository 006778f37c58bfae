/**
 * Turns a finished build into its build record and its signature: the same record `bpfship build` writes beside an
 * image (src/store/build-record.ts), and the same DSSE envelope with the in-toto statement that `bpfship sign`
 * makes from that record. The signing key is held by the service's thread only; build workers never see it.
 *
 * @module
 */
import { buildPredicate, formatSignatureFile, signImage, type Certificate, type SigningIdentity } from '../sign/index.ts';
import { buildRecordFor, formatBuildRecord, type BuildRecord } from '../store/index.ts';
import { cFileName } from '../native/index.ts';
import { SERVICE_VERIFIER, type BuiltImage } from './build-job.ts';

/** What signing a build gives. */
export interface AttestedBuild {
  readonly record: BuildRecord;
  /** The record as stored (`IMAGE.build.json`). */
  readonly recordText: string;
  /** The signature file as stored (`IMAGE.sig`). */
  readonly signatureText: string;
  /** The signing certificate's subject. */
  readonly signer: string;
}

/** File names of a build's artifacts: `NAME.o`, `NAME.bpf2c.c`, `NAME.so` (recorded in the record and statement). */
export function artifactNames(name: string): { readonly elf: string; readonly c: string; readonly image: string } {
  const elf = `${name}.o`;
  return { elf, c: cFileName(elf), image: `${name}.so` };
}

/**
 * Makes the build record of a verified build and signs the image (see the module comment).
 *
 * @throws {SignError} when the signer cannot sign (a key that is not the certificate's; with `trustedRoots`, a
 *   chain that does not lead to them), or the record holds a program that was not accepted.
 */
export function attestBuild(
  image: BuiltImage,
  name: string,
  signer: SigningIdentity,
  options: { readonly trustedRoots?: readonly Certificate[]; readonly now?: Date } = {},
): AttestedBuild {
  const names = artifactNames(name);
  const now = options.now ?? new Date();
  const record = buildRecordFor(image, names, image.verified ? SERVICE_VERIFIER : null, now);
  if (record.verifier === null) throw new Error(`internal: build of '${name}' reached signing without verification`);
  const predicate = buildPredicate({
    elf: { name: record.elf.name, sha256: record.elf.sha256 },
    generatedC: { name: record.generatedC.name, sha256: record.generatedC.sha256 },
    verifier: record.verifier,
    programs: record.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: p.programInfoHash })),
    compiler: record.compiler,
    attestedAt: now,
  });
  const signature = signImage({ image: image.so, imageName: names.image, predicate }, signer, options.trustedRoots !== undefined ? { trustedRoots: options.trustedRoots } : {});
  return { record, recordText: formatBuildRecord(record), signatureText: formatSignatureFile(signature), signer: signer.certificate.summary().subject };
}

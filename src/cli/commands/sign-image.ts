/**
 * `bpfship sign IMAGE --sign-key KEY --sign-cert CERT [--chain PEM...] [--record FILE] [--trust ROOT.pem...]`:
 * signs a native image built earlier, from its build record (`IMAGE.build.json`, see build-record.ts), writing
 * `IMAGE.sig`. `bpfship build --sign-key ...` signs through the same function.
 *
 * An image is signed only when it was verified: the record must name the verifier that ran and every program must
 * be accepted, the record must be about these very bytes and agree with the image's own description table, and the
 * image's program-info hashes must be the ones this toolchain computes. The bytes signed are the bytes checked
 * (read once).
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { basename } from 'node:path';
import { readInput, UsageError, writeOutputAtomic } from '../io.ts';
import type { CommandContext } from '../context.ts';
import { buildRecordPath, parseBuildRecord, recordDisagreement, type BuildRecord } from './build-record.ts';

/** The image cannot be signed (not verified, or the record does not describe it): exit status 1. */
export class SigningRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningRefusedError';
  }
}

/** What {@link signBuiltImage} needs. */
export interface SignBuiltImageInput {
  /** The image's bytes, read once by the caller. */
  readonly image: Uint8Array;
  /** Its path: the signature goes to `<path>.sig` unless `signaturePath` says otherwise. */
  readonly imagePath: string;
  readonly record: BuildRecord;
  readonly keyPath: string;
  readonly certificatePath: string;
  readonly chainPaths?: readonly string[];
  /** Roots to validate the signer's chain against before signing (what a runtime would refuse, refused now). */
  readonly trustPaths?: readonly string[];
  readonly signaturePath?: string;
  readonly passphrase?: string;
}

/** What was signed. */
export interface SignedImage {
  readonly signaturePath: string;
  /** `sha256:<hex>` of the image. */
  readonly imageDigest: string;
  /** The signing certificate's subject. */
  readonly signer: string;
}

/**
 * Signs an image from its build record (see the module comment) and writes the signature file atomically.
 *
 * @throws {SigningRefusedError} when the image must not be signed; SignError for keys and certificates the sign
 *   layer refuses; NativeImageError when the image's table cannot be read.
 */
export async function signBuiltImage(input: SignBuiltImageInput): Promise<SignedImage> {
  const { record } = input;
  const name = basename(input.imagePath);
  if (record.verifier === null) {
    throw new SigningRefusedError(`${name} was built without a verifier, and only verified images are signed: build it with a verifier wired into bpfship`);
  }
  const rejected = record.programs.find((p) => p.verdict !== 'accepted');
  if (rejected !== undefined) throw new SigningRefusedError(`program '${rejected.name}' of ${name} was not accepted by ${record.verifier.name}; an image is signed only when every program is`);
  const sign = await import('../../sign/index.ts');
  const { readImageMetadata } = await import('../../native/index.ts');
  const { builtinProgramInfo, programInfoHash } = await import('../../bpf2c/index.ts');
  const imageSha256 = sign.sha256Hex(input.image);
  const table = readImageMetadata(input.image, name);
  const disagreement = recordDisagreement(record, imageSha256, table);
  if (disagreement !== undefined) throw new SigningRefusedError(`the build record does not describe ${name}: ${disagreement}`);
  for (const p of table.programs) {
    const ours = programInfoHash(p.programType, p.programTypeId, p.helpers, builtinProgramInfo);
    if (ours !== p.infoHash) {
      throw new SigningRefusedError(`program '${p.name}' of ${name} carries program-info hash ${p.infoHash}, but this toolchain's ABI tables give ${ours}: rebuild the image (bpfship build --no-cache)`);
    }
  }
  const predicate = sign.buildPredicate({
    elf: { name: record.elf.name, sha256: record.elf.sha256 },
    generatedC: { name: record.generatedC.name, sha256: record.generatedC.sha256 },
    verifier: record.verifier,
    programs: record.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: p.programInfoHash })),
    compiler: record.compiler,
  });
  const signer = sign.readSigningIdentity({
    key: input.keyPath,
    certificate: input.certificatePath,
    ...(input.chainPaths !== undefined ? { chain: input.chainPaths } : {}),
    ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
  });
  const trust = input.trustPaths !== undefined && input.trustPaths.length > 0 ? { trustedRoots: sign.readTrustedRoots(input.trustPaths) } : {};
  const signature = sign.signImage({ image: input.image, imageName: name, predicate }, signer, trust);
  const signaturePath = input.signaturePath ?? sign.signatureFilePath(input.imagePath);
  writeOutputAtomic(signaturePath, sign.formatSignatureFile(signature));
  return { signaturePath, imageDigest: 'sha256:' + imageSha256, signer: signer.certificate.summary().subject };
}

/** Configures `sign`. */
export function configureSign(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<image>', 'the native image (.so)')
    .requiredOption('--sign-key <key.pem>', 'the signing private key (PEM)')
    .requiredOption('--sign-cert <cert.pem>', 'the signing certificate (PEM)')
    .option('--chain <pem...>', 'intermediate CA certificates (PEM), written into the signature file')
    .option('--record <file>', 'the build record (default IMAGE.build.json, written by bpfship build)')
    .option('--trust <root.pem...>', 'check the signer chains to one of these roots before signing')
    .option('-o, --output <file>', 'the signature file to write (default IMAGE.sig)')
    .action(async (image, opts) => {
      const bytes = readInput(image);
      const recordPath = opts.record ?? buildRecordPath(image);
      let recordText: string;
      try {
        recordText = new TextDecoder().decode(readInput(recordPath));
      } catch (e) {
        if (e instanceof UsageError && opts.record === undefined) throw new UsageError(`${recordPath}: no build record beside the image (bpfship build writes it; or give --record FILE)`);
        throw e;
      }
      const record = parseBuildRecord(recordText, recordPath);
      try {
        const signed = await signBuiltImage({
          image: bytes,
          imagePath: image,
          record,
          keyPath: opts.signKey,
          certificatePath: opts.signCert,
          ...(opts.chain !== undefined ? { chainPaths: opts.chain } : {}),
          ...(opts.trust !== undefined ? { trustPaths: opts.trust } : {}),
          ...(opts.output !== undefined ? { signaturePath: opts.output } : {}),
        });
        io.stdout(`${signed.signaturePath}: signed ${image} (${signed.imageDigest}) by ${signed.signer}\n`);
        setExit(0);
      } catch (e) {
        if (!(e instanceof SigningRefusedError)) throw e;
        io.stderr(`bpfship: refusing to sign: ${e.message}\n`);
        setExit(1);
      }
    });
}

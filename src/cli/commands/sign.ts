/**
 * `bpfship keys init DIR` and `bpfship verify-signature IMAGE --trust ROOT.pem`.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../io.ts';
import { toJson } from '../json.ts';
import type { CommandContext } from '../context.ts';

/** The sign layer, loaded when a command needs it (X.509 parsing is not free at start-up). */
const loadSign = () => import('../../sign/index.ts');

/** Configures `keys` (its sub-command `init`). */
export function configureKeys(keys: Command, { io }: CommandContext): void {
  keys
    .command('init')
    .description('create a development root CA, an intermediate CA and a signing certificate with the eBPF verification EKU')
    .argument('<dir>', 'where to write root-ca.pem, intermediate-ca.pem, signer.pem, signer.key (and the CA keys)')
    .option('--algorithm <alg>', 'ed25519 or ecdsa-p256', 'ed25519')
    .option('--organization <name>', 'the organization named in the certificates')
    .option('--force', 'overwrite existing files')
    .action(async (dir, opts) => {
      const { initDevKeys } = await loadSign();
      if (opts.algorithm !== 'ed25519' && opts.algorithm !== 'ecdsa-p256') throw new UsageError(`--algorithm must be ed25519 or ecdsa-p256, not '${opts.algorithm}'`);
      const paths = await initDevKeys(dir, {
        algorithm: opts.algorithm,
        ...(opts.organization !== undefined ? { organization: opts.organization } : {}),
        ...(opts.force === true ? { overwrite: true } : {}),
      });
      io.stdout(
        `wrote a development PKI to ${dir}:\n` +
          `  root CA          ${paths.rootCertificate} (key ${paths.rootKey})\n` +
          `  intermediate CA  ${paths.intermediateCertificate} (key ${paths.intermediateKey})\n` +
          `  signer           ${paths.signerCertificate} (key ${paths.signerKey})\n` +
          `trust the root with --trust ${paths.rootCertificate}; sign with --sign-key ${paths.signerKey} --sign-cert ${paths.signerCertificate} --chain ${paths.intermediateCertificate}\n`,
      );
    });

}

/** Configures `verify-signature`. */
export function configureVerifySignature(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<image>', 'a native image (.so) built by bpfship build, or an eBPF object (.o) signed by bpfship sign-object')
    .requiredOption('--trust <root.pem...>', 'trusted root certificates (PEM)')
    .option('--sig <file>', 'the signature file (default IMAGE.sig)')
    .option('--revocations <file>', 'a revocation list (JSON: revokedSerials, revokedImageDigests)')
    .option('--elf <file>', 'the source ELF, to check its digest against the attestation')
    .option('--json', 'print the result as JSON')
    .action(async (image, opts) => {
      const { formatVerification, verifyImageFile } = await loadSign();
      const result = verifyImageFile({
        imagePath: image,
        trustPaths: opts.trust,
        ...(opts.sig !== undefined ? { signaturePath: opts.sig } : {}),
        ...(opts.revocations !== undefined ? { revocationPath: opts.revocations } : {}),
        ...(opts.elf !== undefined ? { elfPath: opts.elf } : {}),
      });
      io.stdout(opts.json === true ? toJson(result) + '\n' : formatVerification(image, result));
      setExit(result.ok ? 0 : 1);
    });
}

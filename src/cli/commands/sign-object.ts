/**
 * `bpfship sign-object OBJECT.o --sign-key KEY --sign-cert CERT [--chain PEM...] [--trust ROOT.pem...] [--rules linux|strict] [-o FILE]`:
 * verifies every program of an eBPF object with bpfship's verifier and, when all are proven safe, signs the object
 * for the kernel: `OBJECT.o.sig` (src/deploy/sign-object.ts), what `bpfship deploy --policy production` checks.
 *
 * Exit status: 0 signed; 1 not signed, because a program was not proven safe (the verifier's diagnostics are
 * printed, as `bpfship verify` prints them) or the signer's chain is refused by the `--trust` roots; 2 malformed
 * input or wrong arguments.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { basename } from 'node:path';
import { readInput, UsageError, writeOutputAtomic } from '../io.ts';
import type { CommandContext } from '../context.ts';

/** Configures `sign-object`. */
export function configureSignObject(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<object>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)')
    .requiredOption('--sign-key <key.pem>', 'the signing private key (PEM)')
    .requiredOption('--sign-cert <cert.pem>', 'the signing certificate (PEM)')
    .option('--chain <pem...>', 'intermediate CA certificates (PEM), written into the signature file')
    .option('--trust <root.pem...>', 'check the signer chains to one of these roots before signing')
    .option('-o, --output <file>', 'the signature file to write (default OBJECT.sig)')
    .option('--rules <set>', "the verifier's rule set, recorded in the attestation: linux (Linux's privileged rules) or strict (no address leaves the program, no uninitialized stack read)", 'linux')
    .action(async (file, opts) => {
      const { parseRuleSet } = await import('../../verifier/index.ts');
      let rules;
      try {
        rules = parseRuleSet(opts.rules);
      } catch (e) {
        throw new UsageError(`--rules: ${(e as Error).message}`);
      }
      const object = readInput(file);
      const sign = await import('../../sign/index.ts');
      const { ObjectNotVerifiedError, signObjectForKernel } = await import('../../deploy/sign-object.ts');
      for (const p of [opts.signKey, opts.signCert, ...(opts.chain ?? []), ...(opts.trust ?? [])]) readInput(p); // a missing file is a usage error naming it
      const signer = sign.readSigningIdentity({ key: opts.signKey, certificate: opts.signCert, ...(opts.chain !== undefined ? { chain: opts.chain } : {}) });
      const trustedRoots = opts.trust !== undefined ? sign.readTrustedRoots(opts.trust) : undefined;
      const objectName = basename(file);
      let signed;
      try {
        signed = signObjectForKernel({ object, objectName, signer, verifyOptions: { rules }, ...(trustedRoots !== undefined ? { trustedRoots } : {}) });
      } catch (e) {
        if (e instanceof ObjectNotVerifiedError) {
          io.stderr(e.diagnostics.endsWith('\n') ? e.diagnostics : `${e.diagnostics}\n`);
          io.stderr(`bpfship: refusing to sign: ${e.message}\n`);
          setExit(1);
          return;
        }
        if (e instanceof sign.SignError && (e.code.startsWith('CHAIN_') || e.code.startsWith('CERT_'))) {
          io.stderr(`bpfship: refusing to sign: the signer's certificate would be refused: ${e.code}: ${e.message}\n`);
          setExit(1);
          return;
        }
        throw e;
      }
      const output = opts.output ?? sign.signatureFilePath(file);
      writeOutputAtomic(output, sign.formatSignatureFile(signed.signature));
      const programs = signed.reports.map((r) => r.name).join(', ');
      io.stdout(`${output}: signed ${file} (sha256:${sign.sha256Hex(object)}) by ${signer.certificate.summary().subject}; verified ${programs} (${signed.predicate.verifier.name} ${signed.predicate.verifier.version}, ${rules} rules, Linux ${signed.predicate.target.abi} ABI)\n`);
      setExit(0);
    });
}

/**
 * `bpfship bpf2c FILE [-o OUT.c] [--rules linux|strict] [--license STR]` (also installed as `bpf2c`): verify every
 * program of an eBPF object and write one C file for a native image.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Command } from '@commander-js/extra-typings';
import type { Bpf2cVerificationError } from '../../bpf2c/index.ts';
import type { CommandContext, Io } from '../context.ts';
import { readInput, writeOutputAtomic } from '../io.ts';
import { reportingVerifyHook, startProgress } from '../progress.ts';
import { verifierFor } from '../verifier-wiring.ts';
import { addVerifierOptions, verifierSettings } from '../verifier-options.ts';

export type { VerifierWiring } from '../verifier-wiring.ts';

/** The warning printed when no verifier is wired: the output was not proven safe. */
export const UNVERIFIED_WARNING = 'warning: no verifier is wired into this build of bpfship: the programs were translated without verification, and native code does not check memory accesses at run time\n';

/** Prints a verification failure the way a compiler prints errors; returns the exit status (1). */
export function reportVerificationFailure(e: Bpf2cVerificationError, io: Io): 1 {
  io.stderr(`bpfship: program '${e.program}' failed verification\n`);
  for (const d of e.diagnostics) io.stderr(d.endsWith('\n') ? d : d + '\n');
  return 1;
}

/** Configures `bpf2c`. */
export function configureBpf2c(command: Command, ctx: CommandContext): void {
  const { io, setExit } = ctx;
  addVerifierOptions(command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)'))
    .option('-o, --output <file>', 'the C file to write (default: standard output)')
    .option('--no-line', 'leave out the #line directives to the eBPF source')
    .option('--metadata <file>', 'also write the image description (programs, maps, hashes) as JSON')
    .option('-q, --quiet', 'no progress line on a terminal')
    .action(async (file, opts) => {
      const settings = verifierSettings(opts);
      const elf = readInput(file);
      const { Bpf2cVerificationError, defaultOutputName, translateObject } = await import('../../bpf2c/index.ts');
      const verifier = await verifierFor(ctx, settings).load();
      const sourceName = file.slice(file.lastIndexOf('/') + 1);
      const outputName = opts.output === undefined ? defaultOutputName(sourceName) : opts.output.slice(opts.output.lastIndexOf('/') + 1);
      let out;
      const progress = startProgress(io, opts.quiet === true);
      try {
        progress.stage(`translating ${sourceName} to C (bpf2c)`);
        out = translateObject(elf, {
          sourceName,
          outputName,
          lineDirectives: opts.line,
          elfSha256: createHash('sha256').update(elf).digest('hex'),
          ...(verifier.verify !== undefined ? { verify: reportingVerifyHook(verifier.verify, progress) } : {}),
        });
      } catch (e) {
        progress.done();
        if (e instanceof Bpf2cVerificationError) {
          setExit(reportVerificationFailure(e, io));
          return;
        }
        throw e;
      }
      progress.done();
      if (!out.verified) io.stderr(UNVERIFIED_WARNING);
      if (opts.output === undefined) io.stdout(out.c);
      else writeOutputAtomic(opts.output, out.c);
      if (opts.metadata !== undefined) writeOutputAtomic(opts.metadata, metadataJson(out.metadata));
      setExit(0);
    });
}

/** The image description as JSON (byte arrays as hex). */
export function metadataJson(metadata: unknown): string {
  return JSON.stringify(metadata, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2) + '\n';
}

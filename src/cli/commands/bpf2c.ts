/**
 * `bpfship bpf2c FILE [-o OUT.c]` (also installed as `bpf2c`): verify every program of an eBPF object and write
 * one C file for a native image.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Command } from '@commander-js/extra-typings';
import { Bpf2cVerificationError, defaultOutputName, translateObject, type VerifyHook } from '../../bpf2c/index.ts';
import { readInput, writeOutputAtomic } from '../io.ts';
import type { Io } from '../main.ts';

/** How the commands reach the verifier (main.ts wires src/cli/verifier-wiring.ts, the verifier of src/verifier). */
export interface VerifierWiring {
  readonly verify?: VerifyHook;
  /** Names the verifier and its options in build cache keys and messages, e.g. `bpfship-verifier 0.1.0`. */
  readonly verifierId?: string;
  /**
   * Which verifier this is, as the signed attestation records it (name, version, options). Without it a signed
   * image records `verifierId` as the name and `unknown` as the version.
   */
  readonly identity?: { readonly name: string; readonly version: string; readonly options: Readonly<Record<string, string | number | boolean>> };
}

/** The warning printed when no verifier is wired: the output was not proven safe. */
export const UNVERIFIED_WARNING = 'warning: no verifier is wired into this build of bpfship: the programs were translated without verification, and native code does not check memory accesses at run time\n';

/** Prints a verification failure the way a compiler prints errors; returns the exit status (1). */
export function reportVerificationFailure(e: Bpf2cVerificationError, io: Io): number {
  io.stderr(`bpfship: program '${e.program}' failed verification\n`);
  for (const d of e.diagnostics) io.stderr(d.endsWith('\n') ? d : d + '\n');
  return 1;
}

/** Registers `bpf2c`. */
export function registerBpf2cCommand(program: Command, io: Io, setExit: (code: number) => void, verifier: VerifierWiring = {}): void {
  program
    .command('bpf2c')
    .description('verify an eBPF object and translate every program into one C file (for a native image)')
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)')
    .option('-o, --output <file>', 'the C file to write (default: standard output)')
    .option('--no-line', 'leave out the #line directives to the eBPF source')
    .option('--metadata <file>', 'also write the image description (programs, maps, hashes) as JSON')
    .action((file, opts) => {
      const elf = readInput(file);
      const sourceName = file.slice(file.lastIndexOf('/') + 1);
      const outputName = opts.output === undefined ? defaultOutputName(sourceName) : opts.output.slice(opts.output.lastIndexOf('/') + 1);
      let out;
      try {
        out = translateObject(elf, {
          sourceName,
          outputName,
          lineDirectives: opts.line,
          elfSha256: createHash('sha256').update(elf).digest('hex'),
          ...(verifier.verify !== undefined ? { verify: verifier.verify } : {}),
        });
      } catch (e) {
        if (e instanceof Bpf2cVerificationError) {
          setExit(reportVerificationFailure(e, io));
          return;
        }
        throw e;
      }
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

/**
 * `bpfship build FILE -o OUT.so`: verify, translate with bpf2c and compile a reproducible native image, through
 * the content-addressed build cache.
 *
 * @module
 */
import { Option, type Command } from '@commander-js/extra-typings';
import { Bpf2cVerificationError } from '../../bpf2c/index.ts';
import { buildNative, type OptimizationLevel } from '../../native/index.ts';
import { readInput, writeOutputAtomic } from '../io.ts';
import type { Io } from '../main.ts';
import { metadataJson, reportVerificationFailure, UNVERIFIED_WARNING, type VerifierWiring } from './bpf2c.ts';

/** Registers `build`. */
export function registerBuildCommand(program: Command, io: Io, setExit: (code: number) => void, verifier: VerifierWiring = {}): void {
  program
    .command('build')
    .description('verify an eBPF object, translate it with bpf2c and compile a reproducible native image (.so)')
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)')
    .requiredOption('-o, --output <file>', 'the native image to write (.so)')
    .addOption(new Option('-O, --optimization <level>', 'compiler optimization level').choices(['0', '1', '2', '3', 's'] as const).default('2' as const))
    .option('--cc <compiler>', 'the C compiler (default: $CC, else gcc, cc, clang, clang-19)')
    .option('--emit-c <file>', 'also write the generated C file')
    .option('--metadata <file>', 'also write the image description (programs, maps, hashes, build facts) as JSON')
    .option('--no-cache', 'neither read nor write the build cache ($BPFSHIP_CACHE, else ~/.cache/bpfship)')
    .option('--timings', 'print the time spent in bpf2c and in the compiler')
    .action((file, opts) => {
      const elf = readInput(file);
      const sourceName = file.slice(file.lastIndexOf('/') + 1);
      let r;
      try {
        r = buildNative(elf, {
          sourceName,
          optimization: `O${opts.optimization}` as OptimizationLevel,
          ...(opts.cc !== undefined ? { cc: opts.cc } : {}),
          ...(opts.cache ? {} : { cache: false as const }),
          ...(verifier.verify !== undefined ? { verify: verifier.verify } : {}),
          ...(verifier.verifierId !== undefined ? { verifierId: verifier.verifierId } : {}),
        });
      } catch (e) {
        if (e instanceof Bpf2cVerificationError) {
          setExit(reportVerificationFailure(e, io));
          return;
        }
        throw e;
      }
      if (!r.verified) io.stderr(UNVERIFIED_WARNING);
      writeOutputAtomic(opts.output, r.so);
      if (opts.emitC !== undefined) writeOutputAtomic(opts.emitC, r.c);
      if (opts.metadata !== undefined) {
        writeOutputAtomic(opts.metadata, metadataJson({
          image: r.metadata,
          build: { elfSha256: r.elfSha256, cSha256: r.cSha256, soSha256: r.soSha256, compiler: r.compiler, flags: r.flags, verified: r.verified, verifier: r.verifierId, cacheKey: r.cacheKey },
        }));
      }
      io.stdout(`${opts.output}: ${r.metadata.programs.length} program${r.metadata.programs.length === 1 ? '' : 's'}, ${r.so.length} bytes, sha256 ${r.soSha256}${r.cached ? ' (cached)' : ''}\n`);
      if (opts.timings === true) io.stdout(`time: bpf2c ${r.timings.bpf2cMs.toFixed(1)} ms, compiler ${r.timings.compileMs.toFixed(1)} ms, total ${r.timings.totalMs.toFixed(1)} ms (${r.compiler.version})\n`);
      setExit(0);
    });
}

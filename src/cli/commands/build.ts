/**
 * `bpfship build FILE -o OUT.so [--rules linux|strict] [--license STR] [--sign-key KEY --sign-cert CERT [--chain PEM...]
 * [--trust ROOT.pem...]]`: verify (under the rule set asked for, which the build record and the attestation
 * record), translate with bpf2c and compile a reproducible native image, through the content-addressed build cache;
 * write the build record beside it (`OUT.so.build.json`, what `bpfship sign` signs from), and with a signing key,
 * sign it (`OUT.so.sig`). Only verified images are signed: without a verifier wired in, signing is refused before
 * anything is built.
 *
 * Author: Claude.
 *
 * @module
 */
import { Option, type Command } from '@commander-js/extra-typings';
import type { Bpf2cVerificationError } from '../../bpf2c/index.ts';
import { cFileName, type NativeBuildResult } from '../../native/build-key.ts';
import type { OptimizationLevel } from '../../native/compile.ts';
import type { CommandContext } from '../context.ts';
import { RefusedError } from '../exit-code.ts';
import { readInput, UsageError, writeOutputAtomic } from '../io.ts';
import { buildThroughCache } from '../native-build.ts';
import { startProgress } from '../progress.ts';
import { verifierFor, type VerifierWiring } from '../verifier-wiring.ts';
import { addVerifierOptions, verifierSettings } from '../verifier-options.ts';
import { metadataJson, reportVerificationFailure, UNVERIFIED_WARNING } from './bpf2c.ts';
import { buildRecordFor, buildRecordPath, formatBuildRecord, type BuildRecord } from './build-record.ts';
import { addCompileOptions, compileSource } from './compile.ts';
import { signBuiltImage, SigningRefusedError } from './sign-image.ts';

/**
 * The verifier as the build record (and so the attestation) names it: its identity when the wiring gives one,
 * else its id read as `NAME VERSION [options...]`.
 */
function recordedVerifier(verifier: VerifierWiring): BuildRecord['verifier'] {
  if (verifier.verify === undefined) return null;
  if (verifier.identity !== undefined) return verifier.identity;
  const [name, version, ...rest] = (verifier.verifierId ?? 'unnamed-verifier').split(' ');
  return { name: name || 'unnamed-verifier', version: version ?? 'unknown', options: rest.length > 0 ? { id: verifier.verifierId as string } : {} };
}

/** Configures `build`. */
export function configureBuild(command: Command, ctx: CommandContext): void {
  const { io, setExit } = ctx;
  addVerifierOptions(addCompileOptions(command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c), or its C source (.c), compiled first as bpfship compile does')
    .requiredOption('-o, --output <file>', 'the native image to write (.so); its build record goes to OUT.so.build.json')
    .option('--object <file>', 'with a C source: also write the compiled eBPF object (the ELF the attestation names)')))
    .addOption(new Option('-O, --optimization <level>', 'compiler optimization level').choices(['0', '1', '2', '3', 's'] as const).default('2' as const))
    .option('--cc <compiler>', 'the C compiler (default: $CC, else gcc, cc, clang, clang-19)')
    .option('--emit-c <file>', 'also write the generated C file')
    .option('--metadata <file>', 'also write the image description (programs, maps, hashes, build facts) as JSON')
    .option('--no-cache', 'neither read nor write the build cache ($BPFSHIP_CACHE, else ~/.cache/bpfship)')
    .option('--timings', 'print the time spent in bpf2c and in the compiler')
    .option('--sign-key <key.pem>', 'sign the image with this private key (PEM): writes OUT.so.sig')
    .option('--sign-cert <cert.pem>', 'the signing certificate (PEM), with --sign-key')
    .option('--chain <pem...>', 'intermediate CA certificates (PEM) for the signature file, with --sign-key')
    .option('--trust <root.pem...>', 'with --sign-key: check the signer chains to one of these roots before signing')
    .option('-q, --quiet', 'no progress line on a terminal')
    .action(async (file, opts) => {
      const settings = verifierSettings(opts);
      const signing = opts.signKey !== undefined || opts.signCert !== undefined;
      if (signing && (opts.signKey === undefined || opts.signCert === undefined)) throw new UsageError('signing needs both --sign-key and --sign-cert');
      if (!signing && (opts.chain !== undefined || opts.trust !== undefined)) throw new UsageError('--chain and --trust go with --sign-key and --sign-cert');
      if (signing && !verifierFor(ctx).present) {
        throw new RefusedError('refusing to sign: no verifier is wired into this build of bpfship, and only verified images are signed');
      }
      let elf: Uint8Array;
      let sourceName: string;
      if (file.endsWith('.c')) {
        // C in: the object as `bpfship compile` makes it, named after the source (prog.c -> prog.o).
        const compiled = await compileSource(file, opts, io, opts.quiet === true);
        elf = compiled.object;
        sourceName = file.slice(file.lastIndexOf('/') + 1).replace(/\.c$/, '.o');
        if (opts.object !== undefined) writeOutputAtomic(opts.object, elf);
      } else {
        if (opts.object !== undefined) throw new UsageError('--object goes with a C source: FILE is an object already');
        elf = readInput(file);
        sourceName = file.slice(file.lastIndexOf('/') + 1);
      }
      const progress = startProgress(io, opts.quiet === true);
      let r: NativeBuildResult;
      let verifier: VerifierWiring;
      try {
        // The cache key covers the ABI tables the program-info hashes come from: a hit is never stale.
        ({ result: r, verifier } = await buildThroughCache(elf, {
          sourceName,
          optimization: `O${opts.optimization}` as OptimizationLevel,
          ...(opts.cc !== undefined ? { cc: opts.cc } : {}),
          ...(opts.cache ? {} : { cache: false as const }),
        }, verifierFor(ctx, settings), progress));
      } catch (e) {
        progress.done();
        if (e instanceof Error && e.name === 'Bpf2cVerificationError') {
          setExit(reportVerificationFailure(e as Bpf2cVerificationError, io));
          return;
        }
        throw e;
      }
      progress.done();
      if (!r.verified) io.stderr(UNVERIFIED_WARNING);
      writeOutputAtomic(opts.output, r.so);
      const imageName = opts.output.slice(opts.output.lastIndexOf('/') + 1);
      const record = buildRecordFor(r, { image: imageName, elf: sourceName, c: cFileName(sourceName) }, recordedVerifier(verifier));
      writeOutputAtomic(buildRecordPath(opts.output), formatBuildRecord(record));
      if (opts.emitC !== undefined) writeOutputAtomic(opts.emitC, r.c);
      if (opts.metadata !== undefined) {
        writeOutputAtomic(opts.metadata, metadataJson({
          image: r.metadata,
          build: { elfSha256: r.elfSha256, cSha256: r.cSha256, soSha256: r.soSha256, compiler: r.compiler, flags: r.flags, verified: r.verified, verifier: r.verifierId, cacheKey: r.cacheKey },
        }));
      }
      io.stdout(`${opts.output}: ${r.metadata.programs.length} program${r.metadata.programs.length === 1 ? '' : 's'}, ${r.so.length} bytes, sha256 ${r.soSha256}${r.cached ? ' (cached)' : ''}\n`);
      if (opts.timings === true) io.stdout(`time: bpf2c ${r.timings.bpf2cMs.toFixed(1)} ms, compiler ${r.timings.compileMs.toFixed(1)} ms, total ${r.timings.totalMs.toFixed(1)} ms (${r.compiler.version})\n`);
      if (signing) {
        try {
          const signed = await signBuiltImage({
            image: r.so,
            imagePath: opts.output,
            record,
            keyPath: opts.signKey as string,
            certificatePath: opts.signCert as string,
            ...(opts.chain !== undefined ? { chainPaths: opts.chain } : {}),
            ...(opts.trust !== undefined ? { trustPaths: opts.trust } : {}),
          });
          io.stdout(`${signed.signaturePath}: signed by ${signed.signer}\n`);
        } catch (e) {
          if (!(e instanceof SigningRefusedError)) throw e;
          io.stderr(`bpfship: refusing to sign: ${e.message}\n`);
          setExit(1);
          return;
        }
      }
      setExit(0);
    });
}

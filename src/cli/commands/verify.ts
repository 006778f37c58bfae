/**
 * `bpfship verify FILE [--section S] [--program NAME] [--type TYPE] [--rules linux|strict] [--license STR] [--btf FILE]
 * [--log 0|1|2] [--format text|json|sarif]`: proves the programs of an object safe, or explains at the source line
 * why not (options of the verifier: verifier-options.ts). Exit status 0 when every selected
 * program is proven safe, 1 when one is not, 2 when the input is malformed or the arguments are wrong.
 *
 * Author: Claude.
 *
 * @module
 */
import { type Command, Option } from '@commander-js/extra-typings';
import { ProgramType, readObject, selectPrograms, type ProgramTypeName } from '../../spec/index.ts';
import { renderJson, renderSarif, renderText, verifyProgram, type VerifierReport } from '../../verifier/index.ts';
import { readInput, UsageError } from '../io.ts';
import type { CommandContext } from '../context.ts';
import { inputErrorJson, inputErrorSarif } from '../input-error-report.ts';
import { startProgress } from '../progress.ts';
import { packageVersion } from '../version.ts';
import { addVerifierOptions, kernelBtfFor, licenseFor, verifierSettings, VMLINUX_BTF } from '../verifier-options.ts';

/** Configures `verify`. */
export function configureVerify(command: Command, { io, setExit }: CommandContext): void {
  addVerifierOptions(command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)')
    .option('--section <name>', 'only programs in this section')
    .option('--program <name>', 'only the program (or .text function) with this name')
    .option('--type <type>', 'verify as this program type (xdp, sched_cls, socket_filter, ...), overriding the section name'))
    .option('--btf <file>', `the kernel's BTF, for kfuncs and BTF-typed contexts (default ${VMLINUX_BTF} when present)`)
    .addOption(new Option('--log <level>', '0: diagnostics; 1: also the state at the error; 2: the state at every instruction').choices(['0', '1', '2']).default('0'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-q, --quiet', 'no progress line on a terminal')
    .action(async (file, opts) => {
      if (opts.type !== undefined && !(opts.type in ProgramType)) {
        throw new UsageError(`unknown program type '${opts.type}' (known: ${Object.keys(ProgramType).filter((t) => t !== 'unspec').join(', ')})`);
      }
      const settings = verifierSettings(opts);
      const kernelBtf = await kernelBtfFor(opts.btf);
      let spec;
      let programs;
      try {
        spec = readObject(readInput(file), { name: file });
        const selector = {
          ...(opts.section !== undefined ? { section: opts.section } : {}),
          ...(opts.program !== undefined ? { name: opts.program } : {}),
          ...(opts.type !== undefined ? { type: opts.type as ProgramTypeName } : {}),
        };
        programs = selectPrograms(spec, selector);
        if (programs.length === 0) {
          const have = spec.programs.map((p) => `${p.sectionName}/${p.name}`).join(', ') || 'none';
          throw new UsageError(`${file}: no program matches${opts.section !== undefined ? ` section '${opts.section}'` : ''}${opts.program !== undefined ? ` name '${opts.program}'` : ''} (programs: ${have})`);
        }
      } catch (e) {
        // JSON and SARIF consumers get a document whatever happens: the input error is its result.
        if (opts.format === 'json') io.stdout(inputErrorJson(file, e));
        if (opts.format === 'sarif') io.stdout(inputErrorSarif(file, e, packageVersion()));
        throw e;
      }
      const logLevel = Number(opts.log) as 0 | 1 | 2;
      const progress = startProgress(io, opts.quiet === true);
      let report: VerifierReport;
      try {
        report = {
          file,
          programs: programs.map((p, i) => {
            progress.stage(`verifying ${p.sectionName}/${p.name} (${i + 1}/${programs.length})`);
            return verifyProgram(spec, p, {
              logLevel,
              rules: settings.rules,
              ...licenseFor(spec.license, settings.license),
              ...(kernelBtf !== undefined ? { kernelBtf } : {}),
              ...(opts.type !== undefined ? { programType: opts.type } : {}),
            });
          }),
        };
      } finally {
        progress.done();
      }
      const format = opts.format;
      io.stdout(format === 'json' ? renderJson(report) : format === 'sarif' ? renderSarif(report, { version: packageVersion() }) : renderText(report, { log: logLevel > 0 }));
      const malformed = report.programs.some((p) => p.malformed);
      const failed = report.programs.some((p) => p.verdict !== 'pass');
      setExit(malformed ? 2 : failed ? 1 : 0);
    });
}

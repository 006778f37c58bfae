/**
 * `bpfship compile PROG.c -o PROG.o [-I DIR] [-D NAME[=VALUE]] [--clang CLANG] [--cflag FLAG]`: an eBPF program in C
 * compiled into an object as libbpf projects do (clang `-target bpf -O2 -g`, libbpf's headers, this machine's
 * multiarch include directory), reproducibly (src/native/bpf-compile.ts). clang's diagnostics are shown exactly as
 * clang prints them; a source clang rejects is malformed input (exit status 2), and nothing is written.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { BpfCompileOptions, BpfCompileResult } from '../../native/bpf-compile.ts';
import type { CommandContext, Io } from '../context.ts';
import { writeOutputAtomic } from '../io.ts';
import { startProgress } from '../progress.ts';

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The compile options as the command line gives them (shared with `build`, which takes a C file too). */
export interface CompileFlags {
  readonly include?: string[] | undefined;
  readonly define?: string[] | undefined;
  readonly clang?: string | undefined;
  readonly cflag?: string[] | undefined;
}

/** Adds the options of {@link CompileFlags} to a command. */
export function addCompileOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(command: Command<Args, Opts, Globals>) {
  return command
    .option('-I, --include <dir>', 'an include directory, searched before the system\'s (repeatable)', collect)
    .option('-D, --define <name[=value]>', 'a macro for the C source (repeatable)', collect)
    .option('--clang <command>', 'the clang to compile C with (default: $BPF_CLANG, else clang-19, clang)')
    .option('--cflag <flag>', 'one more flag for clang, e.g. --cflag=-mcpu=v3 (repeatable)', collect);
}

/**
 * Compiles a C file as the options say, with a progress line on a terminal, then prints clang's warnings as they
 * are. On failure clang's diagnostics are printed and the BpfCompileError is thrown (exit status 2, the reason
 * after the diagnostics).
 */
export async function compileSource(file: string, flags: CompileFlags, io: Io, quiet: boolean): Promise<BpfCompileResult> {
  const { compileBpf } = await import('../../native/bpf-compile.ts');
  const options: BpfCompileOptions = {
    ...(flags.include !== undefined ? { includeDirs: flags.include } : {}),
    ...(flags.define !== undefined ? { defines: flags.define } : {}),
    ...(flags.clang !== undefined ? { clang: flags.clang } : {}),
    ...(flags.cflag !== undefined ? { extraFlags: flags.cflag } : {}),
    color: io.stderrIsTerminal === true,
  };
  const progress = startProgress(io, quiet);
  progress.stage(`compiling ${file.slice(file.lastIndexOf('/') + 1)} (clang -target bpf)`);
  let r: BpfCompileResult;
  try {
    r = compileBpf(file, options);
  } catch (e) {
    progress.done();
    const diagnostics = (e as { diagnostics?: unknown }).diagnostics;
    if (typeof diagnostics === 'string' && diagnostics !== '') io.stderr(diagnostics);
    throw e;
  }
  progress.done();
  if (r.diagnostics !== '') io.stderr(r.diagnostics);
  return r;
}

/** Configures `compile`. */
export function configureCompile(command: Command, { io, setExit }: CommandContext): void {
  addCompileOptions(
    command
      .argument('<source>', 'an eBPF program in C (libbpf style: SEC(), maps in .maps, bpf_helpers.h)')
      .requiredOption('-o, --output <file>', 'the object to write (.o)')
      .option('-q, --quiet', 'no progress line on a terminal'),
  ).action(async (source, opts) => {
    const r = await compileSource(source, opts, io, opts.quiet === true);
    writeOutputAtomic(opts.output, r.object);
    setExit(0);
  });
}

/**
 * The `bpfship` command line: the only module that chooses an exit status (exit-code.ts has the table). It loads
 * only what the command being run needs: the command tree is made from command-table.ts (names and summaries),
 * and only the named command's module is loaded and configured; `--version` loads nothing at all.
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, type CommandEntry } from './command-table.ts';
import { processIo, type CommandContext, type Io } from './context.ts';
import { ExitCode, exitCodeFor, type ExitCodeValue } from './exit-code.ts';
import { fixedVerifier, type VerifierWiring } from './verifier-wiring.ts';
import { packageVersion } from './version.ts';

export { ExitCode } from './exit-code.ts';
export type { Io } from './context.ts';

/** What tests and embedders may replace. */
export interface MainOptions {
  /** The verifier wired into bpf2c, build and run (default: src/verifier, loaded when needed; `{}`: none). */
  readonly verifier?: VerifierWiring;
  /** Standard input (default: the process's, read when a command asks). */
  readonly readStdin?: () => string;
  /** The commands (default: command-table.ts's); tests add one to see how main reports what a command throws. */
  readonly commands?: readonly CommandEntry[];
}

/** The command `args` (the arguments after node and the script) names: the first word, or the word after `help`. */
function namedCommand(args: readonly string[], commands: readonly CommandEntry[]): CommandEntry | undefined {
  // The program's own options (--help, --version) come before the command (positional options), so the first
  // word that is not an option is the command.
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return commands.find((c) => c.name === name);
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, arguments...) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv);
 * ```
 */
export async function main(argv: readonly string[], io: Io = processIo, options: MainOptions = {}): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    io.stdout(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const { Command } = await import('@commander-js/extra-typings');
  let code: ExitCodeValue = ExitCode.ok;
  const ctx: CommandContext = {
    io,
    setExit: (c) => {
      code = c;
    },
    ...(options.verifier !== undefined ? { verifier: fixedVerifier(options.verifier) } : {}),
    readStdin: options.readStdin ?? (() => readFileSync(0, 'utf8')),
  };
  const program = new Command()
    .name('bpfship')
    .description('Verify, translate, build, sign and run eBPF programs compiled by clang -target bpf')
    .version(packageVersion())
    .showHelpAfterError()
    // The commands' arguments come from the table: only the command being run is configured.
    .configureHelp({ subcommandTerm: (c) => `${c.name()} ${(options.commands ?? COMMANDS).find((e) => e.name === c.name())?.usage ?? '[command]'}`.trimEnd() })
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // The program's own options (--version, --help) only before a command, so that `fetch --version N` is fetch's.
    .enablePositionalOptions()
    .exitOverride();
  try {
    const commands = options.commands ?? COMMANDS;
    const chosen = namedCommand(args, commands);
    const configure = chosen === undefined ? undefined : await chosen.load();
    // A named command is all commander needs to parse; the whole list only for help and unknown commands.
    for (const entry of chosen !== undefined ? [chosen] : commands) {
      const command = program.command(entry.name).description(entry.summary);
      if (entry === chosen) configure?.(command, ctx);
    }
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    // Help and version are "errors" to commander, with status 0; its other errors are usage errors it printed.
    if (isCommanderError(e)) return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return reportError(e, io);
  }
}

/**
 * A commander error (help, version, unknown option...) by its shape: a command bundled on its own carries its own
 * copy of commander, whose error class is not this one's.
 */
function isCommanderError(e: unknown): e is { exitCode: number; code: string } {
  const x = e as { exitCode?: unknown; code?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.exitCode === 'number' && typeof x.code === 'string' && x.code.startsWith('commander.');
}

/** Prints an error that left a command, as its exit status calls for, and returns that status. */
function reportError(e: unknown, io: Io): ExitCodeValue {
  const status = exitCodeFor(e);
  const message = e instanceof Error ? e.message : String(e);
  switch (status) {
    case ExitCode.internal:
      io.stderr(`bpfship: internal error (please report it): ${e instanceof Error ? (e.stack ?? message) : message}\n`);
      break;
    case ExitCode.refused:
      io.stderr(`bpfship: ${message.endsWith('\n') ? message : message + '\n'}`);
      break;
    default:
      io.stderr(`bpfship: error: ${message}${message.endsWith('\n') ? '' : '\n'}`);
  }
  return status;
}

// Run when executed directly (tsx src/cli/main.ts ...), not when imported. (No top-level await: the installed
// command bundles this module as CommonJS.)
if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

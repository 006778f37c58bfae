/**
 * The `bpfship` command line. The only module that prints or chooses an exit status: 0 success, 1 a negative
 * verdict (later: verification failed), 2 malformed input or wrong arguments, 70 an internal fault (a bug).
 *
 * @module
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { BpfshipError } from '../internal/errors.ts';
import { formatBtfDump, formatBtfJson } from '../btf/index.ts';
import { readObject } from '../spec/index.ts';
import { formatInspect, inspectReport } from './commands/inspect.ts';
import { readInput, UsageError } from './io.ts';
import { toJson } from './json.ts';
import { registerAsmCommands } from './commands/asm.ts';
import { registerSignCommands } from './commands/sign.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerConformanceCommands } from './commands/conformance.ts';
import { registerBpf2cCommand } from './commands/bpf2c.ts';
import { registerBuildCommand } from './commands/build.ts';
import { registerVerifyCommand } from './commands/verify.ts';
import { verifierWiring } from './verifier-wiring.ts';
import { registerSignImageCommand } from './commands/sign-image.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerFetchCommand } from './commands/fetch.ts';
import { registerStoreCommands } from './commands/store.ts';
import { registerExploreCommand } from './commands/explore.ts';
import { registerSignObjectCommand } from './commands/sign-object.ts';
import { registerDeployCommand } from './commands/deploy.ts';

/** Exit statuses. */
export const ExitCode = { ok: 0, rejected: 1, badInput: 2, internal: 70 } as const;

/** Where a command writes; tests pass buffers. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** Builds the command tree; each action sets `state.code`. */
function buildProgram(io: Io, state: { code: number }): Command {
  const program = new Command()
    .name('bpfship')
    .description('Verify, translate, build, sign and run eBPF programs compiled by clang -target bpf')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // The program's own options (--version, --help) only before a command, so that `fetch --version N` is fetch's.
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('inspect')
    .description('list the programs, maps, global data, license and BTF of an eBPF object')
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -c)')
    .option('--json', 'print JSON instead of text')
    .action((file, opts) => {
      const spec = readObject(readInput(file), { name: file });
      io.stdout(opts.json === true ? toJson(inspectReport(spec)) + '\n' : formatInspect(spec));
    });

  program
    .command('btf')
    .description('print the BTF types of an object, as `bpftool btf dump file` does')
    .argument('<file>', 'an eBPF ELF object')
    .option('--json', 'print JSON, as `bpftool -j btf dump file` does')
    .action((file, opts) => {
      const spec = readObject(readInput(file), { name: file });
      if (spec.btf === undefined) throw new UsageError(`${file}: the object has no .BTF section (compile with clang -g)`);
      io.stdout(opts.json === true ? formatBtfJson(spec.btf) : formatBtfDump(spec.btf));
    });

  registerAsmCommands(program, io);
  const setExit = (code: number): void => {
    state.code = code;
  };
  registerSignCommands(program, io, setExit);
  registerRunCommand(program, io, setExit, verifierWiring);
  registerSignImageCommand(program, io, setExit);
  registerConformanceCommands(program, io, setExit);
  registerVerifyCommand(program, io, setExit);
  registerBpf2cCommand(program, io, setExit, verifierWiring);
  registerBuildCommand(program, io, setExit, verifierWiring);
  registerServeCommand(program, io, setExit);
  registerFetchCommand(program, io, setExit);
  registerStoreCommands(program, io, setExit);
  registerExploreCommand(program, io, setExit);
  registerSignObjectCommand(program, io, setExit);
  registerDeployCommand(program, io, setExit);
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, arguments...) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv);
 * ```
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const state = { code: ExitCode.ok as number };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv]);
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; their exit code is 0.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    if (e instanceof BpfshipError || e instanceof UsageError) {
      io.stderr(`bpfship: error: ${e.message}\n`);
      return ExitCode.badInput;
    }
    io.stderr(`bpfship: internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
    return ExitCode.internal;
  }
}

// Run when executed directly (tsx src/cli/main.ts ...), not when imported.
if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  process.exitCode = await main(process.argv);
}

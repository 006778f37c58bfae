/**
 * Test support: the commands of this folder on a command tree like main.ts's, with main's error handling (exit
 * status 2 and the message for malformed input and wrong arguments), the verifier of src/verifier wired into
 * `build` and `run` as main.ts wires it, and the output captured. Only tests import this.
 *
 * @module
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { BpfshipError } from '../../internal/errors.ts';
import { UsageError } from '../io.ts';
import type { VerifierWiring } from './bpf2c.ts';
import { registerBuildCommand } from './build.ts';
import { registerRunCommand } from './run.ts';
import { registerSignCommands } from './sign.ts';
import { registerSignImageCommand } from './sign-image.ts';
import { verifierWiring } from '../verifier-wiring.ts';
import { registerSignObjectCommand } from './sign-object.ts';
import { registerDeployCommand } from './deploy.ts';

/** What a command printed and its exit status. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `bpfship ARGS...` in-process. `verifier` replaces the wired verifier (`{}`: none).
 *
 * @example
 * ```ts
 * const r = await cli(['run', 'prog.so', '--mode', 'native', '--data', 'pkt.bin']);
 * ```
 */
export async function cli(args: readonly string[], verifier: VerifierWiring = verifierWiring): Promise<CliResult> {
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
  const state = { code: 0 };
  const setExit = (c: number): void => {
    state.code = c;
  };
  const program = new Command().name('bpfship').exitOverride().enablePositionalOptions().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerSignCommands(program, io, setExit);
  registerSignImageCommand(program, io, setExit);
  registerRunCommand(program, io, setExit, verifier);
  registerBuildCommand(program, io, setExit, verifier);
  registerSignObjectCommand(program, io, setExit);
  registerDeployCommand(program, io, setExit);
  try {
    await program.parseAsync(['node', 'bpfship', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, out, err };
    if (e instanceof BpfshipError || e instanceof UsageError) return { code: 2, out, err: err + `bpfship: error: ${e.message}\n` };
    throw e;
  }
  return { code: state.code, out, err };
}

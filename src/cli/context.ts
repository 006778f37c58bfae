/**
 * What every command is given: where it writes, how it sets the exit status, and the services main.ts wires in
 * (the verifier, standard input). Commands never write to `process.stdout` or exit themselves; tests pass buffers.
 *
 * Author: Claude.
 *
 * @module
 */
import type { ExitCodeValue } from './exit-code.ts';
import type { VerifierSource } from './verifier-wiring.ts';

/** Where a command writes; tests pass buffers. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress lines, colored diagnostics); absent: it is not. */
  readonly stderrIsTerminal?: boolean;
  /** The terminal's width, when stderr is one. */
  readonly stderrColumns?: number;
}

/** The process's own streams. */
export const processIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  get stderrIsTerminal() {
    return process.stderr.isTTY === true;
  },
  get stderrColumns() {
    return process.stderr.columns;
  },
};

/** What a command's action may use besides its options. */
export interface CommandContext {
  readonly io: Io;
  /** The exit status the outcome calls for (see exit-code.ts); errors thrown out of an action set their own. */
  setExit(code: ExitCodeValue): void;
  /**
   * The verifier bpf2c, build and run use when it is not bpfship's own (tests: `{}` for none); commands take it
   * through verifierFor(ctx) (verifier-wiring.ts), which falls back to bpfship's verifier. (main.ts does not name the
   * default: the installed command bundles each command with its own copy of the layers it uses, and the verifier
   * must be the copy of the command that runs it.)
   */
  readonly verifier?: VerifierSource;
  /** Standard input, read whole (the conformance plugin's protocol). */
  readStdin(): string;
}

/**
 * Test support: `bpfship ARGS...` run in-process through main() (so with main's command table, error handling and
 * exit statuses), the output captured. Only tests import this.
 *
 * Author: Claude.
 *
 * @module
 */
import type { CommandEntry } from '../command-table.ts';
import { main } from '../main.ts';
import type { VerifierWiring } from '../verifier-wiring.ts';

/** What a command printed and its exit status. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** Standard input. */
  readonly stdin?: string;
  /** Replaces main's command table. */
  readonly commands?: readonly CommandEntry[];
}

/**
 * Runs `bpfship ARGS...` in-process. `verifier` replaces the wired verifier (`{}`: none).
 *
 * @example
 * ```ts
 * const r = await cli(['run', 'prog.so', '--mode', 'native', '--data', 'pkt.bin']);
 * ```
 */
export async function cli(args: readonly string[], verifier?: VerifierWiring, options: CliOptions = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
  const code = await main(['node', 'bpfship', ...args], io, {
    ...(verifier !== undefined ? { verifier } : {}),
    ...(options.stdin !== undefined ? { readStdin: () => options.stdin as string } : {}),
    ...(options.commands !== undefined ? { commands: options.commands } : {}),
  });
  return { code, out, err };
}

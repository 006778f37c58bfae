/**
 * `bpfship examples DIR`: copies the example programs the package ships (C sources, their compiled objects, sample
 * packets and a capture; README.md "First five minutes") into DIR, wherever npm put the package.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../io.ts';

/** The package's examples/ (every module runs two directories below the package root; see core-wasm.ts). */
export function examplesDir(): string {
  return fileURLToPath(new URL('../../examples/', import.meta.url));
}

/** Configures `examples`. */
export function configureExamples(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<dir>', 'where to copy them (created; must not exist or be empty)')
    .action((dir) => {
      const from = examplesDir();
      if (!existsSync(from)) throw new UsageError(`the examples are missing from this installation (${from}): reinstall bpfship`);
      if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`${dir}: exists and is not empty (give a new directory)`);
      try {
        cpSync(from, dir, { recursive: true });
      } catch (e) {
        throw new UsageError(`${dir}: cannot copy the examples there: ${(e as Error).message}`);
      }
      const names = readdirSync(dir).filter((n) => n.endsWith('.c'));
      io.stdout(`${dir}: ${names.join(', ')}, their objects (.o), and sample packets in ${dir}/packets\n`);
      setExit(0);
    });
}

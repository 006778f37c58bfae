/**
 * `bpfship btf FILE [--json]`: the BTF types of an object, as `bpftool btf dump file` (and `bpftool -j`) prints them.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { formatBtfDump, formatBtfJson } from '../../btf/index.ts';
import { readObject } from '../../spec/index.ts';
import type { CommandContext } from '../context.ts';
import { readInput, UsageError } from '../io.ts';

/** Configures `btf`. */
export function configureBtf(command: Command, { io }: CommandContext): void {
  command
    .argument('<file>', 'an eBPF ELF object')
    .option('--json', 'print JSON, as `bpftool -j btf dump file` does')
    .action((file, opts) => {
      const spec = readObject(readInput(file), { name: file });
      if (spec.btf === undefined) throw new UsageError(`${file}: the object has no .BTF section (compile with clang -g)`);
      io.stdout(opts.json === true ? formatBtfJson(spec.btf) : formatBtfDump(spec.btf));
    });
}

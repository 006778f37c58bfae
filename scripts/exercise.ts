// Runs one object through every reader and printer the CLI offers, so that robustness runs cover them all.
//
// Author: Claude.
import { formatBtfDump, btfToJson } from '../src/btf/index.ts';
import { readObject } from '../src/spec/index.ts';
import { disassembleObject, type LineInfoLookup } from '../src/asm/index.ts';
import { formatInspect, inspectReport } from '../src/cli/commands/inspect.ts';
import { lineInfoLookup } from '../src/cli/commands/asm.ts';
import { toJson } from '../src/cli/json.ts';

/** Reads `bytes` as an object and prints it every way; throws what the readers throw. */
export function exerciseObject(bytes: Uint8Array, name: string): void {
  const spec = readObject(bytes, { name });
  formatInspect(spec);
  toJson(inspectReport(spec));
  if (spec.btf !== undefined) {
    formatBtfDump(spec.btf);
    btfToJson(spec.btf);
  }
  const source: LineInfoLookup | undefined = lineInfoLookup(spec);
  disassembleObject(spec.elf, { withRelocations: true, ...(source !== undefined ? { source } : {}) });
}

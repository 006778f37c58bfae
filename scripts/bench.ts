// `npm run bench`: performance figures, each measured side by side with its anchor in one run, as ratios.
// Measured on the built package (dist/: run npm run build first). Machines here are noisy: every figure is the
// median of several rounds, anchor and ours interleaved.
//
// Author: Claude.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// The built package (dist/), as a user's install runs it.
import { corpusObjects } from '../dist/internal/test-files.js';
import { readObject } from '../dist/spec/index.js';
import { disassembleObject } from '../dist/asm/index.js';
import { formatBtfDump } from '../dist/btf/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const files = corpusObjects();
const inputs = files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(f)) }));
const totalBytes = inputs.reduce((n, i) => n + i.bytes.length, 0);
console.log(`bench: ${files.length} corpus objects, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB, median of ${rounds} rounds\n`);

// Warm up the JIT the way a long-lived process is warm; the cold figure is reported too.
const cold = time(() => { for (const i of inputs) readObject(i.bytes, { name: i.name }); });

const spec: number[] = [];
const specDisasm: number[] = [];
const objdump: number[] = [];
const btfDump: number[] = [];
for (let r = 0; r < rounds; r++) {
  objdump.push(time(() => execFileSync('llvm-objdump-19', ['-dr', ...files], { maxBuffer: 1 << 30 })));
  spec.push(time(() => { for (const i of inputs) readObject(i.bytes, { name: i.name }); }));
  specDisasm.push(time(() => {
    for (const i of inputs) {
      const s = readObject(i.bytes, { name: i.name });
      disassembleObject(s.elf, { withRelocations: true });
    }
  }));
  btfDump.push(time(() => {
    for (const i of inputs) {
      const s = readObject(i.bytes, { name: i.name });
      if (s.btf !== undefined) formatBtfDump(s.btf);
    }
  }));
}
const o = median(objdump);
const row = (what: string, ms: number, anchor: number | undefined): string =>
  `  ${what.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms` + (anchor === undefined ? '' : `   ${(ms / anchor).toFixed(2)}x llvm-objdump`);
console.log('Reading the corpus (all objects, one process):');
console.log(row('llvm-objdump-19 -dr (one process, all files)', o, undefined));
console.log(row('bpfship readObject (specs), warm', median(spec), o));
console.log(row('bpfship readObject, cold (first pass, JIT not warm)', cold, o));
console.log(row('bpfship readObject + disassembly listing, warm', median(specDisasm), o));
console.log(row('bpfship readObject + BTF dump text, warm', median(btfDump), o));
console.log('\nGoal: reading every object into specs faster than llvm-objdump disassembles them (ratio < 1).');

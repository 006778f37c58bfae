// Author: Claude.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBtf, parseBtfExt } from '../btf/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { mutate } from '../internal/mutate.ts';
import { assertGolden } from '../internal/test-files.ts';
import { readElf } from '../elf/index.ts';
import { buildElf, type TestRelocation, type TestSymbol } from './_test-elf.ts';
import { corpusFiles, isElf, objdump, PROGRAMS_DIR, prng, readBytes, requireObjdump } from './_tools.test.ts';
import { type CoreRelocationLookup, disassembleObject, type LineInfoLookup } from './listing.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bpfship-listing-'));

/** A CO-RE lookup fed from llvm-objdump's own lines, so the test checks where they are placed. */
function coreFromListing(listing: string): CoreRelocationLookup {
  const bySection = new Map<string, Map<number, string>>();
  let section = '';
  for (const line of listing.split('\n')) {
    if (line.startsWith('Disassembly of section ')) section = line.slice(23, -1);
    const at = line.indexOf(':  CO-RE ');
    if (line.startsWith('\t\t') && at > 0) {
      const m = bySection.get(section) ?? new Map<number, string>();
      m.set(parseInt(line.slice(2, at), 16), line.slice(at + 9));
      bySection.set(section, m);
    }
  }
  return { coreRelocation: (s, offset) => bySection.get(s)?.get(offset) };
}

function firstDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}: llvm ${JSON.stringify(x[i])} ours ${JSON.stringify(y[i])}`;
  }
  return 'differs';
}

describe('disassembleObject agrees with llvm-objdump', () => {
  for (const flag of ['-d', '-dr'] as const) {
    it(`line for line on the corpus (${flag})`, (t) => {
      requireObjdump();
      let files = 0;
      let same = 0;
      let nonElf = 0;
      let refused = 0;
      let lines = 0;
      let sameLines = 0;
      const diffs: string[] = [];
      for (const path of corpusFiles()) {
        const bytes = readBytes(path);
        if (!isElf(bytes)) {
          nonElf++;
          continue;
        }
        let elf;
        try {
          elf = readElf(bytes, { name: path });
        } catch {
          refused++;
          continue;
        }
        const theirs = objdump([flag, path]);
        if (theirs === undefined) {
          refused++;
          continue;
        }
        files++;
        const ours = disassembleObject(elf, {
          withRelocations: flag === '-dr',
          coreRelocations: coreFromListing(theirs),
        });
        const x = theirs.split('\n');
        const y = ours.split('\n');
        lines += x.length;
        for (let i = 0; i < x.length; i++) if (x[i] === y[i]) sameLines++;
        const d = firstDifference(theirs, ours);
        if (d === undefined) same++;
        else if (diffs.length < 5) diffs.push(`${path}: ${d}`);
      }
      t.diagnostic(`${flag}: files identical ${same}/${files}; lines identical ${sameLines}/${lines}; non-ELF skipped ${nonElf}; refused by the ELF reader or llvm-objdump ${refused}`);
      console.log(`listing vs llvm-objdump ${flag}: files ${same}/${files}, lines ${sameLines}/${lines} (non-ELF ${nonElf}, refused ${refused})`);
      assert.deepEqual(diffs, []);
      assert.ok(files >= 140);
    });
  }

  it('on random objects: odd symbols, data symbols, zero runs, cut lddw, relocations anywhere', (t) => {
    requireObjdump();
    const rnd = prng(7);
    let same = 0;
    const diffs: string[] = [];
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      const slots = 100 + (rnd() % 150);
      const length = slots * 8 + (rnd() % 4 === 0 ? rnd() % 8 : 0);
      const code = new Uint8Array(length);
      for (let i = 0; i + 8 <= length; i += 8) {
        const kind = rnd() % 10;
        if (kind === 0) continue; // zeros
        if (kind === 1) {
          code[i] = 0x18;
          code[i + 1] = rnd() & (rnd() & 1 ? 0x0f : 0xff);
          if (rnd() % 5 === 0) code[i + 2] = 1;
          for (let k = 4; k < 8; k++) code[i + k] = rnd() & 0xff;
        } else if (kind === 2) {
          code[i] = [0x05, 0x15, 0x06, 0xe5, 0x1e][rnd() % 5] as number;
          code[i + 1] = rnd() & 0x77;
          const off = (rnd() % 80) - 40;
          code[i + 2] = off & 0xff;
          code[i + 3] = (off >> 8) & 0xff;
          if (code[i] === 0x06) {
            code[i + 4] = off & 0xff;
            code.fill(off < 0 ? 0xff : 0, i + 5, i + 8);
          }
        } else {
          for (let k = 0; k < 8; k++) code[i + k] = rnd() & 0xff;
          if (rnd() & 1) code[i] = [0xb7, 0xbf, 0x07, 0x61, 0x63, 0x85, 0x95, 0xc3, 0xdb, 0x7b][rnd() % 10] as number;
        }
      }
      const names = ['f', 'g', 'LBB0_1', 'a', 'z', 'obj', 'prog', 'h'];
      const symbols: TestSymbol[] = [];
      for (let s = rnd() % 8; s > 0; s--) {
        const value = rnd() % 3 === 0 ? rnd() % length : (rnd() % slots) * 8;
        symbols.push({ name: (names[rnd() % names.length] as string) + (rnd() % 3 ? '' : String(s)), section: 'sec', value, type: [0, 1, 2, 2][rnd() % 4] as number, bind: rnd() % 2 });
      }
      symbols.push({ name: 'ext', value: 0, type: 0, bind: 1 });
      symbols.push({ name: 'sec', section: 'sec', value: 0, type: 3, bind: 0 });
      const relocations: TestRelocation[] = [];
      for (let r = rnd() % 10; r > 0; r--) {
        relocations.push({
          section: 'sec',
          offset: rnd() % 3 === 0 ? rnd() % length : (rnd() % slots) * 8 + 4,
          type: [1, 10, 2, 77][rnd() % 4] as number,
          symbol: ['ext', 'sec', symbols[0]?.name ?? 'ext'][rnd() % 3] as string,
        });
      }
      relocations.sort((a, b) => a.offset - b.offset);
      const bytes = buildElf([{ name: 'sec', data: code }, { name: 'data', data: new Uint8Array(8), flags: 3 }], symbols, relocations);
      const path = join(tmp, `random-${round}.o`);
      writeFileSync(path, bytes);
      for (const flag of ['-d', '-dr']) {
        const theirs = objdump([flag, path]);
        assert.ok(theirs !== undefined);
        const ours = disassembleObject(readElf(bytes, { name: path }), { withRelocations: flag === '-dr' });
        const d = firstDifference(theirs, ours);
        if (d === undefined) same++;
        else if (diffs.length < 5) diffs.push(`${path} ${flag}: ${d}`);
      }
    }
    t.diagnostic(`random objects: ${same}/${rounds * 2} listings identical`);
    assert.deepEqual(diffs, []);
  });

  it('with source lines from BTF line info, as -S prints them', (t) => {
    requireObjdump();
    let files = 0;
    let same = 0;
    let sourceLines = 0;
    let sameSourceLines = 0;
    for (const path of corpusFiles().filter((p) => p.includes('/programs/obj/'))) {
      const elf = readElf(readBytes(path), { name: basename(path) });
      const btfSection = elf.section('.BTF');
      const extSection = elf.section('.BTF.ext');
      if (btfSection === undefined || extSection === undefined) continue;
      const ext = parseBtfExt(extSection.data, parseBtf(btfSection.data));
      const source: LineInfoLookup = {
        sourceLine(section, offset) {
          let best;
          for (const r of ext.lineInfoOf(section)) {
            if (r.insnOff > offset) break;
            best = r;
          }
          return best === undefined ? undefined : { fileName: best.fileName, line: best.line, text: best.sourceLine };
        },
      };
      const theirs = objdump(['-S', join('obj', basename(path))], PROGRAMS_DIR);
      assert.ok(theirs !== undefined);
      files++;
      const ours = disassembleObject(elf, { withRelocations: false, source, fileName: join('obj', basename(path)) });
      if (ours === theirs) same++;
      const a = theirs.split('\n').filter((l) => l.startsWith('; '));
      const b = new Set(ours.split('\n').filter((l) => l.startsWith('; ')));
      sourceLines += a.length;
      for (const l of a) if (b.has(l)) sameSourceLines++;
    }
    // llvm-objdump reads DWARF line tables and the source files; BTF line info is coarser (no line-0 rows, fewer
    // records), so a few files differ in where a line is repeated. The format itself must match.
    t.diagnostic(`-S: files identical ${same}/${files}; source lines llvm printed that we print too: ${sameSourceLines}/${sourceLines}`);
    assert.ok(same >= files - 2, `only ${same}/${files} identical`);
    assert.ok(sameSourceLines >= sourceLines * 0.95);
  });
});

describe('disassembleObject', () => {
  it('matches the golden listings of the example programs (UPDATE_GOLDEN=1 rewrites them)', () => {
    for (const path of corpusFiles().filter((p) => p.includes('/programs/obj/'))) {
      const name = basename(path);
      const text = disassembleObject(readElf(readBytes(path), { name: `obj/${name}` }), { withRelocations: true });
      assertGolden(join(import.meta.dirname, 'testdata', name.replace(/\.o$/, '.dr.txt')), text);
    }
  });

  const exit = [0x95, 0, 0, 0, 0, 0, 0, 0];
  const mov = [0xb7, 0, 0, 0, 1, 0, 0, 0];

  it('elides runs of zero bytes and restarts at each symbol', () => {
    const code = Uint8Array.from([...mov, ...new Array(12).fill(0), ...exit, ...new Array(4).fill(0)]);
    const elf = readElf(buildElf([{ name: 'xdp', data: code }], [{ name: 'prog', section: 'xdp', value: 0 }, { name: 'tail', section: 'xdp', value: 20 }]), { name: 'a.o' });
    const text = disassembleObject(elf, { withRelocations: false });
    assert.equal(text, [
      '',
      'a.o:\tfile format elf64-bpf',
      '',
      'Disassembly of section xdp:',
      '',
      '0000000000000000 <prog>:',
      '       0:\tb7 00 00 00 01 00 00 00\tr0 = 0x1',
      '\t\t...',
      '',
      '0000000000000014 <tail>:',
      '       2:\t95 00 00 00 00 00 00 00\texit',
      '       3:\t00\t<unknown>',
      '       3:\t00\t<unknown>',
      '       3:\t00\t<unknown>',
      '       3:\t00\t<unknown>',
      '',
    ].join('\n'));
  });

  it('dumps blocks of data symbols as bytes and labels sections without symbols by name', () => {
    const code = Uint8Array.from([...mov, 0x41, 0x42, 0x43]);
    const elf = readElf(buildElf([{ name: '.text', data: code }, { name: 'two', data: Uint8Array.from(exit) }], [{ name: 'table', section: '.text', value: 0, type: 1 }]), { name: 'b.o' });
    const text = disassembleObject(elf, { withRelocations: false });
    assert.ok(text.includes('0000000000000000 <table>:\n       0: b7 00 00 00 01 00 00 00         ........\n       8: 41 42 43                        ABC\n'), text);
    assert.ok(text.includes('Disassembly of section two:\n\n0000000000000000 <two>:\n       0:\t95 00 00 00 00 00 00 00\texit\n'), text);
  });

  it('prints relocations under the instruction they patch, and only the chosen sections', () => {
    const code = Uint8Array.from([0x18, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff, ...exit]);
    const elf = readElf(buildElf(
      [{ name: 'xdp', data: code }, { name: '.text', data: Uint8Array.from(exit) }, { name: '.maps', data: new Uint8Array(8), flags: 3 }],
      [{ name: 'prog', section: 'xdp', value: 0 }, { name: 'counters', section: '.maps', value: 0, type: 1 }, { name: 'helper', section: '.text', value: 0 }],
      [{ section: 'xdp', offset: 0, type: 1, symbol: 'counters' }, { section: 'xdp', offset: 16, type: 10, symbol: 'helper' }],
    ), { name: 'c.o' });
    const text = disassembleObject(elf, { withRelocations: true, sections: ['xdp'] });
    assert.ok(!text.includes('section .text'));
    assert.ok(text.includes('r1 = 0x0 ll\n\t\t0000000000000000:  R_BPF_64_64\tcounters\n'), text);
    assert.ok(text.includes('call -0x1\n\t\t0000000000000010:  R_BPF_64_32\thelper\n'), text);
  });

  it('prints a source line when the line changes', () => {
    const code = Uint8Array.from([...mov, ...mov, ...exit]);
    const elf = readElf(buildElf([{ name: 'xdp', data: code }], [{ name: 'prog', section: 'xdp', value: 0 }]), { name: 'd.o' });
    const source: LineInfoLookup = { sourceLine: (_s, offset) => ({ fileName: 'd.c', line: offset < 16 ? 3 : 4, text: offset < 16 ? '  x = 1;' : '  return x;' }) };
    const text = disassembleObject(elf, { withRelocations: false, source });
    assert.ok(text.includes('<prog>:\n;   x = 1;\n       0:\t'), text);
    assert.equal(text.split('\n').filter((l) => l.startsWith(';')).length, 2);
  });

  it('lists mutated corpus objects without any error but the typed ones', (t) => {
    let listed = 0;
    const files = corpusFiles().filter((p) => isElf(readBytes(p)) && readBytes(p).length < 60000).slice(0, 25);
    for (const path of files) {
      const original = readBytes(path);
      for (let v = 0; v < 40; v++) {
        const { bytes, description } = mutate(original, 1, v);
        let elf;
        try {
          elf = readElf(bytes, { name: path });
        } catch {
          continue;
        }
        try {
          disassembleObject(elf, { withRelocations: true });
          listed++;
        } catch (e) {
          assert.ok(e instanceof BpfshipError, `${path} variant ${v} (${description}): ${String(e)}`);
        }
      }
    }
    t.diagnostic(`mutated objects listed: ${listed}`);
    assert.ok(listed > 100);
  });

  it('refuses objects for other machines', () => {
    const bytes = buildElf([{ name: 'x', data: Uint8Array.from(exit) }]);
    bytes[18] = 62; // EM_X86_64
    assert.throws(() => disassembleObject(readElf(bytes), { withRelocations: false }), { name: 'InstructionError' });
  });
});

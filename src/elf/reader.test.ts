// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusObjects, invalidObjects, runTool } from '../internal/test-files.ts';
import { ElfError } from '../internal/errors.ts';
import { readElf } from './reader.ts';
import { EM_BPF, SectionType } from './types.ts';

interface ReadelfJson {
  Sections: { Section: { Index: number; Name: { Name: string }; Type: { Value: number }; Offset: number; Size: number; Link: number; Info: number } }[];
  Relocations?: { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: { Value: number }; Symbol: { Value: number } } }[] }[];
  Symbols?: { Symbol: { Name: { Name: string }; Value: number; Size: number; Type: { Value: number }; Binding: { Value: number }; Section: { Value: number } } }[];
}

describe('readElf() against llvm-readelf-19', () => {
  it('agrees on sections, symbols and relocations of every corpus object', (t) => {
    const files = corpusObjects();
    let agree = 0;
    for (const f of files) {
      const elf = readElf(readFileSync(f), { name: f });
      const out = runTool('llvm-readelf-19', ['--elf-output-style=JSON', '-S', '-r', '--symbols', f]);
      assert.equal(out.status, 0, `llvm-readelf failed on ${f}`);
      const ref = (JSON.parse(out.stdout) as ReadelfJson[])[0] as ReadelfJson;
      assert.equal(elf.machine, EM_BPF);
      assert.deepEqual(
        elf.sections.map((s) => [s.index, s.name, s.type, s.offset, s.size, s.link, s.info]),
        ref.Sections.map(({ Section: s }) => [s.Index, s.Name.Name, s.Type.Value, s.Offset, s.Size, s.Link, s.Info]),
        `sections of ${f}`,
      );
      assert.deepEqual(
        elf.symbols.map((s) => [s.value, s.size, s.type, s.bind, s.sectionIndex]),
        (ref.Symbols ?? []).map(({ Symbol: s }) => [s.Value, s.Size, s.Type.Value, s.Binding.Value, s.Section.Value]),
        `symbols of ${f}`,
      );
      for (const group of ref.Relocations ?? []) {
        const relSection = elf.sections[group.SectionIndex];
        assert.ok(relSection !== undefined);
        const mine = elf.relocations.get(relSection.info) ?? [];
        const theirs = group.Relocs.map(({ Relocation: r }) => [r.Offset, r.Type.Value, r.Symbol.Value]).sort((a, b) => (a[0] as number) - (b[0] as number));
        assert.deepEqual(mine.map((r) => [r.offset, r.type, r.symbolIndex]), theirs, `relocations of section ${relSection.info} in ${f}`);
      }
      agree++;
    }
    t.diagnostic(`readElf agrees with llvm-readelf-19 on ${agree}/${files.length} objects`);
  });
});

describe('readElf() on malformed input', () => {
  it('gives an ElfError naming the file for every structurally broken corpus object, or a result', () => {
    for (const f of invalidObjects()) {
      try {
        readElf(readFileSync(f), { name: f });
      } catch (e) {
        assert.ok(e instanceof ElfError, `${f}: ${String(e)}`);
        assert.ok(e.message.startsWith(f), e.message);
      }
    }
  });

  const base = readFileSync(corpusObjects().find((f) => f.endsWith('hello_world.o')) as string);
  const mutate = (at: number, bytes: number[]): Uint8Array => {
    const b = Uint8Array.from(base);
    b.set(bytes, at);
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty input', new Uint8Array(0), /not an ELF file/],
    ['wrong magic', mutate(0, [0x7f, 0x45, 0x4c, 0x47]), /not an ELF file/],
    ['32-bit class', mutate(4, [1]), /ELF class is 1, expected 2/],
    ['big-endian', mutate(5, [2]), /big-endian/],
    ['truncated header', base.subarray(0, 40), /ELF header .* runs past the end/],
    ['section table past the end', mutate(40, [0xff, 0xff, 0, 0, 0, 0, 0, 0]), /section header table .* runs past the end/],
    ['bad e_shentsize', mutate(58, [32, 0]), /e_shentsize is 32, expected 64/],
    ['e_shstrndx out of range', mutate(62, [200, 0]), /e_shstrndx is 200, past the last section/],
    ['truncated file', base.subarray(0, base.length - 100), /runs past the end/],
  ];
  for (const [what, bytes, re] of cases) {
    it(`reports ${what}`, () => {
      assert.throws(() => readElf(bytes, { name: 'x.o' }), (e: unknown) => e instanceof ElfError && re.test(e.message) && e.message.startsWith('x.o: '));
    });
  }

  it('reports a relocation naming a symbol past the table', () => {
    const elf = readElf(base, { name: 'x.o' });
    const rel = elf.sections.find((s) => s.type === SectionType.REL) as { offset: number };
    const b = Uint8Array.from(base);
    new DataView(b.buffer).setUint32(rel.offset + 12, 9999, true);
    assert.throws(() => readElf(b, { name: 'x.o' }), /relocation 0 names symbol 9999, past the symbol table/);
  });

  it('reports a relocation offset past its target section', () => {
    const elf = readElf(base, { name: 'x.o' });
    const rel = elf.sections.find((s) => s.type === SectionType.REL) as { offset: number };
    const b = Uint8Array.from(base);
    new DataView(b.buffer).setUint32(rel.offset, 0x10000, true);
    assert.throws(() => readElf(b, { name: 'x.o' }), /applies at offset 0x10000, past the end of section 'cgroup\/bind4'/);
  });
});

/**
 * BTF.ext on real objects: line info of the example programs points at their sources, and every corpus object's
 * `.BTF.ext` parses.
 *
 * Author: Claude.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORPUS, PROGRAMS_OBJ, SHARED, filesBelow } from '../internal/test-files.ts';
import { elfSections, NotElfError } from './_elf-sections.ts';
import { parseBtfExt } from './btf-ext.ts';
import { parseBtf } from './parse-btf.ts';

const BENCH = join(SHARED, 'programs', 'bench');

function load(path: string) {
  const sections = elfSections(readFileSync(path));
  const btfData = sections.get('.BTF');
  const extData = sections.get('.BTF.ext');
  assert.ok(btfData !== undefined && extData !== undefined, `${path} has .BTF and .BTF.ext`);
  const btf = parseBtf(btfData, { file: path });
  return { btf, ext: parseBtfExt(extData, btf, { file: path }) };
}

describe('line info of real objects', () => {
  it('maps the instructions of xdp_firewall.o to the lines of xdp_firewall.c', () => {
    const { btf, ext } = load(join(PROGRAMS_OBJ, 'xdp_firewall.o'));
    const lines = ext.lineInfoOf('xdp');
    assert.ok(lines.length > 0, 'section xdp has line info');
    const source = readFileSync(join(BENCH, 'xdp_firewall.c'), 'utf8').split('\n');
    let matched = 0;
    for (const l of lines) {
      assert.ok(l.fileName.endsWith('xdp_firewall.c'), l.fileName);
      assert.equal(l.insn * 8, l.insnOff);
      assert.ok(l.line > 0 && l.column > 0);
      assert.equal(l.sourceLine, source[l.line - 1], `instruction ${l.insn}: line ${l.line}`);
      matched++;
    }
    // The first instruction reads ctx->data_end (clang schedules it before the read of ctx->data).
    assert.match(lines[0]?.sourceLine ?? '', /data_end/);
    // Instruction offsets only grow within a section.
    for (let i = 1; i < lines.length; i++) assert.ok((lines[i]?.insnOff ?? 0) >= (lines[i - 1]?.insnOff ?? 0));
    const funcs = ext.funcInfoOf('xdp');
    assert.equal(funcs.length, 1);
    assert.equal(btf.typeById(funcs[0]?.typeId ?? 0).name, 'xdp_firewall');
    console.log(`btf/line-info: xdp_firewall.o: ${matched}/${lines.length} line records match the source text`);
  });

  it('matches the source text of every benchmark program', () => {
    for (const name of ['xdp_firewall', 'flow_counter', 'payload_hash', 'primes', 'tail_chain']) {
      const { ext } = load(join(PROGRAMS_OBJ, `${name}.o`));
      const source = readFileSync(join(BENCH, `${name}.c`), 'utf8').split('\n');
      let own = 0;
      for (const section of ext.lineInfo) {
        for (const l of section.records) {
          if (!l.fileName.endsWith(`${name}.c`)) continue; // lines from included headers
          own++;
          assert.equal(l.sourceLine, source[l.line - 1], `${name}: instruction ${l.insn} of ${section.section}: line ${l.line}`);
        }
      }
      assert.ok(own > 0, `${name} has line info for its own source`);
    }
  });

  it('parses the .BTF.ext of every corpus object with valid BTF', () => {
    let objects = 0;
    const counts = { funcInfo: 0, lineInfo: 0, coreRelos: 0 };
    for (const file of [...filesBelow(CORPUS), ...filesBelow(PROGRAMS_OBJ)]) {
      if (file.includes('/invalid/')) continue;
      let sections: Map<string, Uint8Array>;
      try {
        sections = elfSections(readFileSync(file));
      } catch (e) {
        if (e instanceof NotElfError) continue;
        throw e;
      }
      const btfData = sections.get('.BTF');
      const extData = sections.get('.BTF.ext');
      if (btfData === undefined || extData === undefined) continue;
      const name = relative(SHARED, file);
      const btf = parseBtf(btfData, { file: name });
      const ext = parseBtfExt(extData, btf, { file: name });
      objects++;
      for (const s of ext.funcInfo) {
        counts.funcInfo += s.records.length;
        for (const f of s.records) assert.equal(btf.typeById(f.typeId).kind, 'FUNC');
      }
      for (const s of ext.lineInfo) counts.lineInfo += s.records.length;
      for (const s of ext.coreRelos) counts.coreRelos += s.records.length;
    }
    console.log(`btf/line-info: ${objects} objects: ${counts.funcInfo} func_info, ${counts.lineInfo} line_info, ${counts.coreRelos} CO-RE records`);
    assert.ok(objects >= 80, `${objects} objects with BTF.ext`);
    assert.ok(counts.coreRelos > 0);
  });
});

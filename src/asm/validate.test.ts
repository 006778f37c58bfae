// Author: Claude.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { readElf } from '../elf/index.ts';
import { conformanceFiles, corpusFiles, isElf, negativeConformanceFiles, readBytes } from './_tools.test.ts';
import { assemble } from './assemble.ts';
import { parseConformanceData } from './conformance-data.ts';
import { decodeInstructions } from './decode.ts';
import { call, exit, ja, loadImm64, mov64Imm, program } from './dsl.ts';
import { makeInstruction } from './instruction.ts';
import { validateInstructions } from './validate.ts';

describe('validateInstructions', () => {
  it('rejects every "unused field" negative test of the conformance suite (RFC 9669 profile)', (t) => {
    let rejected = 0;
    let total = 0;
    const missed: string[] = [];
    for (const path of negativeConformanceFiles().filter((p) => basename(p).startsWith('unused-'))) {
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      assert.ok(test.raw !== undefined);
      total++;
      const errors = validateInstructions(decodeInstructions(test.raw), { file: basename(path) }, { profile: 'rfc9669' });
      if (errors.length > 0 && errors[0]?.where.insn === 0) rejected++;
      else missed.push(basename(path));
    }
    t.diagnostic(`negative tests rejected: ${rejected}/${total}`);
    assert.deepEqual(missed, []);
    assert.ok(total >= 45);
  });

  it('accepts every conformance program and every program section of the corpus', (t) => {
    let programs = 0;
    const flagged: string[] = [];
    for (const path of conformanceFiles()) {
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      programs++;
      const errors = validateInstructions(assemble(test.asm ?? '', { file: path }));
      if (errors.length > 0) flagged.push(`${path}: ${errors[0]?.message}`);
    }
    let sections = 0;
    for (const path of corpusFiles()) {
      const bytes = readBytes(path);
      if (!isElf(bytes) || path.includes('/invalid/')) continue;
      let elf;
      try {
        elf = readElf(bytes, { name: path });
      } catch {
        continue;
      }
      for (const s of elf.sections) {
        if ((s.flags & 4) === 0 || s.size === 0) continue;
        sections++;
        const errors = validateInstructions(decodeInstructions(s.data, { file: path, section: s.name }), { file: path, section: s.name });
        if (errors.length > 0) flagged.push(errors[0]?.message ?? '');
      }
    }
    t.diagnostic(`clean: ${programs} conformance programs, ${sections} corpus sections`);
    assert.deepEqual(flagged, []);
  });

  it('reports registers, writes to r10, reserved bytes and stray jumps, each with its slot', () => {
    const insns = program(
      makeInstruction(0xbf, 12, 1, 0, 0), // r12
      makeInstruction(0x07, 10, 0, 0, 8), // r10 += 8
      { ...loadImm64(1, 5n), secondSlotHead: 0x18 },
      ja(1), // into the second half of the next lddw
      loadImm64(2, 1n),
      makeInstruction(0x15, 1, 0, 100, 0), // beyond the end
      makeInstruction(0x8e, 0, 0, 0, 0), // unknown
      call(1),
      exit(),
    );
    const errors = validateInstructions(insns, { file: 'x.o' });
    const summary = errors.map((e) => `${e.where.insn}: ${e.detail}`);
    assert.deepEqual(summary, [
      '0: opcode 0xbf: register r12 does not exist (dst; r0-r10)',
      '1: opcode 0x07: r10 (the frame pointer) is read-only, but it is the destination',
      '2: opcode 0x18: the second slot of lddw must have opcode, registers and offset 0, found 0x00000018 (bytes 8-11, little-endian)',
      '4: opcode 0x05: the jump lands on slot 6, the second half of a lddw',
      '7: opcode 0x15: 108 is outside the program (slots 0-10), the jump target of slot 7',
      '8: opcode 0x8e: call is not a JMP32 instruction',
    ]);
    assert.match(errors[0]?.message ?? '', /^x\.o: instruction 0: /);
  });

  it('reports the Linux extensions only in the RFC 9669 profile', () => {
    const insns = program(makeInstruction(0xe5, 0, 0, 0, 0), makeInstruction(0xbf, 1, 2, 1, 0x10000), makeInstruction(0x8d, 2, 0, 0, 0), mov64Imm(0, 0), exit());
    assert.equal(validateInstructions(insns).length, 0);
    assert.equal(validateInstructions(insns, {}, { profile: 'rfc9669' }).length, 3);
  });
});

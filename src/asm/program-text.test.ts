// Author: Claude.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readElf } from '../elf/index.ts';
import { conformanceFiles, corpusFiles, isElf, prng, readBytes } from './_tools.test.ts';
import { assemble } from './assemble.ts';
import { parseConformanceData } from './conformance-data.ts';
import { decodeInstructions } from './decode.ts';
import { encodeInstructions } from './encode.ts';
import { formatProgram } from './program-text.ts';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('formatProgram', () => {
  it('labels jump and call targets and writes the rest as llvm-objdump does', () => {
    const bytes = encodeInstructions(assemble('r0 = 0x0\nif r1 == 0x0 goto +1\ncall -1\nexit'));
    // `call -1` in LLVM's text is helper -1, not a local call: no label.
    assert.equal(formatProgram(decodeInstructions(bytes)), '\tr0 = 0x0\n\tif r1 == 0x0 goto L3\n\tcall -0x1\nL3:\n\texit\n');
    const local = encodeInstructions(assemble('call local f\nexit\nf:\nexit', { dialect: 'conformance' }));
    assert.equal(formatProgram(decodeInstructions(local)), '\tcall L2\n\texit\nL2:\n\texit\n');
  });

  it('falls back to raw slots for what the text cannot carry', () => {
    const bytes = Uint8Array.from([0x0f, 0x21, 0, 0, 5, 0, 0, 0, 0x8e, 0, 0, 0, 0, 0, 0, 0]); // add with imm set, unknown
    assert.equal(formatProgram(decodeInstructions(bytes)), '\t.quad 0x000000050000210f\n\t.quad 0x000000000000008e\n');
  });

  it('round-trips every program section of the corpus', (t) => {
    let sections = 0;
    let exact = 0;
    let rawSlots = 0;
    let cut = 0;
    const bad: string[] = [];
    for (const path of corpusFiles()) {
      const bytes = readBytes(path);
      if (!isElf(bytes)) continue;
      let elf;
      try {
        elf = readElf(bytes, { name: path });
      } catch {
        continue;
      }
      for (const s of elf.sections) {
        if ((s.flags & 4) === 0 || s.size === 0 || s.type === 8) continue;
        let insns;
        try {
          insns = decodeInstructions(s.data);
        } catch {
          cut++; // a truncated section (invalid-lddw.o): nothing to round-trip
          continue;
        }
        sections++;
        const text = formatProgram(insns);
        rawSlots += text.split('.quad').length - 1;
        if (same(encodeInstructions(assemble(text, { dialect: 'llvm' })), s.data)) exact++;
        else if (bad.length < 3) bad.push(`${path} ${s.name}`);
      }
    }
    t.diagnostic(`corpus sections re-assembled to the same bytes: ${exact}/${sections} (raw slots needed: ${rawSlots}; truncated sections skipped: ${cut})`);
    assert.deepEqual(bad, []);
    assert.ok(sections > 400);
  });

  it('round-trips every conformance program and random instruction words', (t) => {
    let programs = 0;
    for (const path of conformanceFiles()) {
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      const bytes = encodeInstructions(assemble(test.asm ?? ''));
      assert.ok(same(encodeInstructions(assemble(formatProgram(decodeInstructions(bytes)))), bytes), path);
      programs++;
    }
    const rnd = prng(3);
    let rounds = 0;
    for (let round = 0; round < 100; round++) {
      const bytes = new Uint8Array(8 * 64);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd() & 0xff;
      for (let i = 0; i < bytes.length; i += 8) {
        if (rnd() % 3 === 0) bytes[i + 1]! &= 0x77; // more decodable registers
        if (rnd() % 4 === 0) bytes.fill(0, i + 4, i + 8);
      }
      bytes[bytes.length - 8] = 0x95;
      const insns = decodeInstructions(bytes);
      assert.ok(same(encodeInstructions(assemble(formatProgram(insns))), bytes), `round ${round}`);
      rounds++;
    }
    t.diagnostic(`conformance programs round-tripped: ${programs}; random programs: ${rounds}`);
  });
});

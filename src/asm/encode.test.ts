// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeInstructions } from './encode.ts';
import { makeInstruction } from './instruction.ts';
import { InstructionError } from '../internal/errors.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('encodeInstructions', () => {
  it('writes slots little-endian, lddw in two', () => {
    const bytes = encodeInstructions([
      makeInstruction(0x63, 10, 1, -4, 0),
      makeInstruction(0x18, 1, 0, 0, 0, 0x1122334455667788n),
      makeInstruction(0x95, 0, 0, 0, 0),
    ]);
    assert.equal(hex(bytes), '63 1a fc ff 00 00 00 00 18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11 95 00 00 00 00 00 00 00');
  });

  it('writes negative 64-bit constants and reserved second-slot bytes', () => {
    const ins = { ...makeInstruction(0x18, 2, 0, 0, -1, -1n), secondSlotHead: 0x01020304 };
    assert.equal(hex(encodeInstructions([ins])), '18 02 00 00 ff ff ff ff 04 03 02 01 ff ff ff ff');
  });

  it('accepts an unsigned 32-bit imm and stores it as is', () => {
    assert.equal(hex(encodeInstructions([{ opcode: 0xb4, dst: 0, src: 0, offset: 0, imm: 0xffffffff, size: 1, slot: 0, valid: true }])), 'b4 00 00 00 ff ff ff ff');
  });

  it('refuses fields that do not fit, naming the instruction', () => {
    const base = makeInstruction(0xb7, 0, 0, 0, 0);
    const bad = [
      { ...base, dst: 16 },
      { ...base, src: -1 },
      { ...base, offset: 0x8000 },
      { ...base, imm: 2 ** 32 },
      { ...base, opcode: 256 },
      { ...makeInstruction(0x18, 0, 0, 0, 5, 5n), imm: 6 },
    ];
    for (const ins of bad) {
      assert.throws(() => encodeInstructions([base, ins]), (e: unknown) => e instanceof InstructionError && e.where.insn === 1 && /instruction 1/.test(e.message));
    }
  });
});

// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from './_tools.test.ts';
import { decodeInstructions } from './decode.ts';
import { encodeInstructions } from './encode.ts';
import { InstructionError } from '../internal/errors.ts';

const bytesOf = (hex: string): Uint8Array => Uint8Array.from(hex.trim().split(/\s+/).map((b) => parseInt(b, 16)));

describe('decodeInstructions', () => {
  it('reads every field, little-endian and signed', () => {
    const [ins] = decodeInstructions(bytesOf('63 1a fc ff 78 56 34 f2'));
    assert.deepEqual(ins, { opcode: 0x63, dst: 10, src: 1, offset: -4, imm: 0xf2345678 | 0, size: 1, slot: 0, valid: true });
  });

  it('reads lddw as one two-slot instruction and keeps slot numbers', () => {
    const insns = decodeInstructions(bytesOf(`
      b7 00 00 00 00 00 00 00
      18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11
      95 00 00 00 00 00 00 00`));
    assert.equal(insns.length, 3);
    assert.equal(insns[1]?.size, 2);
    assert.equal(insns[1]?.imm64, 0x1122334455667788n);
    assert.equal(insns[1]?.imm, 0x55667788);
    assert.deepEqual(insns.map((i) => i.slot), [0, 1, 3]);
    const [neg] = decodeInstructions(bytesOf('18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'));
    assert.equal(neg?.imm64, -1n);
  });

  it('keeps non-zero reserved bytes of the lddw second slot', () => {
    const [ins] = decodeInstructions(bytesOf('18 01 00 00 05 00 00 00 18 21 03 00 00 00 00 00'));
    assert.equal(ins?.secondSlotHead, 0x00032118);
  });

  it('marks unknown encodings invalid instead of refusing them', () => {
    const insns = decodeInstructions(bytesOf('8e 00 00 00 00 00 00 00 dc 01 00 00 08 00 00 00 bf 21 02 00 00 00 00 00 c3 12 00 00 02 00 00 00'));
    assert.deepEqual(insns.map((i) => i.valid), [false, false, false, false]);
    const ok = decodeInstructions(bytesOf('db 12 00 00 f1 00 00 00 3f 12 01 00 00 00 00 00 8d 02 00 00 00 00 00 00'));
    assert.deepEqual(ok.map((i) => i.valid), [true, true, true]);
  });

  it('reports a length that is not a multiple of 8, with the offset', () => {
    assert.throws(() => decodeInstructions(new Uint8Array(12), { file: 'p.o', section: 'xdp' }), (e: unknown) => {
      assert.ok(e instanceof InstructionError);
      assert.equal(e.where.offset, 8);
      assert.equal(e.where.section, 'xdp');
      assert.match(e.message, /p\.o: section 'xdp' instruction 1 at offset 0x8: the code is 12 bytes long, not a multiple of 8/);
      return true;
    });
  });

  it('reports a lddw cut after its first slot', () => {
    assert.throws(() => decodeInstructions(bytesOf('b7 00 00 00 00 00 00 00 18 01 00 00 00 00 00 00')), (e: unknown) => {
      assert.ok(e instanceof InstructionError);
      assert.equal(e.where.offset, 8);
      assert.equal(e.where.insn, 1);
      assert.match(e.detail, /lddw at slot 1 needs two slots/);
      return true;
    });
  });

  it('with truncated: invalid, decodes what it can', () => {
    const insns = decodeInstructions(bytesOf('b7 00 00 00 00 00 00 00 18 01 00 00 00 00 00 00 95'), {}, { truncated: 'invalid' });
    assert.equal(insns.length, 2);
    assert.equal(insns[1]?.valid, false);
    assert.equal(insns[1]?.size, 1);
  });

  it('is undone exactly by encodeInstructions, on random bytes', () => {
    const rnd = prng(99);
    for (let round = 0; round < 200; round++) {
      const bytes = new Uint8Array(8 * (1 + (rnd() % 64)));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd() & 0xff;
      // A lddw at the end would be cut; make sure the last slot is not one.
      for (let i = 0; i < bytes.length; i += 8) if (rnd() % 6 === 0) bytes[i] = 0x18;
      let insns;
      try {
        insns = decodeInstructions(bytes);
      } catch {
        continue;
      }
      assert.deepEqual(encodeInstructions(insns), bytes);
    }
  });
});

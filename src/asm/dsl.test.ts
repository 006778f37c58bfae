// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  add64Imm, AluOp, atomic, AtomicOp, bswap, call, callKfunc, callLocal, callx, exit, gotol, ja, jump32Reg, jumpImm, JumpOp,
  loadImm64, loadMem, loadMemSx, loadPseudo, mov32Reg, mov64Imm, mov64Reg, movsx64, neg64, program, R0, R1, R2, R10,
  signed64Imm, Size, storeImm, storeMem, toBigEndian, Width,
} from './dsl.ts';
import { formatInstruction } from './format.ts';
import { LoadImm64Source } from './opcode.ts';

describe('dsl', () => {
  it('builds instructions that read as their assembly', () => {
    const cases: [ReturnType<typeof exit>, string][] = [
      [mov64Imm(R0, 22), 'r0 = 0x16'],
      [mov64Reg(R2, R10), 'r2 = r10'],
      [mov32Reg(R0, R1), 'w0 = w1'],
      [add64Imm(R2, -4), 'r2 += -0x4'],
      [signed64Imm(AluOp.MOD, R1, 3), 'r1 s%= 0x3'],
      [movsx64(R0, R1, 32), 'r0 = (s32)r1'],
      [neg64(R1), 'r1 = -r1'],
      [toBigEndian(R1, 16), 'r1 = be16 r1'],
      [bswap(R0, 64), 'r0 = bswap64 r0'],
      [loadImm64(R1, -1n), 'r1 = -0x1 ll'],
      [loadPseudo(R1, LoadImm64Source.MAP_VALUE, 3, 8), 'ld_pseudo\tr1, 0x2, 0x3'],
      [loadMem(Width.u32, R2, R1, 4), 'r2 = *(u32 *)(r1 + 0x4)'],
      [loadMemSx(Width.u16, R2, R1, 4), 'r2 = *(s16 *)(r1 + 0x4)'],
      [storeMem(Width.u64, R10, -8, R1), '*(u64 *)(r10 - 0x8) = r1'],
      [storeImm(Width.u8, R10, -1, 7), '*(u8 *)(r10 - 0x1) = 0x7'],
      [atomic(Size.DW, AtomicOp.ADD | AtomicOp.FETCH, R0, 0, R1), 'r1 = atomic_fetch_add((u64 *)(r0 + 0x0), r1)'],
      [jumpImm(JumpOp.JEQ, R0, 0, 2), 'if r0 == 0x0 goto +0x2'],
      [jump32Reg(JumpOp.JSLT, R1, R2, -3), 'if w1 s< w2 goto -0x3'],
      [ja(5), 'goto +0x5'],
      [gotol(70000), 'gotol +0x11170'],
      [call(1), 'call 0x1'],
      [callLocal(-1), 'call -0x1'],
      [callKfunc(1234), 'call 0x4d2'],
      [callx(R2), 'callx r2'],
      [exit(), 'exit'],
    ];
    for (const [ins, text] of cases) {
      assert.equal(formatInstruction(ins), text);
      assert.ok(ins.valid, text);
    }
    assert.equal(callLocal(-1).src, 1);
    assert.equal(callKfunc(1).src, 2);
    assert.equal(loadPseudo(R1, LoadImm64Source.MAP_VALUE, 3, 8).imm64, 0x800000003n);
  });

  it('numbers slots with program()', () => {
    assert.deepEqual(program(mov64Imm(R0, 0), loadImm64(R1, 5), exit()).map((i) => i.slot), [0, 1, 3]);
  });
});

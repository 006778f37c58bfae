// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AluOp, InstructionClass, isAluClass, isJumpClass, JumpOp, Mode, opClass, opMode, opOperation, Opcode, opSize, opSource, Size, sizeInBytes, Source } from './opcode.ts';

describe('opcode parts', () => {
  it('compose by OR and split back', () => {
    const addReg = InstructionClass.ALU64 | AluOp.ADD | Source.X;
    assert.equal(addReg, 0x0f);
    assert.equal(opClass(addReg), InstructionClass.ALU64);
    assert.equal(opOperation(addReg), AluOp.ADD);
    assert.equal(opSource(addReg), Source.X);
    const ldxw = InstructionClass.LDX | Mode.MEM | Size.W;
    assert.equal(ldxw, 0x61);
    assert.equal(opMode(ldxw), Mode.MEM);
    assert.equal(opSize(ldxw), Size.W);
    assert.equal(InstructionClass.JMP | JumpOp.EXIT, Opcode.EXIT);
    assert.equal(InstructionClass.JMP | JumpOp.CALL | Source.X, Opcode.CALLX);
    assert.equal(InstructionClass.LD | Mode.IMM | Size.DW, Opcode.LDDW);
  });

  it('name sizes and class families', () => {
    assert.deepEqual([Size.B, Size.H, Size.W, Size.DW].map(sizeInBytes), [1, 2, 4, 8]);
    assert.ok(isAluClass(InstructionClass.ALU) && isAluClass(InstructionClass.ALU64) && !isAluClass(InstructionClass.JMP));
    assert.ok(isJumpClass(InstructionClass.JMP32) && !isJumpClass(InstructionClass.STX));
  });
});

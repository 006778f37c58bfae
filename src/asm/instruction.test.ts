// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callTarget,
  isAtomic,
  isCall,
  isCallx,
  isConditionalJump,
  isExit,
  isHelperCall,
  isJump,
  isKfuncCall,
  isKnownEncoding,
  isLegacyPacketLoad,
  isLoadImm64,
  isLocalCall,
  isMemoryLoad,
  isMemoryStore,
  isUnconditionalJump,
  jumpTarget,
  makeInstruction,
  registersWritten,
  withSlots,
} from './instruction.ts';
import { AluOp, InstructionClass, JumpOp, Mode, Size, Source } from './opcode.ts';

const ins = (opcode: number, src = 0, offset = 0, imm = 0) => makeInstruction(opcode, 1, src, offset, imm);

describe('instruction predicates', () => {
  it('classify calls', () => {
    assert.ok(isCall(ins(0x85)) && isHelperCall(ins(0x85)) && !isLocalCall(ins(0x85)));
    assert.ok(isLocalCall(ins(0x85, 1)) && isKfuncCall(ins(0x85, 2)));
    assert.ok(isCallx(ins(0x8d)) && !isCall(ins(0x8d)));
    assert.ok(isExit(ins(0x95)) && !isJump(ins(0x95)) && !isJump(ins(0x85)));
  });

  it('classify jumps', () => {
    assert.ok(isJump(ins(0x05)) && isUnconditionalJump(ins(0x05)) && !isConditionalJump(ins(0x05)));
    assert.ok(isJump(ins(0x06)) && isUnconditionalJump(ins(0x06)));
    assert.ok(isConditionalJump(ins(0x15)) && isConditionalJump(ins(0x1e)) && isConditionalJump(ins(0xe5)));
  });

  it('classify memory access', () => {
    assert.ok(isLoadImm64(ins(0x18)));
    assert.ok(isMemoryLoad(ins(0x61)) && isMemoryLoad(ins(0x91)));
    assert.ok(isMemoryStore(ins(0x63)) && isMemoryStore(ins(0x7a)) && !isMemoryStore(ins(0xdb)));
    assert.ok(isAtomic(ins(0xdb)) && isAtomic(ins(0xc3)));
    assert.ok(isLegacyPacketLoad(ins(0x20)) && isLegacyPacketLoad(ins(0x50)) && !isLegacyPacketLoad(ins(0x18)));
  });

  it('compute jump and call targets from the next slot', () => {
    assert.equal(jumpTarget(ins(0x05, 0, 3), 10), 14);
    assert.equal(jumpTarget(ins(0x15, 0, -11), 10), 0);
    assert.equal(jumpTarget(ins(0x06, 0, 0, 100), 10), 111);
    assert.equal(jumpTarget(ins(0x85, 1, 0, 5), 10), undefined);
    assert.equal(callTarget(ins(0x85, 1, 0, -1), 10), 10);
    assert.equal(callTarget(ins(0x85, 0, 0, 5), 10), undefined);
  });
});

describe('isKnownEncoding', () => {
  it('knows the opcodes of RFC 9669 and the extensions LLVM emits', () => {
    const alu = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH];
    for (const cls of [InstructionClass.ALU, InstructionClass.ALU64]) {
      for (const op of alu) for (const s of [Source.K, Source.X]) assert.ok(isKnownEncoding(cls | op | s, 0, 0, 0), `0x${(cls | op | s).toString(16)}`);
    }
    for (const op of [JumpOp.JEQ, JumpOp.JGT, JumpOp.JGE, JumpOp.JSET, JumpOp.JNE, JumpOp.JSGT, JumpOp.JSGE, JumpOp.JLT, JumpOp.JLE, JumpOp.JSLT, JumpOp.JSLE]) {
      for (const cls of [InstructionClass.JMP, InstructionClass.JMP32]) for (const s of [Source.K, Source.X]) assert.ok(isKnownEncoding(cls | op | s, 0, 0, 0));
    }
    for (const size of [Size.B, Size.H, Size.W, Size.DW]) {
      assert.ok(isKnownEncoding(InstructionClass.LDX | Mode.MEM | size, 0, 0, 0));
      assert.ok(isKnownEncoding(InstructionClass.ST | Mode.MEM | size, 0, 0, 0));
      assert.ok(isKnownEncoding(InstructionClass.STX | Mode.MEM | size, 0, 0, 0));
    }
    for (const imm of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]) {
      assert.ok(isKnownEncoding(0xdb, 0, 0, imm) && isKnownEncoding(0xc3, 0, 0, imm));
    }
    for (const op of [0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x81, 0x89, 0x91, 0x84, 0x87, 0x05, 0x06, 0x85, 0x8d, 0x95, 0xe5]) {
      assert.ok(isKnownEncoding(op, 0, 0, 0), `0x${op.toString(16)}`);
    }
    for (const src of [0, 1, 2, 3, 4, 5, 6]) assert.ok(isKnownEncoding(0x18, src, 0, 0));
  });

  it('checks the fields that select the operation', () => {
    assert.ok(isKnownEncoding(0x3f, 0, 1, 0) && !isKnownEncoding(0x3f, 0, 2, 0)); // sdiv
    assert.ok(isKnownEncoding(0xbf, 0, 32, 0) && !isKnownEncoding(0xbc, 0, 32, 0)); // movsx32 only in ALU64
    assert.ok(!isKnownEncoding(0xb7, 0, 8, 0)); // mov imm with an offset
    assert.ok(isKnownEncoding(0xdc, 0, 0, 64) && !isKnownEncoding(0xdc, 0, 0, 8) && !isKnownEncoding(0xdf, 0, 0, 16));
    assert.ok(!isKnownEncoding(0xdb, 0, 0, 0x02) && !isKnownEncoding(0xdb, 0, 0, 0xe0) && !isKnownEncoding(0xcb, 0, 0, 0));
    assert.ok(!isKnownEncoding(0x18, 7, 0, 0) && !isKnownEncoding(0x85, 3, 0, 0));
    assert.ok(!isKnownEncoding(0x8f, 0, 0, 0) && !isKnownEncoding(0x0d, 0, 0, 0) && !isKnownEncoding(0x96, 0, 0, 0));
    assert.ok(!isKnownEncoding(0x99, 0, 0, 0) && !isKnownEncoding(0x38, 0, 0, 0) && !isKnownEncoding(0x00, 0, 0, 0));
  });
});

describe('makeInstruction', () => {
  it('normalizes fields to their encoded widths and computes size and validity', () => {
    const i = makeInstruction(0xb4, 0, 0, 0xffff, 0xffffffff);
    assert.equal(i.imm, -1);
    assert.equal(i.offset, -1);
    assert.equal(i.valid, false);
    const l = makeInstruction(0x18, 1, 0, 0, 0, 0xffffffff00000001n);
    assert.equal(l.size, 2);
    assert.equal(l.imm, 1);
    assert.equal(l.imm64, -0xffffffffn);
  });

  it('numbers slots with withSlots', () => {
    const slots = withSlots([makeInstruction(0xb7, 0, 0, 0, 0), makeInstruction(0x18, 0, 0, 0, 0, 0n), makeInstruction(0x95, 0, 0, 0, 0)]).map((i) => i.slot);
    assert.deepEqual(slots, [0, 1, 3]);
  });
});

describe('registersWritten', () => {
  it('names the destination, the register an atomic fetches into, and r0-r5 at calls and legacy packet loads', () => {
    assert.equal(registersWritten(makeInstruction(0xb7, 3, 0, 0, 1)), 1 << 3, 'r3 = 1');
    assert.equal(registersWritten(makeInstruction(0x61, 2, 1, 0, 0)), 1 << 2, 'r2 = *(u32 *)(r1 + 0)');
    assert.equal(registersWritten(makeInstruction(0x18, 4, 0, 0, 0, 0n)), 1 << 4, 'lddw');
    assert.equal(registersWritten(makeInstruction(0x63, 10, 1, -4, 0)), 0, 'a store writes memory only');
    assert.equal(registersWritten(makeInstruction(0xdb, 10, 2, -8, 0x00)), 0, 'atomic add without fetch');
    assert.equal(registersWritten(makeInstruction(0xdb, 10, 2, -8, 0x01)), 1 << 2, 'fetch-add into src');
    assert.equal(registersWritten(makeInstruction(0xdb, 10, 2, -8, 0xe1)), 1 << 2, 'xchg');
    assert.equal(registersWritten(makeInstruction(0xdb, 10, 2, -8, 0xf1)), 1, 'cmpxchg into r0');
    assert.equal(registersWritten(makeInstruction(0x85, 0, 0, 0, 1)), 0x3f, 'helper call');
    assert.equal(registersWritten(makeInstruction(0x30, 0, 0, 0, 12)), 0x3f, 'LD_ABS sets r0 and clobbers r1-r5');
    assert.equal(registersWritten(makeInstruction(0x2d, 1, 2, 3, 0)), 0, 'a jump');
    assert.equal(registersWritten(makeInstruction(0x95, 0, 0, 0, 0)), 0, 'exit');
  });
});

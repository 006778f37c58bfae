// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assemble, type Instruction } from '../asm/index.ts';
import { LoadError } from './errors.ts';
import { codeAddress, decodeCodeAddress, describeSlot, prepareProgram } from './prepare.ts';

const helpers = { has: (id: number) => id === 1 || id === 5, name: (id: number) => (id === 1 ? 'map_lookup_elem' : id === 35 ? 'get_current_task' : id === 5 ? 'ktime_get_ns' : undefined) };
const asm = (text: string): Instruction[] => assemble(text.replace(/;/g, '\n'), { dialect: 'conformance' });

describe('prepareProgram', () => {
  it('encodes opcode, registers, offset and imm in two words per slot, lddw split over two slots', () => {
    const p = prepareProgram(asm('lddw %r3, 0x1122334455667788; stxh [%r10-2], %r3; exit'));
    assert.equal(p.slotCount, 4);
    assert.equal(p.code.length, 10);
    assert.equal(p.code[0], 0x18 | (3 << 8));
    assert.equal(p.code[1], 0x55667788);
    assert.equal(p.code[3], 0x11223344);
    assert.equal(p.code[2], 0); // the second half of lddw: no instruction
    assert.equal(p.code[4], (0x6b | (10 << 8) | (3 << 12) | (-2 << 16)) | 0);
  });

  it('refuses a call to a helper the runtime lacks, naming it', () => {
    assert.throws(() => prepareProgram(asm('call 35; exit'), { name: 'p', helpers }), (e: unknown) => e instanceof LoadError && /program 'p' calls helper bpf_get_current_task \(#35\) at instruction 0, which this runtime does not implement/.test(e.message));
    assert.throws(() => prepareProgram(asm('call 77; exit'), { name: 'p', helpers }), /calls helper #77 at instruction 0/);
  });

  it('refuses a helper the program type does not allow', () => {
    assert.throws(() => prepareProgram(asm('call 5; exit'), { name: 'p', helpers, allowHelpers: new Set([1]) }), /bpf_ktime_get_ns \(#5\) at instruction 0, which its program type does not allow/);
    assert.doesNotThrow(() => prepareProgram(asm('call 1; exit'), { name: 'p', helpers, allowHelpers: new Set([1]) }));
  });

  it('refuses kfunc calls, map loads without maps, and malformed code', () => {
    const kfunc: Instruction[] = [{ opcode: 0x85, dst: 0, src: 2, offset: 0, imm: 1234, size: 1, slot: 0, valid: true }, { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0, size: 1, slot: 1, valid: true }];
    assert.throws(() => prepareProgram(kfunc, { helpers }), /kernel function BTF id 1234/);
    const mapLoad = asm('lddw %r1, 0; exit');
    mapLoad[0] = { ...(mapLoad[0] as Instruction), src: 5 };
    assert.throws(() => prepareProgram(mapLoad, { helpers }), /loads map #0 .* but this environment has no maps/);
    mapLoad[0] = { ...(mapLoad[0] as Instruction), src: 1 };
    assert.throws(() => prepareProgram(mapLoad, { helpers }), /by file descriptor/);
    assert.throws(() => prepareProgram(asm('ja +5; exit')), /is malformed: .*outside the program/);
    assert.throws(() => prepareProgram(asm('mov %r0, 0')), /ends with r0 = 0x0: the last instruction must be exit or an unconditional jump/);
    assert.throws(() => prepareProgram([]), /has no instructions/);
  });

  it('resolves map and global-data loads through the loader', () => {
    const ins = asm('lddw %r1, 0; lddw %r2, 0; exit');
    ins[0] = { ...(ins[0] as Instruction), src: 5, imm: 1, imm64: 1n };
    ins[1] = { ...(ins[1] as Instruction), src: 6, imm: 2, imm64: (16n << 32n) | 2n };
    const p = prepareProgram(ins, { mapAddress: (i) => 0x1000 * (i + 1), mapValueAddress: (i, off) => 0x10000 * (i + 1) + off });
    assert.equal(p.code[1], 0x2000);
    assert.equal(p.code[5], 0x30010);
  });

  it('encodes function addresses with a tag', () => {
    assert.deepEqual(decodeCodeAddress(codeAddress(7, 42)), { programId: 7, slot: 42 });
    assert.equal(decodeCodeAddress(0x1000n), undefined);
  });

  it('describes a slot with its function and source line', () => {
    const p = prepareProgram(asm('call local f; exit; f: mov %r0, 1; exit'), { name: 'main', functions: [{ name: 'main', start: 0 }, { name: 'f', start: 2 }], sourceLine: () => 'a.c:3:1: x' });
    assert.equal(describeSlot(p, 2), "instruction 2 in function 'f' of program 'main' (r0 = 0x1) at a.c:3:1: x");
  });
});

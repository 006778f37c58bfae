// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { assemble, makeInstruction, type Instruction } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { ConformanceHost, Interpreter, prepareConformanceProgram, runConformanceProgram } from '../interp/index.ts';
import { compileProgram } from './compile.ts';
import { compileToModule, runJitConformance } from './conformance.ts';
import { wasm } from './wasm-api.ts';

const asm = (text: string): Instruction[] => assemble(text, { dialect: 'conformance' });

/** r0 in hex, or `error CODE: detail`; `shape: 'dispatcher'` forces the dispatcher. */
function jit(insns: readonly Instruction[], mem = new Uint8Array(), options: { xdp?: boolean; fuel?: number; shape?: 'dispatcher' } = {}): string {
  try {
    const prog = prepareConformanceProgram(insns);
    const mod = compileProgram(prog, options.shape === undefined ? {} : { shape: options.shape });
    assert.ok(wasm.validate(mod.bytes), 'the module validates');
    return `0x${runJitConformance(prog, options.shape === undefined ? compileToModule(prog) : new wasm.Module(mod.bytes), mem, options).toString(16)}`;
  } catch (e) {
    if (e instanceof BpfshipError) return `error ${e.code}: ${e.detail}`;
    throw e;
  }
}

function interp(insns: readonly Instruction[], mem = new Uint8Array(), xdp = false): string {
  try {
    return `0x${runConformanceProgram(prepareConformanceProgram(insns), mem, { xdp }).r0.toString(16)}`;
  } catch (e) {
    if (e instanceof BpfshipError) return 'error';
    throw e;
  }
}

/** The jit's outcome, after checking that both shapes agree with each other and with the interpreter. */
const same = (insns: readonly Instruction[], mem = new Uint8Array()): string => {
  const j = jit(insns, mem);
  assert.equal(jit(insns, mem, { shape: 'dispatcher' }), j, 'the dispatcher agrees with the structured shape');
  assert.equal(j.startsWith('error') ? 'error' : j, interp(insns, mem));
  return j;
};

describe('compileProgram shapes', () => {
  it('writes structured code where it can, the dispatcher for an irreducible loop or an unverified call', () => {
    const shape = (text: string): string => {
      const m = compileProgram(prepareConformanceProgram(asm(text)));
      return m.shape.kind === 'structured' ? 'structured' : m.shape.why;
    };
    assert.equal(shape('mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 10, loop\nexit'), 'structured');
    assert.match(shape('jgt %r1, 0, b\na:\nadd %r0, 1\njgt %r0, 9, out\nb:\nadd %r0, 2\nja a\nout:\nexit'), /irreducible loop/);
    assert.match(shape('call local f\nexit\nf:\nmov %r0, 1\nexit'), /unverified program calls a function/);
  });
  it('runs an irreducible loop through the dispatcher with the interpreter\'s result', () => {
    assert.equal(same(asm('mov %r0, 0\njgt %r1, 0, b\na:\nadd %r0, 1\njgt %r0, 9, out\nb:\nadd %r0, 2\nja a\nout:\nexit')), '0xa');
  });
  it('runs nested loops, breaks and continues', () => {
    const text = [
      'mov %r0, 0', 'mov %r1, 0',
      'outer:', 'mov %r2, 0',
      'inner:', 'add %r2, 1', 'jeq %r2, 3, inner', 'jgt %r2, 6, next', 'add %r0, %r2', 'ja inner',
      'next:', 'add %r1, 1', 'jlt %r1, 5, outer',
      'exit',
    ].join('\n');
    assert.equal(same(asm(text)), `0x${(5 * (1 + 2 + 4 + 5 + 6)).toString(16)}`);
  });
});

describe('compileProgram edge cases (RFC 9669 semantics, against the interpreter)', () => {
  it('division and modulo by zero, and INT_MIN / -1, do not trap', () => {
    assert.equal(same(asm('mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit')), '0x0');
    assert.equal(same(asm('mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit')), '0x7');
    assert.equal(same(asm('mov32 %r0, 7\nmov32 %r1, 0\nmod32 %r0, %r1\nexit')), '0x7');
    assert.equal(same(asm('lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1\nexit')), '0x8000000000000000');
    assert.equal(same(asm('lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit')), '0x0');
    assert.equal(same(asm('mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit')), '0x80000000');
    assert.equal(same(asm('mov %r0, -7\nsmod %r0, 0\nexit')), '0xfffffffffffffff9');
  });
  it('compiles a write to r10 in dead code, and traps only if it runs', () => {
    assert.equal(same(asm('mov %r0, 3\njlt %r0, 5, +1\nmov %r10, 0\nmov %r0, 1\nexit')), '0x1');
    assert.match(jit(asm('mov %r0, 3\njgt %r0, 5, +1\nmov %r10, 0\nmov %r0, 1\nexit')), /^error .*frame pointer/);
  });
  it('masks shift counts and zero-extends 32-bit results', () => {
    assert.equal(same(asm('mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit')), '0x2');
    assert.equal(same(asm('mov %r0, -1\nadd32 %r0, 1\nexit')), '0x0');
    assert.equal(same(asm('mov %r0, -1\nmov32 %r0, %r0\nexit')), '0xffffffff');
    assert.equal(same(asm('mov %r0, -8\narsh32 %r0, 1\nexit')), '0xfffffffc');
  });
  it('byte swaps', () => {
    assert.equal(same(asm('lddw %r0, 0x0102030405060708\nbe16 %r0\nexit')), '0x807');
    assert.equal(same(asm('lddw %r0, 0x0102030405060708\nbe32 %r0\nexit')), '0x8070605');
    assert.equal(same(asm('lddw %r0, 0x0102030405060708\nbe64 %r0\nexit')), '0x807060504030201');
    assert.equal(same(asm('lddw %r0, 0x0102030405060708\nle16 %r0\nexit')), '0x708');
  });
  it('turns a load outside the memory into a typed fault, as the interpreter does', () => {
    const r = same(asm('ldxdw %r0, [%r1]\nexit'));
    assert.match(r, /^error JIT_FAULT: .*outside the memory/);
    assert.match(same(asm('stxdw [%r1+8], %r0\nmov %r0, 0\nexit'), new Uint8Array(8)), /^error JIT_FAULT/);
    assert.match(same(asm('mov %r0, %r10\nldxb %r0, [%r0]\nexit')), /^error JIT_FAULT/); // r10 is one past the stack
    assert.equal(same(asm('stb [%r10-1], 9\nldxb %r0, [%r10-1]\nexit')), '0x9');
    assert.equal(same(asm('ldxw %r0, [%r1+4]\nexit'), new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4])), '0x4030201');
  });
  it('refuses more than 8 call frames', () => {
    const r = same(asm('call local f\nexit\nf:\ncall local f\nexit'));
    assert.match(r, /^error JIT_FAULT: .*8 call frames/);
    // 7 nested calls are fine.
    const text = ['mov %r0, 0', 'call local f1', 'exit'];
    for (let i = 1; i <= 7; i++) text.push(`f${i}:`, 'add %r0, 1', i < 7 ? `call local f${i + 1}` : 'mov %r1, 0', 'exit');
    assert.equal(same(asm(text.join('\n'))), '0x7');
  });
  it('gives each frame its own 512 bytes of stack and keeps r6-r9', () => {
    assert.equal(same(asm('mov %r6, 3\nstdw [%r10-8], 5\ncall local f\nldxdw %r0, [%r10-8]\nadd %r0, %r6\nexit\nf:\nmov %r6, 100\nstdw [%r10-8], 77\nexit')), '0x8');
  });
  it('stops an endless loop when its fuel runs out', () => {
    const r = jit(asm('mov %r0, 0\nloop:\nadd %r0, 1\nja loop'), new Uint8Array(), { fuel: 1000 });
    assert.match(r, /^error JIT_FAULT: .*fuel/);
  });
  it('runs may_goto with a budget per function call, as the interpreter and Linux do', () => {
    const insns = assemble([
      'r6 = 0',
      'loop:', 'may_goto out', 'r6 += 1', 'goto loop',
      'out:', 'call f', 'r7 = r0', 'r0 = 5', 'may_goto +1', 'r0 = 7', 'r0 += r7', 'r0 <<= 32', 'r0 |= r6', 'exit',
      'f:', 'r0 = 0', 'may_goto +1', 'r0 = 1', 'exit',
    ].join('\n'), { dialect: 'llvm' });
    // The loop ran BPF_MAX_LOOPS (2^23) times; the callee fell through with its own budget; the caller's jumped.
    assert.equal(same(insns), `0x${((6n << 32n) | (1n << 23n)).toString(16)}`);
  });
  it('runs callx on a function address and on a helper number', () => {
    const insns = [
      makeInstruction(0x18, 2, 4, 0, 3), // r2 = the function at slot 4
      makeInstruction(0x8d, 2, 0, 0, 0), // callx r2
      makeInstruction(0x95, 0, 0, 0, 0),
      makeInstruction(0xb7, 0, 0, 0, 42), // slot 4
      makeInstruction(0x95, 0, 0, 0, 0),
    ];
    assert.equal(same(insns), '0x2a');
    assert.equal(same(asm('mov %r1, 0\nmov %r2, 5\ncall %r2\nmov %r0, 2\nexit')), '0x0'); // unwind
    assert.match(same(asm('mov %r2, 6\ncall %r2\nexit')), /^error JIT_FAULT: .*helper #6/);
    assert.match(same(asm('lddw %r2, 0x100000000\ncall %r2\nexit')), /^error JIT_FAULT: .*callx/);
  });
  it('runs atomics', () => {
    const mem = new Uint8Array(8);
    assert.equal(same(asm('mov %r2, 5\nlock add [%r1], %r2\nldxdw %r0, [%r1]\nexit'), mem), '0x5');
    assert.equal(same(asm('stdw [%r1], 9\nmov %r0, 9\nmov %r2, 4\nlock cmpxchg [%r1], %r2\nldxdw %r1, [%r1]\nadd %r0, %r1\nexit'), mem), '0xd');
  });
  it('gives r1 an xdp_md over the memory with xdp', () => {
    const insns = asm('ldxw %r2, [%r1+4]\nldxw %r3, [%r1]\nmov %r0, %r2\nsub %r0, %r3\nexit');
    assert.equal(jit(insns, new Uint8Array(5), { xdp: true }), '0x5');
    assert.equal(interp(insns, new Uint8Array(5), true), '0x5');
  });
});

describe('compileProgram on random ALU, jump, stack and atomic sequences', () => {
  it('agrees with the interpreter', (t) => {
    // A small deterministic generator (xorshift), so that a failure reproduces.
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const edges = [0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 63, 64, 0xffff, 8];
    const imm = (): number => (rnd(2) === 0 ? (edges[rnd(edges.length)] as number) : (rnd(0x100000000) | 0));
    const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
    const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
    let ran = 0, agreed = 0, faulted = 0;
    for (let p = 0; p < 600; p++) {
      const insns: Instruction[] = [];
      for (let r = 0; r <= 9; r++) {
        const v = (BigInt(rnd(0x100000000)) << 32n) | BigInt(rnd(0x100000000));
        insns.push(makeInstruction(0x18, r, 0, 0, 0, BigInt.asIntN(64, rnd(3) === 0 ? BigInt(edges[rnd(edges.length)] as number) : v)));
      }
      const count = 12 + rnd(12);
      for (let i = 0; i < count; i++) {
        const left = count - i - 1;
        const k = rnd(10);
        const dst = rnd(10), src = rnd(10);
        if (k === 0 && left > 1) {
          const cls = rnd(2) === 0 ? 0x05 : 0x06;
          const x = rnd(2) * 8;
          insns.push(makeInstruction((jmpOps[rnd(jmpOps.length)] as number) | x | cls, dst, x ? src : 0, 1 + rnd(left - 1), x ? 0 : imm()));
        } else if (k === 2 || k === 3) {
          // Stack memory through r10, now and then past its top (a fault in both).
          const sizeBits = [0x00, 0x08, 0x10, 0x18][rnd(4)] as number;
          const off = rnd(16) === 0 ? rnd(8) : -1 - rnd(512);
          const kind = rnd(5);
          if (kind === 0) insns.push(makeInstruction(0x61 | sizeBits, dst, 10, off, 0));
          else if (kind === 1 && sizeBits !== 0x18) insns.push(makeInstruction(0x81 | sizeBits, dst, 10, off, 0));
          else if (kind === 2) insns.push(makeInstruction(0x62 | sizeBits, 10, 0, off, imm()));
          else if (kind === 3 || sizeBits === 0x08 || sizeBits === 0x10) insns.push(makeInstruction(0x63 | sizeBits, 10, src, off, 0));
          else insns.push(makeInstruction(0xc3 | sizeBits, 10, src, off, [0, 1, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1][rnd(10)] as number));
        } else if (k === 1) {
          const cls = rnd(2) === 0 ? 0x04 : 0x07;
          const e = [16, 32, 64][rnd(3)] as number;
          insns.push(makeInstruction(0xd0 | cls | (cls === 0x04 ? rnd(2) * 8 : 0), dst, 0, 0, e));
        } else {
          const cls = rnd(2) === 0 ? 0x04 : 0x07;
          const op = aluOps[rnd(aluOps.length)] as number;
          const x = op === 0x80 ? 0 : rnd(2) * 8; // neg has no register form
          let off = 0;
          if ((op === 0x30 || op === 0x90) && rnd(2) === 0) off = 1;
          if (op === 0xb0 && x && rnd(2) === 0) off = ([8, 16, 32][rnd(cls === 0x07 ? 3 : 2)] as number);
          insns.push(makeInstruction(op | x | cls, dst, x ? src : 0, off, op === 0x80 ? 0 : x ? 0 : imm()));
        }
      }
      insns.push(makeInstruction(0xbf, 0, rnd(10), 0, 0), makeInstruction(0x95, 0, 0, 0, 0));
      const i = interp(insns);
      ran++;
      if (i === 'error') faulted++;
      const j = jit(insns);
      const d = jit(insns, new Uint8Array(), { shape: 'dispatcher' });
      if ((j.startsWith('error') ? 'error' : j) === i && (d.startsWith('error') ? 'error' : d) === i) agreed++;
      else assert.fail(`program ${p}: jit ${j}, dispatcher ${d}, interpreter ${i}`);
    }
    t.diagnostic(`random programs: ${agreed}/${ran} agree with the interpreter (${faulted} fault in both)`);
    assert.equal(agreed, ran);
    assert.ok(ran - faulted > 300);
  });
});

describe('compileProgram on random programs with loops', () => {
  it('agrees with the interpreter in both shapes', (t) => {
    let seed = 0x1b873593;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const aluOps = [0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0x30, 0x90];
    const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
    const registers = [0, 1, 2, 3, 4, 5, 6, 7, 9]; // r8 counts the back edges taken
    let ran = 0, structured = 0, loops = 0;
    for (let p = 0; p < 400; p++) {
      const insns: Instruction[] = [];
      for (const r of registers) insns.push(makeInstruction(0xb7, r, 0, 0, rnd(1000) - 500));
      insns.push(makeInstruction(0xb7, 8, 0, 0, 40));
      const start = insns.length;
      const count = 10 + rnd(20);
      // Slots equal instruction indices here (no lddw), so jumps are offsets between indices.
      for (let i = 0; i < count; i++) {
        const left = count - i - 1;
        const k = rnd(8);
        const dst = registers[rnd(registers.length)] as number;
        const src = registers[rnd(registers.length)] as number;
        if (k === 0 && left > 1) {
          const x = rnd(2) * 8;
          insns.push(makeInstruction((jmpOps[rnd(jmpOps.length)] as number) | x | 0x05, dst, x ? src : 0, 1 + rnd(left - 1), x ? 0 : rnd(200) - 100));
        } else if (k === 1 && insns.length - start > 1) {
          // A back edge, taken while r8 lasts: r8 -= 1; if r8 s> 0 goto (somewhere before).
          const here = insns.length;
          const target = start + rnd(here - start);
          insns.push(makeInstruction(0x17, 8, 0, 0, 1), makeInstruction(0x65, 8, 0, target - (here + 2), 0));
          loops++;
        } else if (k === 2) {
          const off = -8 * (1 + rnd(8));
          insns.push(makeInstruction(0x7b, 10, src, off, 0), makeInstruction(0x79, dst, 10, off, 0));
        } else {
          const cls = rnd(2) === 0 ? 0x04 : 0x07;
          const op = aluOps[rnd(aluOps.length)] as number;
          const x = rnd(2) * 8;
          insns.push(makeInstruction(op | x | cls, dst, x ? src : 0, 0, x ? 0 : rnd(64)));
        }
      }
      insns.push(makeInstruction(0x95, 0, 0, 0, 0));
      const i = interp(insns);
      const j = jit(insns);
      const d = jit(insns, new Uint8Array(), { shape: 'dispatcher' });
      if (compileProgram(prepareConformanceProgram(insns)).shape.kind === 'structured') structured++;
      ran++;
      if ((j.startsWith('error') ? 'error' : j) !== i || (d.startsWith('error') ? 'error' : d) !== i) assert.fail(`program ${p}: jit ${j}, dispatcher ${d}, interpreter ${i}`);
    }
    t.diagnostic(`random programs with loops: ${ran} agree with the interpreter (${structured} structured, ${loops} back edges)`);
    assert.ok(structured > ran / 2);
  });
});

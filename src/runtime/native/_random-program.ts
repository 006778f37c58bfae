/**
 * Test support: random eBPF programs over every ALU, jump, load, store and atomic form, whose result r0 depends on
 * every register and memory word, for differential tests between execution modes.
 *
 * Author: Claude.
 *
 * @module
 */
import { AluOp, AtomicOp, InstructionClass, JumpOp, Mode, Size, Source, dsl, makeInstruction, type Instruction } from '../../asm/index.ts';

/** A seeded xorshift32 generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * A random program over r0, r2-r9 (r1 holds the memory's address, which differs between modes, and stays a base
 * register): the stack's top 64 bytes and the 64-byte memory are written first, then random ALU, jump, load, store
 * and atomic instructions, then every register and memory word folded into r0.
 */
export function randomProgram(next: () => number): Instruction[] {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length] as T;
  const regs = [0, 2, 3, 4, 5, 6, 7, 8, 9];
  const interesting = [0, 1, -1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 0x7fffffff, -0x80000000, 0xffff, -2, 13];
  const imm = (): number => (next() % 3 === 0 ? pick(interesting) : next() | 0);
  const out: Instruction[] = [];
  for (const r of regs) out.push(dsl.loadImm64(r, (BigInt(next()) << 32n) | BigInt(next())));
  for (let off = -64; off < 0; off += 8) out.push(dsl.storeMem(dsl.Width.u64, 10, off, pick(regs)));
  const body: Instruction[] = [];
  const n = 40;
  for (let i = 0; i < n; i++) {
    const kind = next() % 10;
    const d = pick(regs);
    const s = pick(regs);
    if (kind <= 4) {
      const wide = next() % 2 === 0;
      const cls = wide ? InstructionClass.ALU64 : InstructionClass.ALU;
      const op = pick([AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END]);
      const x = next() % 2 === 0;
      if (op === AluOp.NEG) body.push(makeInstruction(cls | op, d, 0, 0, 0));
      else if (op === AluOp.END) {
        const bits = pick([16, 32, 64]);
        body.push(wide ? makeInstruction(InstructionClass.ALU64 | AluOp.END, d, 0, 0, bits) : makeInstruction(InstructionClass.ALU | AluOp.END | (x ? Source.X : Source.K), d, 0, 0, bits));
      } else if (op === AluOp.DIV || op === AluOp.MOD) {
        const signed = next() % 2;
        body.push(makeInstruction(cls | op | (x ? Source.X : Source.K), d, x ? s : 0, signed, x ? 0 : pick([0, -1, 1, 3, -7, 0x7fffffff, -0x80000000, imm()])));
      } else if (op === AluOp.MOV && x && next() % 2 === 0) {
        body.push(makeInstruction(cls | op | Source.X, d, s, pick(wide ? [8, 16, 32] : [8, 16]), 0));
      } else {
        body.push(makeInstruction(cls | op | (x ? Source.X : Source.K), d, x ? s : 0, 0, x ? 0 : imm()));
      }
    } else if (kind === 5) {
      const size = pick([Size.B, Size.H, Size.W, Size.DW]);
      const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
      const base = pick([1, 10]);
      const off = base === 10 ? -64 + (next() % (64 / bytes)) * bytes : (next() % (64 / bytes)) * bytes;
      const sx = size !== Size.DW && next() % 3 === 0;
      body.push(makeInstruction(InstructionClass.LDX | size | (sx ? Mode.MEMSX : Mode.MEM), d, base, off, 0));
    } else if (kind === 6) {
      const size = pick([Size.B, Size.H, Size.W, Size.DW]);
      const bytes = size === Size.B ? 1 : size === Size.H ? 2 : size === Size.W ? 4 : 8;
      const base = pick([1, 10]);
      const off = base === 10 ? -64 + (next() % (64 / bytes)) * bytes : (next() % (64 / bytes)) * bytes;
      body.push(next() % 2 === 0 ? makeInstruction(InstructionClass.STX | size | Mode.MEM, base, s, off, 0) : makeInstruction(InstructionClass.ST | size | Mode.MEM, base, 0, off, imm()));
    } else if (kind === 7) {
      const size = pick([Size.W, Size.DW]);
      const bytes = size === Size.W ? 4 : 8;
      const base = pick([1, 10]);
      const off = base === 10 ? -64 + (next() % (64 / bytes)) * bytes : (next() % (64 / bytes)) * bytes;
      const op = pick([AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG]);
      body.push(makeInstruction(InstructionClass.STX | size | Mode.ATOMIC, base, s, off, op));
    } else {
      // A forward conditional jump, placed later once the body's length is known.
      body.push(makeInstruction(0xff, d, s, 0, imm())); // placeholder
    }
  }
  // Resolve placeholders: jump forward by 0..(remaining) instructions (no lddw in the body: offsets are slots).
  const resolved = body.map((ins, i) => {
    if (ins.opcode !== 0xff) return ins;
    const remaining = body.length - i - 1;
    const offset = next() % (remaining + 1);
    const op = pick([JumpOp.JEQ, JumpOp.JNE, JumpOp.JGT, JumpOp.JGE, JumpOp.JLT, JumpOp.JLE, JumpOp.JSET, JumpOp.JSGT, JumpOp.JSGE, JumpOp.JSLT, JumpOp.JSLE]);
    const cls = next() % 2 === 0 ? InstructionClass.JMP : InstructionClass.JMP32;
    const x = next() % 2 === 0;
    return makeInstruction(cls | op | (x ? Source.X : Source.K), ins.dst, x ? ins.src : 0, offset, x ? 0 : ins.imm);
  });
  out.push(...resolved);
  for (const r of regs) if (r !== 0) out.push(makeInstruction(InstructionClass.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 31), makeInstruction(InstructionClass.ALU64 | AluOp.XOR | Source.X, 0, r, 0, 0));
  for (let off = -64; off < 0; off += 8) out.push(dsl.loadMem(dsl.Width.u64, 3, 10, off), makeInstruction(InstructionClass.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 31), makeInstruction(InstructionClass.ALU64 | AluOp.XOR | Source.X, 0, 3, 0, 0));
  for (let off = 0; off < 64; off += 8) out.push(dsl.loadMem(dsl.Width.u64, 3, 1, off), makeInstruction(InstructionClass.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 31), makeInstruction(InstructionClass.ALU64 | AluOp.XOR | Source.X, 0, 3, 0, 0));
  out.push(dsl.exit());
  return dsl.program(...out);
}


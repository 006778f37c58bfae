// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assemble, type Instruction } from '../asm/index.ts';
import { ExecutionError, FaultKind } from './errors.ts';
import { HelperOutcome, type InterpreterHost, type RunSetup, STACK_SIZE } from './host.ts';
import { Interpreter } from './interpreter.ts';
import type { MemoryRegion } from './memory-region.ts';
import { codeAddress, type PreparedProgram, prepareProgram } from './prepare.ts';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** A host with a 64 KiB memory and helpers given as functions. */
class TestHost implements InterpreterHost {
  buffer = new ArrayBuffer(1 << 16);
  readonly helpers = new Map<number, (interp: Interpreter) => HelperOutcome | void>();
  readonly programs = new Map<number, PreparedProgram>();
  tail: PreparedProgram | undefined;
  memory(): ArrayBuffer {
    return this.buffer;
  }
  callHelper(id: number, interp: Interpreter): HelperOutcome {
    const h = this.helpers.get(id);
    if (h === undefined) return HelperOutcome.UNKNOWN;
    return h(interp) ?? HelperOutcome.CONTINUE;
  }
  takeTailCall(): PreparedProgram | undefined {
    const t = this.tail;
    this.tail = undefined;
    return t;
  }
  program(id: number): PreparedProgram | undefined {
    return this.programs.get(id);
  }
}

const STACK = 0x1000;
const helpersAll = { has: () => true, name: (id: number) => `test_helper_${id}` };

function prog(asm: string, id = 0): PreparedProgram {
  return prepareProgram(assemble(asm.replace(/;/g, '\n'), { dialect: 'conformance' }), { id, name: 'test', helpers: helpersAll });
}

function run(asm: string | PreparedProgram, args: bigint[] = [], regions: MemoryRegion[] = [], host = new TestHost(), setup?: Partial<RunSetup>): { r0: bigint; interp: Interpreter; host: TestHost } {
  const interp = new Interpreter(host);
  const p = typeof asm === 'string' ? prog(asm) : asm;
  const r0 = interp.run(p, { stack: STACK, regions, ...setup }, args);
  return { r0, interp, host };
}

function fault(fn: () => unknown, kind: FaultKind, pattern: RegExp): ExecutionError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ExecutionError, `expected an ExecutionError, got ${String(caught)}`);
  assert.equal(caught.fault.kind, kind, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

// ---- a BigInt model of the ALU, for differential tests --------------------------------------------------------

type Op = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor' | 'arsh';

function model(op: Op, a: bigint, b: bigint, bits: 32 | 64): bigint {
  const mask = bits === 64 ? M64 : 0xffffffffn;
  const ua = a & mask;
  const ub = b & mask;
  const sa = bits === 64 ? s64(ua) : s32(ua);
  const sb = bits === 64 ? s64(ub) : s32(ub);
  let r: bigint;
  switch (op) {
    case 'add': r = ua + ub; break;
    case 'sub': r = ua - ub; break;
    case 'mul': r = ua * ub; break;
    case 'div': r = ub === 0n ? 0n : ua / ub; break;
    case 'sdiv': r = sb === 0n ? 0n : sa / sb; break;
    case 'mod': r = ub === 0n ? ua : ua % ub; break;
    case 'smod': r = sb === 0n ? ua : sa % sb; break;
    case 'or': r = ua | ub; break;
    case 'and': r = ua & ub; break;
    case 'xor': r = ua ^ ub; break;
    case 'lsh': r = ua << (ub & BigInt(bits - 1)); break;
    case 'rsh': r = ua >> (ub & BigInt(bits - 1)); break;
    case 'arsh': r = sa >> (ub & BigInt(bits - 1)); break;
  }
  return r & mask;
}

const edges = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0x123456789abcdef0n, 0xfedcba9876543210n];

function random64(rnd: () => number): bigint {
  const hi = BigInt(Math.floor(rnd() * 2 ** 32));
  const lo = BigInt(Math.floor(rnd() * 2 ** 32));
  const v = (hi << 32n) | lo;
  const shape = rnd();
  if (shape < 0.25) return v & 0xffffffffn; // fits 32 bits (the fast paths)
  if (shape < 0.4) return u64(s64(v & 0xffffffffn) << 32n >> 32n); // sign-extended 32-bit
  if (shape < 0.5) return v & 0xffn;
  return v;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('Interpreter: ALU against a BigInt model', () => {
  const ops: Op[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'arsh'];
  for (const bits of [64, 32] as const) {
    it(`${bits}-bit register operands (edge values and random ones)`, (t) => {
      const rnd = lcg(bits);
      const pairs: [bigint, bigint][] = [];
      for (const a of edges) for (const b of edges) pairs.push([a, b]);
      for (let i = 0; i < 400; i++) pairs.push([random64(rnd), random64(rnd)]);
      const host = new TestHost();
      const interp = new Interpreter(host);
      let checked = 0;
      for (const op of ops) {
        const p = prog(`mov %r0, %r1; ${op}${bits === 32 ? '32' : ''} %r0, %r2; exit`);
        for (const [a, b] of pairs) {
          const got = interp.run(p, { stack: STACK, regions: [] }, [a, b]);
          assert.equal(got, model(op, a, b, bits), `${op}${bits} 0x${a.toString(16)}, 0x${b.toString(16)}`);
          checked++;
        }
      }
      t.diagnostic(`${checked} operations agree with the model`);
    });
    it(`${bits}-bit immediate operands`, (t) => {
      const rnd = lcg(100 + bits);
      const imms = [0, 1, -1, 2, 31, 32, 63, 0x7fffffff, -0x80000000, 12345, -7];
      for (let i = 0; i < 10; i++) imms.push(Math.floor(rnd() * 2 ** 32) | 0);
      let checked = 0;
      for (const op of ops) {
        for (const imm of imms) {
          const p = prog(`mov %r0, %r1; ${op}${bits === 32 ? '32' : ''} %r0, ${imm}; exit`);
          for (const a of [...edges, random64(rnd), random64(rnd)]) {
            // ALU64 sign-extends the immediate (div and mod then treat it unsigned); ALU uses its 32 bits.
            const b = bits === 64 ? u64(BigInt(imm)) : u32(BigInt(imm));
            const { r0 } = run(p, [a]);
            assert.equal(r0, model(op, a, b, bits), `${op}${bits} 0x${a.toString(16)}, imm ${imm}`);
            checked++;
          }
        }
      }
      t.diagnostic(`${checked} operations agree with the model`);
    });
  }
});

describe('Interpreter: RFC 9669 edge cases', () => {
  const cases: [string, string, bigint[], bigint][] = [
    ['64-bit add carries into the high half', 'lddw %r0, 0xffffffff; add %r0, 1; exit', [], 0x100000000n],
    ['64-bit sub borrows', 'mov %r0, 0; sub %r0, 1; exit', [], M64],
    ['division by zero gives 0', 'mov %r0, 5; mov %r1, 0; div %r0, %r1; exit', [], 0n],
    ['modulo by zero keeps the dividend', 'lddw %r0, 0x1234567890; mov %r1, 0; mod %r0, %r1; exit', [], 0x1234567890n],
    ['32-bit modulo by zero zeroes the high half', 'lddw %r0, 0xfffffffffffffff6; mov32 %r1, 0; mod32 %r0, %r1; exit', [], 0xfffffff6n],
    ['INT64_MIN sdiv -1 wraps', 'lddw %r0, 0x8000000000000000; sdiv %r0, -1; exit', [], 0x8000000000000000n],
    ['INT64_MIN smod -1 is 0', 'lddw %r0, 0x8000000000000000; smod %r0, -1; exit', [], 0n],
    ['INT32_MIN sdiv32 -1 wraps', 'mov32 %r0, 0x80000000; sdiv32 %r0, -1; exit', [], 0x80000000n],
    ['smod is truncated: -13 % 3 = -1', 'mov %r0, -13; smod %r0, 3; exit', [], M64],
    ['32-bit ops zero the high half', 'mov %r0, -1; add32 %r0, 0; exit', [], 0xffffffffn],
    ['mov32 zero-extends', 'mov32 %r0, -1; exit', [], 0xffffffffn],
    ['mov sign-extends the immediate', 'mov %r0, -2; exit', [], M64 - 1n],
    ['shift counts are masked (64)', 'mov %r0, 1; mov %r1, 65; lsh %r0, %r1; exit', [], 2n],
    ['shift counts are masked (32)', 'mov %r0, 1; mov %r1, 33; lsh32 %r0, %r1; exit', [], 2n],
    ['arsh by 40 keeps the sign', 'lddw %r0, 0x8000000000000000; arsh %r0, 40; exit', [], u64(-(1n << 23n))],
    ['neg of INT64_MIN', 'lddw %r0, 0x8000000000000000; neg %r0; exit', [], 0x8000000000000000n],
    ['neg of 0', 'mov %r0, 0; neg %r0; exit', [], 0n],
    ['neg32 zero-extends', 'mov %r0, 1; neg32 %r0; exit', [], 0xffffffffn],
    ['movsx8 to 64', 'mov %r1, 0x80; movsx864 %r0, %r1; exit', [], u64(-128n)],
    ['movsx16 to 32 zero-extends', 'mov %r1, 0x8000; movsx1632 %r0, %r1; exit', [], 0xffff8000n],
    ['movsx32 to 64', 'mov32 %r1, 0x80000000; movsx3264 %r0, %r1; exit', [], u64(-0x80000000n)],
    ['be16 swaps and truncates', 'lddw %r0, 0x1122334455667788; be16 %r0; exit', [], 0x8877n],
    ['be32 swaps and truncates', 'lddw %r0, 0x1122334455667788; be32 %r0; exit', [], 0x88776655n],
    ['be64 swaps', 'lddw %r0, 0x1122334455667788; be64 %r0; exit', [], 0x8877665544332211n],
    ['le16 truncates', 'lddw %r0, 0x1122334455667788; le16 %r0; exit', [], 0x7788n],
    ['le64 is a no-op', 'lddw %r0, 0x1122334455667788; le64 %r0; exit', [], 0x1122334455667788n],
    ['bswap64', 'lddw %r0, 0x1122334455667788; bswap64 %r0; exit', [], 0x8877665544332211n],
    ['mul64 high bits', 'lddw %r0, 0xffffffffffffffff; lddw %r1, 0xffffffffffffffff; mul %r0, %r1; exit', [], 1n],
    ['unsigned 64-bit division of large values', 'lddw %r0, 0xfffffffffffffffe; lddw %r1, 0x100000001; div %r0, %r1; exit', [], 0xfffffffffffffffen / 0x100000001n],
    ['div64 by a negative immediate treats it unsigned', 'mov %r0, 10; div %r0, -1; exit', [], 0n],
    ['jsgt compares signed', 'mov %r0, 0; mov %r1, -1; jsgt %r1, 0, +1; mov %r0, 1; exit', [], 1n],
    ['jgt compares unsigned', 'mov %r0, 0; mov %r1, -1; jgt %r1, 0, +1; mov %r0, 1; exit', [], 0n],
    ['jslt32 uses the low half', 'mov %r0, 0; lddw %r1, 0x00000001ffffffff; jslt32 %r1, 0, +1; mov %r0, 1; exit', [], 0n],
    ['jeq with a negative immediate compares 64 bits', 'mov %r0, 0; mov32 %r1, -1; jeq %r1, -1, +1; mov %r0, 1; exit', [], 1n],
    ['jset tests the high half too', 'mov %r0, 0; lddw %r1, 0x8000000000000000; lddw %r2, 0x8000000000000000; jset %r1, %r2, +1; mov %r0, 1; exit', [], 0n],
    ['gotol (ja32)', 'mov %r0, 1; ja32 l; mov %r0, 2; l: exit', [], 1n],
    ['lock fetch add 64 with carry', 'lddw %r1, 0xffffffff; stxdw [%r10-8], %r1; mov %r2, 1; lock fetch add [%r10-8], %r2; ldxdw %r0, [%r10-8]; add %r0, %r2; exit', [], 0x100000000n + 0xffffffffn],
    ['lock cmpxchg32 succeeds', 'mov %r1, 5; stxw [%r10-4], %r1; mov %r0, 5; mov %r2, 9; lock cmpxchg32 [%r10-4], %r2; ldxw %r3, [%r10-4]; lsh %r3, 32; or %r0, %r3; exit', [], (9n << 32n) | 5n],
    ['lock cmpxchg fails and loads the old value', 'mov %r1, 5; stxdw [%r10-8], %r1; mov %r0, 6; mov %r2, 9; lock cmpxchg [%r10-8], %r2; ldxdw %r3, [%r10-8]; lsh %r3, 32; or %r0, %r3; exit', [], (5n << 32n) | 5n],
    ['lock xchg32', 'mov %r1, 5; stxw [%r10-4], %r1; mov %r2, 9; lock xchg32 [%r10-4], %r2; ldxw %r0, [%r10-4]; lsh %r0, 8; or %r0, %r2; exit', [], (9n << 8n) | 5n],
    ['ldxsb sign-extends', 'mov %r1, 0xff; stxb [%r10-1], %r1; ldxsb %r0, [%r10-1]; exit', [], M64],
    ['stdw sign-extends its immediate', 'stdw [%r10-8], -1; ldxdw %r0, [%r10-8]; exit', [], M64],
  ];
  for (const [what, asm, args, expected] of cases) {
    it(what, () => assert.equal(run(asm, args).r0, expected));
  }
});

describe('Interpreter: bounds checks', () => {
  it('refuses a load outside every region, naming the instruction, address, size and regions', () => {
    const e = fault(() => run('lddw %r1, 0x9000; ldxw %r0, [%r1+4]; exit'), FaultKind.MEMORY, /instruction 2 .*load of 4 bytes at 0x9004 \(r1 \+ 4\) is outside the program's memory \(stack \[0x1000, 0x2000\)\)/);
    assert.equal(e.fault.address, 0x9004);
    assert.equal(e.fault.size, 4);
    assert.equal(e.fault.store, false);
  });

  it('refuses a store past the top of the stack and below its bottom', () => {
    fault(() => run('stdw [%r10+0], 1; mov %r0, 0; exit'), FaultKind.MEMORY, /store of 8 bytes at 0x2000 \(r10 \+ 0\)/);
    fault(() => run(`mov %r1, %r10; sub %r1, ${STACK_SIZE}; stb [%r1-1], 1; mov %r0, 0; exit`), FaultKind.MEMORY, /store of 1 byte at 0xfff/);
  });

  it('refuses an access that runs past the end of a region', () => {
    const regions: MemoryRegion[] = [{ start: 0x4000, end: 0x4010, writable: true, name: 'packet' }];
    assert.equal(run('lddw %r1, 0x4008; ldxdw %r0, [%r1+0]; exit', [], regions).r0, 0n);
    fault(() => run('lddw %r1, 0x400c; ldxdw %r0, [%r1+0]; exit', [], regions), FaultKind.MEMORY, /load of 8 bytes at 0x400c .* runs past the end of packet \[0x4000, 0x4010\)/);
  });

  it('refuses a store into a read-only region but allows loads from it', () => {
    const regions: MemoryRegion[] = [{ start: 0x4000, end: 0x4010, writable: false, name: '.rodata' }];
    assert.equal(run('lddw %r1, 0x4000; ldxw %r0, [%r1+0]; exit', [], regions).r0, 0n);
    fault(() => run('lddw %r1, 0x4000; stw [%r1+0], 1; mov %r0, 0; exit', [], regions), FaultKind.MEMORY, /store of 4 bytes at 0x4000 .* writes to \.rodata \[0x4000, 0x4010\) read-only/);
    fault(() => run('lddw %r1, 0x4000; mov %r2, 1; lock add [%r1+0], %r2; mov %r0, 0; exit', [], regions), FaultKind.MEMORY, /read-only/);
  });

  it('refuses pointers with a non-zero high half and negative addresses', () => {
    fault(() => run('lddw %r1, 0x100001000; ldxb %r0, [%r1+0]; exit'), FaultKind.MEMORY, /at 0x100001000/);
    fault(() => run('mov %r1, 8; ldxb %r0, [%r1-16]; exit'), FaultKind.MEMORY, /at 0xfffffffffffffff8/);
  });

  it('uses regions the host hands out (map values)', () => {
    const host = new TestHost();
    Object.assign(host, { findRegion: (a: number, s: number) => (a >= 0x8000 && a + s <= 0x8008 ? { start: 0x8000, end: 0x8008, writable: true, name: 'value' } : undefined) });
    assert.equal(run('lddw %r1, 0x8000; stdw [%r1+0], 7; ldxdw %r0, [%r1+0]; exit', [], [], host).r0, 7n);
    fault(() => run('lddw %r1, 0x8004; ldxdw %r0, [%r1+0]; exit', [], [], host), FaultKind.MEMORY, /runs past the end of value \[0x8000, 0x8008\)/);
    fault(() => run('lddw %r1, 0x9000; ldxdw %r0, [%r1+0]; exit', [], [], host), FaultKind.MEMORY, /map values handed out by helpers/);
  });
});

describe('Interpreter: calls, callbacks, tail calls, limits', () => {
  it('gives each BPF-to-BPF call a 512-byte frame below its caller', () => {
    // The callee returns its r10; the caller subtracts its own.
    const asm = 'mov %r6, %r10; call local f; sub %r6, %r0; mov %r0, %r6; exit; f: mov %r0, %r10; exit';
    assert.equal(run(asm).r0, 512n);
  });

  it('allows 8 frames and stops at the 9th', () => {
    const depth = (n: number): string => {
      let s = 'mov %r0, 0; call local f1; exit;';
      for (let i = 1; i < n; i++) s += `f${i}: call local f${i + 1}; add %r0, 1; exit;`;
      s += `f${n}: mov %r0, 1; exit`;
      return s;
    };
    assert.equal(run(depth(7)).r0, 7n);
    fault(() => run(depth(8)), FaultKind.CALL_DEPTH, /call frame 9; at most 8 frames/);
  });

  it('stops an endless loop at the instruction limit', () => {
    const host = new TestHost();
    const interp = new Interpreter(host, { instructionLimit: 10_000 });
    assert.throws(() => interp.run(prog('l: ja l'), { stack: STACK, regions: [] }), (e: unknown) => e instanceof ExecutionError && e.fault.kind === FaultKind.INSTRUCTION_LIMIT && /more than 10000 instructions/.test(e.message));
  });

  it('counts executed instructions', () => {
    const { interp } = run('mov %r0, 0; l: add %r0, 1; jne %r0, 10, l; exit');
    assert.equal(interp.instructions, 1 + 10 * 2 + 1);
  });

  it('passes r1-r5 to helpers and takes r0 back; EXIT stops the run', () => {
    const host = new TestHost();
    host.helpers.set(7, (i) => {
      i.lo[0] = (i.lo[1] as number) + (i.lo[2] as number) + (i.lo[3] as number) + (i.lo[4] as number) + (i.lo[5] as number);
      i.hi[0] = 0;
    });
    host.helpers.set(8, (i) => {
      i.lo[0] = 99;
      return HelperOutcome.EXIT;
    });
    assert.equal(run('mov %r1, 1; mov %r2, 2; mov %r3, 3; mov %r4, 4; mov %r5, 5; call 7; exit', [], [], host).r0, 15n);
    assert.equal(run('call 8; mov %r0, 1; exit', [], [], host).r0, 99n);
  });

  it('calls through a register: a function address or a helper number', () => {
    const host = new TestHost();
    host.helpers.set(5, (i) => {
      i.lo[0] = 50;
      i.hi[0] = 0;
    });
    const instructions: Instruction[] = assemble('lddw %r2, 0\ncallx %r2\nexit\nmov %r0, 77\nexit', { dialect: 'conformance' });
    // lddw src 4 (code_addr): imm counts from the slot after the first: 0 + 1 + 3 = slot 4 (mov %r0, 77).
    const first = instructions[0] as Instruction;
    instructions[0] = { ...first, src: 4, imm: 3, imm64: 3n };
    const p = prepareProgram(instructions, { name: 'callx', helpers: helpersAll });
    assert.equal(run(p, [], [], host).r0, 77n);
    assert.equal(run('mov %r2, 5; callx %r2; exit', [], [], host).r0, 50n);
    fault(() => run('mov %r2, 6; callx %r2; exit', [], [], host), FaultKind.BAD_CALL, /helper #6 does not exist/);
  });

  it('runs callbacks re-entrantly on a new frame (bpf_loop)', () => {
    // helper 181 (loop): call the callback r2 for i = 0..r1-1 with (i, r3), stop when it returns 1.
    const host = new TestHost();
    host.helpers.set(181, (i) => {
      const n = i.lo[1] as number;
      const fn = (BigInt(i.hi[2] as number >>> 0) << 32n) | BigInt(i.lo[2] as number >>> 0);
      const ctx = BigInt(i.lo[3] as number >>> 0);
      let k = 0;
      for (; k < n; k++) if (i.invokeCallback(fn, [BigInt(k), ctx]) === 1n) break;
      i.lo[0] = k;
      i.hi[0] = 0;
    });
    // sum of i over 0..9 into a stack slot, then the callback's own frame proves r10 moved.
    const instructions = assemble([
      'stdw [%r10-8], 0',
      'mov %r1, 10',
      'lddw %r2, 0',
      'mov %r3, %r10',
      'add %r3, -8',
      'mov %r6, 123',
      'call 181',
      'ldxdw %r0, [%r10-8]',
      'add %r0, %r6',
      'exit',
      'ldxdw %r3, [%r2+0]',
      'add %r3, %r1',
      'stxdw [%r2+0], %r3',
      'mov %r6, 0',
      'mov %r0, 0',
      'exit',
    ].join('\n'), { dialect: 'conformance' });
    const lddw = instructions[2] as Instruction;
    instructions[2] = { ...lddw, src: 4, imm: 8, imm64: 8n }; // 2 + 1 + 8 = slot 11 (the callback)
    const p = prepareProgram(instructions, { name: 'loop', helpers: helpersAll });
    assert.equal(run(p, [], [], host).r0, 45n + 123n);
  });

  it('continues in the tail-call target the host names', () => {
    const host = new TestHost();
    const target = prog('mov %r0, %r1; add %r0, 1000; exit', 2);
    host.helpers.set(12, () => {
      host.tail = target;
      return HelperOutcome.TAIL_CALL;
    });
    assert.equal(run('mov %r1, 5; call 12; mov %r0, 1; exit', [], [], host).r0, 1005n);
    // No target: the program continues after the call, as Linux does for an empty slot.
    host.helpers.set(12, () => {
      const i = 0;
      return i === 0 ? HelperOutcome.CONTINUE : HelperOutcome.TAIL_CALL;
    });
    assert.equal(run('mov %r1, 5; call 12; mov %r0, 1; exit', [], [], host).r0, 1n);
  });

  it('loads from the packet with LD_ABS and LD_IND, ending the run with 0 past its end', () => {
    const host = new TestHost();
    const pkt = new Uint8Array(host.buffer, 0x4000, 8);
    pkt.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    const setup = { packet: { start: 0x4000, end: 0x4008 } };
    const instructions = (code: number, imm: number, src = 0): Instruction[] => [
      { opcode: 0xb7, dst: 7, src: 0, offset: 0, imm: 2, size: 1, slot: 0, valid: true },
      { opcode: code, dst: 0, src, offset: 0, imm, size: 1, slot: 1, valid: true },
      { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0, size: 1, slot: 2, valid: true },
    ];
    const ld = (code: number, imm: number, src = 0): bigint => run(prepareProgram(instructions(code, imm, src), { helpers: helpersAll }), [], [], host, setup).r0;
    assert.equal(ld(0x20, 0), 0x11223344n); // ldabsw, big-endian
    assert.equal(ld(0x28, 6), 0x7788n); // ldabsh
    assert.equal(ld(0x30, 7), 0x88n); // ldabsb
    assert.equal(ld(0x50, 1, 7), 0x44n); // ldindb: r7 (2) + 1
    assert.equal(ld(0x20, 6), 0n); // past the end
  });

  it('returns 0 from a subprogram whose legacy packet load falls outside the packet, as Linux does', () => {
    const host = new TestHost();
    new Uint8Array(host.buffer, 0x4000, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const setup = { packet: { start: 0x4000, end: 0x4008 } };
    const I = (opcode: number, dst: number, src: number, offset: number, imm: number, slot: number): Instruction => ({ opcode, dst, src, offset, imm, size: 1, slot, valid: true });
    // main: call sub; r0 += 100; exit. sub: r0 = ldabsw[imm]; r0 = 7; exit
    const program = (imm: number): Instruction[] => [
      I(0x85, 0, 1, 0, 2, 0), I(0x07, 0, 0, 0, 100, 1), I(0x95, 0, 0, 0, 0, 2),
      I(0x20, 0, 0, 0, imm, 3), I(0xb7, 0, 0, 0, 7, 4), I(0x95, 0, 0, 0, 0, 5),
    ];
    const r0 = (imm: number): bigint => run(prepareProgram(program(imm), { helpers: helpersAll }), [], [], host, setup).r0;
    assert.equal(r0(0), 107n, 'inside the packet the subprogram returns 7');
    assert.equal(r0(6), 100n, 'outside it the subprogram returns 0 and the caller goes on');
  });

  it('loads a program with a write to r10 in dead code, and faults only if it runs', () => {
    const host = new TestHost();
    assert.equal(run('mov %r0, 3; jlt %r0, 5, +1; mov %r10, 0; mov %r0, 1; exit', [], [], host).r0, 1n);
    assert.throws(() => run('mov %r0, 3; jgt %r0, 5, +1; mov %r10, 0; mov %r0, 1; exit', [], [], host), /slot 2 writes r10, the frame pointer/);
  });

  it('takes up a grown memory after a helper call', () => {
    const host = new TestHost();
    host.helpers.set(9, () => {
      // Grow: a bigger buffer replaces the old one, which is detached (as WebAssembly.Memory.grow does).
      const bigger = new ArrayBuffer(1 << 17);
      new Uint8Array(bigger).set(new Uint8Array(host.buffer));
      structuredClone(host.buffer, { transfer: [host.buffer] });
      host.buffer = bigger;
    });
    const regions: MemoryRegion[] = [{ start: 0x1_8000, end: 0x1_8008, writable: true, name: 'new memory' }];
    assert.equal(run('stdw [%r10-8], 5; call 9; lddw %r1, 0x18000; stdw [%r1+0], 6; ldxdw %r0, [%r10-8]; ldxdw %r2, [%r1+0]; add %r0, %r2; exit', [], regions, host).r0, 11n);
  });

  it('names the source line of a faulting instruction when it has one', () => {
    const p = prepareProgram(assemble('mov %r1, 0\nldxw %r0, [%r1+0]\nexit', { dialect: 'conformance' }), {
      name: 'lined',
      where: { file: 'prog.o', section: 'xdp' },
      sourceLine: (slot) => (slot === 1 ? 'prog.c:12:3: return *p;' : undefined),
    });
    const e = fault(() => run(p), FaultKind.MEMORY, /^prog\.o: section 'xdp': instruction 1 of program 'lined' \(r0 = \*\(u32 \*\)\(r1 \+ 0x0\)\) at prog\.c:12:3: return \*p;: load of 4 bytes at 0x0/);
    assert.equal(e.fault.pc, 1);
  });

  it('runs may_goto as a fall-through until the loop budget is used up', () => {
    // may_goto +1 skips the next instruction only once the budget (2^23) is exhausted: here it falls through.
    const instructions: Instruction[] = [
      { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 1, size: 1, slot: 0, valid: true },
      { opcode: 0xe5, dst: 0, src: 0, offset: 1, imm: 0, size: 1, slot: 1, valid: true },
      { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 2, size: 1, slot: 2, valid: true },
      { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0, size: 1, slot: 3, valid: true },
    ];
    assert.equal(run(prepareProgram(instructions, { helpers: helpersAll })).r0, 2n);
  });

  it('gives each function call a may_goto budget of its own, as Linux\'s per-frame counter does', () => {
    const p = prepareProgram(assemble([
      'r6 = 0',
      'loop:', 'may_goto out', 'r6 += 1', 'goto loop',
      // The budget is used up here; the callee starts with a full one, and the caller's stays used up after it.
      'out:', 'call f', 'r7 = r0', 'r0 = 5', 'may_goto +1', 'r0 = 7', 'r0 += r7', 'r0 <<= 32', 'r0 |= r6', 'exit',
      'f:', 'r0 = 0', 'may_goto +1', 'r0 = 1', 'exit',
    ].join('\n'), { dialect: 'llvm' }), { helpers: helpersAll });
    const r0 = run(p).r0;
    assert.equal(r0 & 0xffffffffn, 1n << 23n, 'the loop ran BPF_MAX_LOOPS times');
    assert.equal(r0 >> 32n, 6n, 'the callee fell through, the caller jumped');
  });

  it('gives function addresses a tag that never passes as a data pointer', () => {
    assert.equal(codeAddress(3, 10) >> 32n, 0x40000003n);
  });
});

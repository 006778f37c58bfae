// Author: Claude.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { readElf } from '../elf/index.ts';
import { AsmSyntaxError } from '../internal/errors.ts';
import { conformanceFiles, corpusFiles, isElf, negativeConformanceFiles, prng, readBytes } from './_tools.test.ts';
import { assemble, assembleProgram } from './assemble.ts';
import { parseConformanceData } from './conformance-data.ts';
import { decodeInstructions } from './decode.ts';
import { encodeInstructions } from './encode.ts';
import { formatInstruction } from './format.ts';

const hexOf = (text: string, dialect?: 'llvm' | 'conformance'): string =>
  [...encodeInstructions(assemble(text, dialect === undefined ? {} : { dialect }))].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Expects an AsmSyntaxError at line:column whose message matches. */
function fails(text: string, line: number, column: number, message: RegExp): void {
  assert.throws(() => assemble(text, { file: 't.s' }), (e: unknown) => {
    assert.ok(e instanceof AsmSyntaxError, String(e));
    assert.equal(e.where.line, line, e.message);
    assert.equal(e.where.column, column, e.message);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`t.s:${line}:${column}: `), e.message);
    return true;
  });
}

describe('assemble, LLVM syntax', () => {
  it('assembles every form the formatter prints', () => {
    const cases: [string, string][] = [
      ['r2 = *(u32 *)(r1 + 0x4)', '61 12 04 00 00 00 00 00'],
      ['w2 = *(u32 *)(r1 + 0x4)', '61 12 04 00 00 00 00 00'],
      ['r1 = *(u64 *)(r10 - 0x8)', '79 a1 f8 ff 00 00 00 00'],
      ['r2 = *(s16 *)(r1 + 0x2)', '89 12 02 00 00 00 00 00'],
      ['*(u32 *)(r10 - 0x4) = r1', '63 1a fc ff 00 00 00 00'],
      ['*(u8 *)(r10 - 0x4) = w1', '73 1a fc ff 00 00 00 00'],
      ['*(u64 *)(r10 - 0x8) = -0x1', '7a 0a f8 ff ff ff ff ff'],
      ['r1 += 0xe', '07 01 00 00 0e 00 00 00'],
      ['r2 += -0x4', '07 02 00 00 fc ff ff ff'],
      ['w1 s%= w2', '9c 21 01 00 00 00 00 00'],
      ['r1 s>>= 0x38', 'c7 01 00 00 38 00 00 00'],
      ['r0 = -r0', '87 00 00 00 00 00 00 00'],
      ['w0 = -w0', '84 00 00 00 00 00 00 00'],
      ['r0 = (s8)r1', 'bf 10 08 00 00 00 00 00'],
      ['w0 = (s16)w1', 'bc 10 10 00 00 00 00 00'],
      ['r0 = addr_space_cast(r1, 0x1, 0x0)', 'bf 10 01 00 00 00 01 00'],
      ['r1 = be16 r1', 'dc 01 00 00 10 00 00 00'],
      ['r1 = le64 r1', 'd4 01 00 00 40 00 00 00'],
      ['r0 = bswap32 r0', 'd7 00 00 00 20 00 00 00'],
      ['r1 = 0x0 ll', '18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
      ['r1 = -0x1 ll', '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
      ['r1 = 0x1122334455667788 ll', '18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
      ['ld_pseudo\tr1, 0x2, 0x3', '18 21 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
      ['ld_pseudo r1, 2, 0x500000003', '18 21 00 00 03 00 00 00 00 00 00 00 05 00 00 00'],
      ['r0 = *(u16 *)skb[r2]', '48 20 00 00 00 00 00 00'],
      ['r0 = *(u8 *)skb[0x5]', '30 00 00 00 05 00 00 00'],
      ['lock *(u64 *)(r0 + 0x0) += r1', 'db 10 00 00 00 00 00 00'],
      ['lock *(u32 *)(r1 + 0x8) ^= w2', 'c3 21 08 00 a0 00 00 00'],
      ['r1 = atomic_fetch_and((u64 *)(r0 + 0x0), r1)', 'db 10 00 00 51 00 00 00'],
      ['w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)', 'c3 21 00 00 41 00 00 00'],
      ['r1 = xchg_64(r0 + 0x0, r1)', 'db 10 00 00 e1 00 00 00'],
      ['w0 = cmpxchg32_32(r1 + 0x0, w0, w2)', 'c3 21 00 00 f1 00 00 00'],
      ['r0 = cmpxchg_64(r1 - 0x8, r0, r2)', 'db 21 f8 ff f1 00 00 00'],
      ['if r2 >= r1 goto +0xc <xdp_firewall+0x88>', '3d 12 0c 00 00 00 00 00'],
      ['if w1 s<= 0x5 goto -0x3', 'd6 01 fd ff 05 00 00 00'],
      ['if r1 & r2 goto +0x0', '4d 21 00 00 00 00 00 00'],
      ['goto +0x60 <xdp_firewall+0x388>', '05 00 60 00 00 00 00 00'],
      ['gotol -0x1', '06 00 00 00 ff ff ff ff'],
      ['may_goto +0x1', 'e5 00 01 00 00 00 00 00'],
      ['call 0x1', '85 00 00 00 01 00 00 00'],
      ['callx r2', '8d 02 00 00 00 00 00 00'],
      ['exit', '95 00 00 00 00 00 00 00'],
    ];
    for (const [text, bytes] of cases) assert.equal(hexOf(text), bytes, text);
  });

  it('resolves labels, skips comments and reads llvm-objdump listing lines', () => {
    const text = [
      '; a comment line',
      'prog:',
      '  r0 = 0x0          # count',
      'loop: r0 += 0x1',
      '  if r0 < 0xa goto loop',
      '  call f',
      '  gotol done',
      '      7:\t95 00 00 00 00 00 00 00\texit',
      '0000000000000040 <f>:',
      '  exit',
      'done:',
      '  exit',
    ].join('\n');
    const { instructions, labels } = assembleProgram(text);
    assert.equal(labels.get('loop'), 1);
    assert.equal(labels.get('f'), 6);
    assert.equal(instructions[2]?.offset, -2);
    assert.deepEqual([instructions[3]?.src, instructions[3]?.imm], [1, 2]);
    assert.equal(instructions[4]?.imm, 2);
  });

  it('reads raw slots written as .quad', () => {
    assert.equal(hexOf('.quad 0x95\n.quad 0x0000000500000018\n.quad 0x0000000700000000'), '95 00 00 00 00 00 00 00 18 00 00 00 05 00 00 00 00 00 00 00 07 00 00 00');
  });

  it('reports errors with line, column and what was expected', () => {
    fails('r0 = 0x0\nr0 += ', 2, 7, /expected a register or an immediate after the operator, found the end of the line/);
    fails('r12 = 1', 1, 1, /unknown instruction 'r12'/);
    fails('r0 = w1', 1, 6, /must both be 64-bit \(r\) or both 32-bit \(w\) registers/);
    fails('if r0 == 1 goto nowhere', 1, 17, /unknown label 'nowhere'/);
    fails('x:\nx:', 2, 1, /label 'x' is defined twice/);
    fails('r0 = 0x100000000', 1, 6, /does not fit in 32 bits/);
    fails('r0 = *(u32 *)(r1 + 0x8000)', 1, 20, /offset 32768 does not fit in 16 bits/);
    fails('*(u64 *)(r1 + 0) = w2', 1, 20, /64-bit store takes an r register/);
    fails('r1 = bswap16 r2', 1, 14, /byte swap works in place/);
    fails('r1 = map ll', 1, 6, /needs a relocation for symbol 'map'/);
    fails('<unknown>', 1, 1, /could not decode/);
    fails('r0 = 0x1 @', 1, 10, /unexpected character '@'/);
    fails('.byte 1', 1, 1, /unsupported directive/);
    fails('goto +0x8000', 1, 6, /does not fit in 16 bits/);
  });

  it('agrees with llvm-mc on formatted random instructions', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-mc-'));
    const rnd = prng(5);
    const n = 20000;
    const bytes = new Uint8Array(n * 8);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      let op = rnd() & 0xff;
      if (op === 0x18) op = 0x19;
      dv.setUint8(i * 8, op);
      dv.setUint8(i * 8 + 1, rnd() & 0xaa);
      dv.setInt16(i * 8 + 2, [0, 1, 8, 16, 32, -1][rnd() % 6] as number, true);
      dv.setInt32(i * 8 + 4, [0, 1, 16, 32, 64, 0x41, 0xe1, 0xf1, -5, 0x7fffffff][rnd() % 10] as number, true);
    }
    for (const alu32 of [false, true]) {
      // llvm-mc 19 reads only 16-bit gotol displacements.
      const lines = decodeInstructions(bytes).map((i) => formatInstruction(i, { alu32 })).filter((l) => l !== '<unknown>' && !/gotol [+-]0x([0-9a-f]{5,}|[89a-f][0-9a-f]{3})/.test(l));
      const source = join(dir, 'in.s');
      const object = join(dir, 'out.o');
      writeFileSync(source, '\t.text\n' + lines.map((l) => `\t${l}\n`).join(''));
      execFileSync('llvm-mc-19', ['-triple', 'bpfel', '-mcpu=v4', ...(alu32 ? ['-mattr=+alu32'] : []), '-filetype=obj', source, '-o', object], { stdio: 'ignore' });
      const theirs = readElf(new Uint8Array(readFileSync(object))).section('.text')?.data;
      const ours = encodeInstructions(assemble(lines.join('\n'), { dialect: 'llvm' }));
      assert.ok(theirs !== undefined);
      let same = 0;
      for (let i = 0; i < ours.length; i += 8) if (Buffer.compare(Buffer.from(ours.subarray(i, i + 8)), Buffer.from(theirs.subarray(i, i + 8))) === 0) same++;
      t.diagnostic(`llvm-mc (${alu32 ? 'alu32' : 'default'}): ${same}/${ours.length / 8} slots identical`);
      assert.equal(same, ours.length / 8);
      assert.equal(ours.length, theirs.length);
    }
  });

  it('re-assembles the formatter text of every corpus instruction', (t) => {
    let total = 0;
    let same = 0;
    let localCalls = 0;
    const other: string[] = [];
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
          continue;
        }
        const text = insns.map((i) => formatInstruction(i)).join('\n');
        const back = assemble(text, { dialect: 'llvm' });
        for (let i = 0; i < insns.length; i++) {
          const a = insns[i]!;
          const b = back[i]!;
          total++;
          if (a.opcode === b.opcode && a.dst === b.dst && a.src === b.src && a.offset === b.offset && a.imm === b.imm && a.imm64 === b.imm64) same++;
          else if (a.opcode === 0x85 && a.src === 1) localCalls++; // llvm-objdump prints them as `call -0x1`, like helper calls
          else if (other.length < 5) other.push(`${path}: ${formatInstruction(a)}`);
        }
      }
    }
    t.diagnostic(`formatter text re-assembled to the same instruction: ${same}/${total}; the rest are BPF-to-BPF calls (${localCalls}), which LLVM's text prints like helper calls`);
    assert.deepEqual(other, []);
    assert.equal(same + localCalls, total);
  });
});

describe('assemble, conformance dialect', () => {
  it('assembles each mnemonic', () => {
    const cases: [string, string][] = [
      ['mov %r0, 1', 'b7 00 00 00 01 00 00 00'],
      ['mov32 %r0, -1', 'b4 00 00 00 ff ff ff ff'],
      ['add32 %r0, %r1', '0c 10 00 00 00 00 00 00'],
      ['sdiv %r0, 3', '37 00 01 00 03 00 00 00'],
      ['smod32 %r0, %r1', '9c 10 01 00 00 00 00 00'],
      ['neg %r2', '87 02 00 00 00 00 00 00'],
      ['movsx832 %r0, %r1', 'bc 10 08 00 00 00 00 00'],
      ['movsx3264 %r0, %r1', 'bf 10 20 00 00 00 00 00'],
      ['be16 %r0', 'dc 00 00 00 10 00 00 00'],
      ['le64 %r0', 'd4 00 00 00 40 00 00 00'],
      ['swap32 %r0', 'd7 00 00 00 20 00 00 00'],
      ['bswap64 %r0', 'd7 00 00 00 40 00 00 00'],
      ['lddw %r0, 0x1122334455667788', '18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
      ['ldxdw %r0, [%r1+8]', '79 10 08 00 00 00 00 00'],
      ['ldxsh %r0, [%r1-2]', '89 10 fe ff 00 00 00 00'],
      ['ldxb %r0, [%r1]', '71 10 00 00 00 00 00 00'],
      ['stxw [%r10-8], %r1', '63 1a f8 ff 00 00 00 00'],
      ['sth [%r1+0x2], 0x1122', '6a 01 02 00 22 11 00 00'],
      ['jeq %r1, 2, +1', '15 01 01 00 02 00 00 00'],
      ['jsle32 %r1, %r2, -1', 'de 21 ff ff 00 00 00 00'],
      ['ja +3', '05 00 03 00 00 00 00 00'],
      ['lock add [%r10-8], %r1', 'db 1a f8 ff 00 00 00 00'],
      ['lock fetch xor32 [%r10-4], %r3', 'c3 3a fc ff a1 00 00 00'],
      ['lock xchg [%r10-8], %r1', 'db 1a f8 ff e1 00 00 00'],
      ['lock cmpxchg32 [%r10-8], %r1', 'c3 1a f8 ff f1 00 00 00'],
      ['call 5', '85 00 00 00 05 00 00 00'],
      ['call runtime 7', '85 20 00 00 07 00 00 00'],
      ['call %r2', '8d 02 00 00 00 00 00 00'],
      ['exit', '95 00 00 00 00 00 00 00'],
    ];
    for (const [text, bytes] of cases) assert.equal(hexOf(text, 'conformance'), bytes, text);
  });

  it('resolves labels, local calls, ja32 and the implicit exit label', () => {
    const insns = assemble('jne %r0, 0, exit\nja32 out\ncall local f\nexit\nf:\nmov %r0, 1\nout:\nexit', { dialect: 'conformance' });
    assert.deepEqual(insns.map((i) => [i.opcode, i.offset, i.imm]), [[0x55, 2, 0], [0x06, 0, 3], [0x85, 0, 1], [0x95, 0, 0], [0xb7, 0, 1], [0x95, 0, 0]]);
  });

  it('assembles every test of the suite, as its own raw section says where there is one', (t) => {
    let assembled = 0;
    let withRaw = 0;
    let rawSame = 0;
    for (const path of conformanceFiles()) {
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      const bytes = encodeInstructions(assemble(test.asm ?? '', { file: basename(path), ...(test.asmLine === undefined ? {} : { firstLine: test.asmLine }) }));
      assembled++;
      if (test.raw !== undefined) {
        withRaw++;
        if (Buffer.compare(Buffer.from(bytes), Buffer.from(test.raw)) === 0) rawSame++;
      }
    }
    t.diagnostic(`conformance programs assembled: ${assembled}/313; equal to their -- raw section: ${rawSame}/${withRaw}`);
    assert.equal(assembled, 313);
    assert.equal(rawSame, withRaw);
  });

  it("refuses the suite's negative assembler tests, at the right line", (t) => {
    const expected: Record<string, RegExp> = {
      'invalid_imm32_dec_range.data': /immediate 2147483648 is out of range/,
      'invalid_imm32_hex_range.data': /immediate 0x100000000 is out of range/,
      'invalid_label.data': /unknown label 'NOT_A_LABEL'/,
      'invalid_lock.data': /Invalid number of operands for lock/,
      'invalid_lock2.data': /Invalid number of operands for lock/,
      'invalid_mnemonic.data': /unknown instruction 'ldxq'/,
      'invalid_offset.data': /expected a memory operand/,
      'invalid_offset_range.data': /offset 0x10000 is out of range/,
      'invalid_operand_count.data': /expected ',' between the operands of 'lddw'/,
      'invalid_register.data': /invalid register '%r50'/,
    };
    let refused = 0;
    for (const path of negativeConformanceFiles()) {
      const name = basename(path);
      const pattern = expected[name];
      if (pattern === undefined) continue;
      const test = parseConformanceData(readFileSync(path, 'utf8'), path);
      assert.throws(() => assemble(test.asm ?? '', { file: name, firstLine: test.asmLine ?? 1 }), (e: unknown) => {
        assert.ok(e instanceof AsmSyntaxError, `${name}: ${String(e)}`);
        assert.match(e.message, pattern, name);
        assert.ok((e.where.line ?? 0) > (test.asmLine ?? 1) - 1, name);
        return true;
      });
      refused++;
    }
    t.diagnostic(`negative assembler tests refused: ${refused}/${Object.keys(expected).length}`);
    assert.equal(refused, Object.keys(expected).length);
  });

  it('reports conformance errors with line and column', () => {
    fails('mov %r0', 1, 8, /expected ',' between the operands of 'mov', found the end of the line/);
    fails('add %r0, %r1, %r2', 1, 13, /too many operands for 'add'/);
    fails('lock fetch xchg [%r10-8], %r1', 1, 12, /'fetch' is implied by 'xchg'/);
    fails('call helper foo', 1, 13, /expected a register/);
    fails('ja label', 1, 4, /unknown label 'label'/);
  });
});

describe('assemble, robustness', () => {
  it('throws only AsmSyntaxError on mutated input, never a TypeError or RangeError', (t) => {
    const rnd = prng(11);
    const seeds = [
      'r0 = *(u32 *)(r1 + 0x4)', 'if w1 s<= 0x5 goto -0x3 <f+0x8>', 'lock *(u64 *)(r0 + 0x0) += r1', 'mov %r0, 1',
      'lock fetch add32 [%r10-4], %r3', 'r0 = cmpxchg_64(r1 - 0x8, r0, r2)', 'call local f', 'ldxdw %r0, [%r1+8]',
      'r1 = 0x0 ll', 'ld_pseudo r1, 2, 3', '.quad 0x95', '      7:\t95 00 00 00 00 00 00 00\texit', 'lab: exit',
    ];
    const chars = ' \t%rwx0123456789abcdef+-*()[],:;#<>=&|^/sul.@_\n';
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 30000; i++) {
      let text = seeds[rnd() % seeds.length] as string;
      for (let k = 1 + (rnd() % 4); k > 0; k--) {
        const p = rnd() % (text.length + 1);
        const c = chars[rnd() % chars.length] as string;
        const m = rnd() % 3;
        text = m === 0 ? text.slice(0, p) + c + text.slice(p) : m === 1 ? text.slice(0, p) + text.slice(p + 1) : text.slice(0, p) + c + text.slice(p + 1);
      }
      try {
        assemble(text + '\nf:\nexit');
        accepted++;
      } catch (e) {
        assert.ok(e instanceof AsmSyntaxError, `${JSON.stringify(text)}: ${String(e)}`);
        assert.ok(e.where.line !== undefined && e.where.column !== undefined, e.message);
        refused++;
      }
    }
    t.diagnostic(`mutated lines: ${accepted} assembled, ${refused} refused with AsmSyntaxError, 0 other errors`);
  });
});


// Author: Claude.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildElf } from './_test-elf.ts';
import { corpusFiles, isElf, objdump, prng, readBytes, requireObjdump } from './_tools.test.ts';
import { decodeInstructions } from './decode.ts';
import { branchDisplacement, formatInstruction, hex, hex64 } from './format.ts';
import { readElf } from '../elf/index.ts';

/** Formats the single instruction in `hex` (8 or 16 bytes written as in an objdump listing). */
function fmt(hexBytes: string, alu32 = false): string {
  const bytes = Uint8Array.from(hexBytes.split(' ').map((b) => parseInt(b, 16)));
  const [ins] = decodeInstructions(bytes);
  assert.ok(ins !== undefined);
  return formatInstruction(ins, { alu32 });
}

describe('formatInstruction', () => {
  it('prints numbers as LLVM does', () => {
    assert.equal(hex(0), '0x0');
    assert.equal(hex(-4), '-0x4');
    assert.equal(hex(-0x80000000), '-0x80000000');
    assert.equal(hex64(-(1n << 63n)), '-0x8000000000000000');
  });

  it('formats ALU64 and ALU instructions', () => {
    const cases: [string, string][] = [
      ['07 01 00 00 0e 00 00 00', 'r1 += 0xe'],
      ['07 02 00 00 fc ff ff ff', 'r2 += -0x4'],
      ['0f 21 00 00 00 00 00 00', 'r1 += r2'],
      ['1f 21 00 00 00 00 00 00', 'r1 -= r2'],
      ['27 01 00 00 d3 4d 62 10', 'r1 *= 0x10624dd3'],
      ['37 01 00 00 03 00 00 00', 'r1 /= 0x3'],
      ['3f 21 01 00 00 00 00 00', 'r1 s/= r2'],
      ['97 01 01 00 03 00 00 00', 'r1 s%= 0x3'],
      ['4f 45 00 00 00 00 00 00', 'r5 |= r4'],
      ['57 04 00 00 0f 00 00 00', 'r4 &= 0xf'],
      ['67 05 00 00 08 00 00 00', 'r5 <<= 0x8'],
      ['77 09 00 00 20 00 00 00', 'r9 >>= 0x20'],
      ['87 00 00 00 00 00 00 00', 'r0 = -r0'],
      ['9f 89 00 00 00 00 00 00', 'r9 %= r8'],
      ['a7 01 00 00 ff ff ff ff', 'r1 ^= -0x1'],
      ['b7 01 00 00 02 00 00 00', 'r1 = 0x2'],
      ['bf a2 00 00 00 00 00 00', 'r2 = r10'],
      ['bf 10 08 00 00 00 00 00', 'r0 = (s8)r1'],
      ['bf 10 20 00 00 00 00 00', 'r0 = (s32)r1'],
      ['bf 10 01 00 00 00 01 00', 'r0 = addr_space_cast(r1, 0x1, 0x0)'],
      ['c7 01 00 00 38 00 00 00', 'r1 s>>= 0x38'],
      ['04 01 00 00 01 00 00 00', 'w1 += 0x1'],
      ['bc 10 00 00 00 00 00 00', 'w0 = w1'],
      ['bc 10 10 00 00 00 00 00', 'w0 = (s16)w1'],
      ['84 00 00 00 00 00 00 00', 'w0 = -w0'],
      ['dc 01 00 00 10 00 00 00', 'r1 = be16 r1'],
      ['d4 01 00 00 40 00 00 00', 'r1 = le64 r1'],
      ['d7 00 00 00 10 00 00 00', 'r0 = bswap16 r0'],
    ];
    for (const [bytes, text] of cases) assert.equal(fmt(bytes), text, bytes);
  });

  it('prints what LLVM refuses as <unknown>', () => {
    for (const bytes of [
      '8f 00 00 00 00 00 00 00', // neg with the X bit
      'bf 10 02 00 00 00 00 00', // mov offset 2
      'bc 10 20 00 00 00 00 00', // (s32) in 32-bit
      'dc 01 00 00 08 00 00 00', // be8
      'df 01 00 00 10 00 00 00', // bswap with the X bit
      'bf c1 00 00 00 00 00 00', // r12
      '95 00 00 00 01 00 00 00', // exit with imm
      '0d 00 00 00 00 00 00 00', // ja with the X bit
      'e7 00 00 00 00 00 00 00', // ALU op 0xe
      '8e 00 00 00 01 00 00 00', // call in JMP32
    ]) {
      assert.equal(fmt(bytes), '<unknown>', bytes);
    }
  });

  it('formats jumps, calls and exit', () => {
    const cases: [string, string][] = [
      ['3d 12 0c 00 00 00 00 00', 'if r2 >= r1 goto +0xc'],
      ['15 00 e2 ff 00 00 00 00', 'if r0 == 0x0 goto -0x1e'],
      ['45 01 01 00 08 00 00 00', 'if r1 & 0x8 goto +0x1'],
      ['c6 21 01 00 00 00 00 00', 'if w1 s< 0x0 goto +0x1'],
      ['de 21 01 00 00 00 00 00', 'if w1 s<= w2 goto +0x1'],
      ['05 00 60 00 00 00 00 00', 'goto +0x60'],
      ['06 00 00 00 19 00 00 00', 'gotol +0x19'],
      ['e5 00 01 00 00 00 00 00', 'may_goto +0x1'],
      ['85 00 00 00 01 00 00 00', 'call 0x1'],
      ['85 10 00 00 ff ff ff ff', 'call -0x1'],
      ['8d 02 00 00 00 00 00 00', 'callx r2'],
      ['95 00 00 00 00 00 00 00', 'exit'],
    ];
    for (const [bytes, text] of cases) assert.equal(fmt(bytes), text, bytes);
  });

  it('formats loads, stores and atomics', () => {
    const cases: [string, string, boolean?][] = [
      ['61 12 04 00 00 00 00 00', 'r2 = *(u32 *)(r1 + 0x4)'],
      ['61 12 04 00 00 00 00 00', 'w2 = *(u32 *)(r1 + 0x4)', true],
      ['79 a1 f8 ff 00 00 00 00', 'r1 = *(u64 *)(r10 - 0x8)'],
      ['91 12 00 80 00 00 00 00', 'r2 = *(s8 *)(r1 - 0x8000)'],
      ['63 1a fc ff 00 00 00 00', '*(u32 *)(r10 - 0x4) = r1'],
      ['63 1a fc ff 00 00 00 00', '*(u32 *)(r10 - 0x4) = w1', true],
      ['7a 0a f8 ff ff ff ff ff', '*(u64 *)(r10 - 0x8) = -0x1'],
      ['db 10 00 00 00 00 00 00', 'lock *(u64 *)(r0 + 0x0) += r1'],
      ['db 10 00 00 a0 00 00 00', 'lock *(u64 *)(r0 + 0x0) ^= r1'],
      ['db 10 00 00 01 00 00 00', 'r1 = atomic_fetch_add((u64 *)(r0 + 0x0), r1)'],
      ['db 10 00 00 e1 00 00 00', 'r1 = xchg_64(r0 + 0x0, r1)'],
      ['db 21 00 00 f1 00 00 00', 'r0 = cmpxchg_64(r1 + 0x0, r0, r2)'],
      ['c3 21 00 00 00 00 00 00', 'lock *(u32 *)(r1 + 0x0) += r2'],
      ['c3 21 00 00 00 00 00 00', 'lock *(u32 *)(r1 + 0x0) += w2', true],
      ['c3 21 00 00 41 00 00 00', '<unknown>'],
      ['c3 21 00 00 41 00 00 00', 'w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)', true],
      ['c3 21 00 00 f1 00 00 00', 'w0 = cmpxchg32_32(r1 + 0x0, w0, w2)', true],
      ['c3 21 00 00 e1 00 00 00', 'w2 = xchg32_32(r1 + 0x0, w2)', true],
      ['20 00 00 00 05 00 00 00', 'r0 = *(u32 *)skb[0x5]'],
      ['50 20 00 00 00 00 00 00', 'r0 = *(u8 *)skb[r2]'],
      ['18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00', 'r1 = 0x0 ll'],
      ['18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff', 'r1 = -0x1 ll'],
      ['18 21 00 00 03 00 00 00 00 00 00 00 07 00 00 00', 'ld_pseudo\tr1, 0x2, 0x3'],
    ];
    for (const [bytes, text, alu32] of cases) assert.equal(fmt(bytes, alu32 ?? false), text, bytes);
  });

  it('gives branch displacements only for branches LLVM annotates', () => {
    const d = (bytes: string): number | undefined => branchDisplacement(decodeInstructions(Uint8Array.from(bytes.split(' ').map((b) => parseInt(b, 16))))[0]!);
    assert.equal(d('05 00 60 00 00 00 00 00'), 0x60);
    assert.equal(d('06 00 00 00 19 00 00 00'), 0x19);
    assert.equal(d('85 10 00 00 ff ff ff ff'), undefined);
    assert.equal(d('95 00 00 00 00 00 00 00'), undefined);
  });
});

/** Instruction texts of an objdump -d listing, in order, without the `<sym+off>` suffix. */
function objdumpTexts(listing: string): string[] {
  const out: string[] = [];
  for (const line of listing.split('\n')) {
    const m = /^ *\d+:\t[0-9a-f ]+\t(.*)$/.exec(line);
    if (m === null) continue;
    out.push((m[1] as string).replace(/ <[^ >]+>$/, '').replace(/\s+/g, ' ').trim());
  }
  return out;
}

describe('formatInstruction agrees with llvm-objdump', () => {
  it('on every instruction of the corpus', (t) => {
    requireObjdump();
    let files = 0;
    let agreeingFiles = 0;
    let nonElf = 0;
    let refused = 0;
    let total = 0;
    let agree = 0;
    const samples: string[] = [];
    for (const path of corpusFiles()) {
      const bytes = readBytes(path);
      if (!isElf(bytes)) {
        nonElf++;
        continue;
      }
      const listing = objdump(['-d', path]);
      let elf;
      try {
        elf = readElf(bytes, { name: path });
      } catch {
        refused++;
        continue;
      }
      if (listing === undefined) {
        refused++;
        continue;
      }
      files++;
      const theirs = objdumpTexts(listing);
      const ours: string[] = [];
      for (const s of elf.sections) {
        if ((s.flags & 4) === 0 || s.size === 0 || s.type === 8) continue;
        for (const ins of decodeInstructions(s.data, {}, { truncated: 'invalid' })) ours.push(formatInstruction(ins).replace(/\s+/g, ' '));
      }
      let ok = theirs.length === ours.length;
      for (let i = 0; i < theirs.length; i++) {
        total++;
        if (theirs[i] === ours[i]) agree++;
        else {
          ok = false;
          if (samples.length < 5) samples.push(`${path}: #${i} llvm '${theirs[i]}' ours '${ours[i]}'`);
        }
      }
      if (ok) agreeingFiles++;
    }
    t.diagnostic(`instructions agreeing: ${agree}/${total}; files fully agreeing: ${agreeingFiles}/${files}; non-ELF files skipped: ${nonElf}; refused by llvm-objdump or the ELF reader: ${refused}`);
    console.log(`format vs llvm-objdump -d: instructions ${agree}/${total}, files ${agreeingFiles}/${files} (non-ELF ${nonElf}, refused ${refused})`);
    assert.deepEqual(samples, []);
    assert.equal(agree, total);
    assert.ok(total > 400000, `expected the whole corpus, got ${total} instructions`);
  });

  it('on random instruction words, in default and alu32 modes', (t) => {
    requireObjdump();
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-asm-'));
    const known = [
      0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc,
      0xc4, 0xcc, 0xd4, 0xdc, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f,
      0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0x85,
      0x8d, 0x95, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0xe5, 0x06, 0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66,
      0x6e, 0x76, 0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x61, 0x69, 0x71, 0x79, 0x81,
      0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb,
    ];
    const offsets = [0, 0, 0, 1, 8, 16, 32, -1, -8, 0x7fff, -0x8000, 2, 64, 3];
    const imms = [0, 0, 1, 8, 16, 32, 64, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0xe0, 0xf0, 0x11, 0x101, -1, 0x7fffffff, -0x80000000, 0x10000];
    const rnd = prng(20240601);
    const n = 40000;
    const bytes = new Uint8Array(n * 8);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      let op = rnd() & 1 ? rnd() & 0xff : (known[rnd() % known.length] as number);
      if (op === 0x18) op = 0x19; // lddw is covered by the listing test, which follows LLVM's two-slot decoding
      const r = rnd();
      const dst = r & 1 ? rnd() % 12 : rnd() & 15;
      const src = r & 2 ? rnd() % 12 : rnd() & 15;
      dv.setUint8(i * 8, op);
      dv.setUint8(i * 8 + 1, (src << 4) | dst);
      dv.setInt16(i * 8 + 2, r & 4 ? (offsets[rnd() % offsets.length] as number) : ((rnd() & 0xffff) << 16) >> 16, true);
      dv.setInt32(i * 8 + 4, r & 8 ? (imms[rnd() % imms.length] as number) : rnd() | 0, true);
    }
    const path = join(dir, 'words.o');
    writeFileSync(path, buildElf([{ name: 'prog', data: bytes }], [{ name: 'prog', section: 'prog', value: 0 }]));
    const insns = decodeInstructions(bytes);
    for (const alu32 of [false, true]) {
      const listing = objdump(['-d', ...(alu32 ? ['--mattr=+alu32'] : []), path]);
      assert.ok(listing !== undefined);
      const theirs = objdumpTexts(listing);
      let agree = 0;
      let decoded = 0;
      const samples: string[] = [];
      for (let i = 0; i < insns.length; i++) {
        const ours = formatInstruction(insns[i]!, { alu32 }).replace(/\s+/g, ' ');
        if (ours !== '<unknown>') decoded++;
        if (ours === theirs[i]) agree++;
        else if (samples.length < 5) samples.push(`#${i}: llvm '${theirs[i]}' ours '${ours}'`);
      }
      t.diagnostic(`random words (${alu32 ? 'alu32' : 'default'}): ${agree}/${insns.length} agree (${decoded} decodable)`);
      assert.deepEqual(samples, []);
    }
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BtfError } from '../internal/errors.ts';
import { BtfBuilder, type ExtSpec } from './_btf-builder.ts';
import { parseBtfExt } from './btf-ext.ts';
import { parseBtf } from './parse-btf.ts';

/** A BTF with a FUNC (id 3) and an extra struct (id 4), plus strings for line info; `ext` builds the BTF.ext. */
function setup(ext: (b: BtfBuilder, s: { file: number; line1: number; line2: number; access: number }) => ExtSpec) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1); // 1
  const proto = b.funcProto(int, [{ name: 'ctx', type: int }]); // 2
  b.func('prog', proto); // 3
  b.struct('s', 4, [{ name: 'a', type: int, bitOffset: 0 }]); // 4
  const strings = { file: b.str('./prog.c'), line1: b.str('int prog(int ctx) {'), line2: b.str('  return ctx;'), access: b.str('0:0') };
  const extBytes = b.buildExt(ext(b, strings));
  const btf = parseBtf(b.build());
  return { btf, extBytes };
}

const lineCol = (line: number, col: number): number => (line << 10) | col;

function rejects(ext: (b: BtfBuilder, s: { file: number; line1: number; line2: number; access: number }) => ExtSpec, text: string | RegExp): BtfError {
  const { btf, extBytes } = setup(ext);
  let caught: unknown;
  try {
    parseBtfExt(extBytes, btf, { file: 'test.o' });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BtfError, `expected a BtfError, got ${String(caught)}`);
  if (typeof text === 'string') assert.ok(caught.message.includes(text), `message: ${caught.message}`);
  else assert.match(caught.message, text);
  assert.equal(caught.where.section, '.BTF.ext');
  assert.equal(caught.where.file, 'test.o');
  return caught;
}

const good = (_b: BtfBuilder, s: { file: number; line1: number; line2: number; access: number }): ExtSpec => ({
  funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3]] }] },
  lineInfo: {
    recSize: 16,
    blocks: [{ section: 'xdp', records: [[0, s.file, s.line1, lineCol(1, 5)], [16, s.file, s.line2, lineCol(2, 10)]] }],
  },
  coreRelo: { recSize: 16, blocks: [{ section: 'xdp', records: [[8, 4, s.access, 0], [24, 4, s.access, 12]] }] },
});

describe('parseBtfExt', () => {
  it('reads func_info, line_info and CO-RE relocations per section', () => {
    const { btf, extBytes } = setup(good);
    const ext = parseBtfExt(extBytes, btf);
    assert.equal(ext.header.hdrLen, 32);
    assert.equal(ext.header.version, 1);
    assert.deepEqual([ext.funcInfoRecSize, ext.lineInfoRecSize, ext.coreReloRecSize], [8, 16, 16]);
    assert.deepEqual(ext.funcInfoOf('xdp'), [{ insnOff: 0, insn: 0, typeId: 3 }]);
    const lines = ext.lineInfoOf('xdp');
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1], {
      insnOff: 16, insn: 2, fileNameOff: lines[1]?.fileNameOff, fileName: './prog.c', lineOff: lines[1]?.lineOff,
      sourceLine: '  return ctx;', line: 2, column: 10,
    });
    assert.equal(lines[0]?.sourceLine, 'int prog(int ctx) {');
    const relos = ext.coreRelosOf('xdp');
    assert.deepEqual(relos.map((r) => [r.insn, r.typeId, r.accessString, r.kind, r.kindName]), [
      [1, 4, '0:0', 0, 'field_byte_offset'], [3, 4, '0:0', 12, 'type_matches'],
    ]);
    assert.deepEqual(ext.lineInfoOf('other'), []);
    assert.equal(ext.funcInfo[0]?.section, 'xdp');
  });

  it('reads several sections, and a header without the CO-RE fields', () => {
    const { btf, extBytes } = setup(() => ({
      hdrLen: 24,
      funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3]] }, { section: '.text', records: [[0, 3], [64, 3]] }] },
      coreRelo: { recSize: 16, blocks: [{ section: 'xdp', records: [[8, 999, 0, 99]] }] }, // ignored: no CO-RE fields
    }));
    const ext = parseBtfExt(extBytes, btf);
    assert.equal(ext.header.coreReloLen, 0);
    assert.deepEqual(ext.funcInfoOf('.text').map((f) => f.insn), [0, 8]);
    assert.deepEqual(ext.coreRelos, []);
    assert.deepEqual(ext.lineInfo, []);
  });

  it('skips the tail of records larger than it knows', () => {
    const { btf, extBytes } = setup((_b, s) => ({
      funcInfo: { recSize: 12, blocks: [{ section: 'xdp', records: [[0, 3, 0xdead], [8, 3, 0xbeef]] }] },
      lineInfo: { recSize: 20, blocks: [{ section: 'xdp', records: [[0, s.file, s.line1, lineCol(7, 1), 0]] }] },
    }));
    const ext = parseBtfExt(extBytes, btf);
    assert.equal(ext.funcInfoRecSize, 12);
    assert.deepEqual(ext.funcInfoOf('xdp').map((f) => [f.insn, f.typeId]), [[0, 3], [1, 3]]);
    assert.equal(ext.lineInfoOf('xdp')[0]?.line, 7);
  });

  it('accepts BTF.ext with no subsections', () => {
    const { btf, extBytes } = setup(() => ({}));
    const ext = parseBtfExt(extBytes, btf);
    assert.deepEqual([ext.funcInfo, ext.lineInfo, ext.coreRelos], [[], [], []]);
  });

  it('rejects bad magic, version and flags', () => {
    rejects(() => ({ magic: 0x1111 }), 'bad BTF.ext magic 0x1111');
    rejects(() => ({ magic: 0x9feb }), 'big-endian');
    rejects(() => ({ version: 3 }), 'unsupported BTF.ext version 3');
    rejects(() => ({ flags: 2 }), 'unsupported BTF.ext flags 0x2');
  });

  it('rejects a truncated header', () => {
    const { btf, extBytes } = setup(good);
    for (const len of [0, 4, 20]) {
      assert.throws(() => parseBtfExt(extBytes.subarray(0, len), btf), (e: unknown) => e instanceof BtfError && e.detail.includes('header is truncated'));
    }
    rejects(() => ({ hdrLen: 16 }), 'shorter than the 24-byte header');
  });

  it('rejects a record size smaller than the known record', () => {
    rejects(() => ({ funcInfo: { recSize: 4, blocks: [{ section: 'xdp', records: [[0]] }] } }), 'func_info record size 4 is smaller than the 8 bytes');
    rejects((_b, s) => ({ lineInfo: { recSize: 12, blocks: [{ section: 'xdp', records: [[0, s.file, s.line1]] }] } }), 'line_info record size 12 is smaller than the 16 bytes');
    rejects(() => ({ coreRelo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 4]] }] } }), 'core_relo record size 8 is smaller');
    rejects(() => ({ funcInfo: { recSize: 10, blocks: [] } }), 'record size 10 is not a multiple of 4');
  });

  it('rejects a subsection that runs past the data', () => {
    rejects((b, s) => ({ ...good(b, s), lineInfoLen: 4000 }), /line_info subsection \[\d+, \d+\) runs past the end of the data/);
  });

  it('rejects a block whose records run past its subsection', () => {
    rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3]], count: 5 }] } }),
      "func_info of section 'xdp' holds 5 records of 8 bytes, running past the end of the subsection");
    rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3]], count: 0xffffffff }] } }), 'holds 4294967295 records');
  });

  it('rejects a truncated block header and a subsection without a record size', () => {
    const { btf, extBytes } = setup(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3]] }] } }));
    // Cut the subsection to 4 + 12 bytes: the block header fits, its one record does not.
    const cut = extBytes.slice();
    new DataView(cut.buffer).setUint32(12, 16, true);
    assert.throws(() => parseBtfExt(cut, btf), (e: unknown) => e instanceof BtfError && e.detail.includes('running past the end of the subsection'));
    new DataView(cut.buffer).setUint32(12, 8, true);
    assert.throws(() => parseBtfExt(cut, btf), (e: unknown) => e instanceof BtfError && e.detail.includes('section header at offset'));
    new DataView(cut.buffer).setUint32(12, 2, true);
    assert.throws(() => parseBtfExt(cut, btf), (e: unknown) => e instanceof BtfError && e.detail.includes('too short for its record size'));
  });

  it('rejects a misaligned subsection offset', () => {
    rejects(() => ({ funcInfoOff: 2, funcInfo: { recSize: 8, blocks: [] } }), 'func_info subsection offset 2 is not 4-byte aligned');
  });

  it('rejects string offsets past the BTF string table', () => {
    rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', sectionNameOff: 5000, records: [[0, 3]] }] } }),
      'func_info section name offset 5000 is past the end of the BTF string table');
    rejects((_b, s) => ({ lineInfo: { recSize: 16, blocks: [{ section: 'xdp', records: [[0, 7000, s.line1, 0]] }] } }),
      "line_info record 0 of section 'xdp' file name offset 7000 is past the end");
    rejects((_b, s) => ({ lineInfo: { recSize: 16, blocks: [{ section: 'xdp', records: [[0, s.file, 7001, 0]] }] } }),
      'source line offset 7001 is past the end');
    rejects(() => ({ coreRelo: { recSize: 16, blocks: [{ section: 'xdp', records: [[0, 4, 7002, 0]] }] } }), 'access string offset 7002');
  });

  it('rejects instruction offsets that are not on an instruction boundary', () => {
    const e = rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 3], [12, 3]] }] } }),
      "func_info record 1 of section 'xdp' has instruction offset 12, not a multiple of 8");
    assert.equal(e.where.offset, 32 + 4 + 8 + 8);
  });

  it('rejects type ids that do not exist or are not FUNCs', () => {
    rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 77]] }] } }), 'refers to type 77, past the last type (4)');
    rejects(() => ({ funcInfo: { recSize: 8, blocks: [{ section: 'xdp', records: [[0, 4]] }] } }), "refers to type 4 (STRUCT 's'), expected a FUNC");
    rejects((_b, s) => ({ coreRelo: { recSize: 16, blocks: [{ section: 'xdp', records: [[0, 5, s.access, 0]] }] } }), 'refers to type 5, past the last type');
  });

  it('rejects unknown CO-RE relocation kinds', () => {
    rejects((_b, s) => ({ coreRelo: { recSize: 16, blocks: [{ section: 'xdp', records: [[0, 4, s.access, 13]] }] } }), 'unknown CO-RE relocation kind 13');
  });

  it('never throws anything but BtfError on damaged input', () => {
    const { btf, extBytes } = setup(good);
    let errors = 0;
    const attempt = (data: Uint8Array): void => {
      try {
        parseBtfExt(data, btf);
      } catch (e) {
        assert.ok(e instanceof BtfError, String(e));
        errors++;
      }
    };
    for (let len = 0; len < extBytes.length; len++) attempt(extBytes.subarray(0, len));
    for (let i = 0; i < extBytes.length; i++) {
      for (const x of [0xff, 0x80, 0x04, 0x01]) {
        const bad = extBytes.slice();
        bad[i] = (bad[i] as number) ^ x;
        attempt(bad);
      }
    }
    assert.ok(errors > extBytes.length);
  });
});

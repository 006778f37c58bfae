// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BtfStringTable } from './string-table.ts';

const table = (...parts: (string | number[])[]): BtfStringTable => {
  const bytes: number[] = [0];
  for (const p of parts) {
    bytes.push(...(typeof p === 'string' ? new TextEncoder().encode(p) : p), 0);
  }
  return new BtfStringTable(Uint8Array.from(bytes));
};

describe('BtfStringTable', () => {
  it('looks up ASCII strings by byte offset, including offsets inside a string', () => {
    const t = table('int', 'xdp_md');
    assert.equal(t.tryAt(0), '');
    assert.equal(t.tryAt(1), 'int');
    assert.equal(t.tryAt(3), 't');
    assert.equal(t.tryAt(4), '');
    assert.equal(t.tryAt(5), 'xdp_md');
    assert.equal(t.length, 12);
  });

  it('rejects offsets outside the table', () => {
    const t = table('int');
    for (const off of [5, 6, 1000, -1, 1.5, Number.NaN]) assert.equal(t.tryAt(off), undefined, String(off));
  });

  it('decodes UTF-8 after multi-byte characters at the right offsets', () => {
    const t = table('é', 'naïve', 'x');
    assert.equal(t.tryAt(1), 'é');
    assert.equal(t.tryAt(4), 'naïve');
    assert.equal(t.tryAt(11), 'x');
  });

  it('replaces invalid bytes as tools printing names do', () => {
    const lone = table([0xff, 0x41], 'ok');
    assert.equal(lone.tryAt(1), '\ufffdA');
    assert.equal(lone.tryAt(4), 'ok');
    const cut = table([0xe2, 0x82], 'ok');
    assert.equal(cut.tryAt(1), '\ufffd');
    assert.equal(cut.tryAt(4), 'ok');
  });
});

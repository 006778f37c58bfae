// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkType, PcapError, readPcap, writePcap } from './pcap.ts';

/** A pcapng file: section header, one interface (link type, optional if_tsresol), then the given blocks. */
function pcapng(linkType: number, tsresol: number | undefined, blocks: Uint8Array[]): Uint8Array {
  const block = (type: number, body: Uint8Array): Uint8Array => {
    const padded = (body.length + 3) & ~3;
    const out = new Uint8Array(12 + padded);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, type, true);
    dv.setUint32(4, out.length, true);
    out.set(body, 8);
    dv.setUint32(out.length - 4, out.length, true);
    return out;
  };
  const shb = new Uint8Array(16);
  const s = new DataView(shb.buffer);
  s.setUint32(0, 0x1a2b3c4d, true);
  s.setUint16(4, 1, true);
  s.setBigInt64(8, -1n, true);
  const idbBody: number[] = [linkType & 0xff, linkType >> 8, 0, 0, 0, 0, 4, 0];
  if (tsresol !== undefined) idbBody.push(9, 0, 1, 0, tsresol, 0, 0, 0, 0, 0, 0, 0);
  const parts = [block(0x0a0d0d0a, shb), block(1, Uint8Array.from(idbBody)), ...blocks.map((b) => b)];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function epb(data: Uint8Array, ts: bigint): Uint8Array {
  const body = new Uint8Array(20 + ((data.length + 3) & ~3));
  const dv = new DataView(body.buffer);
  dv.setUint32(0, 0, true);
  dv.setUint32(4, Number(ts >> 32n), true);
  dv.setUint32(8, Number(ts & 0xffffffffn), true);
  dv.setUint32(12, data.length, true);
  dv.setUint32(16, data.length + 10, true);
  body.set(data, 20);
  const out = new Uint8Array(12 + body.length);
  const o = new DataView(out.buffer);
  o.setUint32(0, 6, true);
  o.setUint32(4, out.length, true);
  out.set(body, 8);
  o.setUint32(out.length - 4, out.length, true);
  return out;
}

describe('readPcap', () => {
  it('reads back what writePcap wrote', () => {
    const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(60).fill(7)];
    const out = readPcap(writePcap(frames.map((data, i) => ({ data, timestampNs: 1_500_000_000_123_456_000n + BigInt(i) * 1000n }))));
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((f) => f.data), frames);
    assert.equal(out[0]?.linkType, LinkType.ETHERNET);
    assert.equal(out[1]?.timestampNs, 1_500_000_000_123_457_000n);
  });

  it('reads big-endian and nanosecond pcap files', () => {
    const le = writePcap([{ data: Uint8Array.of(9, 9), timestampNs: 5_000_000_007n }]);
    const be = new Uint8Array(le.length);
    const src = new DataView(le.buffer);
    const dst = new DataView(be.buffer);
    dst.setUint32(0, 0xa1b23c4d, false); // nanosecond magic, big-endian
    for (const off of [4, 6]) dst.setUint16(off, src.getUint16(off, true), false);
    for (const off of [8, 12, 16, 20]) dst.setUint32(off, src.getUint32(off, true), false);
    dst.setUint32(24, 5, false);
    dst.setUint32(28, 7, false);
    dst.setUint32(32, 2, false);
    dst.setUint32(36, 2, false);
    be.set([9, 9], 40);
    const [f] = readPcap(be);
    assert.equal(f?.timestampNs, 5_000_000_007n);
    assert.deepEqual(f?.data, Uint8Array.of(9, 9));
  });

  it('reads pcapng enhanced packet blocks with their interface resolution', () => {
    const file = pcapng(1, 9, [epb(Uint8Array.of(1, 2, 3, 4, 5), 1_000_000_123n)]);
    const [f] = readPcap(file);
    assert.deepEqual(f?.data, Uint8Array.of(1, 2, 3, 4, 5));
    assert.equal(f?.timestampNs, 1_000_000_123n);
    assert.equal(f?.originalLength, 15);
    assert.equal(readPcap(pcapng(1, undefined, [epb(Uint8Array.of(1), 2n)]))[0]?.timestampNs, 2000n, 'microseconds by default');
  });

  it('reports malformed files with the offset', () => {
    assert.throws(() => readPcap(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 'x.pcap'), (e: unknown) => e instanceof PcapError && /x\.pcap: at offset 0x0: unknown magic number/.test(e.message));
    const cut = writePcap([{ data: new Uint8Array(10) }]).subarray(0, 45);
    assert.throws(() => readPcap(cut), /record 0 claims 10 captured bytes, but only 5 remain/);
    assert.throws(() => readPcap(Uint8Array.of(1)), /too short/);
  });
});

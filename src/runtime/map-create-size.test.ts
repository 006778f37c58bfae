/**
 * Map sizes as libbpf creates them: ring buffers rounded up to a power-of-two number of pages, when an object is
 * loaded; the core's own API still refuses such sizes.
 *
 * Author: Claude.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readObject } from '../spec/index.ts';
import { RingbufQuery } from '../core/core-wasm.ts';
import { adjustRingbufSize, libbpfMaxEntries } from './map-create-size.ts';
import { exampleObject, testRuntime } from './_support.test.ts';

describe('adjustRingbufSize (libbpf adjust_ringbuf_sz)', () => {
  const table: [number, number][] = [
    [0, 0], [1, 4096], [8, 4096], [4095, 4096], [4096, 4096], [4097, 8192], [8192, 8192], [12288, 16384], [65536, 65536],
    [0x80000000, 0x80000000], [0x80000001, 0x80000001], [0xffffffff, 0xffffffff],
  ];
  for (const [asked, created] of table) it(`${asked} → ${created}`, () => assert.equal(adjustRingbufSize(asked), created));
  it('applies to ring buffers and user ring buffers only', () => {
    assert.equal(libbpfMaxEntries(27, 8), 4096);
    assert.equal(libbpfMaxEntries(31, 100), 4096);
    assert.equal(libbpfMaxEntries(2, 8), 8);
  });
});

describe('loading an object whose ring buffer is not a page-multiple power of two', () => {
  it('creates it with the rounded size, as libbpf does, while the core API refuses that size', () => {
    const rt = testRuntime();
    const spec = readObject(exampleObject('events_ringbuf'), { name: 'events_ringbuf.o' });
    const small = { ...spec, maps: spec.maps.map((m) => (m.type === 27 ? { ...m, maxEntries: 8 } : m)) };
    const obj = rt.load(small);
    try {
      assert.equal(obj.map('events').ringbufQuery(RingbufQuery.RingSize), 4096n);
    } finally {
      obj.close();
    }
    assert.throws(() => rt.core.createMap({ type: 27, keySize: 0, valueSize: 0, maxEntries: 8, flags: 0, name: 'rb' }));
  });
});

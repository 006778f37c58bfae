// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleFrames } from './sample-frames.ts';

describe('sampleFrames', () => {
  it('is the same for the same seed, 64 to 1500 bytes, with every kind of frame', () => {
    const a = sampleFrames(500, 1);
    assert.deepEqual(a, sampleFrames(500, 1));
    assert.notDeepEqual(a.slice(0, 10), sampleFrames(10, 2));
    assert.ok(a.every((f) => f.bytes.length >= 64 && f.bytes.length <= 1500));
    const kinds = new Set(a.map((f) => f.kind));
    assert.deepEqual([...kinds].sort(), ['bad-ihl', 'icmp', 'ipv6', 'tcp', 'truncated', 'udp']);
    const tcp = a.find((f) => f.kind === 'tcp');
    assert.ok(tcp !== undefined && tcp.dport === new DataView(tcp.bytes.buffer).getUint16(36));
  });
});

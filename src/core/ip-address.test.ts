// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, parseAddress } from './ip-address.ts';

describe('IP addresses in the core\'s 16-byte form', () => {
  it('reads IPv6 addresses in every spelling', () => {
    const hex = (s: string): string => Buffer.from(parseAddress(s, 'test').bytes).toString('hex');
    assert.equal(hex('2001:db8::1'), '20010db8000000000000000000000001');
    assert.equal(hex('::'), '00000000000000000000000000000000');
    assert.equal(hex('fe80::'), 'fe800000000000000000000000000000');
    assert.equal(hex('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008');
    assert.throws(() => parseAddress('1::2::3', 'test'), /not an IPv4 or IPv6 address/);
    assert.throws(() => parseAddress('1:2:3', 'test'), /not an IPv6 address/);
  });

  it('writes them back in their usual text, the longest zero run as ::', () => {
    assert.equal(formatAddress(Uint8Array.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), true), 'fe80::1');
    assert.equal(formatAddress(new Uint8Array(16), true), '::');
    assert.equal(formatAddress(parseAddress('10.0.0.7', 'test').bytes, false), '10.0.0.7');
    assert.equal(formatAddress(parseAddress('2001:db8::1', 'test').bytes, true), '2001:db8::1');
  });
});

// Digests as the store and its API write them.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { digestHex, digestOf, isDigest, requireDigestHex } from './digest.ts';
import { StoreError } from './errors.ts';

describe('digests', () => {
  it('are sha256:<hex> and accept the bare hex in URLs', () => {
    const d = digestOf('abc');
    assert.equal(d, 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.ok(isDigest(d));
    assert.equal(digestHex(d), d.slice(7));
    assert.equal(digestHex(d.slice(7)), d.slice(7));
    for (const bad of ['', 'sha256:', 'sha512:' + d.slice(7), d.toUpperCase().slice(7), d.slice(0, -1), d + '0', '../../etc/passwd']) assert.equal(digestHex(bad), undefined, bad);
    assert.throws(() => requireDigestHex('nope'), (e: unknown) => e instanceof StoreError && e.code === 'DIGEST_INVALID' && /64 lowercase hex digits, got 'nope'/.test(e.message));
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignError } from './errors.ts';
import { parseRevocationList, revocationList } from './revocation-list.ts';

describe('parseRevocationList', () => {
  it('normalises serials and digests', () => {
    const list = parseRevocationList(JSON.stringify({
      revokedSerials: ['00:3A:7F', '3a7f', 'ABCDEF'],
      revokedImageDigests: ['sha256:' + 'AB'.repeat(32), 'cd'.repeat(32)],
    }));
    assert.deepEqual([...list.serials], ['3a7f', 'abcdef']);
    assert.deepEqual([...list.imageDigests], ['ab'.repeat(32), 'cd'.repeat(32)]);
    assert.equal(parseRevocationList('{}').serials.size, 0);
  });

  it('refuses malformed lists, naming the file', () => {
    for (const bad of ['', '[]', 'null', '{"revokedSerials":"ab"}', '{"revokedSerials":[1]}', '{"revokedSerials":["xyz"]}', '{"revokedImageDigests":["sha256:ab"]}', '{"serials":[]}']) {
      assert.throws(() => parseRevocationList(bad, { file: 'revoked.json' }), (e: unknown) => e instanceof SignError && e.code === 'REVOCATION_LIST_INVALID' && e.message.startsWith('revoked.json: '), bad);
    }
    assert.throws(() => revocationList({ serials: [''] }), SignError);
  });
});

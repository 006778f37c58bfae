// mapCreateNote: the sentence a refused map creation carries, for bloom filters and types the core lacks.
// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapCreateNote } from './map-create-note.ts';

describe('mapCreateNote', () => {
  const bloom = { type: 30, keySize: 0, valueSize: 4, maxEntries: 100 };
  it('names the bloom filter attribute that is wrong and what was expected', () => {
    assert.equal(mapCreateNote(bloom), '');
    assert.equal(mapCreateNote({ ...bloom, mapExtra: 15n, flags: 1 << 6 }), '');
    assert.match(mapCreateNote({ ...bloom, keySize: 4 }), /key_size must be 0, not 4/);
    assert.match(mapCreateNote({ ...bloom, valueSize: 0 }), /value_size must be more than 0/);
    assert.match(mapCreateNote({ ...bloom, maxEntries: 0 }), /max_entries, which must be more than 0/);
    assert.match(mapCreateNote({ ...bloom, mapExtra: 16n }), /number of hash functions, 0 to 15 \(0 means 5\), not 16/);
    assert.match(mapCreateNote({ ...bloom, flags: 1 }), /not 0x1$/);
    assert.match(mapCreateNote({ ...bloom, flags: (1 << 7) | (1 << 8) }), /cannot both be set/);
    assert.match(mapCreateNote({ ...bloom, keySize: 4, valueSize: (1 << 22) + 1 }), /at most 4194304 bytes/);
  });
  it('refuses map_extra on other types and names types the core lacks', () => {
    assert.match(mapCreateNote({ type: 1, keySize: 4, valueSize: 4, maxEntries: 1, mapExtra: 3n }), /map_extra must be 0 except for bloom filters/);
    assert.match(mapCreateNote({ type: 24, keySize: 4, valueSize: 4, maxEntries: 1 }), /SK_STORAGE/);
  });
});

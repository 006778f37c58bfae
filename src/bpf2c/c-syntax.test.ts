// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cIdentifier, cString, s32, s64, u32, u64, u64FromImm } from './c-syntax.ts';

describe('C literals', () => {
  it('writes 64-bit values that C reads back exactly', () => {
    assert.equal(u64(0n), '0');
    assert.equal(u64(14n), '14');
    assert.equal(u64(-4n), '(uint64_t)-4');
    assert.equal(u64(0xffffffffn), '0xffffffffull');
    assert.equal(u64(-0x8000000000000000n), '0x8000000000000000ull');
    assert.equal(u64FromImm(-1), '(uint64_t)-1');
    assert.equal(u64FromImm(-0x80000000), '0xffffffff80000000ull');
  });

  it('writes 32-bit values as unsigned int, and INT_MIN without overflow', () => {
    assert.equal(u32(-1), '0xffffffffu');
    assert.equal(u32(7), '7u');
    assert.equal(s32(-0x80000000), '(-2147483647 - 1)');
    assert.equal(s64(-0x8000000000000000n), '(-9223372036854775807ll - 1)');
  });

  it('escapes strings', () => {
    assert.equal(cString('a"b\\c?\n'), '"a\\"b\\\\c\\077\\012"');
  });
});

describe('cIdentifier', () => {
  it('keeps valid names and fixes the others', () => {
    const taken = new Set<string>();
    assert.equal(cIdentifier('xdp_firewall', taken), 'xdp_firewall');
    assert.equal(cIdentifier('xdp_firewall', taken), 'xdp_firewall_2');
    assert.equal(cIdentifier('.text.1', taken), '_text_1');
    assert.equal(cIdentifier('9lives', taken), 'f_9lives');
    assert.equal(cIdentifier('stack', taken), 'stack_bpf');
    assert.equal(cIdentifier('bs_helpers', taken), 'bs_helpers_bpf');
  });
});

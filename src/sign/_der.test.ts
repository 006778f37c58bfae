// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DerError, decodeExtendedKeyUsage, decodeObjectIdentifier } from './_der.ts';
import { x509 } from './_x509.ts';
import { EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION } from './oids.ts';

describe('decodeExtendedKeyUsage', () => {
  it('reads the EKU @peculiar/x509 writes, including our 128-bit arc', () => {
    const ext = new x509.ExtendedKeyUsageExtension([EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING, '2.999.3', '0.39.1']);
    assert.deepEqual(decodeExtendedKeyUsage(new Uint8Array(ext.value)), [EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING, '2.999.3', '0.39.1']);
  });

  it('decodes X.690 examples', () => {
    // 2.999.3 is 06 03 88 37 03 (X.690 8.19.5 example).
    assert.equal(decodeObjectIdentifier(new Uint8Array([0x88, 0x37, 0x03]), 0, 3), '2.999.3');
    assert.equal(decodeObjectIdentifier(new Uint8Array([0x2b, 0x06, 0x01]), 0, 3), '1.3.6.1');
  });

  it('refuses malformed values with a DerError', () => {
    const cases = [
      [],
      [0x31, 0x00], // a SET, not a SEQUENCE
      [0x30, 0x00], // empty
      [0x30, 0x05, 0x06, 0x03, 0x2b, 0x06], // content past the end
      [0x30, 0x03, 0x06, 0x01, 0x2b, 0x00], // trailing byte
      [0x30, 0x02, 0x04, 0x00], // not an OID
      [0x30, 0x02, 0x06, 0x00], // empty OID
      [0x30, 0x03, 0x06, 0x01, 0x81], // arc cut short
      [0x30, 0x04, 0x06, 0x02, 0x80, 0x01], // leading 0x80
      [0x30, 0x80, 0x06, 0x01, 0x2b, 0x00, 0x00], // indefinite length
      [0x30, 0x81, 0x03, 0x06, 0x01, 0x2b], // long form for a short length
      [0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00], // too many length octets
    ];
    for (const c of cases) assert.throws(() => decodeExtendedKeyUsage(new Uint8Array(c)), DerError, JSON.stringify(c));
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BPFSHIP_OID_ARC, DEFAULT_SIGNER_EKUS, EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION, isObjectIdentifier } from './oids.ts';

describe('oids', () => {
  it('derives our arc from the documented UUID (ITU-T X.667: 2.25.<UUID as an integer>)', () => {
    assert.equal(BPFSHIP_OID_ARC, '2.25.' + BigInt('0x14add9a51a3743caa715bd86594aecfd').toString());
    assert.ok(EKU_EBPF_PROGRAM_VERIFICATION.startsWith(BPFSHIP_OID_ARC + '.'));
    assert.deepEqual(DEFAULT_SIGNER_EKUS, [EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING]);
  });

  it('recognises dotted-decimal OIDs', () => {
    for (const ok of [EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING, '2.999', '0.39', '1.3.6.1.4.1.311.133.1']) assert.ok(isObjectIdentifier(ok), ok);
    for (const bad of ['', '1', '3.1', '1.40', '1.3.06', '1..3', '1.3.', 'a.b', ' 1.3']) assert.ok(!isObjectIdentifier(bad), bad);
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { identity, makeHierarchy, sampleImage, samplePredicate } from './_test-pki.ts';
import { parseStatement } from './attestation.ts';
import { verifyEnvelope } from './dsse.ts';
import { sha256Hex } from './encoding.ts';
import { SignError } from './errors.ts';
import { generateSigningKeyPair } from './keys.ts';
import { signImage } from './sign-image.ts';

const h = await makeHierarchy();
const image = sampleImage(300);
const isCode = (code: string) => (e: unknown) => e instanceof SignError && e.code === code;

describe('signImage', () => {
  it('signs a statement whose subject is the image, with the chain leaf first', () => {
    const file = signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate));
    assert.deepEqual(file.certificates, [h.signer.certificate, h.intermediate.certificate]);
    assert.equal(file.envelope.signatures[0]?.keyid, h.signer.certificate.keyId);
    const statement = parseStatement(verifyEnvelope(file.envelope, h.signer.certificate.publicKey, h.signer.certificate.keyId).payload);
    assert.deepEqual(statement.subject, [{ name: 'prog.so', digest: { sha256: sha256Hex(image) } }]);
  });

  it('is deterministic for Ed25519 (same inputs, same envelope)', () => {
    const a = signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate));
    const b = signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate));
    assert.deepEqual(a.envelope, b.envelope);
  });

  it('refuses a rejected program, a key of another certificate, and a key of an unsupported type', () => {
    const rejected = samplePredicate({ programs: [{ name: 'p', section: 'xdp', verdict: 'rejected', programInfoHash: '00'.repeat(32) }] });
    assert.throws(() => signImage({ image, imageName: 'prog.so', predicate: rejected }, identity(h.signer)), (e: unknown) => isCode('ATTESTATION_UNSIGNABLE')(e) && /'p'/.test((e as Error).message));
    const stranger = { ...identity(h.signer), privateKey: generateSigningKeyPair().privateKey };
    assert.throws(() => signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, stranger), isCode('KEY_CERTIFICATE_MISMATCH'));
    const p384 = { ...identity(h.signer), privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey };
    assert.throws(() => signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, p384), isCode('KEY_UNSUPPORTED'));
  });

  it('validates the chain first when given trusted roots', async () => {
    const other = await makeHierarchy('ed25519', 'other');
    const input = { image, imageName: 'prog.so', predicate: samplePredicate() };
    signImage(input, identity(h.signer, h.intermediate), { trustedRoots: [h.root.certificate] });
    assert.throws(() => signImage(input, identity(h.signer, h.intermediate), { trustedRoots: [other.root.certificate] }), isCode('CHAIN_UNTRUSTED_ROOT'));
    assert.throws(() => signImage(input, identity(h.intermediate), { trustedRoots: [h.root.certificate] }), isCode('CERT_LEAF_IS_CA'));
  });
});

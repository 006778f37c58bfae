// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { DAY, makeCa } from './_test-pki.ts';
import { KeyUsageBit } from './certificate.ts';
import { SignError } from './errors.ts';
import { issueCertificate } from './issue-certificate.ts';
import { generateSigningKeyPair } from './keys.ts';

describe('issueCertificate', () => {
  it('writes exactly the requested extensions, key identifiers, serial and validity', async () => {
    const root = await makeCa('issuer', undefined, { algorithm: 'ecdsa-p256' });
    const keys = generateSigningKeyPair('ed25519');
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - DAY);
    const notAfter = new Date(notBefore.getTime() + 2 * DAY);
    const c = await issueCertificate({
      subject: 'CN=leaf, O=Example',
      publicKey: keys.publicKey,
      issuer: root,
      notBefore,
      notAfter,
      basicConstraints: { ca: false },
      keyUsage: KeyUsageBit.digitalSignature | KeyUsageBit.nonRepudiation,
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'],
      serialNumber: '0badcafe',
    });
    assert.equal(c.serialNumber, 'badcafe');
    assert.equal(c.issuer, root.certificate.subject);
    assert.deepEqual([c.notBefore, c.notAfter], [notBefore, notAfter]);
    assert.equal(c.keyUsage, KeyUsageBit.digitalSignature | KeyUsageBit.nonRepudiation);
    assert.deepEqual(c.extendedKeyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.equal(c.authorityKeyIdentifier, root.certificate.subjectKeyIdentifier);
    assert.ok(c.isIssuedBy(root.certificate));
    assert.deepEqual([...c.criticalExtensions].sort(), ['2.5.29.15', '2.5.29.19']);
  });

  it('leaves out extensions given as null', async () => {
    const keys = generateSigningKeyPair();
    const c = await issueCertificate({
      subject: 'CN=bare', publicKey: keys.publicKey, issuer: { selfSigned: keys.privateKey },
      notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY),
      basicConstraints: null, keyUsage: null, extendedKeyUsage: null,
    });
    assert.equal(c.basicConstraints, undefined);
    assert.equal(c.keyUsage, undefined);
    assert.equal(c.extendedKeyUsage, undefined);
    assert.ok(c.isIssuedBy(c));
  });

  it('refuses issuing keys other than Ed25519 and P-256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await assert.rejects(
      issueCertificate({
        subject: 'CN=rsa', publicKey: rsa.publicKey, issuer: { selfSigned: rsa.privateKey },
        notBefore: new Date(), notAfter: new Date(Date.now() + DAY), basicConstraints: null, keyUsage: null, extendedKeyUsage: null,
      }),
      (e: unknown) => e instanceof SignError && e.code === 'KEY_UNSUPPORTED',
    );
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { x509 } from './_x509.ts';
import { makeHierarchy, makeRawCertificate } from './_test-pki.ts';
import { Certificate, KeyUsageBit, normalizeSerial, parseCertificates, signatureKeyTypeOf } from './certificate.ts';
import { encodePem } from './encoding.ts';
import { SignError } from './errors.ts';
import { DEFAULT_SIGNER_EKUS, EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION } from './oids.ts';

const ed = await makeHierarchy('ed25519', 'ed');
const ec = await makeHierarchy('ecdsa-p256', 'ec');
const isCode = (code: string) => (e: unknown) => e instanceof SignError && e.code === code;

describe('Certificate', () => {
  it('exposes the facts the validator needs', () => {
    const c = ed.signer.certificate;
    assert.equal(c.subject, 'CN=ed signer, O=bpfship tests');
    assert.equal(c.issuer, 'CN=ed intermediate, O=bpfship tests');
    assert.deepEqual(c.basicConstraints, { ca: false });
    assert.equal(c.keyUsage, KeyUsageBit.digitalSignature);
    assert.deepEqual(c.extendedKeyUsage, DEFAULT_SIGNER_EKUS);
    assert.equal(c.fingerprint256, c.node.fingerprint256.replace(/:/g, '').toLowerCase());
    assert.equal(c.serialNumber, normalizeSerial(c.node.serialNumber));
    assert.match(c.keyId, /^sha256:[0-9a-f]{64}$/);
    assert.equal(c.authorityKeyIdentifier, ed.intermediate.certificate.subjectKeyIdentifier);
    assert.equal(signatureKeyTypeOf(c.publicKey), 'ed25519');
    assert.equal(signatureKeyTypeOf(ec.signer.certificate.publicKey), 'ecdsa-p256');
    assert.deepEqual(ed.intermediate.certificate.basicConstraints, { ca: true, pathLength: 0 });
    assert.equal(ed.root.certificate.isSelfIssued, true);
    assert.equal(c.isSelfIssued, false);
    assert.deepEqual(Object.keys(c.summary()), ['subject', 'issuer', 'serialNumber', 'fingerprint256', 'notBefore', 'notAfter']);
  });

  it('links certificates as node:crypto (OpenSSL) does on well-formed chains', () => {
    const all = [ed.root, ed.intermediate, ed.signer, ec.root, ec.intermediate, ec.signer].map((k) => k.certificate);
    let pairs = 0;
    for (const subject of all) {
      for (const issuer of all) {
        const openssl = subject.node.checkIssued(issuer.node) && subject.node.verify(issuer.publicKey);
        assert.equal(subject.isIssuedBy(issuer), openssl, `${subject.subject} by ${issuer.subject}`);
        pairs++;
      }
    }
    assert.equal(pairs, 36);
  });

  it('normalises serial numbers', () => {
    assert.equal(normalizeSerial('00:AB:01'), 'ab01');
    assert.equal(normalizeSerial('0000'), '0');
  });

  it('refuses bytes that are not exactly one certificate', () => {
    assert.throws(() => Certificate.fromDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), isCode('CERT_MALFORMED'));
    assert.throws(() => Certificate.fromDer(new Uint8Array()), isCode('CERT_MALFORMED'));
    const trailing = new Uint8Array([...ed.signer.certificate.der, 0]);
    assert.throws(() => Certificate.fromDer(trailing), (e: unknown) => isCode('CERT_MALFORMED')(e) && /1 bytes follow/.test((e as Error).message));
    const truncated = ed.signer.certificate.der.subarray(0, 100);
    assert.throws(() => Certificate.fromDer(truncated), isCode('CERT_MALFORMED'));
  });

  it('refuses a duplicate extension and an undecodable EKU', async () => {
    const dup = await makeRawCertificate('CN=dup', ed.intermediate, [new x509.BasicConstraintsExtension(false), new x509.BasicConstraintsExtension(false)]);
    assert.throws(() => Certificate.fromDer(dup), (e: unknown) => isCode('CERT_MALFORMED')(e) && /two 2\.5\.29\.19 extensions/.test((e as Error).message));
    const badEku = await makeRawCertificate('CN=bad eku', ed.intermediate, [new x509.Extension('2.5.29.37', false, new Uint8Array([0x30, 0x00]))]);
    assert.throws(() => Certificate.fromDer(badEku), (e: unknown) => isCode('CERT_MALFORMED')(e) && /extendedKeyUsage/.test((e as Error).message));
    const ours = await makeRawCertificate('CN=ours', ed.intermediate, [new x509.ExtendedKeyUsageExtension([EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING])]);
    assert.deepEqual(Certificate.fromDer(ours).extendedKeyUsage, [EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING]);
  });
});

describe('parseCertificates', () => {
  it('reads a chain in order, and openssl -text style files', () => {
    const pem = ed.signer.certificate.toPem() + ed.intermediate.certificate.toPem();
    assert.deepEqual(parseCertificates(pem).map((c) => c.subject), [ed.signer.certificate.subject, ed.intermediate.certificate.subject]);
    assert.equal(parseCertificates('Certificate:\n    Data: ...\n' + pem).length, 2);
  });

  it('refuses no certificate, another label, and names the file', () => {
    assert.throws(() => parseCertificates('', { where: { file: 'root.pem' } }), (e: unknown) => isCode('CERT_MALFORMED')(e) && (e as Error).message.startsWith('root.pem: '));
    assert.throws(() => parseCertificates(encodePem('PRIVATE KEY', new Uint8Array([1, 2, 3]))), isCode('CERT_MALFORMED'));
    assert.throws(() => parseCertificates(encodePem('CERTIFICATE', new Uint8Array([1, 2, 3]))), isCode('CERT_MALFORMED'));
  });
});

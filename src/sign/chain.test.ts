// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { x509 } from './_x509.ts';
import { DAY, makeCa, makeHierarchy, makeRawCertificate, makeSigner } from './_test-pki.ts';
import { Certificate, KeyUsageBit } from './certificate.ts';
import { MAX_PATH_LENGTH, validateChain, type ChainValidationOptions } from './chain.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import { EKU_ANY, EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION } from './oids.ts';

const h = await makeHierarchy();
const ec = await makeHierarchy('ecdsa-p256', 'ec');

/** Asserts that validation throws a SignError with `code`, and returns its message. */
function refused(code: SignErrorCode, leaf: Certificate, intermediates: readonly Certificate[], options: ChainValidationOptions): string {
  let message = '';
  assert.throws(
    () => validateChain(leaf, intermediates, options),
    (e: unknown) => {
      assert.ok(e instanceof SignError, `expected a SignError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      message = e.message;
      return true;
    },
  );
  return message;
}

describe('validateChain: accepted paths', () => {
  it('accepts root → intermediate → signer (Ed25519 and ECDSA P-256)', () => {
    for (const k of [h, ec]) {
      const chain = validateChain(k.signer.certificate, [k.intermediate.certificate], { trustedRoots: [k.root.certificate] });
      assert.equal(chain.anchor, k.root.certificate);
      assert.deepEqual(chain.path, [k.signer.certificate, k.intermediate.certificate]);
    }
  });

  it('finds the right root among several, and ignores unrelated intermediates in any order', () => {
    const chain = validateChain(h.signer.certificate, [ec.intermediate.certificate, h.intermediate.certificate, h.root.certificate], {
      trustedRoots: [ec.root.certificate, h.root.certificate],
    });
    assert.equal(chain.anchor, h.root.certificate);
    assert.equal(chain.path.length, 2);
  });

  it('accepts a signer issued directly by a root, and a CA restricting EKUs with anyExtendedKeyUsage', async () => {
    const root = await makeCa('direct root', undefined, { extendedKeyUsage: [EKU_ANY] });
    const signer = await makeSigner('direct signer', root);
    assert.equal(validateChain(signer.certificate, [], { trustedRoots: [root.certificate] }).path.length, 1);
  });

  it('accepts a mixed-algorithm chain (ECDSA root, Ed25519 signer)', async () => {
    const root = await makeCa('mixed root', undefined, { algorithm: 'ecdsa-p256' });
    const signer = await makeSigner('mixed signer', root, { algorithm: 'ed25519' });
    validateChain(signer.certificate, [], { trustedRoots: [root.certificate] });
  });

  it('accepts a CA without keyUsage (RFC 5280: any use), but not a signer without one', async () => {
    const root = await makeCa('no-ku root', undefined, { keyUsage: null });
    const signer = await makeSigner('ku signer', root);
    validateChain(signer.certificate, [], { trustedRoots: [root.certificate] });
    const bare = await makeSigner('no-ku signer', root, { keyUsage: null });
    assert.match(refused('CERT_KEY_USAGE', bare.certificate, [], { trustedRoots: [root.certificate] }), /has no keyUsage extension; a signing certificate must state digitalSignature/);
  });

  it('honours requiredLeafEkus (an organisation EKU instead of ours)', async () => {
    const orgEku = '1.3.6.1.4.1.99999.1';
    const signer = await makeSigner('org signer', h.root, { extendedKeyUsage: [orgEku] });
    validateChain(signer.certificate, [], { trustedRoots: [h.root.certificate], requiredLeafEkus: [orgEku] });
    refused('CERT_EKU_MISSING', signer.certificate, [], { trustedRoots: [h.root.certificate] });
  });
});

describe('validateChain: refusals, each naming its cause', () => {
  it('refuses a chain to an untrusted root', () => {
    const msg = refused('CHAIN_UNTRUSTED_ROOT', h.signer.certificate, [h.intermediate.certificate], { trustedRoots: [ec.root.certificate] });
    assert.match(msg, /test intermediate/);
    assert.match(msg, /not a trusted root|neither a trusted root/);
  });

  it('refuses a chain that carries its own (untrusted) root', () => {
    const msg = refused('CHAIN_UNTRUSTED_ROOT', h.signer.certificate, [h.intermediate.certificate, h.root.certificate], { trustedRoots: [ec.root.certificate] });
    assert.match(msg, /self-signed certificate 'CN=test root/);
  });

  it('refuses a chain missing its intermediate', () => {
    refused('CHAIN_UNTRUSTED_ROOT', h.signer.certificate, [], { trustedRoots: [h.root.certificate] });
  });

  it('refuses a certificate whose signature does not verify with its issuer (a damaged signature)', () => {
    const der = new Uint8Array(h.intermediate.certificate.der);
    der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01; // the last byte of the signature value
    const damaged = Certificate.fromDer(der);
    const msg = refused('CHAIN_SIGNATURE_INVALID', h.signer.certificate, [damaged], { trustedRoots: [h.root.certificate] });
    assert.match(msg, /'CN=test intermediate.* does not verify with the key of its issuer 'CN=test root/);
  });

  it('does not take a CA of the same name but another key for the issuer', async () => {
    const impostor = await makeCa('test root', undefined, { basicConstraints: { ca: true, pathLength: 1 } });
    refused('CHAIN_UNTRUSTED_ROOT', h.signer.certificate, [h.intermediate.certificate], { trustedRoots: [impostor.certificate] });
    const twin = await makeCa('test intermediate', h.root, { basicConstraints: { ca: true, pathLength: 0 } });
    const s = await makeSigner('twin signer', twin);
    refused('CHAIN_UNTRUSTED_ROOT', s.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] });
    validateChain(s.certificate, [h.intermediate.certificate, twin.certificate], { trustedRoots: [h.root.certificate] });
  });

  it('refuses no trusted roots at all', () => {
    refused('TRUST_ROOTS_EMPTY', h.signer.certificate, [h.intermediate.certificate], { trustedRoots: [] });
  });

  it('refuses an expired or not-yet-valid signer (by the verification time)', () => {
    const opts = { trustedRoots: [h.root.certificate] };
    assert.match(refused('CERT_EXPIRED', h.signer.certificate, [h.intermediate.certificate], { ...opts, time: new Date(Date.now() + 60 * DAY) }), /signing certificate .* expired/);
    assert.match(refused('CERT_NOT_YET_VALID', h.signer.certificate, [h.intermediate.certificate], { ...opts, time: new Date(Date.now() - 60 * DAY) }), /signing certificate .* not valid before/);
  });

  it('refuses expired and not-yet-valid certificates made so (signer, intermediate, root)', async () => {
    const expiredSigner = await makeSigner('expired signer', h.intermediate, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    refused('CERT_EXPIRED', expiredSigner.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] });
    const futureSigner = await makeSigner('future signer', h.intermediate, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    refused('CERT_NOT_YET_VALID', futureSigner.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] });
    const expiredInt = await makeCa('expired intermediate', h.root, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY), basicConstraints: { ca: true, pathLength: 0 } });
    const s1 = await makeSigner('s1', expiredInt);
    assert.match(refused('CERT_EXPIRED', s1.certificate, [expiredInt.certificate], { trustedRoots: [h.root.certificate] }), /intermediate CA 'CN=expired intermediate/);
    const expiredRoot = await makeCa('expired root', undefined, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const s2 = await makeSigner('s2', expiredRoot);
    assert.match(refused('CERT_EXPIRED', s2.certificate, [], { trustedRoots: [expiredRoot.certificate] }), /trusted root/);
  });

  it('refuses a signer without our EKU, and one without code signing, and one without any EKU', async () => {
    const onlyCode = await makeSigner('code only', h.intermediate, { extendedKeyUsage: [EKU_CODE_SIGNING] });
    assert.match(refused('CERT_EKU_MISSING', onlyCode.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] }), /eBPF program verification/);
    const onlyOurs = await makeSigner('ours only', h.intermediate, { extendedKeyUsage: [EKU_EBPF_PROGRAM_VERIFICATION] });
    assert.match(refused('CERT_EKU_MISSING', onlyOurs.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] }), /code signing/);
    const none = await makeSigner('no eku', h.intermediate, { extendedKeyUsage: null });
    assert.match(refused('CERT_EKU_MISSING', none.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] }), /no extendedKeyUsage extension/);
    const any = await makeSigner('any eku', h.intermediate, { extendedKeyUsage: [EKU_ANY] });
    refused('CERT_EKU_MISSING', any.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] });
  });

  it('refuses a CA certificate used as the signer', () => {
    // The intermediate has our EKUs, so only its CA flag can refuse it.
    const msg = refused('CERT_LEAF_IS_CA', h.intermediate.certificate, [], { trustedRoots: [h.root.certificate] });
    assert.match(msg, /is a CA certificate/);
  });

  it('refuses a chain over its path length (root pathlen 0 above an intermediate; intermediate pathlen 0 above another)', async () => {
    const root0 = await makeCa('pathlen0 root', undefined, { basicConstraints: { ca: true, pathLength: 0 } });
    const int = await makeCa('under pathlen0', root0);
    const s = await makeSigner('s', int);
    assert.match(refused('CERT_PATH_LENGTH_EXCEEDED', s.certificate, [int.certificate], { trustedRoots: [root0.certificate] }), /allows 0 intermediate CAs below it .* the path has 1/);
    // An intermediate with pathlen 0 under an unconstrained root; a second intermediate below it breaks it.
    const free = await makeCa('unconstrained root', undefined);
    const int1 = await makeCa('pathlen0 intermediate', free, { basicConstraints: { ca: true, pathLength: 0 } });
    const int2 = await makeCa('second intermediate', int1);
    const s2 = await makeSigner('s2', int2);
    assert.match(refused('CERT_PATH_LENGTH_EXCEEDED', s2.certificate, [int2.certificate, int1.certificate], { trustedRoots: [free.certificate] }), /intermediate CA 'CN=pathlen0 intermediate/);
    // h.root has pathlen 1: three levels below it (two intermediates) break it too, and the root is checked first.
    const int3 = await makeCa('int3', h.root);
    const int4 = await makeCa('int4', int3);
    const s3 = await makeSigner('s3', int4);
    assert.match(refused('CERT_PATH_LENGTH_EXCEEDED', s3.certificate, [int4.certificate, int3.certificate], { trustedRoots: [h.root.certificate] }), /trusted root/);
  });

  it('refuses an issuer that is not a CA, or whose keyUsage lacks keyCertSign', async () => {
    const notCa = await makeCa('not a ca', h.root, { basicConstraints: { ca: false } });
    const s = await makeSigner('s', notCa);
    refused('CERT_NOT_CA', s.certificate, [notCa.certificate], { trustedRoots: [h.root.certificate] });
    const noBc = await makeCa('no bc', h.root, { basicConstraints: null });
    const s2 = await makeSigner('s2', noBc);
    assert.match(refused('CERT_NOT_CA', s2.certificate, [noBc.certificate], { trustedRoots: [h.root.certificate] }), /no basicConstraints/);
    const noCertSign = await makeCa('no certsign', h.root, { keyUsage: KeyUsageBit.digitalSignature });
    const s3 = await makeSigner('s3', noCertSign);
    assert.match(refused('CERT_KEY_USAGE', s3.certificate, [noCertSign.certificate], { trustedRoots: [h.root.certificate] }), /keyCertSign/);
  });

  it('refuses a signer whose keyUsage lacks digitalSignature', async () => {
    const s = await makeSigner('encipher only', h.intermediate, { keyUsage: KeyUsageBit.keyEncipherment });
    assert.match(refused('CERT_KEY_USAGE', s.certificate, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] }), /digitalSignature/);
  });

  it('refuses an intermediate whose EKU restriction excludes ours', async () => {
    const tlsOnly = await makeCa('tls only', h.root, { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    const s = await makeSigner('s', tlsOnly);
    refused('CERT_EKU_NOT_PERMITTED', s.certificate, [tlsOnly.certificate], { trustedRoots: [h.root.certificate] });
  });

  it('refuses a revoked serial anywhere in the path', () => {
    const opts = { trustedRoots: [h.root.certificate] };
    for (const c of [h.signer.certificate, h.intermediate.certificate, h.root.certificate]) {
      const msg = refused('CERT_REVOKED', h.signer.certificate, [h.intermediate.certificate], { ...opts, revokedSerials: new Set([c.serialNumber]) });
      assert.match(msg, new RegExp(c.serialNumber));
    }
  });

  it('refuses an unknown critical extension', async () => {
    const der = await makeRawCertificate('CN=critical', h.intermediate, [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING]),
      new x509.Extension('1.2.3.4.5', true, new Uint8Array([5, 0])),
    ]);
    const leaf = Certificate.fromDer(der);
    assert.match(refused('CERT_UNKNOWN_CRITICAL_EXTENSION', leaf, [h.intermediate.certificate], { trustedRoots: [h.root.certificate] }), /1\.2\.3\.4\.5/);
  });

  it(`refuses a path longer than ${MAX_PATH_LENGTH} certificates`, async () => {
    let issuer = await makeCa('deep root', undefined);
    const root = issuer;
    const cas = [];
    for (let i = 0; i < MAX_PATH_LENGTH; i++) {
      issuer = await makeCa(`deep ${i}`, issuer);
      cas.push(issuer.certificate);
    }
    const s = await makeSigner('deep signer', issuer);
    refused('CHAIN_TOO_LONG', s.certificate, cas, { trustedRoots: [root.certificate] });
  });

  it('checks from the root down: an expired root is reported before a signer problem', async () => {
    const root = await makeCa('old root', undefined, { notAfter: new Date(Date.now() - DAY) });
    const s = await makeSigner('no eku under old root', root, { extendedKeyUsage: null });
    refused('CERT_EXPIRED', s.certificate, [], { trustedRoots: [root.certificate] });
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, preAuthEncoding, signEnvelope, signPae, verifyEnvelope, verifyPae, type DsseEnvelope } from './dsse.ts';
import { encodeBase64 } from './encoding.ts';
import { SignError, type SignErrorCode } from './errors.ts';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function throwsCode(code: SignErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof SignError && e.code === code);
}

describe('preAuthEncoding', () => {
  it('matches the DSSE specification example', () => {
    // From the DSSE protocol document: PAE("http://example.com/HelloWorld", "hello world").
    assert.equal(text(preAuthEncoding('http://example.com/HelloWorld', bytes('hello world'))), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters, and handles an empty payload', () => {
    assert.equal(text(preAuthEncoding('t', bytes('é'))), 'DSSEv1 1 t 2 é');
    assert.equal(text(preAuthEncoding('', new Uint8Array())), 'DSSEv1 0  0 ');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  for (const [name, keys] of [['Ed25519', ed], ['ECDSA P-256', p256]] as const) {
    it(`round-trips with ${name}`, () => {
      const payload = bytes('{"a":1}');
      const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, keys.privateKey, 'k1');
      assert.equal(env.payload, encodeBase64(payload));
      assert.deepEqual(verifyEnvelope(env, keys.publicKey, 'k1').payload, payload);
      // keyid is a hint: an empty one is accepted, a different one is not.
      verifyEnvelope({ ...env, signatures: [{ keyid: '', sig: env.signatures[0]!.sig }] }, keys.publicKey, 'k1');
      throwsCode('DSSE_KEYID_MISMATCH', () => verifyEnvelope(env, keys.publicKey, 'k2'));
    });
  }

  it('signs Ed25519 as 64 raw bytes and ECDSA as DER', () => {
    const pae = preAuthEncoding('t', bytes('x'));
    assert.equal(signPae(pae, ed.privateKey).length, 64);
    const der = signPae(pae, p256.privateKey);
    assert.equal(der[0], 0x30);
    assert.ok(verifyPae(pae, der, p256.publicKey));
  });

  it('refuses an IEEE-P1363 ECDSA signature (one encoding only)', () => {
    const pae = preAuthEncoding('t', bytes('x'));
    const p1363 = cryptoSign('sha256', pae, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(verifyPae(pae, p1363, p256.publicKey), false);
  });

  it('refuses a changed payload, payload type, signature, or another key', () => {
    const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, bytes('{"a":1}'), ed.privateKey, 'k');
    throwsCode('DSSE_SIGNATURE_INVALID', () => verifyEnvelope({ ...env, payload: encodeBase64(bytes('{"a":2}')) }, ed.publicKey, 'k'));
    throwsCode('DSSE_PAYLOAD_TYPE', () => verifyEnvelope({ ...env, payloadType: 'application/json' }, ed.publicKey, 'k'));
    throwsCode('DSSE_SIGNATURE_INVALID', () => verifyEnvelope(env, generateKeyPairSync('ed25519').publicKey, 'k'));
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    throwsCode('DSSE_SIGNATURE_INVALID', () => verifyEnvelope({ ...env, signatures: [{ keyid: 'k', sig: sig.toString('base64') }] }, ed.publicKey, 'k'));
    // A signature made over the bare payload rather than the PAE does not verify.
    const bare = cryptoSign(null, bytes('{"a":1}'), ed.privateKey);
    throwsCode('DSSE_SIGNATURE_INVALID', () => verifyEnvelope({ ...env, signatures: [{ keyid: 'k', sig: bare.toString('base64') }] }, ed.publicKey, 'k'));
  });

  it('refuses no signature and two signatures', () => {
    const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, bytes('{}'), ed.privateKey, 'k');
    throwsCode('DSSE_NO_SIGNATURE', () => verifyEnvelope({ ...env, signatures: [] }, ed.publicKey, 'k'));
    throwsCode('DSSE_TOO_MANY_SIGNATURES', () => verifyEnvelope({ ...env, signatures: [env.signatures[0]!, env.signatures[0]!] }, ed.publicKey, 'k'));
  });

  it('refuses keys that are neither Ed25519 nor P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    throwsCode('KEY_UNSUPPORTED', () => signEnvelope('t', bytes('x'), rsa.privateKey, 'k'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    throwsCode('KEY_UNSUPPORTED', () => signEnvelope('t', bytes('x'), p384.privateKey, 'k'));
  });
});

describe('parseEnvelope', () => {
  const good: DsseEnvelope = { payloadType: 't', payload: 'e30=', signatures: [{ keyid: 'k', sig: 'AAAA' }] };

  it('accepts the shape and a missing keyid', () => {
    assert.deepEqual(parseEnvelope(good), good);
    assert.equal(parseEnvelope({ ...good, signatures: [{ sig: 'AAAA' }] }).signatures[0]!.keyid, '');
  });

  it('refuses every malformed shape with SIGFILE_SHAPE or SIGFILE_BASE64', () => {
    const cases: [unknown, SignErrorCode][] = [
      [null, 'SIGFILE_SHAPE'],
      [[], 'SIGFILE_SHAPE'],
      [{ ...good, extra: 1 }, 'SIGFILE_SHAPE'],
      [{ ...good, payloadType: 1 }, 'SIGFILE_SHAPE'],
      [{ payloadType: 't', signatures: [] }, 'SIGFILE_SHAPE'],
      [{ ...good, signatures: {} }, 'SIGFILE_SHAPE'],
      [{ ...good, signatures: ['x'] }, 'SIGFILE_SHAPE'],
      [{ ...good, signatures: [{ keyid: 3, sig: 'AAAA' }] }, 'SIGFILE_SHAPE'],
      [{ ...good, signatures: [{ keyid: 'k', sig: 'AAAA', cert: 'x' }] }, 'SIGFILE_SHAPE'],
      [{ ...good, payload: 'e30' }, 'SIGFILE_BASE64'],
      [{ ...good, payload: 'e31=' }, 'SIGFILE_BASE64'], // non-zero unused bits: not canonical
      [{ ...good, payload: 'e3 0=' }, 'SIGFILE_BASE64'],
      [{ ...good, payload: 'e3-_' }, 'SIGFILE_BASE64'], // base64url is not DSSE's alphabet
      [{ ...good, signatures: [{ keyid: 'k', sig: 'AAA=\n' }] }, 'SIGFILE_BASE64'],
    ];
    for (const [value, code] of cases) throwsCode(code, () => parseEnvelope(value));
  });
});

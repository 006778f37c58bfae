// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, identity, makeCa, makeHierarchy, makeSigner, SAMPLE_C, SAMPLE_ELF, SAMPLE_PROGRAM_INFO, sampleImage, samplePredicate } from './_test-pki.ts';
import { buildStatement, encodeStatement } from './attestation.ts';
import type { Certificate } from './certificate.ts';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.ts';
import { encodeBase64 } from './encoding.ts';
import type { SignErrorCode } from './errors.ts';
import type { CertifiedKey } from './keys.ts';
import { EKU_CODE_SIGNING } from './oids.ts';
import { revocationList } from './revocation-list.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile } from './signature-file.ts';
import { verifyImage, type ImageVerification, type VerifyImageInput } from './verify.ts';

const h = await makeHierarchy('ed25519', 'ed');
const ec = await makeHierarchy('ecdsa-p256', 'ec');
const image = sampleImage(4096);
const predicate = samplePredicate();
const roots = [h.root.certificate];

/** The signature file text for `bytes`, signed by `signer` with the chain `intermediates`. */
function sign(bytes: Uint8Array, signer: CertifiedKey = h.signer, ...intermediates: CertifiedKey[]): string {
  const chain = signer === h.signer && intermediates.length === 0 ? [h.intermediate] : intermediates;
  return formatSignatureFile(signImage({ image: bytes, imageName: 'prog.so', predicate }, identity(signer, ...chain)));
}

const signature = sign(image);

function check(overrides: Partial<VerifyImageInput>): ImageVerification {
  return verifyImage({ image, signature, trustedRoots: roots, ...overrides });
}

/** Asserts a refusal with `code` (its message matching `pattern`, when given), and returns it. */
function refused(result: ImageVerification, code: SignErrorCode, pattern?: RegExp): Extract<ImageVerification, { ok: false }> {
  assert.equal(result.ok ? 'OK' : result.code, code, result.ok ? 'the image was accepted' : result.message);
  if (result.ok) throw new Error('unreachable');
  if (pattern !== undefined) assert.match(result.message, pattern);
  return result;
}

/** Flips one bit of byte `i` of a copy of `bytes`. */
function flip(bytes: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[i] = (copy[i] as number) ^ mask;
  return copy;
}

/** The signature file as JSON, for surgery. */
const doc = (text = signature): Record<string, any> => JSON.parse(text) as Record<string, any>;

/** A signature file whose envelope signs `payload` as given (bypassing signImage's checks). */
function signRaw(payload: Uint8Array, signer: CertifiedKey = h.signer, payloadType = IN_TOTO_PAYLOAD_TYPE): string {
  const d = doc();
  d['dsseEnvelope'] = signEnvelope(payloadType, payload, signer.privateKey, signer.certificate.keyId);
  return JSON.stringify(d);
}

describe('verifyImage: the positive case', () => {
  it('accepts a signed image and reports the attestation and signer (Ed25519 and ECDSA P-256)', () => {
    for (const k of [h, ec]) {
      const sig = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate }, identity(k.signer, k.intermediate)));
      const result = verifyImage({
        image,
        signature: sig,
        trustedRoots: [ec.root.certificate, h.root.certificate],
        elf: SAMPLE_ELF,
        generatedC: SAMPLE_C,
        expectedProgramInfo: new Map([['xdp_prog', SAMPLE_PROGRAM_INFO.toUpperCase()]]),
      });
      assert.ok(result.ok, result.ok ? '' : result.message);
      assert.equal(result.signer.subject, k.signer.certificate.subject);
      assert.equal(result.signer.keyId, k.signer.certificate.keyId);
      assert.deepEqual(result.intermediates.map((c) => c.subject), [k.intermediate.certificate.subject]);
      assert.equal(result.trustRoot.fingerprint256, k.root.certificate.fingerprint256);
      assert.equal(JSON.stringify(result.statement.predicate), JSON.stringify(predicate));
      assert.match(result.imageDigest, /^sha256:[0-9a-f]{64}$/);
      // The result is plain data: it survives JSON (for --json).
      assert.equal(JSON.parse(JSON.stringify(result)).signer.subject, k.signer.certificate.subject);
    }
  });
});

describe('verifyImage: the refusal matrix', () => {
  it('refuses a flipped byte anywhere in the image', (t) => {
    let n = 0;
    for (let i = 0; i < image.length; i += 7) {
      refused(check({ image: flip(image, i) }), 'IMAGE_DIGEST_MISMATCH');
      n++;
    }
    refused(check({ image: flip(image, image.length - 1, 0x80) }), 'IMAGE_DIGEST_MISMATCH', /the image changed, or the signature belongs to another image/);
    refused(check({ image: image.subarray(0, -1) }), 'IMAGE_DIGEST_MISMATCH');
    refused(check({ image: new Uint8Array([...image, 0]) }), 'IMAGE_DIGEST_MISMATCH');
    t.diagnostic(`${n + 3} altered images refused`);
  });

  it('refuses a flipped byte anywhere in the envelope payload', (t) => {
    const payload = Buffer.from(doc()['dsseEnvelope']['payload'], 'base64');
    let n = 0;
    for (let i = 0; i < payload.length; i++) {
      const d = doc();
      d['dsseEnvelope']['payload'] = encodeBase64(flip(payload, i));
      refused(check({ signature: JSON.stringify(d) }), 'DSSE_SIGNATURE_INVALID');
      n++;
    }
    t.diagnostic(`${n} payload bytes flipped, each refused`);
  });

  it('refuses a flipped byte anywhere in the signature', () => {
    const sig = Buffer.from(doc()['dsseEnvelope']['signatures'][0]['sig'], 'base64');
    assert.equal(sig.length, 64);
    for (let i = 0; i < sig.length; i++) {
      const d = doc();
      d['dsseEnvelope']['signatures'][0]['sig'] = encodeBase64(flip(sig, i));
      refused(check({ signature: JSON.stringify(d) }), 'DSSE_SIGNATURE_INVALID');
    }
    const ecSig = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate }, identity(ec.signer, ec.intermediate)));
    const der = Buffer.from(doc(ecSig)['dsseEnvelope']['signatures'][0]['sig'], 'base64');
    for (let i = 0; i < der.length; i++) {
      const d = doc(ecSig);
      d['dsseEnvelope']['signatures'][0]['sig'] = encodeBase64(flip(der, i));
      refused(verifyImage({ image, signature: JSON.stringify(d), trustedRoots: [ec.root.certificate] }), 'DSSE_SIGNATURE_INVALID');
    }
  });

  it('refuses a flipped bit at every byte of the signature file', (t) => {
    const bytes = new TextEncoder().encode(signature);
    const codes = new Map<string, number>();
    for (let i = 0; i < bytes.length; i++) {
      const result = check({ signature: flip(bytes, i) });
      assert.ok(!result.ok, `flipping byte ${i} (${JSON.stringify(signature[i])}) left the signature valid`);
      codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
    }
    assert.ok(!codes.has('INTERNAL'));
    t.diagnostic(`${bytes.length} single-bit flips refused: ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  });

  it('refuses an envelope moved to another image', () => {
    const other = sampleImage(4096, 2);
    refused(check({ image: other }), 'IMAGE_DIGEST_MISMATCH');
    refused(check({ image, signature: sign(other) }), 'IMAGE_DIGEST_MISMATCH');
  });

  it('refuses an unsigned image', () => {
    refused(check({ signature: undefined }), 'IMAGE_UNSIGNED', /no signature file/);
    const d = doc();
    d['dsseEnvelope']['signatures'] = [];
    const r = refused(check({ signature: JSON.stringify(d) }), 'DSSE_NO_SIGNATURE');
    assert.equal(r.signerVerified, true);
  });

  it('refuses a chain to an untrusted root, including a chain that brings its own root', async () => {
    const r = refused(check({ trustedRoots: [ec.root.certificate] }), 'CHAIN_UNTRUSTED_ROOT');
    assert.equal(r.signer?.subject, h.signer.certificate.subject);
    assert.equal(r.signerVerified, false);
    const rogue = await makeHierarchy('ed25519', 'rogue');
    const sig = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate }, identity(rogue.signer, rogue.intermediate, rogue.root)));
    refused(check({ signature: sig }), 'CHAIN_UNTRUSTED_ROOT', /self-signed certificate 'CN=rogue root/);
  });

  it('refuses an expired or not-yet-valid certificate', async () => {
    const expired = await makeSigner('expired', h.intermediate, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    refused(check({ signature: sign(image, expired, h.intermediate) }), 'CERT_EXPIRED');
    const future = await makeSigner('future', h.intermediate, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    refused(check({ signature: sign(image, future, h.intermediate) }), 'CERT_NOT_YET_VALID');
    refused(check({ time: new Date(Date.now() + 400 * DAY) }), 'CERT_EXPIRED');
  });

  it('refuses a leaf without our EKU', async () => {
    const codeOnly = await makeSigner('code signing only', h.intermediate, { extendedKeyUsage: [EKU_CODE_SIGNING] });
    refused(check({ signature: sign(image, codeOnly, h.intermediate) }), 'CERT_EKU_MISSING', /eBPF program verification/);
  });

  it('refuses a CA certificate used as the signer', () => {
    refused(check({ signature: sign(image, h.intermediate, h.intermediate) }), 'CERT_LEAF_IS_CA');
  });

  it('refuses a chain over its path length', async () => {
    const root0 = await makeCa('pathlen0 root', undefined, { basicConstraints: { ca: true, pathLength: 0 } });
    const int = await makeCa('pathlen0 child', root0);
    const s = await makeSigner('deep signer', int);
    refused(verifyImage({ image, signature: sign(image, s, int), trustedRoots: [root0.certificate] }), 'CERT_PATH_LENGTH_EXCEEDED');
  });

  it('refuses a revoked serial (signer or intermediate)', () => {
    for (const c of [h.signer.certificate, h.intermediate.certificate] as Certificate[]) {
      const revocations = revocationList({ serials: [c.serialNumber.toUpperCase()] });
      refused(check({ revocations }), 'CERT_REVOKED', new RegExp(c.serialNumber));
    }
  });

  it('refuses a revoked image digest', () => {
    const ok = check({});
    assert.ok(ok.ok);
    refused(check({ revocations: revocationList({ imageDigests: [ok.imageDigest] }) }), 'IMAGE_REVOKED');
  });

  it('refuses a program-info hash that does not match, and a program the attestation does not name', () => {
    const r = refused(check({ expectedProgramInfo: new Map([['xdp_prog', '00'.repeat(32)]]) }), 'PROGRAM_INFO_MISMATCH', /'xdp_prog'/);
    assert.ok(r.statement !== undefined);
    refused(check({ expectedProgramInfo: new Map([['xdp_prog', SAMPLE_PROGRAM_INFO], ['kprobe_prog', '00'.repeat(32)]]) }), 'PROGRAM_NOT_ATTESTED', /'kprobe_prog'/);
  });

  it('refuses an ELF object or generated C other than the attested ones', () => {
    refused(check({ elf: flip(SAMPLE_ELF, 3) }), 'ELF_DIGEST_MISMATCH', /'prog\.o'/);
    refused(check({ generatedC: new Uint8Array() }), 'GENERATED_C_DIGEST_MISMATCH');
  });

  it('refuses an attestation recording a program the verifier rejected', () => {
    const bad = { ...predicate, programs: [{ ...predicate.programs[0]!, verdict: 'rejected' as const }] };
    refused(check({ signature: signRaw(encodeStatement(buildStatement('prog.so', image, bad))) }), 'PROGRAM_NOT_VERIFIED');
  });

  it('refuses a signed payload that is not our statement, or of another payload type', () => {
    refused(check({ signature: signRaw(new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v1"}')) }), 'ATTESTATION_INVALID');
    const statement = encodeStatement(buildStatement('prog.so', image, predicate));
    refused(check({ signature: signRaw(statement, h.signer, 'application/json') }), 'DSSE_PAYLOAD_TYPE');
  });

  it('refuses a signature by another key than the certificate in the file', () => {
    // The ec signer's certificate, trusted, but the envelope was signed by the ed signer.
    const d = doc();
    d['certificateChain'] = ec.signer.certificate.toPem() + ec.intermediate.certificate.toPem();
    const both = [h.root.certificate, ec.root.certificate];
    refused(check({ signature: JSON.stringify(d), trustedRoots: both }), 'DSSE_KEYID_MISMATCH');
    d['dsseEnvelope']['signatures'][0]['keyid'] = '';
    refused(check({ signature: JSON.stringify(d), trustedRoots: both }), 'DSSE_SIGNATURE_INVALID');
  });

  it('fails closed on an internal fault', () => {
    const r = refused(check({ trustedRoots: [null as unknown as Certificate] }), 'INTERNAL');
    assert.match(r.message, /internal fault/);
  });
});

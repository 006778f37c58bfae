// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { identity, makeHierarchy, sampleImage, samplePredicate } from './_test-pki.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile, MAX_SIGNATURE_FILE_BYTES, parseSignatureFile, SIGNATURE_FILE_MEDIA_TYPE, signatureFilePath } from './signature-file.ts';

const h = await makeHierarchy();
const image = sampleImage(512);
const file = signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate));
const text = formatSignatureFile(file);
const doc = (): Record<string, any> => JSON.parse(text) as Record<string, any>;

function refused(code: SignErrorCode, input: string | Uint8Array, pattern?: RegExp): void {
  assert.throws(
    () => parseSignatureFile(input, { file: 'prog.so.sig' }),
    (e: unknown) => {
      assert.ok(e instanceof SignError, String(e));
      assert.equal(e.code, code, e.message);
      assert.ok(e.message.startsWith('prog.so.sig: '), e.message);
      if (pattern !== undefined) assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('signature file', () => {
  it('round-trips: format, parse, format again gives the same text', () => {
    const parsed = parseSignatureFile(text);
    assert.equal(formatSignatureFile(parsed), text);
    assert.equal(parsed.certificates.length, 2);
    assert.equal(parsed.certificates[0]?.subject, h.signer.certificate.subject);
    assert.deepEqual(parseSignatureFile(new TextEncoder().encode(text)).envelope, file.envelope);
    assert.equal(doc()['mediaType'], SIGNATURE_FILE_MEDIA_TYPE);
    assert.equal(signatureFilePath('out/prog.so'), 'out/prog.so.sig');
  });

  it('refuses text that is not UTF-8 JSON, or too large', () => {
    refused('SIGFILE_JSON', '', /not JSON/);
    refused('SIGFILE_JSON', text.slice(0, -10), /not JSON/);
    refused('SIGFILE_JSON', new Uint8Array([0x7b, 0xff, 0x7d]), /not UTF-8/);
    refused('SIGFILE_JSON', ' '.repeat(MAX_SIGNATURE_FILE_BYTES + 1), /more than/);
  });

  it('refuses a wrong shape, naming the field', () => {
    const cases: [(d: Record<string, any>) => void, RegExp][] = [
      [(d) => (d['mediaType'] = 'application/json'), /mediaType/],
      [(d) => delete d['mediaType'], /mediaType should be a string/],
      [(d) => (d['extra'] = 1), /unexpected field 'extra'/],
      [(d) => delete d['dsseEnvelope'], /dsseEnvelope should be an object/],
      [(d) => (d['certificateChain'] = ['x']), /certificateChain should be a string/],
      [(d) => delete d['dsseEnvelope']['payload'], /payload should be a string/],
      [(d) => (d['dsseEnvelope']['signatures'] = null), /signatures should be an array/],
    ];
    for (const [mutate, pattern] of cases) {
      const d = doc();
      mutate(d);
      refused('SIGFILE_SHAPE', JSON.stringify(d), pattern);
    }
    refused('SIGFILE_SHAPE', '[]');
  });

  it('refuses bad base64 in the payload or a signature', () => {
    const d = doc();
    d['dsseEnvelope']['payload'] = d['dsseEnvelope']['payload'].slice(1);
    refused('SIGFILE_BASE64', JSON.stringify(d), /payload/);
    const d2 = doc();
    d2['dsseEnvelope']['signatures'][0]['sig'] += '\n';
    refused('SIGFILE_BASE64', JSON.stringify(d2), /signatures\[0\]\.sig/);
  });

  it('refuses a broken PEM chain, naming the line of the chain', () => {
    const chain: string = doc()['certificateChain'];
    const cases: [string, SignErrorCode, RegExp][] = [
      ['', 'SIGFILE_PEM', /found none/],
      ['hello\n' + chain, 'SIGFILE_PEM', /certificateChain line 1: expected a PEM block/],
      [chain.replace('-----END CERTIFICATE-----\n', ''), 'SIGFILE_PEM', /no '-----END CERTIFICATE-----'/],
      [chain.replace(/^-----BEGIN CERTIFICATE-----\n(.)/, '-----BEGIN CERTIFICATE-----\n*'), 'SIGFILE_PEM', /line 2/],
      [chain.replace(/CERTIFICATE/g, 'PRIVATE KEY'), 'SIGFILE_PEM', /'PRIVATE KEY', expected 'CERTIFICATE'/],
      ['-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n', 'CERT_MALFORMED', /certificateChain: expected a DER X\.509 certificate/],
      [chain.repeat(5), 'SIGFILE_SHAPE', /10 certificates/],
    ];
    for (const [c, code, pattern] of cases) {
      const d = doc();
      d['certificateChain'] = c;
      refused(code, JSON.stringify(d), pattern);
    }
  });
});

// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64Strict, decodePem, encodeBase64, encodePem, isSha256Hex, sha256Hex } from './encoding.ts';
import { SignError } from './errors.ts';

const isCode = (code: string) => (e: unknown) => e instanceof SignError && e.code === code;

describe('sha256Hex', () => {
  it('hashes as in FIPS 180-2 (abc)', () => {
    assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.ok(isSha256Hex(sha256Hex(new Uint8Array())));
    assert.ok(!isSha256Hex('BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'));
  });
});

describe('decodeBase64Strict', () => {
  it('round-trips every length', () => {
    for (let n = 0; n < 10; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      assert.deepEqual(decodeBase64Strict(encodeBase64(b), 'x', 'SIGFILE_BASE64'), b);
    }
  });

  it('refuses non-canonical and foreign encodings', () => {
    for (const bad of ['QR==', 'QQ=', 'QQ', 'Q===', 'QQ==QQ==', ' QQ==', 'QQ==\n', '-_8=', 'Q!==', '====']) {
      assert.throws(() => decodeBase64Strict(bad, 'field', 'SIGFILE_BASE64'), isCode('SIGFILE_BASE64'), bad);
    }
  });
});

describe('decodePem / encodePem', () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pem = encodePem('CERTIFICATE', der);

  it('round-trips, with 64-character lines', () => {
    assert.ok(pem.split('\n').every((l) => l.length <= 64 || l.startsWith('-----')));
    const [block] = decodePem(pem, { strict: true, code: 'SIGFILE_PEM' });
    assert.equal(block?.label, 'CERTIFICATE');
    assert.deepEqual(block?.der, der);
  });

  it('reads CRLF, several blocks, and (lenient only) text around them', () => {
    assert.equal(decodePem((pem + pem).replace(/\n/g, '\r\n'), { strict: true, code: 'SIGFILE_PEM' }).length, 2);
    const withText = 'Certificate:\n  Data: ...\n' + pem + 'trailing words\n';
    assert.equal(decodePem(withText, { strict: false, code: 'CERT_MALFORMED' }).length, 1);
    assert.throws(() => decodePem(withText, { strict: true, code: 'SIGFILE_PEM' }), isCode('SIGFILE_PEM'));
  });

  it('refuses broken blocks, naming the line', () => {
    const lines = pem.split('\n');
    const cases = [
      pem.replace('-----END CERTIFICATE-----\n', ''),
      pem.replace('-----END CERTIFICATE-----', '-----END PRIVATE KEY-----'),
      pem.replace(lines[1]!, lines[1]!.slice(0, 10) + '*' + lines[1]!.slice(11)),
      pem.replace(lines[1]!, lines[1]!.slice(0, 10) + '\x0b' + lines[1]!.slice(11)),
      pem.replace(lines[3]!, lines[3]!.replace(/w==$/, 'x==')), // 'Yw==' → 'Yx==': only unused bits change
      '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      '-----BEGIN CERTIFICATE\n',
    ];
    for (const text of cases) {
      assert.throws(() => decodePem(text, { strict: false, code: 'CERT_MALFORMED' }), (e: unknown) => e instanceof SignError && e.code === 'CERT_MALFORMED' && e.where.line !== undefined, JSON.stringify(text.slice(0, 80)));
    }
  });
});

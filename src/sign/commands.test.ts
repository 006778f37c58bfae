// Author: Claude.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_ELF, sampleImage, samplePredicate, tempDir } from './_test-pki.ts';
import { formatVerification, signImageFile, verifyImageFile } from './commands.ts';
import { initDevKeys } from './keys.ts';
import { parseSignatureFile } from './signature-file.ts';

const tmp = tempDir();
after(() => tmp.remove());
const keys = await initDevKeys(join(tmp.dir, 'keys'));
const imagePath = join(tmp.dir, 'prog.so');
writeFileSync(imagePath, sampleImage(1024));
writeFileSync(join(tmp.dir, 'prog.o'), SAMPLE_ELF);

describe('signImageFile / verifyImageFile', () => {
  it('signs to OUT.so.sig and verifies it offline', () => {
    const { signaturePath } = signImageFile({ imagePath, predicate: samplePredicate(), keyPath: keys.signerKey, certificatePath: keys.signerCertificate, chainPaths: [keys.intermediateCertificate], trustPaths: [keys.rootCertificate] });
    assert.equal(signaturePath, imagePath + '.sig');
    assert.ok(!readdirSync(tmp.dir).some((f) => f.includes('.tmp-')));
    parseSignatureFile(readFileSync(signaturePath));
    const result = verifyImageFile({ imagePath, trustPaths: [keys.rootCertificate], elfPath: join(tmp.dir, 'prog.o') });
    assert.ok(result.ok, result.ok ? '' : result.message);
    const text = formatVerification('prog.so', result);
    assert.match(text, /^prog\.so: verified\n/);
    assert.match(text, /signer +CN=bpfship development signer/);
    assert.match(text, /program +xdp_prog \(xdp\) accepted by bpfship-verifier 0\.1\.0/);
  });

  it('names the first failure: a changed image, a missing signature, a revoked serial', () => {
    const changed = join(tmp.dir, 'changed.so');
    writeFileSync(changed, sampleImage(1024, 9));
    writeFileSync(changed + '.sig', readFileSync(imagePath + '.sig'));
    const r1 = verifyImageFile({ imagePath: changed, trustPaths: [keys.rootCertificate] });
    assert.equal(r1.ok ? 'OK' : r1.code, 'IMAGE_DIGEST_MISMATCH');
    assert.match(formatVerification('changed.so', r1), /^changed\.so: refused: IMAGE_DIGEST_MISMATCH: /);

    const unsigned = join(tmp.dir, 'unsigned.so');
    writeFileSync(unsigned, sampleImage(10));
    const r2 = verifyImageFile({ imagePath: unsigned, trustPaths: [keys.rootCertificate] });
    assert.equal(r2.ok ? 'OK' : r2.code, 'IMAGE_UNSIGNED');
    assert.match(r2.ok ? '' : r2.message, /unsigned\.so\.sig/);

    const serial = parseSignatureFile(readFileSync(imagePath + '.sig')).certificates[0]!.serialNumber;
    const revoked = join(tmp.dir, 'revoked.json');
    writeFileSync(revoked, JSON.stringify({ revokedSerials: [serial] }));
    const r3 = verifyImageFile({ imagePath, trustPaths: [keys.rootCertificate], revocationPath: revoked });
    assert.equal(r3.ok ? 'OK' : r3.code, 'CERT_REVOKED');
    assert.match(formatVerification('prog.so', r3), /signer +CN=bpfship development signer.*not verified/);
  });

  it('throws on unreadable trust roots (the verifier’s own configuration)', () => {
    assert.throws(() => verifyImageFile({ imagePath, trustPaths: [keys.signerKey] }), /CERTIFICATE|PEM/);
  });
});

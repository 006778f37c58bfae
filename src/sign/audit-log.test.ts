// Author: Claude.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { identity, makeHierarchy, sampleImage, samplePredicate, tempDir } from './_test-pki.ts';
import { AuditLog, auditRecordFor, readAuditLog } from './audit-log.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile } from './signature-file.ts';
import { verifyImage } from './verify.ts';

const tmp = tempDir();
after(() => tmp.remove());
const h = await makeHierarchy();
const image = sampleImage(200);
const signature = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate)));
const time = new Date('2026-09-01T00:00:00.000Z');

describe('auditRecordFor', () => {
  it('records an allowed decision with digests, signer, root and programs', () => {
    const result = verifyImage({ image, signature, trustedRoots: [h.root.certificate] });
    const record = auditRecordFor(result, { policy: 'production', imageName: 'prog.so', time });
    assert.equal(record.decision, 'allowed');
    assert.equal(record.code, 'OK');
    assert.equal(record.time, '2026-09-01T00:00:00.000Z');
    assert.equal(record.image.digest, result.imageDigest);
    assert.equal(record.image.name, 'prog.so');
    assert.equal(record.elf?.name, 'prog.o');
    assert.equal(record.signer?.fingerprint256, h.signer.certificate.fingerprint256);
    assert.equal(record.signer?.verified, true);
    assert.equal(record.trustRoot?.fingerprint256, h.root.certificate.fingerprint256);
    assert.deepEqual(record.programs?.map((p) => p.name), ['xdp_prog', 'tc_prog']);
  });

  it('records a refusal with its code, reason and the claimed signer', () => {
    const result = verifyImage({ image, signature, trustedRoots: [] });
    const record = auditRecordFor(result, { policy: 'production', time });
    assert.equal(record.decision, 'refused');
    assert.equal(record.code, 'TRUST_ROOTS_EMPTY');
    assert.equal(record.signer?.verified, false);
    assert.equal(record.trustRoot, undefined);
    assert.equal('name' in record.image, false);
    const unsigned = auditRecordFor(verifyImage({ image, signature: undefined, trustedRoots: [h.root.certificate] }), { policy: 'production', time });
    assert.equal(unsigned.code, 'IMAGE_UNSIGNED');
    assert.equal(unsigned.signer, undefined);
  });
});

describe('AuditLog', () => {
  it('appends one JSON line per record to a 0600 file, across reopenings', () => {
    const path = join(tmp.dir, 'audit.jsonl');
    const log = AuditLog.open(path);
    const allowed = auditRecordFor(verifyImage({ image, signature, trustedRoots: [h.root.certificate] }), { policy: 'production', time });
    log.append(allowed);
    log.append(auditRecordFor(verifyImage({ image, signature: undefined, trustedRoots: [h.root.certificate] }), { policy: 'production', time }));
    log.close();
    assert.throws(() => log.append(allowed), /closed/);
    const again = AuditLog.open(path);
    again.append(allowed);
    again.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split('\n').length, 4);
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(readAuditLog(path).map((r) => r.code), ['OK', 'IMAGE_UNSIGNED', 'OK']);
    assert.deepEqual(readAuditLog(path)[0], JSON.parse(JSON.stringify(allowed)));
  });

  it('keeps a reason with newlines on one line', () => {
    const path = join(tmp.dir, 'newline.jsonl');
    const log = AuditLog.open(path);
    log.append({ time: time.toISOString(), policy: 'p', decision: 'refused', code: 'X', reason: 'a\nb', image: { digest: 'sha256:00' } });
    log.close();
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 2);
    assert.equal(readAuditLog(path)[0]?.reason, 'a\nb');
  });

  it('fails to open where it cannot write', () => {
    assert.throws(() => AuditLog.open(join(tmp.dir, 'missing-dir', 'audit.jsonl')), /ENOENT/);
  });
});

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { identity, makeHierarchy, SAMPLE_ELF, SAMPLE_PROGRAM_INFO, sampleImage, samplePredicate, tempDir } from './_test-pki.ts';
import { AuditLog, readAuditLog } from './audit-log.ts';
import { SignError } from './errors.ts';
import { ProductionPolicy } from './production-policy.ts';
import { revocationList } from './revocation-list.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile } from './signature-file.ts';

const tmp = tempDir();
after(() => tmp.remove());
const h = await makeHierarchy();
const image = sampleImage(2048);
const signature = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate)));
const clock = (): Date => new Date('2026-09-01T10:00:00.000Z');
// The certificates are valid around the real time; the clock only stamps the audit record in these tests.
const now = (): Date => new Date();

describe('ProductionPolicy', () => {
  it('allows a signed image and writes its audit line', () => {
    const path = join(tmp.dir, 'allowed.jsonl');
    const auditLog = AuditLog.open(path);
    const policy = new ProductionPolicy({ trustedRoots: [h.root.certificate], auditLog, clock: now });
    const result = policy.check({ image, imageName: 'prog.so', signature, expectedProgramInfo: new Map([['xdp_prog', SAMPLE_PROGRAM_INFO]]), elf: SAMPLE_ELF });
    auditLog.close();
    assert.ok(result.ok, result.ok ? '' : result.message);
    const [line, ...rest] = readAuditLog(path);
    assert.equal(rest.length, 0);
    assert.equal(line?.decision, 'allowed');
    assert.equal(line?.policy, 'production');
    assert.equal(line?.code, 'OK');
    assert.equal(line?.image.name, 'prog.so');
    assert.equal(line?.image.digest, result.imageDigest);
    assert.equal(line?.elf?.digest, 'sha256:' + result.statement.predicate.elf.digest.sha256);
    assert.equal(line?.signer?.subject, h.signer.certificate.subject);
    assert.equal(line?.signer?.verified, true);
    assert.equal(line?.trustRoot?.subject, h.root.certificate.subject);
    assert.deepEqual(line?.programs?.[0], { name: 'xdp_prog', programInfoHash: 'sha256:' + SAMPLE_PROGRAM_INFO });
  });

  it('refuses, and audits, each kind of bad image', () => {
    const path = join(tmp.dir, 'refused.jsonl');
    const auditLog = AuditLog.open(path);
    const policy = new ProductionPolicy({
      trustedRoots: [h.root.certificate],
      auditLog,
      revocations: revocationList({ imageDigests: ['sha256:' + '00'.repeat(32)] }),
    });
    const tampered = new Uint8Array(image);
    tampered[100] = (tampered[100] as number) ^ 0xff;
    const results = [
      policy.check({ image, imageName: 'a.so', signature: undefined }),
      policy.check({ image: tampered, imageName: 'b.so', signature }),
      policy.check({ image, imageName: 'c.so', signature, expectedProgramInfo: new Map([['xdp_prog', '11'.repeat(32)]]) }),
      policy.check({ image, imageName: 'd.so', signature: '{' }),
    ];
    auditLog.close();
    assert.deepEqual(results.map((r) => (r.ok ? 'OK' : r.code)), ['IMAGE_UNSIGNED', 'IMAGE_DIGEST_MISMATCH', 'PROGRAM_INFO_MISMATCH', 'SIGFILE_JSON']);
    const lines = readAuditLog(path);
    assert.deepEqual(lines.map((l) => [l.image.name, l.decision, l.code]), [
      ['a.so', 'refused', 'IMAGE_UNSIGNED'],
      ['b.so', 'refused', 'IMAGE_DIGEST_MISMATCH'],
      ['c.so', 'refused', 'PROGRAM_INFO_MISMATCH'],
      ['d.so', 'refused', 'SIGFILE_JSON'],
    ]);
    assert.ok(lines.every((l) => l.reason.length > 0));
    assert.match(lines[1]?.reason ?? '', /SHA-256/);
  });

  it('refuses when the decision cannot be audited', () => {
    const auditLog = AuditLog.open(join(tmp.dir, 'closed.jsonl'));
    auditLog.close();
    const policy = new ProductionPolicy({ trustedRoots: [h.root.certificate], auditLog, clock });
    const result = policy.check({ image, signature });
    assert.equal(result.ok ? 'OK' : result.code, 'AUDIT_LOG_FAILED');
    assert.match(result.ok ? '' : result.message, /could not be written/);
  });

  it('needs at least one trusted root', () => {
    const auditLog = AuditLog.open(join(tmp.dir, 'none.jsonl'));
    assert.throws(() => new ProductionPolicy({ trustedRoots: [], auditLog }), (e: unknown) => e instanceof SignError && e.code === 'TRUST_ROOTS_EMPTY');
    auditLog.close();
  });
});

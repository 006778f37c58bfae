// Where load decisions are audited: root's system log, the user's XDG state directory, what overrides them, and
// that development audits only when asked.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLogPathFor, defaultAuditLogPath, openAuditLog, SYSTEM_AUDIT_LOG } from './audit-log-location.ts';

describe('defaultAuditLogPath', () => {
  it('is /var/log/bpfship/audit.log for root', () => {
    assert.equal(defaultAuditLogPath({ uid: 0, env: { XDG_STATE_HOME: '/elsewhere' } }), SYSTEM_AUDIT_LOG);
    assert.equal(SYSTEM_AUDIT_LOG, '/var/log/bpfship/audit.log');
  });

  it("is under $XDG_STATE_HOME, else ~/.local/state, for other users", () => {
    assert.equal(defaultAuditLogPath({ uid: 1000, env: { XDG_STATE_HOME: '/home/ann/state' }, home: '/home/ann' }), '/home/ann/state/bpfship/audit.log');
    assert.equal(defaultAuditLogPath({ uid: 1000, env: {}, home: '/home/ann' }), '/home/ann/.local/state/bpfship/audit.log');
    // A relative XDG path is invalid by the specification: ignored.
    assert.equal(defaultAuditLogPath({ uid: 1000, env: { XDG_STATE_HOME: 'state' }, home: '/home/ann' }), '/home/ann/.local/state/bpfship/audit.log');
  });
});

describe('auditLogPathFor', () => {
  const where = { uid: 1000, env: {}, home: '/home/ann' };
  it('takes the command line first, then $BPFSHIP_AUDIT_LOG', () => {
    assert.equal(auditLogPathFor('production', '/tmp/a.log', { ...where, env: { BPFSHIP_AUDIT_LOG: '/tmp/b.log' } }), '/tmp/a.log');
    assert.equal(auditLogPathFor('development', undefined, { ...where, env: { BPFSHIP_AUDIT_LOG: '/tmp/b.log' } }), '/tmp/b.log');
  });

  it('audits production by default and development only when asked', () => {
    assert.equal(auditLogPathFor('production', undefined, where), '/home/ann/.local/state/bpfship/audit.log');
    assert.equal(auditLogPathFor('development', undefined, where), undefined);
  });
});

describe('openAuditLog', () => {
  it('creates the directory (0750) and the file (0600), and appends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-location-'));
    try {
      const path = join(dir, 'state', 'bpfship', 'audit.log');
      const log = openAuditLog(path);
      log.append({ time: '2024-01-01T00:00:00.000Z', policy: 'test', decision: 'allowed', code: 'OK', reason: 'test', image: { digest: 'sha256:00' } } as never);
      log.close();
      assert.equal(statSync(join(dir, 'state', 'bpfship')).mode & 0o777, 0o750);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(readFileSync(path, 'utf8'), /"decision":"allowed"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("throws node's error where it cannot write", () => {
    assert.throws(() => openAuditLog('/proc/bpfship-test/audit.log'), (e: unknown) => typeof (e as { code?: unknown }).code === 'string');
  });
});

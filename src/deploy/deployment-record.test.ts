// Author: Claude.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDeploymentName, createRecord, DEPLOYMENT_RECORD_FORMAT, deleteRecord, readRecord, readRecords, recordPath, stateDirectory, writeRecord, type DeploymentRecord } from './deployment-record.ts';
import { DeployError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfship-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const record = (name: string): DeploymentRecord => ({
  format: DEPLOYMENT_RECORD_FORMAT,
  name,
  state: 'deploying',
  deployedAt: '2026-08-01T12:00:00.000Z',
  object: { name: 'prog.o', digest: 'sha256:' + '0'.repeat(64) },
  policy: 'production',
  signer: null,
  pinDir: `/sys/fs/bpf/bpfship/${name}`,
  createdDirectories: [],
  program: null,
  maps: [],
  attachments: [],
});

describe('deployment records', () => {
  it('take a name exclusively, are replaced whole, listed and deleted', () => {
    createRecord(dir, record('fw'));
    assert.equal(statSync(recordPath(dir, 'fw')).mode & 0o777, 0o600);
    assert.throws(() => createRecord(dir, record('fw')), (e: unknown) => e instanceof DeployError && /a deployment named 'fw' exists already/.test(e.message));
    writeRecord(dir, { ...record('fw'), state: 'deployed' });
    assert.equal(readRecord(dir, 'fw')?.state, 'deployed');
    createRecord(dir, record('bind'));
    assert.deepEqual(readRecords(dir).map((r) => r.name), ['bind', 'fw']);
    deleteRecord(dir, 'bind');
    deleteRecord(dir, 'bind');
    assert.equal(readRecord(dir, 'bind'), undefined);
  });

  it('report a file that is not a record, and unreadable ones when listing', () => {
    writeFileSync(recordPath(dir, 'junk'), '{"format": "something else"}');
    assert.throws(() => readRecord(dir, 'junk'), /junk\.json: not a deployment record \(expected format 'bpfship-deployment\/1'\)/);
    const problems: string[] = [];
    assert.deepEqual(readRecords(dir, problems).map((r) => r.name), ['fw']);
    assert.equal(problems.length, 1);
    assert.deepEqual(readRecords(join(dir, 'none')), []);
  });

  it('check names (bpffs refuses dots) and find the state directory', () => {
    for (const ok of ['fw', 'xdp_firewall', 'fw-2', '0day']) checkDeploymentName(ok);
    for (const bad of ['', '.hidden', 'a.b', '-x', 'a/b', 'x'.repeat(65)]) assert.throws(() => checkDeploymentName(bad), DeployError, bad);
    assert.equal(stateDirectory('/tmp/s'), '/tmp/s');
    const saved = process.env['BPFSHIP_STATE_DIR'];
    process.env['BPFSHIP_STATE_DIR'] = '/tmp/from-env';
    try {
      assert.equal(stateDirectory(), '/tmp/from-env');
      delete process.env['BPFSHIP_STATE_DIR'];
      assert.equal(stateDirectory(), '/run/bpfship');
    } finally {
      if (saved !== undefined) process.env['BPFSHIP_STATE_DIR'] = saved;
    }
  });
});

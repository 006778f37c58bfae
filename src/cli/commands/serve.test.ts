// `bpfship serve`: its arguments, and what it refuses before it starts. (It runs for real, as a process on an
// ephemeral port, in fetch.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testPki, type TestPki } from '../../service/_support.test.ts';
import { UsageError } from '../io.ts';
import { parseListen } from './serve.ts';
import { cli } from './_test-cli.ts';

let pki: TestPki;
let other: TestPki;
before(async () => {
  pki = await testPki('serve-cli-');
  other = await testPki('serve-cli-other-');
});
after(() => {
  pki.remove();
  other.remove();
});

/** `bpfship serve ARGS...` in-process, through main(). */
function serve(args: readonly string[]): Promise<{ code: number; err: string }> {
  return cli(['serve', ...args]);
}

describe('parseListen', () => {
  it('takes HOST:PORT, [IPv6]:PORT and PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8470'), { host: '127.0.0.1', port: 8470 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen('8471'), { host: '127.0.0.1', port: 8471 });
    for (const bad of ['', 'host', 'host:', ':80', '1.2.3.4:65536', 'a:b:c', '[::1]', 'x:-1']) assert.throws(() => parseListen(bad), UsageError, bad);
  });
});

describe('bpfship serve refuses before it starts', () => {
  const keyArgs = (): string[] => ['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate, '--chain', pki.keys.intermediateCertificate];

  it('without a store or a key, or with unreadable files', async () => {
    assert.equal((await serve(['--sign-key', pki.keys.signerKey, '--sign-cert', pki.keys.signerCertificate])).code, 2, 'no --data');
    const missing = await serve(['--data', join(pki.dir, 'd1'), '--sign-key', join(pki.dir, 'nope.key'), '--sign-cert', pki.keys.signerCertificate]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.key: no such file/);
    assert.ok(!existsSync(join(pki.dir, 'd1')), 'no store is created');
  });

  it('with a key that is not the certificate’s', async () => {
    const r = await serve(['--data', join(pki.dir, 'd2'), '--sign-key', other.keys.signerKey, '--sign-cert', pki.keys.signerCertificate]);
    assert.equal(r.code, 2);
    assert.match(r.err, /does not belong to the certificate/);
  });

  it('with a signer that does not chain to --trust', async () => {
    const r = await serve(['--data', join(pki.dir, 'd3'), ...keyArgs(), '--trust', other.keys.rootCertificate]);
    assert.equal(r.code, 2);
    assert.match(r.err, /the signing certificate does not chain to --trust: /);
  });

  it('with bad numbers or a bad address', async () => {
    for (const [option, value, pattern] of [
      ['--listen', 'nowhere', /--listen must be HOST:PORT/],
      ['--max-builds', '0', /--max-builds must be a positive integer/],
      ['--body-limit', '1e9', /--body-limit must be a positive integer/],
      ['--max-queued', '-1', /--max-queued must be a positive integer/],
    ] as const) {
      const r = await serve(['--data', join(pki.dir, 'd4'), ...keyArgs(), option, value]);
      assert.equal(r.code, 2, option);
      assert.match(r.err, pattern);
    }
  });
});

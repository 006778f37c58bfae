// `bpfship bpf2c` and `bpfship build`, through main() with a test verifier (or none).
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import type { VerifyHook } from '../../bpf2c/index.ts';
import { UNVERIFIED_WARNING } from './bpf2c.ts';
import { cli } from './_test-cli.ts';

async function run(args: string[], verify?: VerifyHook): Promise<{ code: number; out: string; err: string }> {
  return cli(args, verify === undefined ? {} : { verify, verifierId: 'test verifier' });
}

const firewall = join(PROGRAMS_OBJ, 'xdp_firewall.o');

describe('bpfship bpf2c', () => {
  it('prints the C file and warns that nothing was verified', async () => {
    const r = await run(['bpf2c', firewall]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^static uint64_t xdp_firewall\(/m);
    assert.match(r.out, /#line 31 "\.\/bench\/xdp_firewall\.c"/);
    assert.equal(r.err, UNVERIFIED_WARNING);
  });

  it('writes -o and the metadata, and leaves out #line with --no-line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpf2c-cli-'));
    try {
      const r = await run(['bpf2c', firewall, '-o', join(dir, 'fw.c'), '--metadata', join(dir, 'fw.json'), '--no-line'], () => ({ ok: true, diagnostics: [] }));
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      const c = readFileSync(join(dir, 'fw.c'), 'utf8');
      assert.doesNotMatch(c, /^#line/m);
      const meta = JSON.parse(readFileSync(join(dir, 'fw.json'), 'utf8')) as { programs: { name: string }[]; elfSha256: string };
      assert.deepEqual(meta.programs.map((p) => p.name), ['xdp_firewall']);
      assert.equal(meta.elfSha256, createHash('sha256').update(readFileSync(firewall)).digest('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with the verifier diagnostics and exit status 1', async () => {
    const r = await run(['bpf2c', join(PROGRAMS_OBJ, 'bind_monitor.o')], () => ({ ok: false, diagnostics: ['./examples/bind_monitor.c:27:7: error: possible NULL dereference of r0'] }));
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /program 'bind_monitor' failed verification\n\.\/examples\/bind_monitor\.c:27:7: error: possible NULL dereference/);
  });
});

describe('bpfship build', () => {
  it('builds an image, reports it, and serves the rebuild from the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpf2c-build-'));
    const cache = join(dir, 'cache');
    process.env.BPFSHIP_CACHE = cache;
    try {
      const first = await run(['build', firewall, '-o', join(dir, 'a.so'), '--timings', '--emit-c', join(dir, 'a.c'), '--metadata', join(dir, 'a.json')], () => ({ ok: true, diagnostics: [] }));
      assert.equal(first.code, 0, first.err);
      assert.match(first.out, /a\.so: 1 program, \d+ bytes, sha256 [0-9a-f]{64}\n/);
      assert.match(first.out, /time: bpf2c [\d.]+ ms, compiler [\d.]+ ms/);
      const second = await run(['build', firewall, '-o', join(dir, 'b.so')], () => ({ ok: true, diagnostics: [] }));
      assert.match(second.out, /\(cached\)/);
      assert.deepEqual(readFileSync(join(dir, 'a.so')), readFileSync(join(dir, 'b.so')));
      const meta = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { build: { soSha256: string; verifier: string } };
      assert.equal(meta.build.soSha256, createHash('sha256').update(readFileSync(join(dir, 'a.so'))).digest('hex'));
      assert.equal(meta.build.verifier, 'test verifier');
      assert.match(readFileSync(join(dir, 'a.c'), 'utf8'), /bpfship_native_metadata/);
    } finally {
      delete process.env.BPFSHIP_CACHE;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports verification errors at build time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpf2c-build-'));
    try {
      const r = await run(['build', join(PROGRAMS_OBJ, 'bind_monitor.o'), '-o', join(dir, 'x.so'), '--no-cache'], () => ({ ok: false, diagnostics: ['./examples/bind_monitor.c:27:7: error: possible NULL dereference of r0'] }));
      assert.equal(r.code, 1);
      assert.match(r.err, /bind_monitor\.c:27:7: error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

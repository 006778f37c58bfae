// `bpfship sign IMAGE`: signing an image built earlier from its build record, and refusing what must not be signed.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { cli } from './_test-cli.ts';
import { BUILD_RECORD_MEDIA_TYPE, parseBuildRecord } from './build-record.ts';

let dir: string;
let keys: string;
const savedCache = process.env.BPFSHIP_CACHE;
const firewall = join(PROGRAMS_OBJ, 'xdp_firewall.o');
const signArgs = (): string[] => ['--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem'), '--chain', join(keys, 'intermediate-ca.pem')];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sign-image-'));
  process.env.BPFSHIP_CACHE = join(dir, 'cache');
  keys = join(dir, 'keys');
  assert.equal((await cli(['keys', 'init', keys])).code, 0);
});
after(() => {
  if (savedCache === undefined) delete process.env.BPFSHIP_CACHE;
  else process.env.BPFSHIP_CACHE = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

describe('bpfship build writes the build record', () => {
  it('with the digests, the verifier, the verdicts, the program-info hashes and the compiler', async () => {
    const image = join(dir, 'fw.so');
    const r = await cli(['build', firewall, '-o', image]);
    assert.equal(r.code, 0, r.err);
    const record = parseBuildRecord(readFileSync(`${image}.build.json`, 'utf8'), 'fw.so.build.json');
    assert.equal(record.mediaType, BUILD_RECORD_MEDIA_TYPE);
    assert.equal(record.image.name, 'fw.so');
    assert.equal(record.elf.name, 'xdp_firewall.o');
    assert.equal(record.generatedC.name, 'xdp_firewall.bpf2c.c');
    assert.equal(record.verifier?.name, 'bpfship-verifier');
    assert.deepEqual(record.programs.map((p) => [p.name, p.section, p.verdict]), [['xdp_firewall', 'xdp', 'accepted']]);
    assert.ok(record.compiler.flags.includes('-O2'));
  });
});

describe('bpfship sign', () => {
  it('signs an image built earlier, and verify-signature accepts it', async () => {
    const image = join(dir, 'later.so');
    assert.equal((await cli(['build', firewall, '-o', image])).code, 0);
    const r = await cli(['sign', image, ...signArgs()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /later\.so\.sig: signed .*later\.so \(sha256:[0-9a-f]{64}\) by CN=bpfship development signer/);
    const v = await cli(['verify-signature', image, '--trust', join(keys, 'root-ca.pem'), '--json']);
    assert.equal(v.code, 0, v.out);
    const result = JSON.parse(v.out) as { ok: boolean; statement: { predicate: { verifier: { name: string }; programs: { verdict: string }[] } } };
    assert.equal(result.statement.predicate.verifier.name, 'bpfship-verifier');
    assert.deepEqual(result.statement.predicate.programs.map((p) => p.verdict), ['accepted']);
  });

  it('refuses an image built without a verifier', async () => {
    const image = join(dir, 'unverified.so');
    const b = await cli(['build', firewall, '-o', image], {});
    assert.equal(b.code, 0, b.err);
    const r = await cli(['sign', image, ...signArgs()]);
    assert.equal(r.code, 1);
    assert.match(r.err, /refusing to sign: unverified\.so was built without a verifier/);
  });

  it("refuses a build record that is not the image's", async () => {
    const a = join(dir, 'a.so');
    const b = join(dir, 'b.so');
    assert.equal((await cli(['build', firewall, '-o', a])).code, 0);
    assert.equal((await cli(['build', join(PROGRAMS_OBJ, 'flow_counter.o'), '-o', b])).code, 0);
    copyFileSync(`${a}.build.json`, `${b}.build.json`);
    const r = await cli(['sign', b, ...signArgs()]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the build record does not describe b\.so: the record is for an image with SHA-256/);
    // A record edited to claim other program-info hashes disagrees with the image's own table.
    const record = JSON.parse(readFileSync(`${a}.build.json`, 'utf8')) as { programs: { programInfoHash: string }[] };
    (record.programs[0] as { programInfoHash: string }).programInfoHash = '00'.repeat(32);
    writeFileSync(`${a}.build.json`, JSON.stringify(record));
    const edited = await cli(['sign', a, ...signArgs()]);
    assert.equal(edited.code, 1);
    assert.match(edited.err, /program-info hashes/);
  });

  it('needs the build record', async () => {
    const image = join(dir, 'norecord.so');
    assert.equal((await cli(['build', firewall, '-o', image])).code, 0);
    rmSync(`${image}.build.json`);
    const r = await cli(['sign', image, ...signArgs()]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no build record beside the image/);
  });

  it('checks the signer against --trust before signing', async () => {
    const image = join(dir, 'trust.so');
    assert.equal((await cli(['build', firewall, '-o', image])).code, 0);
    const other = join(dir, 'other-keys');
    assert.equal((await cli(['keys', 'init', other])).code, 0);
    const r = await cli(['sign', image, ...signArgs(), '--trust', join(other, 'root-ca.pem')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /CHAIN_UNTRUSTED_ROOT|does not lead to any of the trusted roots|trusted root/);
  });
});

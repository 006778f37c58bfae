// `bpfship sign-object`: only verified objects are signed, with the kernel-object attestation.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { parseKernelObjectStatement, parseSignatureFile, readTrustedRoots, sha256Hex, verifyKernelObject } from '../../sign/index.ts';
import { makeTestKeys, type TestKeys } from '../../deploy/_test-kernel.ts';
import { tempDir } from '../../sign/_test-pki.ts';
import { cli } from './_test-cli.ts';

let tmp: { dir: string; remove: () => void };
let keys: TestKeys;

before(async () => {
  tmp = tempDir();
  keys = await makeTestKeys(tmp.dir);
});
after(() => tmp.remove());

describe('bpfship sign-object', () => {
  it('verifies and signs xdp_firewall: the ELF as subject, verdicts, program-info hashes, the kernel target', async () => {
    const out = join(tmp.dir, 'fw.o.sig');
    const r = await cli(['sign-object', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--chain', keys.intermediatePem, '--trust', keys.rootPem, '-o', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /fw\.o\.sig: signed .*xdp_firewall\.o \(sha256:[0-9a-f]{64}\) by CN=deploy signer, O=bpfship tests; verified xdp_firewall \(bpfship-verifier [0-9.]+, linux rules, Linux 6\.18 ABI\)/);
    const object = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o')));
    const file = parseSignatureFile(readFileSync(out));
    const statement = parseKernelObjectStatement(Buffer.from(file.envelope.payload, 'base64'));
    assert.deepEqual(statement.subject, [{ name: 'xdp_firewall.o', digest: { sha256: sha256Hex(object) } }]);
    assert.deepEqual(statement.predicate.target, { kernel: 'linux', abi: '6.18' });
    assert.deepEqual(statement.predicate.programs.map((p) => [p.name, p.section, p.verdict]), [['xdp_firewall', 'xdp', 'accepted']]);
    assert.equal(statement.predicate.verifier.options['rules'], 'linux');
    assert.equal(verifyKernelObject({ image: object, signature: readFileSync(out), trustedRoots: readTrustedRoots([keys.rootPem]) }).ok, true);
    // verify-signature tells an object from a native image and checks it as one signed for the kernel.
    const v = await cli(['verify-signature', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--sig', out, '--trust', keys.rootPem]);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /xdp_firewall\.o: verified\n {2}object {4}sha256:[0-9a-f]{64}\n(.*\n)* {2}target {4}linux 6\.18 \(an eBPF object signed for the kernel\)\n {2}program {3}xdp_firewall \(xdp\) accepted by bpfship-verifier/);
    const other = await cli(['verify-signature', join(PROGRAMS_OBJ, 'flow_counter.o'), '--sig', out, '--trust', keys.rootPem]);
    assert.equal(other.code, 1);
    assert.match(other.out, /refused: IMAGE_DIGEST_MISMATCH: the object's SHA-256/);
  });

  it('records the strict rule set when asked, and names a rule set it does not know (status 2)', async () => {
    const out = join(tmp.dir, 'strict.sig');
    const r = await cli(['sign-object', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--rules', 'strict', '-o', out]);
    assert.equal(r.code, 0, r.err);
    const statement = parseKernelObjectStatement(Buffer.from(parseSignatureFile(readFileSync(out)).envelope.payload, 'base64'));
    assert.equal(statement.predicate.verifier.options['rules'], 'strict');
    const bad = await cli(['sign-object', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--rules', 'lax']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--rules: Expected a rule set \(linux, strict\), got 'lax'/);
  });

  it('refuses an object the verifier rejects, with its diagnostics, and writes nothing', async () => {
    const out = join(tmp.dir, 'bm.o.sig');
    const r = await cli(['sign-object', join(PROGRAMS_OBJ, 'bind_monitor.o'), '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '-o', out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bind_monitor\.c:33:16: error: possible NULL dereference of r7/);
    assert.match(r.err, /bpfship: refusing to sign: bind_monitor\.o: not signed: bpfship's verifier did not prove program 'bind_monitor' safe/);
    assert.equal(existsSync(out), false);
  });

  it('refuses a signer the given roots do not trust, and names missing or malformed input (status 2)', async () => {
    const fw = join(PROGRAMS_OBJ, 'xdp_firewall.o');
    const untrusted = await cli(['sign-object', fw, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--trust', keys.strangerRootPem, '-o', join(tmp.dir, 'x.sig')]);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.err, /CHAIN_UNTRUSTED_ROOT/);
    const missing = await cli(['sign-object', join(tmp.dir, 'nope.o'), '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.o: no such file/);
    const notElf = await cli(['sign-object', keys.rootPem, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '-o', join(tmp.dir, 'y.sig')]);
    assert.equal(notElf.code, 2);
    assert.equal(existsSync(join(tmp.dir, 'y.sig')), false);
  });
});

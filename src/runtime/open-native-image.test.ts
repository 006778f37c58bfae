// The load policy and openNativeImage as a library: the file replaced on disk between the check and the load, a
// runtime whose ABI tables differ, the audit log failing, the development policy's signature checks, and the
// interpreter under a policy.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinProgramInfo, type ProgramInfoSource } from '../bpf2c/index.ts';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { buildNative, type NativeBuildResult } from '../native/index.ts';
import { AuditLog, buildPredicate, createDevHierarchy, formatSignatureFile, readAuditLog, signImage, type DevHierarchy } from '../sign/index.ts';
import { LoadPolicy, PolicyRefusedError, type LoadPolicyOptions } from '../policy/load-policy.ts';
import { NativeImageError } from '../native/index.ts';
import { loadNativeImage, nativeImageLoadCount } from './native/native-image.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import { BoundedFileError, MAX_NATIVE_IMAGE_BYTES, MAX_SIGNATURE_FILE_BYTES } from './bounded-file.ts';
import { openNativeImage, openNativeImageFile } from './open-native-image.ts';
import { Runtime } from './runtime.ts';

let dir: string;
let pki: DevHierarchy;
let otherPki: DevHierarchy;
let firewall: NativeBuildResult;
let flow: NativeBuildResult;
const frame = (() => {
  const f = new Uint8Array(64);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  f[23] = 6;
  dv.setUint16(36, 22);
  return f;
})();

const accept = () => ({ ok: true, diagnostics: [] });
const build = (name: string): NativeBuildResult => buildNative(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name))), { sourceName: name, verify: accept, verifierId: 'test', cache: join(dir, 'cache') });

/** The signature file of a built image, signed by `hierarchy`'s signer. */
function signatureOf(r: NativeBuildResult, hierarchy: DevHierarchy = pki, imageName = 'image.so'): string {
  const predicate = buildPredicate({
    elf: { name: r.metadata.sourceName, sha256: r.elfSha256 },
    generatedC: { name: 'image.bpf2c.c', sha256: r.cSha256 },
    verifier: { name: 'test', version: '1', options: {} },
    programs: r.metadata.programs.map((p) => ({ name: p.name, section: p.section, verdict: 'accepted' as const, programInfoHash: p.infoHash })),
    compiler: { name: 'gcc', version: r.compiler.version, flags: [...r.flags] },
  });
  return formatSignatureFile(signImage({ image: r.so, imageName, predicate }, { privateKey: hierarchy.signer.privateKey, certificate: hierarchy.signer.certificate, intermediates: [hierarchy.intermediate.certificate] }));
}

function production(auditName: string, extra: Partial<LoadPolicyOptions> = {}): { policy: LoadPolicy; log: AuditLog; path: string } {
  const path = join(dir, auditName);
  const log = AuditLog.open(path);
  return { policy: LoadPolicy.production({ trustedRoots: [pki.root.certificate], auditLog: log, ...extra }), log, path };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-open-image-'));
  pki = await createDevHierarchy();
  otherPki = await createDevHierarchy({ organization: 'someone else' });
  firewall = build('xdp_firewall.o');
  flow = build('flow_counter.o');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openNativeImageFile under production', () => {
  it('loads the bytes it checked even when the file is replaced on disk before the load', () => {
    const path = join(dir, 'fw.so');
    writeFileSync(path, firewall.so);
    writeFileSync(`${path}.sig`, signatureOf(firewall, pki, 'fw.so'));
    const { policy, log } = production('replaced.log');
    let replaced = false;
    const { object, decision } = openNativeImageFile(path, {
      policy,
      afterCheck: () => {
        // Between the check and the load: another (validly signed) image and its signature take the file's place.
        writeFileSync(path, flow.so);
        writeFileSync(`${path}.sig`, signatureOf(flow, pki, 'fw.so'));
        replaced = true;
      },
    });
    try {
      assert.ok(replaced);
      assert.equal(readFileSync(path).equals(Buffer.from(flow.so)), true, 'the file on disk is the other image now');
      assert.equal(object.image.sha256, firewall.soSha256, 'what was loaded is what was checked');
      assert.equal(decision.imageDigest, `sha256:${firewall.soSha256}`);
      assert.deepEqual(object.programs.map((p) => p.name), ['xdp_firewall']);
      object.map('blocked_ports').update(Uint8Array.of(22, 0), Uint8Array.of(1)); // port 22 as the program keys it (host order)
      assert.equal(runNativeProgram(object, 'xdp_firewall', { data: frame }).returnName, 'XDP_DROP');
    } finally {
      object.close();
      log.close();
    }
  });

  it("refuses an image verified against another runtime's helper prototypes, loading nothing", () => {
    const otherHelpers: ProgramInfoSource = {
      programTypeFacts: (t, id) => builtinProgramInfo.programTypeFacts(t, id),
      helperFacts: (t, id) => builtinProgramInfo.helperFacts(t, id).map((l) => l.replace('RET_PTR_TO_MAP_VALUE_OR_NULL', 'RET_PTR_TO_MAP_VALUE')),
    };
    const { policy, log, path } = production('other-abi.log', { programInfo: otherHelpers });
    const loads = nativeImageLoadCount();
    assert.throws(
      () => openNativeImage(firewall.so, { policy, name: 'fw.so', signature: signatureOf(firewall) }),
      (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'PROGRAM_INFO_MISMATCH' && /xdp_firewall/.test(e.message),
    );
    assert.equal(nativeImageLoadCount(), loads);
    log.close();
    assert.equal(readAuditLog(path).at(-1)?.code, 'PROGRAM_INFO_MISMATCH');
  });

  it('refuses, with an audit line, a signature file that is there but cannot be read (a link to /dev/zero, a directory, too large)', () => {
    const path = join(dir, 'capped.so');
    writeFileSync(path, firewall.so);
    const sig = `${path}.sig`;
    for (const [make, pattern] of [
      [() => symlinkSync('/dev/zero', sig), /not a regular file \(a character device\)/],
      [() => mkdirSync(sig), /not a regular file \(a directory\)/],
      [() => truncateSync((writeFileSync(sig, ''), sig), MAX_SIGNATURE_FILE_BYTES + 1), /is 4194305 bytes, more than the 4194304 accepted/],
    ] as const) {
      rmSync(sig, { recursive: true, force: true });
      make();
      for (const policyOf of [() => production('unreadable.log'), () => ({ ...production('unreadable.log'), policy: LoadPolicy.development({ auditLog: AuditLog.open(join(dir, 'unreadable.log')) }) })]) {
        const { policy, log, path: auditPath } = policyOf();
        const loads = nativeImageLoadCount();
        assert.throws(() => openNativeImageFile(path, { policy }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'SIGNATURE_UNREADABLE' && pattern.test(e.message), String(pattern));
        assert.equal(nativeImageLoadCount(), loads, 'nothing loaded');
        log.close();
        assert.equal(readAuditLog(auditPath).at(-1)?.code, 'SIGNATURE_UNREADABLE');
      }
    }
    rmSync(sig, { recursive: true, force: true });
  });

  it('refuses an image that is not a regular file or is over the limit, before reading it', () => {
    const { policy, log } = production('image-caps.log');
    const link = join(dir, 'zero.so');
    symlinkSync('/dev/zero', link);
    assert.throws(() => openNativeImageFile(link, { policy }), (e: unknown) => e instanceof BoundedFileError && /zero\.so: the native image is not a regular file \(a character device\)/.test(e.message));
    const big = join(dir, 'big.so');
    writeFileSync(big, '');
    truncateSync(big, MAX_NATIVE_IMAGE_BYTES + 1);
    assert.throws(() => openNativeImageFile(big, { policy }), (e: unknown) => e instanceof BoundedFileError && /is 67108865 bytes, more than the 67108864 accepted/.test(e.message));
    const fifo = join(dir, 'fifo.so');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.throws(() => openNativeImageFile(fifo, { policy }), (e: unknown) => e instanceof BoundedFileError && /a FIFO/.test(e.message), 'a FIFO neither blocks nor is read');
    log.close();
  });

  it('refuses the load when the decision cannot be audited', () => {
    const { policy, log } = production('closed.log');
    log.close();
    const loads = nativeImageLoadCount();
    assert.throws(() => openNativeImage(firewall.so, { policy, signature: signatureOf(firewall) }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'AUDIT_LOG_FAILED');
    assert.equal(nativeImageLoadCount(), loads);
  });

  it('refuses a debug directory, and the loader refuses one when told to load only sealed memfds', () => {
    const { policy, log } = production('debug.log');
    assert.throws(() => openNativeImage(firewall.so, { policy, signature: signatureOf(firewall), debugDirectory: join(dir, 'debug') }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'DEBUG_DIRECTORY_REFUSED');
    log.close();
    assert.throws(() => loadNativeImage(firewall.so, { sealedOnly: true, debugDirectory: join(dir, 'debug') }), NativeImageError);
  });

  it('refuses ELF objects in the interpreter (Runtime.load with a policy)', () => {
    const { policy, log } = production('interp.log');
    const rt = Runtime.createSync();
    const elf = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o')));
    assert.throws(() => rt.load(elf, { policy, name: 'xdp_firewall.o' }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'MODE_REFUSED');
    log.close();
    const dev = LoadPolicy.development();
    assert.equal(rt.load(elf, { policy: dev, name: 'xdp_firewall.o' }).program('xdp_firewall').run({ data: frame }).returnName, 'XDP_PASS');
  });
});

describe('the development policy', () => {
  it('loads unsigned images and audits the decision', () => {
    const path = join(dir, 'dev.log');
    const log = AuditLog.open(path);
    const { object, decision } = openNativeImage(firewall.so, { policy: LoadPolicy.development({ auditLog: log }), name: 'fw.so' });
    object.close();
    log.close();
    assert.match(decision.reason, /unsigned native image/);
    const line = readAuditLog(path).at(-1);
    assert.equal(line?.decision, 'allowed');
    assert.equal(line?.policy, 'development');
  });

  it('checks a signature that is present: without roots, that it covers these bytes; with roots, the chain', () => {
    const dev = LoadPolicy.development();
    const ok = openNativeImage(firewall.so, { policy: dev, signature: signatureOf(firewall) });
    ok.object.close();
    assert.match(ok.decision.reason, /its chain was not checked/);
    assert.throws(() => openNativeImage(flow.so, { policy: dev, signature: signatureOf(firewall) }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'IMAGE_DIGEST_MISMATCH');
    const trusting = LoadPolicy.development({ trustedRoots: [otherPki.root.certificate] });
    assert.throws(() => openNativeImage(firewall.so, { policy: trusting, signature: signatureOf(firewall) }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'CHAIN_UNTRUSTED_ROOT');
    const verified = openNativeImage(firewall.so, { policy: LoadPolicy.development({ trustedRoots: [pki.root.certificate] }), signature: signatureOf(firewall) });
    verified.object.close();
    assert.equal(verified.decision.verification?.ok, true);
  });
});

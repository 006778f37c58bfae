// The load policy deciding on eBPF objects deployed to the kernel (mode 'kernel'): the production checks with the
// native runtime's codes, the audit line, and the development policy's signature checks.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINUX_ABI_VERSION } from '../abi/index.ts';
import { builtinProgramInfo, type ProgramInfoSource } from '../bpf2c/index.ts';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { identity, makeHierarchy, sampleImage, samplePredicate } from '../sign/_test-pki.ts';
import { AuditLog, buildKernelObjectPredicate, formatSignatureFile, readAuditLog, signImage, signKernelObject } from '../sign/index.ts';
import { LoadPolicy, type LoadDecision, type LoadPolicyOptions, type LoadRequest } from './load-policy.ts';
import { objectProgramsOf } from './object-programs.ts';

const pki = await makeHierarchy('ed25519', 'policy');
const otherPki = await makeHierarchy('ed25519', 'stranger');
const firewall = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o')));
const flow = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'flow_counter.o')));
let dir: string;
let log: AuditLog;

/** `bytes` signed for the kernel as sign-object signs it (verdicts given, hashes computed here). */
function signObject(bytes: Uint8Array, name: string, hierarchy = pki, rules = 'linux'): string {
  const predicate = buildKernelObjectPredicate({
    verifier: { name: 'bpfship-verifier', version: '0.1.0', options: { rules } },
    programs: objectProgramsOf(bytes, name).map((p) => ({ name: p.name, section: p.section, verdict: 'accepted' as const, programInfoHash: p.infoHash })),
    target: { kernel: 'linux', abi: LINUX_ABI_VERSION },
  });
  return formatSignatureFile(signKernelObject({ object: bytes, objectName: name, predicate }, identity(hierarchy.signer, hierarchy.intermediate)));
}

const production = (options: Partial<LoadPolicyOptions> = {}): LoadPolicy => LoadPolicy.production({ trustedRoots: [pki.root.certificate], auditLog: log, ...options });
const request = (signature: string | undefined, bytes: Uint8Array = firewall): LoadRequest => ({
  bytes,
  name: 'xdp_firewall.o',
  input: 'object',
  mode: 'kernel',
  signature,
  signatureSource: { file: 'xdp_firewall.o.sig' },
  deployment: { name: 'fw', program: 'xdp_firewall', attach: ['xdp:eth0'] },
});
function code(d: LoadDecision): string {
  return d.ok ? 'OK' : d.code;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-policy-'));
  log = AuditLog.open(join(dir, 'audit.log'));
});
after(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('objectPrograms', () => {
  it('gives each program of an object the program-info hash bpf2c embeds in a native image of it', async () => {
    const { translateObject } = await import('../bpf2c/index.ts');
    for (const bytes of [firewall, flow]) {
      const ours = objectProgramsOf(bytes, 'x.o').map((p) => [p.name, p.infoHash]);
      const bpf2c = translateObject(bytes, { sourceName: 'x.o' }).metadata.programs.map((p) => [p.name, p.infoHash]);
      assert.deepEqual(ours, bpf2c);
    }
  });
});

describe('production policy, deploying to the kernel', () => {
  it('with requiredRules strict, refuses an object verified under linux rules (RULES_REFUSED, audited) and allows a strict one', () => {
    const linux = production({ requiredRules: 'strict' }).decide(request(signObject(firewall, 'xdp_firewall.o')));
    assert.equal(code(linux), 'RULES_REFUSED');
    assert.match(linux.ok ? '' : linux.message, /the object's attestation records the 'linux' rule set, but this policy requires the verifier's 'strict' rules: sign it with bpfship sign-object --rules strict/);
    const line = readAuditLog(log.path).at(-1);
    assert.equal(line?.decision, 'refused');
    assert.equal(line?.code, 'RULES_REFUSED');
    assert.equal(line?.signer?.subject !== undefined, true, 'the refusal names the verified signer');
    assert.equal(code(production({ requiredRules: 'strict' }).decide(request(signObject(firewall, 'xdp_firewall.o', pki, 'strict')))), 'OK');
    assert.equal(code(production({ requiredRules: 'linux' }).decide(request(signObject(firewall, 'xdp_firewall.o')))), 'OK');
  });

  it('allows a signed object and audits the decision with the deployment', () => {
    const d = production().decide(request(signObject(firewall, 'xdp_firewall.o')));
    assert.ok(d.ok, d.ok ? '' : d.message);
    assert.equal(d.verification?.statement.predicateType, 'https://bpfship.dev/attestation/kernel-object/v1');
    assert.deepEqual(d.programs?.map((p) => p.name), ['xdp_firewall']);
    const line = readAuditLog(log.path).at(-1);
    assert.equal(line?.decision, 'allowed');
    assert.equal((line as { mode?: string }).mode, 'kernel');
    assert.equal((line as { input?: string }).input, 'object');
    assert.deepEqual((line as { deployment?: unknown }).deployment, { name: 'fw', program: 'xdp_firewall', attach: ['xdp:eth0'] });
    assert.equal(line?.elf?.name, 'xdp_firewall.o');
  });

  it('refuses with the native runtime\'s codes, each decision in the audit log', () => {
    const signature = signObject(firewall, 'xdp_firewall.o');
    const tampered = new Uint8Array(firewall);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0x40;
    const cases: [string, LoadRequest, Partial<LoadPolicyOptions>?][] = [
      ['IMAGE_UNSIGNED', request(undefined)],
      ['IMAGE_DIGEST_MISMATCH', request(signature, tampered)],
      ['IMAGE_DIGEST_MISMATCH', request(signObject(flow, 'flow_counter.o'))],
      ['CHAIN_UNTRUSTED_ROOT', request(signObject(firewall, 'xdp_firewall.o', otherPki))],
      ['ATTESTATION_INVALID', request(formatSignatureFile(signImage({ image: firewall, imageName: 'xdp_firewall.o', predicate: samplePredicate() }, identity(pki.signer, pki.intermediate))))],
      ['MODE_REFUSED', { ...request(signature), input: 'native-image' }],
      ['SIGFILE_JSON', request('{')],
    ];
    for (const [expected, r, options] of cases) {
      const before = readAuditLog(log.path).length;
      const d = production(options).decide(r);
      assert.equal(code(d), expected, d.ok ? 'allowed' : d.message);
      const lines = readAuditLog(log.path);
      assert.equal(lines.length, before + 1);
      assert.equal(lines.at(-1)?.code, expected);
    }
  });

  it('refuses an object whose programs rely on other ABI facts than this build\'s (PROGRAM_INFO_MISMATCH)', () => {
    const changed: ProgramInfoSource = {
      programTypeFacts: (t, id) => builtinProgramInfo.programTypeFacts(t, id),
      helperFacts: (t, id) => (id === 1 ? ['helper 1 map_lookup_elem with another prototype'] : builtinProgramInfo.helperFacts(t, id)),
    };
    const d = production({ programInfo: changed }).decide(request(signObject(firewall, 'xdp_firewall.o')));
    assert.equal(code(d), 'PROGRAM_INFO_MISMATCH');
  });

  it('refuses a signed file that is not a readable object (OBJECT_INVALID), having checked its signature', () => {
    const junk = sampleImage(256);
    const predicate = buildKernelObjectPredicate({
      verifier: { name: 'bpfship-verifier', version: '0.1.0', options: {} },
      programs: [{ name: 'p', section: 'xdp', verdict: 'accepted', programInfoHash: '00'.repeat(32) }],
      target: { kernel: 'linux', abi: LINUX_ABI_VERSION },
    });
    const sig = formatSignatureFile(signKernelObject({ object: junk, objectName: 'junk.o', predicate }, identity(pki.signer, pki.intermediate)));
    const d = production().decide({ ...request(sig, junk), name: 'junk.o' });
    assert.equal(code(d), 'OBJECT_INVALID');
    assert.match(d.ok ? '' : d.message, /the object is signed, but cannot be read/);
  });
});

describe('development policy, deploying to the kernel', () => {
  it('allows an unsigned object, saying so', () => {
    const d = LoadPolicy.development({ auditLog: log }).decide(request(undefined));
    assert.ok(d.ok);
    assert.match(d.reason, /an unsigned ELF object deployed to the kernel, no signature to check/);
  });

  it('checks a signature that is there: against roots when given, else that it covers these bytes', () => {
    const signature = signObject(firewall, 'xdp_firewall.o');
    assert.equal(code(LoadPolicy.development({ trustedRoots: [pki.root.certificate] }).decide(request(signature))), 'OK');
    assert.equal(code(LoadPolicy.development({ trustedRoots: [otherPki.root.certificate] }).decide(request(signature))), 'CHAIN_UNTRUSTED_ROOT');
    const noRoots = LoadPolicy.development();
    assert.equal(code(noRoots.decide(request(signature))), 'OK');
    assert.equal(code(noRoots.decide(request(signObject(flow, 'flow_counter.o')))), 'IMAGE_DIGEST_MISMATCH');
  });
});

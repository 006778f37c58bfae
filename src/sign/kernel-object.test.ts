// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { identity, makeHierarchy, SAMPLE_ELF, SAMPLE_PROGRAM_INFO, sampleImage, samplePredicate } from './_test-pki.ts';
import {
  buildKernelObjectPredicate,
  buildKernelObjectStatement,
  encodeStatement,
  KERNEL_OBJECT_PREDICATE_TYPE,
  parseKernelObjectStatement,
  parseStatement,
  type KernelObjectPredicate,
} from './attestation.ts';
import { auditRecordFor } from './audit-log.ts';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.ts';
import { SignError } from './errors.ts';
import { signImage, signKernelObject } from './sign-image.ts';
import { formatSignatureFile } from './signature-file.ts';
import { verifyKernelObject, type KernelObjectVerification } from './verify.ts';

// Statements about eBPF objects signed for the kernel (bpfship sign-object): the object itself is the subject.

const h = await makeHierarchy('ed25519', 'kobj');
const other = await makeHierarchy('ed25519', 'other');
const object = SAMPLE_ELF;
const predicate: KernelObjectPredicate = buildKernelObjectPredicate({
  verifier: { name: 'bpfship-verifier', version: '0.1.0', options: { rules: 'linux' } },
  programs: [{ name: 'xdp_prog', section: 'xdp', verdict: 'accepted', programInfoHash: SAMPLE_PROGRAM_INFO }],
  target: { kernel: 'linux', abi: '6.18' },
  attestedAt: new Date('2026-08-01T12:00:00.000Z'),
});
const signature = formatSignatureFile(signKernelObject({ object, objectName: 'prog.o', predicate }, identity(h.signer, h.intermediate)));

function refusedWith(result: KernelObjectVerification, code: string, pattern?: RegExp): void {
  assert.equal(result.ok ? 'OK' : result.code, code, result.ok ? 'accepted' : result.message);
  if (!result.ok && pattern !== undefined) assert.match(result.message, pattern);
}

describe('kernel-object attestation', () => {
  it('builds and parses back a statement whose subject is the object, with the target kernel named', () => {
    const statement = buildKernelObjectStatement('prog.o', object, predicate);
    assert.equal(statement.predicateType, KERNEL_OBJECT_PREDICATE_TYPE);
    const parsed = parseKernelObjectStatement(encodeStatement(statement));
    assert.deepEqual(JSON.parse(JSON.stringify(parsed)), JSON.parse(JSON.stringify(statement)));
    assert.deepEqual(parsed.predicate.target, { kernel: 'linux', abi: '6.18' });
    assert.equal(parsed.predicate.verifier.options['rules'], 'linux');
  });

  it('refuses a statement of the other predicate type, saying which artifact each attests', () => {
    const native = signImage({ image: sampleImage(64), imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate));
    const payload = Buffer.from(native.envelope.payload, 'base64');
    assert.throws(() => parseKernelObjectStatement(payload), (e: unknown) => e instanceof SignError && e.code === 'ATTESTATION_INVALID' && /attests a native image, not an eBPF object signed for the kernel/.test(e.message));
    assert.throws(() => parseStatement(encodeStatement(buildKernelObjectStatement('prog.o', object, predicate))), /attests an eBPF object signed for the kernel, not a native image/);
  });

  it('is strict about the predicate: unknown fields, another kernel, a missing target', () => {
    const bytesOf = (mutate: (p: Record<string, any>) => void): Uint8Array => {
      const s = JSON.parse(JSON.stringify(buildKernelObjectStatement('prog.o', object, predicate))) as Record<string, any>;
      mutate(s['predicate'] as Record<string, any>);
      return new TextEncoder().encode(JSON.stringify(s));
    };
    assert.throws(() => parseKernelObjectStatement(bytesOf((p) => { p['compiler'] = {}; })), /the unexpected field 'compiler'/);
    assert.throws(() => parseKernelObjectStatement(bytesOf((p) => { p['target'].kernel = 'windows'; })), /predicate\.target\.kernel should be 'linux', found 'windows'/);
    assert.throws(() => parseKernelObjectStatement(bytesOf((p) => { delete p['target']; })), /predicate\.target should be present/);
    assert.throws(() => parseKernelObjectStatement(bytesOf((p) => { p['programs'][0].verdict = 'maybe'; })), /predicate\.programs\[0\]\.verdict should be 'accepted' or 'rejected'/);
  });

  it('refuses to sign an object with a program the verifier rejected', () => {
    const rejected = buildKernelObjectPredicate({ ...predicate, attestedAt: new Date(), programs: [{ name: 'p', section: 'xdp', verdict: 'rejected', programInfoHash: SAMPLE_PROGRAM_INFO }] });
    assert.throws(() => signKernelObject({ object, objectName: 'prog.o', predicate: rejected }, identity(h.signer, h.intermediate)), /program 'p' \(section 'xdp'\) was not accepted by the verifier; an object is signed only when every program is/);
  });
});

describe('verifyKernelObject', () => {
  it('accepts the signed object and audits it with the object as the ELF', () => {
    const result = verifyKernelObject({ image: object, signature, trustedRoots: [h.root.certificate], expectedProgramInfo: new Map([['xdp_prog', SAMPLE_PROGRAM_INFO]]) });
    assert.ok(result.ok, result.ok ? '' : result.message);
    const record = auditRecordFor(result, { policy: 'production', imageName: 'prog.o', time: new Date(0) });
    assert.equal(record.elf?.name, 'prog.o');
    assert.equal(record.elf?.digest, result.imageDigest);
    assert.equal(record.decision, 'allowed');
  });

  it('refuses, with the native runtime\'s codes: unsigned, changed, another object\'s signature, untrusted root, program info', () => {
    const roots = [h.root.certificate];
    refusedWith(verifyKernelObject({ image: object, signature: undefined, trustedRoots: roots }), 'IMAGE_UNSIGNED', /bpfship sign-object/);
    const changed = new Uint8Array(object);
    changed[5] = (changed[5] as number) ^ 1;
    refusedWith(verifyKernelObject({ image: changed, signature, trustedRoots: roots }), 'IMAGE_DIGEST_MISMATCH', /the object's SHA-256 is [0-9a-f]{64}, but the signature is for 'prog\.o'/);
    refusedWith(verifyKernelObject({ image: object, signature, trustedRoots: [other.root.certificate] }), 'CHAIN_UNTRUSTED_ROOT');
    refusedWith(verifyKernelObject({ image: object, signature, trustedRoots: roots, expectedProgramInfo: new Map([['xdp_prog', '00'.repeat(32)]]) }), 'PROGRAM_INFO_MISMATCH');
    refusedWith(verifyKernelObject({ image: object, signature, trustedRoots: roots, expectedProgramInfo: new Map([['tc_prog', '00'.repeat(32)]]) }), 'PROGRAM_NOT_ATTESTED');
  });

  it('refuses a native image\'s signature given for an object, and an attested rejection', () => {
    const image = sampleImage(64);
    const nativeSig = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, identity(h.signer, h.intermediate)));
    refusedWith(verifyKernelObject({ image, signature: nativeSig, trustedRoots: [h.root.certificate] }), 'ATTESTATION_INVALID', /attests a native image/);
    // A signer's key used outside sign-object (bypassing its refusal) to attest a rejected program.
    const rejected = { ...predicate, programs: [{ ...predicate.programs[0]!, verdict: 'rejected' as const }] };
    const doc = JSON.parse(signature) as Record<string, unknown>;
    doc['dsseEnvelope'] = signEnvelope(IN_TOTO_PAYLOAD_TYPE, encodeStatement(buildKernelObjectStatement('prog.o', object, rejected)), h.signer.privateKey, h.signer.certificate.keyId);
    refusedWith(verifyKernelObject({ image: object, signature: JSON.stringify(doc), trustedRoots: [h.root.certificate] }), 'PROGRAM_NOT_VERIFIED', /verdict 'rejected'/);
  });
});

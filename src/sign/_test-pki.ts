/**
 * Test support for the sign layer: certificate authorities and signers with any profile (including every odd one
 * the validator must refuse), a sample build record, and temporary directories. Only tests import this.
 *
 * Author: Claude.
 *
 * @module
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509 } from './_x509.ts';
import { buildPredicate, type NativeImagePredicate, type PredicateInput } from './attestation.ts';
import { KeyUsageBit, SignatureKeyType, type BasicConstraints } from './certificate.ts';
import { issueCertificate } from './issue-certificate.ts';
import { generateSigningKeyPair, type CertifiedKey, type SigningIdentity } from './keys.ts';
import { DEFAULT_SIGNER_EKUS } from './oids.ts';

/** One day in milliseconds. */
export const DAY = 24 * 3600 * 1000;

/** What a test certificate may change from the usual profile of its role. */
export interface TestCertOptions {
  readonly algorithm?: SignatureKeyType;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** null leaves the extension out. */
  readonly basicConstraints?: BasicConstraints | null;
  readonly keyUsage?: number | null;
  readonly extendedKeyUsage?: readonly string[] | null;
  readonly serialNumber?: string;
}

/** A CA: self-signed when `issuer` is undefined. Default: CA, no path length, keyCertSign|cRLSign, no EKU, valid now ± 1 year. */
export async function makeCa(name: string, issuer: CertifiedKey | undefined, options: TestCertOptions = {}): Promise<CertifiedKey> {
  const keys = generateSigningKeyPair(options.algorithm ?? SignatureKeyType.ed25519);
  const certificate = await issueCertificate({
    subject: `CN=${name}, O=bpfship tests`,
    publicKey: keys.publicKey,
    issuer: issuer === undefined ? { selfSigned: keys.privateKey } : { certificate: issuer.certificate, privateKey: issuer.privateKey },
    notBefore: options.notBefore ?? new Date(Date.now() - 365 * DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    basicConstraints: options.basicConstraints === undefined ? { ca: true } : options.basicConstraints,
    keyUsage: options.keyUsage === undefined ? KeyUsageBit.keyCertSign | KeyUsageBit.cRLSign : options.keyUsage,
    extendedKeyUsage: options.extendedKeyUsage === undefined ? null : options.extendedKeyUsage,
    ...(options.serialNumber !== undefined ? { serialNumber: options.serialNumber } : {}),
  });
  return { certificate, privateKey: keys.privateKey };
}

/** A signing certificate. Default: not a CA, digitalSignature, our EKU and code signing, valid now ± 1 year. */
export async function makeSigner(name: string, issuer: CertifiedKey, options: TestCertOptions = {}): Promise<CertifiedKey> {
  const keys = generateSigningKeyPair(options.algorithm ?? SignatureKeyType.ed25519);
  const certificate = await issueCertificate({
    subject: `CN=${name}, O=bpfship tests`,
    publicKey: keys.publicKey,
    issuer: { certificate: issuer.certificate, privateKey: issuer.privateKey },
    notBefore: options.notBefore ?? new Date(Date.now() - 30 * DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY),
    basicConstraints: options.basicConstraints === undefined ? { ca: false } : options.basicConstraints,
    keyUsage: options.keyUsage === undefined ? KeyUsageBit.digitalSignature : options.keyUsage,
    extendedKeyUsage: options.extendedKeyUsage === undefined ? DEFAULT_SIGNER_EKUS : options.extendedKeyUsage,
    ...(options.serialNumber !== undefined ? { serialNumber: options.serialNumber } : {}),
  });
  return { certificate, privateKey: keys.privateKey };
}

/** A signing identity from a signer and the CAs between it and the root. */
export function identity(signer: CertifiedKey, ...intermediates: CertifiedKey[]): SigningIdentity {
  return { privateKey: signer.privateKey, certificate: signer.certificate, intermediates: intermediates.map((i) => i.certificate) };
}

/** A root → intermediate → signer hierarchy with the usual profiles. */
export async function makeHierarchy(algorithm: SignatureKeyType = SignatureKeyType.ed25519, prefix = 'test'): Promise<{ root: CertifiedKey; intermediate: CertifiedKey; signer: CertifiedKey }> {
  const root = await makeCa(`${prefix} root`, undefined, { algorithm, basicConstraints: { ca: true, pathLength: 1 } });
  const intermediate = await makeCa(`${prefix} intermediate`, root, { algorithm, basicConstraints: { ca: true, pathLength: 0 } });
  const signer = await makeSigner(`${prefix} signer`, intermediate, { algorithm });
  return { root, intermediate, signer };
}

/** The program-info hash the sample predicate records for its program `xdp_prog`. */
export const SAMPLE_PROGRAM_INFO = '5f'.repeat(32);

/** Sample ELF bytes, named `prog.o` in the sample predicate. */
export const SAMPLE_ELF = new TextEncoder().encode('\x7fELF sample object');
/** Sample generated C, named `prog.c` in the sample predicate. */
export const SAMPLE_C = new TextEncoder().encode('/* generated by bpf2c */\n');

/** A valid build record, with `overrides` applied to the input. */
export function samplePredicate(overrides: Partial<PredicateInput> = {}): NativeImagePredicate {
  return buildPredicate({
    elf: { name: 'prog.o', bytes: SAMPLE_ELF },
    generatedC: { name: 'prog.c', bytes: SAMPLE_C },
    verifier: { name: 'bpfship-verifier', version: '0.1.0', options: { maxStates: 100000, strict: true, mode: 'linux' } },
    programs: [
      { name: 'xdp_prog', section: 'xdp', verdict: 'accepted', programInfoHash: SAMPLE_PROGRAM_INFO },
      { name: 'tc_prog', section: 'tc', verdict: 'accepted', programInfoHash: '6a'.repeat(32) },
    ],
    compiler: { name: 'clang', version: '19.1.7', flags: ['-O2', '-fPIC', '-shared'] },
    attestedAt: new Date('2026-08-01T12:00:00.000Z'),
    ...overrides,
  });
}

/** A sample image: deterministic pseudo-random bytes. */
export function sampleImage(size = 4096, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A certificate with exactly the extensions given (no key identifiers added), Ed25519, signed by `issuer`: for
 * shapes `issueCertificate` will not make (duplicate extensions, unknown critical ones, undecodable values).
 */
export async function makeRawCertificate(subject: string, issuer: CertifiedKey, extensions: InstanceType<typeof x509.Extension>[]): Promise<Uint8Array> {
  const keys = generateSigningKeyPair(SignatureKeyType.ed25519);
  const made = await x509.X509CertificateGenerator.create({
    subject,
    issuer: issuer.certificate.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    publicKey: await webcrypto.subtle.importKey('spki', keys.publicKey.export({ type: 'spki', format: 'der' }), { name: 'Ed25519' }, true, ['verify']),
    signingKey: await webcrypto.subtle.importKey('pkcs8', issuer.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign']),
    signingAlgorithm: { name: 'Ed25519' },
    extensions,
  });
  return new Uint8Array(made.rawData);
}

/** A fresh temporary directory and a function removing it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfship-sign-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

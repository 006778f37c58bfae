/**
 * Signing keys and certificates: the development hierarchy `bpfship keys init DIR` creates, and the loading of
 * existing PEM keys and certificates (an organisation's own CA works as well as ours).
 *
 * `keys init DIR` writes
 *
 * ```
 * DIR/root-ca.pem          root CA certificate         CA, pathlen 1, keyCertSign cRLSign          10 years
 * DIR/root-ca.key          its private key (0600)
 * DIR/intermediate-ca.pem  intermediate CA             CA, pathlen 0, keyCertSign cRLSign,          5 years
 * DIR/intermediate-ca.key  (0600)                      EKU eBPF program verification + code signing
 * DIR/signer.pem           signing certificate         not a CA, digitalSignature,                   1 year
 * DIR/signer.key           (0600)                      EKU eBPF program verification + code signing
 * ```
 *
 * Keys are PKCS#8 PEM, Ed25519 by default or ECDSA P-256. `openssl verify -CAfile root-ca.pem -untrusted
 * intermediate-ca.pem signer.pem` accepts the result. The intermediate's EKU restricts what it may certify, so even
 * a stolen intermediate key cannot mint TLS certificates that chain to the root.
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Location } from '../internal/errors.ts';
import { Certificate, KeyUsageBit, parseCertificates, SignatureKeyType, signatureKeyTypeOf } from './certificate.ts';
import { SignError } from './errors.ts';
import { issueCertificate } from './issue-certificate.ts';
import { EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION, isObjectIdentifier } from './oids.ts';

/** A private key with the certificate and intermediates that vouch for it: what `sign` needs. */
export interface SigningIdentity {
  readonly privateKey: KeyObject;
  /** The signing certificate (the leaf). */
  readonly certificate: Certificate;
  /** CA certificates between the leaf and the root, written into the signature file. */
  readonly intermediates: readonly Certificate[];
}

/** A certificate and its private key. */
export interface CertifiedKey {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
}

/** The file names `keys init` writes, relative to its directory. */
export const DevKeyFile = {
  rootCertificate: 'root-ca.pem',
  rootKey: 'root-ca.key',
  intermediateCertificate: 'intermediate-ca.pem',
  intermediateKey: 'intermediate-ca.key',
  signerCertificate: 'signer.pem',
  signerKey: 'signer.key',
} as const;

/** Options of `createDevHierarchy` and `initDevKeys`. */
export interface DevHierarchyOptions {
  /** Ed25519 (default) or ECDSA P-256, for all three keys. */
  readonly algorithm?: SignatureKeyType;
  /** The O= of every subject; default `bpfship development`. */
  readonly organization?: string;
  /** The EKU for eBPF program verification; default ours (`EKU_EBPF_PROGRAM_VERIFICATION`). */
  readonly ebpfVerificationEku?: string;
  /** The start of validity; default five minutes ago (tolerates clock skew between machines). */
  readonly now?: Date;
}

/** The three certified keys of a development hierarchy. */
export interface DevHierarchy {
  readonly root: CertifiedKey;
  readonly intermediate: CertifiedKey;
  readonly signer: CertifiedKey;
}

/** Generates a key pair for signing or for a CA. */
export function generateSigningKeyPair(algorithm: SignatureKeyType = SignatureKeyType.ed25519): { privateKey: KeyObject; publicKey: KeyObject } {
  return algorithm === SignatureKeyType.ed25519 ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A private key as unencrypted PKCS#8 PEM. */
export function encodePrivateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * Creates a development root CA, an intermediate CA and a signing certificate in memory (see the module comment
 * for their profiles). `initDevKeys` writes them to disk.
 */
export async function createDevHierarchy(options: DevHierarchyOptions = {}): Promise<DevHierarchy> {
  const algorithm = options.algorithm ?? SignatureKeyType.ed25519;
  const eku = options.ebpfVerificationEku ?? EKU_EBPF_PROGRAM_VERIFICATION;
  if (!isObjectIdentifier(eku)) throw new RangeError(`ebpfVerificationEku '${eku}' is not a dotted-decimal object identifier`);
  const org = options.organization ?? 'bpfship development';
  if (/[,+=\\"<>;#]/.test(org)) throw new RangeError(`organization '${org}' holds a character with a meaning in distinguished names`);
  const start = new Date((options.now ?? new Date(Date.now() - 5 * 60 * 1000)).getTime());
  const until = (years: number): Date => new Date(start.getTime() + years * YEAR_MS);
  const ekus = [eku, EKU_CODE_SIGNING];
  const caUsage = KeyUsageBit.keyCertSign | KeyUsageBit.cRLSign;

  const rootKeys = generateSigningKeyPair(algorithm);
  const root = await issueCertificate({
    subject: `CN=${org} root CA, O=${org}`,
    publicKey: rootKeys.publicKey,
    issuer: { selfSigned: rootKeys.privateKey },
    notBefore: start,
    notAfter: until(10),
    basicConstraints: { ca: true, pathLength: 1 },
    keyUsage: caUsage,
    extendedKeyUsage: null,
  });
  const intKeys = generateSigningKeyPair(algorithm);
  const intermediate = await issueCertificate({
    subject: `CN=${org} intermediate CA, O=${org}`,
    publicKey: intKeys.publicKey,
    issuer: { certificate: root, privateKey: rootKeys.privateKey },
    notBefore: start,
    notAfter: until(5),
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: caUsage,
    extendedKeyUsage: ekus,
  });
  const signerKeys = generateSigningKeyPair(algorithm);
  const signer = await issueCertificate({
    subject: `CN=${org} signer, O=${org}`,
    publicKey: signerKeys.publicKey,
    issuer: { certificate: intermediate, privateKey: intKeys.privateKey },
    notBefore: start,
    notAfter: until(1),
    basicConstraints: { ca: false },
    keyUsage: KeyUsageBit.digitalSignature,
    extendedKeyUsage: ekus,
  });
  return {
    root: { certificate: root, privateKey: rootKeys.privateKey },
    intermediate: { certificate: intermediate, privateKey: intKeys.privateKey },
    signer: { certificate: signer, privateKey: signerKeys.privateKey },
  };
}

/** Absolute paths of the files `initDevKeys` wrote, by `DevKeyFile` name. */
export type DevKeyPaths = { readonly [K in keyof typeof DevKeyFile]: string };

/**
 * `bpfship keys init DIR`: creates the development hierarchy and writes its six files (keys 0600, certificates
 * 0644, the directory created 0700 when missing). Refuses with KEYS_EXIST, before writing anything, when one of
 * the files exists, unless `overwrite`.
 *
 * @example
 * ```ts
 * const paths = await initDevKeys('keys', { algorithm: 'ecdsa-p256' });
 * paths.signerKey; // '.../keys/signer.key'
 * ```
 */
export async function initDevKeys(dir: string, options: DevHierarchyOptions & { readonly overwrite?: boolean } = {}): Promise<DevKeyPaths> {
  const paths = Object.fromEntries(Object.entries(DevKeyFile).map(([k, f]) => [k, join(dir, f)])) as DevKeyPaths;
  if (options.overwrite !== true) {
    const existing = Object.values(paths).filter((p) => existsSync(p));
    if (existing.length > 0) throw new SignError('KEYS_EXIST', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; not overwriting keys (remove them, or ask for overwrite)`);
  }
  const h = await createDevHierarchy(options);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Without overwrite, 'wx' also closes the window between the check above and the write.
  const flags = options.overwrite === true ? 'w' : 'wx';
  writeFileSynced(paths.rootCertificate, h.root.certificate.toPem(), 0o644, flags);
  writeFileSynced(paths.rootKey, encodePrivateKeyPem(h.root.privateKey), 0o600, flags);
  writeFileSynced(paths.intermediateCertificate, h.intermediate.certificate.toPem(), 0o644, flags);
  writeFileSynced(paths.intermediateKey, encodePrivateKeyPem(h.intermediate.privateKey), 0o600, flags);
  writeFileSynced(paths.signerCertificate, h.signer.certificate.toPem(), 0o644, flags);
  writeFileSynced(paths.signerKey, encodePrivateKeyPem(h.signer.privateKey), 0o600, flags);
  return paths;
}

/**
 * Writes a file with exactly `mode` (fchmod before writing, since the umask only ever removes bits and an existing
 * file keeps its mode) and flushes it to disk.
 */
function writeFileSynced(path: string, text: string, mode: number, flags: 'w' | 'wx'): void {
  const fd = openSync(path, flags, mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a PEM private key: PKCS#8 (`PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with `passphrase`) or SEC1
 * (`EC PRIVATE KEY`), Ed25519 or ECDSA P-256. Throws KEY_INVALID or KEY_UNSUPPORTED.
 */
export function loadPrivateKey(pem: string | Uint8Array, options: { readonly passphrase?: string; readonly where?: Location } = {}): KeyObject {
  const where = options.where ?? {};
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  let key: KeyObject;
  try {
    key = createPrivateKey(options.passphrase === undefined ? { key: text, format: 'pem' } : { key: text, format: 'pem', passphrase: options.passphrase });
  } catch (e) {
    const err = e as { code?: string; message: string };
    const hint = /passphrase|bad decrypt/i.test(err.message) ? ' (is it encrypted? give its passphrase)' : '';
    throw new SignError('KEY_INVALID', `expected a PEM private key (PKCS#8 or SEC1): ${err.message}${hint}`, where, { cause: e });
  }
  if (signatureKeyTypeOf(key) === undefined) {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'}` : `a ${key.asymmetricKeyType ?? 'secret'} key`;
    throw new SignError('KEY_UNSUPPORTED', `the private key is ${what}; expected Ed25519 or ECDSA P-256`, where);
  }
  return key;
}

/** What `loadSigningIdentity` reads: PEM texts and, for messages, where they came from. */
export interface SigningIdentityInput {
  readonly privateKeyPem: string | Uint8Array;
  /** The signing certificate; further certificates in the same text are taken as intermediates (a "full chain" file). */
  readonly certificatePem: string;
  /** More intermediate certificates. */
  readonly chainPem?: readonly string[];
  readonly passphrase?: string;
  readonly keySource?: Location;
  readonly certificateSource?: Location;
}

/**
 * Loads a signing identity from PEM texts and checks that the key belongs to the certificate
 * (KEY_CERTIFICATE_MISMATCH otherwise). Does not validate the chain: `sign` may run where the roots are not.
 */
export function loadSigningIdentity(input: SigningIdentityInput): SigningIdentity {
  const privateKey = loadPrivateKey(input.privateKeyPem, {
    ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
    ...(input.keySource !== undefined ? { where: input.keySource } : {}),
  });
  const [certificate, ...rest] = parseCertificates(input.certificatePem, input.certificateSource !== undefined ? { where: input.certificateSource } : {});
  const intermediates = [...rest, ...(input.chainPem ?? []).flatMap((pem) => parseCertificates(pem))];
  if (certificate === undefined) throw new SignError('CERT_MALFORMED', 'expected a signing certificate, found none', input.certificateSource ?? {});
  assertKeyMatches(privateKey, certificate);
  return { privateKey, certificate, intermediates };
}

/** Throws KEY_CERTIFICATE_MISMATCH unless `privateKey` is the private half of `certificate`'s key. */
export function assertKeyMatches(privateKey: KeyObject, certificate: Certificate): void {
  const pub = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const certPub = certificate.publicKey.export({ type: 'spki', format: 'der' });
  if (!pub.equals(certPub)) {
    throw new SignError('KEY_CERTIFICATE_MISMATCH', `the private key does not belong to the certificate '${certificate.subject}'`);
  }
}

/**
 * Reads a signing identity from files: the key, the certificate (or a full-chain PEM) and any intermediate files.
 *
 * @example
 * ```ts
 * const signer = readSigningIdentity({ key: 'keys/signer.key', certificate: 'keys/signer.pem', chain: ['keys/intermediate-ca.pem'] });
 * ```
 */
export function readSigningIdentity(paths: { readonly key: string; readonly certificate: string; readonly chain?: readonly string[]; readonly passphrase?: string }): SigningIdentity {
  const chainPem = (paths.chain ?? []).map((p) => {
    const pem = readFileSync(p, 'utf8');
    parseCertificates(pem, { where: { file: p } }); // fails here, naming the file, rather than later without it
    return pem;
  });
  const identity = loadSigningIdentity({
    privateKeyPem: readFileSync(paths.key),
    certificatePem: readFileSync(paths.certificate, 'utf8'),
    chainPem,
    ...(paths.passphrase !== undefined ? { passphrase: paths.passphrase } : {}),
    keySource: { file: paths.key },
    certificateSource: { file: paths.certificate },
  });
  return identity;
}

/** Reads trusted root certificates from PEM files (each may hold several). Throws CERT_MALFORMED naming the file. */
export function readTrustedRoots(paths: readonly string[]): Certificate[] {
  return paths.flatMap((p) => parseCertificates(readFileSync(p, 'utf8'), { where: { file: p } }));
}

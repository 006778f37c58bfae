/**
 * Issues X.509 certificates with @peculiar/x509 (node 20 can parse certificates but not make them): used by
 * `keys init` for the development hierarchy, and by tests for every odd certificate the validator must refuse.
 *
 * Keys are node:crypto KeyObjects (Ed25519 or ECDSA P-256); they are imported into WebCrypto only to sign.
 *
 * Author: Claude.
 *
 * @module
 */
import { randomBytes, webcrypto, type KeyObject } from 'node:crypto';

type WebAlgorithm = webcrypto.Algorithm | webcrypto.EcKeyImportParams | webcrypto.EcdsaParams;
import { x509 } from './_x509.ts';
import { Certificate, SignatureKeyType, signatureKeyTypeOf, type BasicConstraints } from './certificate.ts';
import { SignError } from './errors.ts';

/** Who signs the new certificate: an existing CA, or the subject's own key (a self-signed root). */
export type CertificateIssuer =
  | { readonly certificate: Certificate; readonly privateKey: KeyObject }
  | { readonly selfSigned: KeyObject };

/** Everything a new certificate says. An extension given as `null` is left out, which tests use for odd cases. */
export interface IssueCertificateParams {
  /** RFC 4514-style name: `CN=bpfship development signer, O=bpfship development`. */
  readonly subject: string;
  /** The subject's public key (for a self-signed certificate, the public half of `issuer.selfSigned`). */
  readonly publicKey: KeyObject;
  readonly issuer: CertificateIssuer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints, marked critical; null leaves it out. */
  readonly basicConstraints: BasicConstraints | null;
  /** keyUsage bits (`KeyUsageBit`), marked critical; null leaves it out. */
  readonly keyUsage: number | null;
  /** Extended key usage OIDs, not critical; null leaves it out. */
  readonly extendedKeyUsage: readonly string[] | null;
  /** Hex serial; default 16 random bytes (positive, as RFC 5280 requires). */
  readonly serialNumber?: string;
}

/** WebCrypto's name for a key type, for import and for signing. */
function webAlgorithm(key: KeyObject): { importAs: WebAlgorithm; signWith: WebAlgorithm } {
  const type = signatureKeyTypeOf(key);
  if (type === SignatureKeyType.ed25519) return { importAs: { name: 'Ed25519' }, signWith: { name: 'Ed25519' } };
  if (type === SignatureKeyType.ecdsaP256) return { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, signWith: { name: 'ECDSA', hash: 'SHA-256' } };
  throw new SignError('KEY_UNSUPPORTED', `cannot issue certificates with a ${key.asymmetricKeyType ?? key.type} key; expected Ed25519 or ECDSA P-256`);
}

/** A KeyObject as a WebCrypto key. */
async function toCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const { importAs } = webAlgorithm(key);
  if (key.type === 'private') return webcrypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), importAs, false, ['sign']);
  return webcrypto.subtle.importKey('spki', key.export({ type: 'spki', format: 'der' }), importAs, true, ['verify']);
}

/** A random positive serial of 16 bytes, as hex. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x01; // positive, and no leading zero octet to strip
  return b.toString('hex');
}

/**
 * Issues one certificate: subject key identifier always, authority key identifier when issued by a CA (copied
 * from the CA's subject key identifier), and the extensions asked for.
 *
 * @example
 * ```ts
 * const root = await issueCertificate({
 *   subject: 'CN=Example Root', publicKey, issuer: { selfSigned: privateKey },
 *   notBefore, notAfter, basicConstraints: { ca: true, pathLength: 1 },
 *   keyUsage: KeyUsageBit.keyCertSign | KeyUsageBit.cRLSign, extendedKeyUsage: null,
 * });
 * ```
 */
export async function issueCertificate(params: IssueCertificateParams): Promise<Certificate> {
  const signingKey = 'selfSigned' in params.issuer ? params.issuer.selfSigned : params.issuer.privateKey;
  const { signWith } = webAlgorithm(signingKey);
  const publicKey = await toCryptoKey(params.publicKey);
  const extensions: InstanceType<typeof x509.Extension>[] = [];
  if (params.basicConstraints !== null) extensions.push(new x509.BasicConstraintsExtension(params.basicConstraints.ca, params.basicConstraints.pathLength, true));
  if (params.keyUsage !== null) extensions.push(new x509.KeyUsagesExtension(params.keyUsage, true));
  if (params.extendedKeyUsage !== null) extensions.push(new x509.ExtendedKeyUsageExtension([...params.extendedKeyUsage], false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
  let issuerName = params.subject;
  if ('certificate' in params.issuer) {
    const issuerCert = new x509.X509Certificate(params.issuer.certificate.der);
    issuerName = issuerCert.subject;
    const ski = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension);
    extensions.push(ski !== null ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(await toCryptoKey(params.issuer.certificate.publicKey)));
  }
  const made = await x509.X509CertificateGenerator.create({
    serialNumber: params.serialNumber ?? randomSerial(),
    subject: params.subject,
    issuer: issuerName,
    notBefore: params.notBefore,
    notAfter: params.notAfter,
    publicKey,
    signingKey: await toCryptoKey(signingKey),
    signingAlgorithm: signWith,
    extensions,
  });
  return Certificate.fromDer(new Uint8Array(made.rawData));
}

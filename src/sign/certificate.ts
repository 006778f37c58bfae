/**
 * An X.509 certificate as the path validator sees it: parsed once, both by node:crypto (OpenSSL: signatures, keys,
 * issuer matching) and by @peculiar/x509 (extensions, which node 20 does not expose), with the facts the validator
 * needs as plain fields.
 *
 * Author: Claude.
 *
 * @module
 */
import { X509Certificate as NodeCertificate, createHash, type KeyObject } from 'node:crypto';
import type { Location } from '../internal/errors.ts';
import { DerError, decodeExtendedKeyUsage } from './_der.ts';
import { x509 } from './_x509.ts';
import { decodePem, encodePem } from './encoding.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import { ExtensionOid } from './oids.ts';

/** keyUsage bits (RFC 5280 section 4.2.1.3), numbered as @peculiar/x509 numbers them. */
export const KeyUsageBit = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

/** The kinds of public key a signing certificate may hold (issuing CAs may hold any key OpenSSL verifies with). */
export const SignatureKeyType = { ed25519: 'ed25519', ecdsaP256: 'ecdsa-p256' } as const;
/** One of `SignatureKeyType`. */
export type SignatureKeyType = (typeof SignatureKeyType)[keyof typeof SignatureKeyType];

/** The facts of a certificate that an audit line or `--json` output shows. */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** Lowercase hex, no leading zeros (see `normalizeSerial`). */
  readonly serialNumber: string;
  /** SHA-256 of the DER certificate, lowercase hex. */
  readonly fingerprint256: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/** basicConstraints (RFC 5280 section 4.2.1.9). */
export interface BasicConstraints {
  readonly ca: boolean;
  /** pathLenConstraint, when present. */
  readonly pathLength?: number;
}

/**
 * Normalises a certificate serial number for comparison: lowercase hex, colons and leading zeros removed (DER adds
 * a leading 00 octet to keep a serial positive; tools differ on whether they print it).
 */
export function normalizeSerial(serial: string): string {
  const hex = serial.toLowerCase().replace(/:/g, '').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/** The key type of a public or private key if a signing certificate may hold it, else undefined. */
export function signatureKeyTypeOf(key: KeyObject): SignatureKeyType | undefined {
  if (key.asymmetricKeyType === 'ed25519') return SignatureKeyType.ed25519;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return SignatureKeyType.ecdsaP256;
  return undefined;
}

/**
 * Certificates already parsed, by SHA-256 of their DER. Parsing extensions with @peculiar/x509 costs about a
 * millisecond per certificate, and a runtime sees the same signer and intermediates on every image; a certificate
 * is immutable and keyed by the hash of all its bytes, so sharing the parsed object is safe.
 */
const parsedCache = new Map<string, Certificate>();
const PARSED_CACHE_SIZE = 256;

/** Extensions the path validator processes; any other extension marked critical makes the certificate unacceptable. */
const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(ExtensionOid));

/**
 * A parsed certificate. Build one with `Certificate.fromDer` or `parseCertificates`; the constructor is private so
 * that every instance went through the checks.
 */
export class Certificate {
  /** The DER encoding, exactly as read. */
  readonly der: Uint8Array;
  /** node:crypto's view, for `verify` and `checkIssued`. */
  readonly node: NodeCertificate;
  /** The subject as an RFC 4514-style string (`CN=bpfship development signer, O=...`). */
  readonly subject: string;
  /** The issuer, in the same form. */
  readonly issuer: string;
  /** See `normalizeSerial`. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Undefined when the extension is absent. */
  readonly basicConstraints: BasicConstraints | undefined;
  /** keyUsage bits (`KeyUsageBit`), undefined when the extension is absent (which RFC 5280 reads as "any"). */
  readonly keyUsage: number | undefined;
  /** Extended key usage OIDs, undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** OIDs of the extensions marked critical. */
  readonly criticalExtensions: readonly string[];
  /** SHA-256 of `der`, lowercase hex. */
  readonly fingerprint256: string;
  /** The subject public key. */
  readonly publicKey: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo, `sha256:<hex>`: the DSSE keyid of signatures made with this key. */
  readonly keyId: string;
  /** The subjectKeyIdentifier extension (hex), when present. */
  readonly subjectKeyIdentifier: string | undefined;
  /** The keyIdentifier of the authorityKeyIdentifier extension (hex), when present. */
  readonly authorityKeyIdentifier: string | undefined;
  /** DER of the subject and issuer Names (hex), compared byte for byte to link a certificate to its issuer. */
  private readonly subjectNameDer: string;
  private readonly issuerNameDer: string;

  private constructor(der: Uint8Array, node: NodeCertificate, parsed: InstanceType<typeof x509.X509Certificate>, where: Location) {
    this.der = new Uint8Array(der); // a copy: the caller's buffer may change, the cache key must not
    this.node = node;
    this.subject = parsed.subject;
    this.issuer = parsed.issuer;
    this.serialNumber = normalizeSerial(parsed.serialNumber);
    this.notBefore = parsed.notBefore;
    this.notAfter = parsed.notAfter;
    this.fingerprint256 = createHash('sha256').update(der).digest('hex');
    this.publicKey = node.publicKey;
    this.keyId = 'sha256:' + createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

    this.subjectNameDer = Buffer.from(parsed.subjectName.toArrayBuffer()).toString('hex');
    this.issuerNameDer = Buffer.from(parsed.issuerName.toArrayBuffer()).toString('hex');
    let subjectKeyIdentifier: string | undefined;
    let authorityKeyIdentifier: string | undefined;
    let basicConstraints: BasicConstraints | undefined;
    let keyUsage: number | undefined;
    let extendedKeyUsage: string[] | undefined;
    const critical: string[] = [];
    const seen = new Set<string>();
    for (const ext of parsed.extensions) {
      // RFC 5280 section 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      if (seen.has(ext.type)) throw new SignError('CERT_MALFORMED', `certificate '${this.subject}' has two ${ext.type} extensions`, where);
      seen.add(ext.type);
      if (ext.critical) critical.push(ext.type);
      if (ext instanceof x509.BasicConstraintsExtension) {
        basicConstraints = ext.pathLength === undefined ? { ca: ext.ca } : { ca: ext.ca, pathLength: ext.pathLength };
      } else if (ext instanceof x509.KeyUsagesExtension) {
        keyUsage = ext.usages as number;
      } else if (ext instanceof x509.SubjectKeyIdentifierExtension) {
        subjectKeyIdentifier = ext.keyId.toLowerCase();
      } else if (ext instanceof x509.AuthorityKeyIdentifierExtension) {
        authorityKeyIdentifier = ext.keyId?.toLowerCase();
      } else if (ext.type === ExtensionOid.extKeyUsage) {
        try {
          extendedKeyUsage = decodeExtendedKeyUsage(new Uint8Array(ext.value));
        } catch (e) {
          if (!(e instanceof DerError)) throw e;
          throw new SignError('CERT_MALFORMED', `certificate '${this.subject}' has a malformed extendedKeyUsage extension: ${e.message}`, where);
        }
      }
    }
    this.subjectKeyIdentifier = subjectKeyIdentifier;
    this.authorityKeyIdentifier = authorityKeyIdentifier;
    this.basicConstraints = basicConstraints;
    this.keyUsage = keyUsage;
    this.extendedKeyUsage = extendedKeyUsage;
    this.criticalExtensions = critical;
  }

  /**
   * Parses one DER certificate. Anything that is not exactly one well-formed certificate (trailing bytes, a
   * duplicate extension, an undecodable extension) throws a SignError with `code` (CERT_MALFORMED by default).
   */
  static fromDer(der: Uint8Array, where: Location = {}, code: SignErrorCode = 'CERT_MALFORMED'): Certificate {
    const digest = createHash('sha256').update(der).digest('hex');
    const cached = parsedCache.get(digest);
    if (cached !== undefined) {
      // Most recently used last, so the oldest entry is the first one the Map iterates.
      parsedCache.delete(digest);
      parsedCache.set(digest, cached);
      return cached;
    }
    const cert = Certificate.parse(der, where, code);
    parsedCache.set(digest, cert);
    if (parsedCache.size > PARSED_CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value as string);
    return cert;
  }

  private static parse(der: Uint8Array, where: Location, code: SignErrorCode): Certificate {
    let node: NodeCertificate;
    let parsed: InstanceType<typeof x509.X509Certificate>;
    try {
      node = new NodeCertificate(der);
      parsed = new x509.X509Certificate(der);
    } catch (e) {
      throw new SignError(code, `expected a DER X.509 certificate: ${(e as Error).message}`, where, { cause: e });
    }
    if (node.raw.length !== der.length) {
      throw new SignError(code, `${der.length - node.raw.length} bytes follow the certificate '${parsed.subject}'`, where);
    }
    try {
      return new Certificate(der, node, parsed, where);
    } catch (e) {
      if (e instanceof SignError) throw e;
      throw new SignError(code, `certificate '${parsed.subject}' has an extension that cannot be decoded: ${(e as Error).message}`, where, { cause: e });
    }
  }

  /** True when subject and issuer are the same name (a root, or a CA's key-rollover certificate). */
  get isSelfIssued(): boolean {
    return this.subjectNameDer === this.issuerNameDer;
  }

  /**
   * True when `issuer` looks like this certificate's issuer: its subject name is this issuer name (byte for byte,
   * as RFC 5280 expects CAs to encode them), and the key identifiers agree when both are present. Unlike node's
   * `checkIssued` (OpenSSL's X509_check_issued), this ignores the issuer's keyUsage, so that the path validator can
   * report a CA without keyCertSign as such rather than as a missing issuer.
   */
  namesIssuer(issuer: Certificate): boolean {
    if (this.issuerNameDer !== issuer.subjectNameDer) return false;
    return this.authorityKeyIdentifier === undefined || issuer.subjectKeyIdentifier === undefined || this.authorityKeyIdentifier === issuer.subjectKeyIdentifier;
  }

  /** True when `issuer` names this certificate's issuer (`namesIssuer`) and its key verifies this certificate's signature. */
  isIssuedBy(issuer: Certificate): boolean {
    return this.namesIssuer(issuer) && this.signatureVerifiesWith(issuer);
  }

  /** True when `issuer`'s key verifies this certificate's signature (names are not compared). */
  signatureVerifiesWith(issuer: Certificate): boolean {
    try {
      return this.node.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }

  /** The certificate as one PEM block. */
  toPem(): string {
    return encodePem('CERTIFICATE', this.der);
  }

  /** The plain facts, for audit lines and JSON output. */
  summary(): CertificateSummary {
    return {
      subject: this.subject,
      issuer: this.issuer,
      serialNumber: this.serialNumber,
      fingerprint256: this.fingerprint256,
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
    };
  }

  /** True when some critical extension is one the validator does not process; returns its OID. */
  unknownCriticalExtension(): string | undefined {
    return this.criticalExtensions.find((oid) => !UNDERSTOOD_EXTENSIONS.has(oid));
  }
}

/** How `parseCertificates` reads a PEM text. */
export interface ParseCertificatesOptions {
  /** Only PEM blocks and line ends allowed (signature files); else text around blocks is skipped. Default false. */
  readonly strict?: boolean;
  /** Where the text came from, for errors. */
  readonly where?: Location;
  /** The code of a PEM fault (default CERT_MALFORMED). */
  readonly pemCode?: SignErrorCode;
}

/**
 * Parses every certificate of a PEM text, in order. A block with another label than CERTIFICATE, or a text with no
 * certificate at all, is an error.
 *
 * @example
 * ```ts
 * const roots = parseCertificates(readFileSync('root-ca.pem', 'utf8'), { where: { file: 'root-ca.pem' } });
 * ```
 */
export function parseCertificates(text: string, options: ParseCertificatesOptions = {}): Certificate[] {
  const where = options.where ?? {};
  const code = options.pemCode ?? 'CERT_MALFORMED';
  const blocks = decodePem(text, { strict: options.strict ?? false, code, where });
  if (blocks.length === 0) throw new SignError(code, 'expected at least one PEM block -----BEGIN CERTIFICATE-----, found none', where);
  return blocks.map((block, i) => {
    if (block.label !== 'CERTIFICATE') throw new SignError(code, `PEM block ${i + 1} is '${block.label}', expected 'CERTIFICATE'`, where);
    return Certificate.fromDer(block.der, where);
  });
}

/**
 * DSSE v1 (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse): the envelope that carries our signed
 * in-toto statement.
 *
 * What is signed is never the payload alone but its pre-authentication encoding,
 *
 * ```
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * ```
 *
 * (LEN: the byte length in ASCII decimal, no leading zeros; SP: one space), so that a signature over one payload
 * type can never be replayed as a signature over another.
 *
 * Algorithms. Ed25519 signs the PAE directly (pure Ed25519, RFC 8032): a 64-byte signature. ECDSA P-256 signs the
 * SHA-256 of the PAE and the signature is **DER** (ASN.1 `SEQUENCE { r INTEGER, s INTEGER }`), the encoding
 * cosign and the sigstore bundles use for DSSE, so their tools read ours; IEEE-P1363 (r || s) is refused rather
 * than guessed at, so each signature has one encoding.
 *
 * Author: Claude.
 *
 * @module
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { SignatureKeyType, signatureKeyTypeOf } from './certificate.ts';
import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { SignError } from './errors.ts';

/** The payloadType of an in-toto statement (in-toto attestation framework, envelope layer). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** One signature of an envelope. */
export interface DsseSignature {
  /** A hint naming the key (ours: `sha256:<hex of the SPKI>`); unauthenticated, but checked against the certificate. */
  readonly keyid: string;
  /** The signature over the PAE, base64. */
  readonly sig: string;
}

/** The envelope as it appears in JSON. */
export interface DsseEnvelope {
  readonly payloadType: string;
  /** The payload bytes, base64. */
  readonly payload: string;
  readonly signatures: readonly DsseSignature[];
}

const encoder = new TextEncoder();

/**
 * The pre-authentication encoding of `payload` under `payloadType`.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(preAuthEncoding('t', new TextEncoder().encode('hi'))); // 'DSSEv1 1 t 2 hi'
 * ```
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/** The key's signature algorithm, or a KEY_UNSUPPORTED error naming what it is. */
function keyTypeOrThrow(key: KeyObject, role: string): SignatureKeyType {
  const type = signatureKeyTypeOf(key);
  if (type === undefined) {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'}` : `a ${key.asymmetricKeyType ?? key.type} key`;
    throw new SignError('KEY_UNSUPPORTED', `the ${role} is ${what}; expected Ed25519 or ECDSA P-256`);
  }
  return type;
}

/** Signs `pae` with `privateKey` (Ed25519, or ECDSA P-256 with SHA-256 and a DER signature). */
export function signPae(pae: Uint8Array, privateKey: KeyObject): Uint8Array {
  const type = keyTypeOrThrow(privateKey, 'signing key');
  const sig = type === SignatureKeyType.ed25519 ? cryptoSign(null, pae, privateKey) : cryptoSign('sha256', pae, { key: privateKey, dsaEncoding: 'der' });
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
}

/** True when `sig` is a valid signature of `pae` by `publicKey`, in the encoding described in the module comment. */
export function verifyPae(pae: Uint8Array, sig: Uint8Array, publicKey: KeyObject): boolean {
  const type = keyTypeOrThrow(publicKey, 'signing certificate key');
  try {
    if (type === SignatureKeyType.ed25519) return sig.length === 64 && cryptoVerify(null, pae, publicKey, sig);
    return cryptoVerify('sha256', pae, { key: publicKey, dsaEncoding: 'der' }, sig);
  } catch {
    // OpenSSL throws on some malformed DER signatures instead of returning false; either way it does not verify.
    return false;
  }
}

/**
 * Makes an envelope holding `payload`, signed once with `privateKey`.
 *
 * @example
 * ```ts
 * const env = signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes, key, cert.keyId);
 * ```
 */
export function signEnvelope(payloadType: string, payload: Uint8Array, privateKey: KeyObject, keyid: string): DsseEnvelope {
  const sig = signPae(preAuthEncoding(payloadType, payload), privateKey);
  return { payloadType, payload: encodeBase64(payload), signatures: [{ keyid, sig: encodeBase64(sig) }] };
}

/** What `verifyEnvelope` returns: the payload bytes, now authenticated. */
export interface VerifiedEnvelope {
  readonly payloadType: string;
  readonly payload: Uint8Array;
}

/**
 * Checks an envelope's single signature with `publicKey`: payload type, one signature, keyid (when not empty)
 * equal to `keyId`, then the signature over the PAE. Returns the payload; throws a SignError (DSSE_*) otherwise.
 */
export function verifyEnvelope(envelope: DsseEnvelope, publicKey: KeyObject, keyId: string, expectedPayloadType: string = IN_TOTO_PAYLOAD_TYPE): VerifiedEnvelope {
  if (envelope.payloadType !== expectedPayloadType) {
    throw new SignError('DSSE_PAYLOAD_TYPE', `the envelope's payloadType is '${envelope.payloadType}', expected '${expectedPayloadType}'`);
  }
  if (envelope.signatures.length === 0) throw new SignError('DSSE_NO_SIGNATURE', 'the envelope carries no signature');
  if (envelope.signatures.length > 1) {
    throw new SignError('DSSE_TOO_MANY_SIGNATURES', `the envelope carries ${envelope.signatures.length} signatures, expected 1 (the file holds one certificate chain)`);
  }
  const signature = envelope.signatures[0] as DsseSignature;
  if (signature.keyid !== '' && signature.keyid !== keyId) {
    throw new SignError('DSSE_KEYID_MISMATCH', `the signature's keyid '${signature.keyid}' is not the signing certificate's key '${keyId}'`);
  }
  const payload = decodeBase64Strict(envelope.payload, 'the envelope payload', 'SIGFILE_BASE64');
  const sig = decodeBase64Strict(signature.sig, 'the envelope signature', 'SIGFILE_BASE64');
  if (!verifyPae(preAuthEncoding(envelope.payloadType, payload), sig, publicKey)) {
    throw new SignError('DSSE_SIGNATURE_INVALID', "the envelope's signature does not verify with the signing certificate's key over the payload");
  }
  return { payloadType: envelope.payloadType, payload };
}

/**
 * Checks that a parsed JSON value has the envelope's shape (and nothing else), with canonical base64 in `payload`
 * and every `sig`. Throws SIGFILE_SHAPE or SIGFILE_BASE64.
 */
export function parseEnvelope(value: unknown, path = 'dsseEnvelope'): DsseEnvelope {
  const obj = expectObject(value, path, ['payloadType', 'payload', 'signatures']);
  const payloadType = expectString(obj['payloadType'], `${path}.payloadType`);
  const payload = expectString(obj['payload'], `${path}.payload`);
  decodeBase64Strict(payload, `${path}.payload`, 'SIGFILE_BASE64');
  const list = obj['signatures'];
  if (!Array.isArray(list)) throw shape(`${path}.signatures`, 'an array', list);
  const signatures = list.map((s: unknown, i): DsseSignature => {
    const p = `${path}.signatures[${i}]`;
    const o = expectObject(s, p, ['keyid', 'sig']);
    const keyid = o['keyid'] === undefined ? '' : expectString(o['keyid'], `${p}.keyid`);
    const sig = expectString(o['sig'], `${p}.sig`);
    decodeBase64Strict(sig, `${p}.sig`, 'SIGFILE_BASE64');
    return { keyid, sig };
  });
  return { payloadType, payload, signatures };
}

function shape(path: string, expected: string, found: unknown): SignError {
  const kind = found === null ? 'null' : Array.isArray(found) ? 'an array' : found === undefined ? 'nothing' : `a ${typeof found}`;
  return new SignError('SIGFILE_SHAPE', `${path} should be ${expected}, found ${kind}`);
}

/** An object with only the keys listed (extra keys are refused: a signature file has nothing optional to add). */
export function expectObject(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw shape(path, 'an object', value);
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) throw new SignError('SIGFILE_SHAPE', `${path} has the unexpected field '${k}' (expected ${keys.map((x) => `'${x}'`).join(', ')})`);
  }
  return value as Record<string, unknown>;
}

/** A string field. */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw shape(path, 'a string', value);
  return value;
}

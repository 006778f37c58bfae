/**
 * The `.sig` file written beside a native image (`prog.so` → `prog.so.sig`): the DSSE envelope and the PEM
 * certificate chain that vouches for its signer, in one JSON document.
 *
 * ```json
 * {
 *   "mediaType": "application/vnd.bpfship.signature.v1+json",
 *   "dsseEnvelope": { "payloadType": "application/vnd.in-toto+json", "payload": "<base64>",
 *                     "signatures": [{ "keyid": "sha256:<hex of the signer's SPKI>", "sig": "<base64>" }] },
 *   "certificateChain": "-----BEGIN CERTIFICATE-----\n<signer>...-----END CERTIFICATE-----\n<intermediates>..."
 * }
 * ```
 *
 * The chain is PEM so that `jq -r .certificateChain prog.so.sig | openssl x509 -text` works; it holds the signing
 * certificate first, then intermediates, and usually not the root (the verifier brings its own roots, and a root in
 * the file adds nothing, since trust never comes from the file). Reading is strict: the file is read by a runtime
 * deciding whether to load code, so every field must be exactly as written here.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Location } from '../internal/errors.ts';
import { Certificate, parseCertificates } from './certificate.ts';
import { MAX_PATH_LENGTH } from './chain.ts';
import { expectObject, expectString, parseEnvelope, type DsseEnvelope } from './dsse.ts';
import { SignError } from './errors.ts';

/** The media type that opens every signature file; a new layout gets a new version. */
export const SIGNATURE_FILE_MEDIA_TYPE = 'application/vnd.bpfship.signature.v1+json';

/** Largest signature file read (a statement is at most 1 MiB, base64 makes it 4/3 of that, plus a few certificates). */
export const MAX_SIGNATURE_FILE_BYTES = 4 << 20;

/** A parsed signature file. */
export interface SignatureFile {
  readonly envelope: DsseEnvelope;
  /** The signing certificate first, then the intermediates. */
  readonly certificates: readonly Certificate[];
}

/** The signature file's path for an image path: the image's name with `.sig` appended. */
export function signatureFilePath(imagePath: string): string {
  return imagePath + '.sig';
}

/** Writes a signature file as pretty-printed JSON with a final newline. */
export function formatSignatureFile(file: SignatureFile): string {
  const doc = {
    mediaType: SIGNATURE_FILE_MEDIA_TYPE,
    dsseEnvelope: {
      payloadType: file.envelope.payloadType,
      payload: file.envelope.payload,
      signatures: file.envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
    },
    certificateChain: file.certificates.map((c) => c.toPem()).join(''),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/**
 * Reads a signature file. Throws a SignError naming the fault: SIGFILE_JSON (not UTF-8 JSON, or too large),
 * SIGFILE_SHAPE (a field missing, extra or of the wrong type; another media type), SIGFILE_BASE64, SIGFILE_PEM,
 * CERT_MALFORMED. `where.file` should name the file, for messages.
 *
 * @example
 * ```ts
 * const sig = parseSignatureFile(readFileSync('prog.so.sig'), { file: 'prog.so.sig' });
 * ```
 */
export function parseSignatureFile(input: Uint8Array | string, where: Location = {}): SignatureFile {
  try {
    return parse(input);
  } catch (e) {
    if (e instanceof SignError) throw e.withLocation(where);
    throw e;
  }
}

function parse(input: Uint8Array | string): SignatureFile {
  const size = typeof input === 'string' ? input.length : input.length;
  if (size > MAX_SIGNATURE_FILE_BYTES) throw new SignError('SIGFILE_JSON', `the signature file has ${size} bytes, more than the ${MAX_SIGNATURE_FILE_BYTES} allowed`);
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new SignError('SIGFILE_JSON', 'the signature file is not UTF-8 text');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SignError('SIGFILE_JSON', `the signature file is not JSON: ${(e as Error).message}`);
  }
  const doc = expectObject(value, 'the signature file', ['mediaType', 'dsseEnvelope', 'certificateChain']);
  const mediaType = expectString(doc['mediaType'], 'mediaType');
  if (mediaType !== SIGNATURE_FILE_MEDIA_TYPE) throw new SignError('SIGFILE_SHAPE', `mediaType is '${mediaType.slice(0, 80)}', expected '${SIGNATURE_FILE_MEDIA_TYPE}'`);
  const envelope = parseEnvelope(doc['dsseEnvelope']);
  const chainText = expectString(doc['certificateChain'], 'certificateChain');
  let certificates: Certificate[];
  try {
    certificates = parseCertificates(chainText, { strict: true, pemCode: 'SIGFILE_PEM' });
  } catch (e) {
    // Line numbers from the PEM reader count lines of the chain string, not of the file: say so in the text.
    if (!(e instanceof SignError)) throw e;
    const at = e.where.line !== undefined ? `certificateChain line ${e.where.line}` : 'certificateChain';
    throw new SignError(e.code, `${at}: ${e.detail}`, {}, { cause: e });
  }
  if (certificates.length > MAX_PATH_LENGTH + 1) {
    throw new SignError('SIGFILE_SHAPE', `certificateChain holds ${certificates.length} certificates, more than the ${MAX_PATH_LENGTH + 1} allowed`);
  }
  return { envelope, certificates };
}

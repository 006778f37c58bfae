/**
 * Opening a native image under a load policy: the bytes read once, decided on by the policy (signature, chain,
 * digests, program-info hashes, audit line), then loaded from a sealed memfd holding exactly those bytes and bound
 * to the runtime core. Replacing the file on disk after the check changes nothing: the file is never read again,
 * and the loader checks the memfd's content against the digest the policy allowed before it maps it.
 *
 * Author: Claude.
 *
 * @module
 */
import { basename } from 'node:path';
import { MAX_NATIVE_IMAGE_BYTES, readBoundedFile, readSignatureFileAt } from './bounded-file.ts';
import type { Location } from '../internal/errors.ts';
import { signatureFilePath } from '../sign/index.ts';
import { PolicyName, type AllowedLoad, type LoadPolicy } from '../policy/index.ts';
import { NativeImageError } from '../native/index.ts';
import { openNativeObject, type NativeObject, type NativeObjectOptions } from './native/native-object.ts';

/** Options of {@link openNativeImage}. */
export interface OpenNativeImageOptions extends Omit<NativeObjectOptions, 'expectedSha256' | 'sealedOnly'> {
  readonly policy: LoadPolicy;
  /** The signature file's content; undefined for an unsigned image. */
  readonly signature?: Uint8Array | string | undefined;
  readonly signatureSource?: Location;
  /** Why the signature file, which exists, could not be read: the policy refuses and audits it. */
  readonly signatureUnreadable?: string;
  /**
   * Called once the policy has allowed the bytes and before they are loaded. A seam for tests (replace the file on
   * disk here: what loads is still what was checked) and for hosts that report decisions.
   */
  readonly afterCheck?: (decision: AllowedLoad) => void;
}

/** An opened image and the decision that allowed it. */
export interface OpenedNativeImage {
  readonly object: NativeObject;
  readonly decision: AllowedLoad;
}

/**
 * Decides on `bytes` under `options.policy` and, when allowed, loads exactly those bytes (see the module comment).
 *
 * @example
 * ```ts
 * const policy = LoadPolicy.production({ trustedRoots, auditLog });
 * const { object } = openNativeImage(bytes, { policy, name: 'prog.so', signature: sigBytes });
 * object.runXdp('xdp_prog', frame);
 * ```
 * @throws {PolicyRefusedError} when the policy refuses (nothing was loaded; the refusal is in the audit log);
 *   NativeImageError / NativeBindError when the allowed image cannot be loaded or bound.
 */
export function openNativeImage(bytes: Uint8Array, options: OpenNativeImageOptions): OpenedNativeImage {
  const name = options.name ?? 'image.so';
  const debugDirectory = options.debugDirectory ?? (process.env.BPFSHIP_NATIVE_DEBUG_DIR || undefined);
  const decision = options.policy.admit({
    bytes,
    name,
    input: 'native-image',
    mode: 'native',
    signature: options.signature,
    ...(options.signatureSource !== undefined ? { signatureSource: options.signatureSource } : {}),
    ...(options.signatureUnreadable !== undefined ? { signatureUnreadable: options.signatureUnreadable } : {}),
    debugDirectory,
  });
  options.afterCheck?.(decision);
  const production = options.policy.name === PolicyName.production;
  const { policy: _policy, signature: _signature, signatureSource: _source, signatureUnreadable: _unreadable, afterCheck: _after, ...loadOptions } = options;
  const object = openNativeObject(bytes, { ...loadOptions, name, expectedSha256: decision.imageDigest.slice('sha256:'.length), sealedOnly: production });
  if (production && decision.metadata !== undefined && !sameTable(decision.metadata, object.image.metadata)) {
    // The loaded table is decoded from the mapped image; it must say what the checked bytes said.
    object.close();
    throw new NativeImageError(`${name}: the loaded image's description table differs from the one checked before loading`);
  }
  return { object, decision };
}

/** Options of {@link openNativeImageFile}. */
export interface OpenNativeImageFileOptions extends Omit<OpenNativeImageOptions, 'signature' | 'signatureSource' | 'name'> {
  /** The signature file; default `<image>.sig` (absent: an unsigned image). */
  readonly signaturePath?: string;
}

/**
 * {@link openNativeImage} for a file: the image and its signature file are each read once, as regular files within
 * their size limits (bounded-file.ts); a signature file that exists but cannot be read is a refusal the policy
 * audits.
 *
 * @throws {BoundedFileError} (a RuntimeLoadError) when the image file cannot be read; as {@link openNativeImage} otherwise.
 */
export function openNativeImageFile(path: string, options: OpenNativeImageFileOptions): OpenedNativeImage {
  const bytes = readBoundedFile(path, MAX_NATIVE_IMAGE_BYTES, 'native image');
  const signaturePath = options.signaturePath ?? signatureFilePath(path);
  const signature = readSignatureFileAt(signaturePath);
  const { signaturePath: _sp, ...rest } = options;
  return openNativeImage(bytes, {
    ...rest,
    name: basename(path),
    signature: signature.bytes,
    signatureSource: { file: signaturePath },
    ...(signature.unreadable !== undefined ? { signatureUnreadable: signature.unreadable } : {}),
  });
}

/** Whether two decoded tables describe the same image (byte arrays compared by content). */
function sameTable(a: unknown, b: unknown): boolean {
  const text = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
  return text(a) === text(b);
}

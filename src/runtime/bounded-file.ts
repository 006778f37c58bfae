/**
 * Reading the files a runtime loads: a native image and its signature file must be regular files no larger than
 * their limits, and both are checked on the opened descriptor before a byte is read (a `.sig` that is a link to
 * /dev/zero, a FIFO or a 10 GB file is refused at once, not read until memory runs out; the descriptor is opened
 * non-blocking so that a FIFO cannot stall the open either).
 *
 * | file | limit |
 * |---|---|
 * | native image (`run IMAGE.so`, openNativeImageFile) | {@link MAX_NATIVE_IMAGE_BYTES}: 64 MiB, what `bpfship fetch` accepts |
 * | signature file (`IMAGE.so.sig`) | {@link MAX_SIGNATURE_FILE_BYTES}: 4 MiB, what the sign layer parses |
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_SIGNATURE_FILE_BYTES } from '../sign/index.ts';
import { RuntimeLoadError } from './errors.ts';

/** The largest native image a runtime reads: 64 MiB (images of the corpus are well under 1 MiB). */
export const MAX_NATIVE_IMAGE_BYTES = 64 << 20;

export { MAX_SIGNATURE_FILE_BYTES };

/** Why a file cannot be read as asked: `missing` (ENOENT) apart from every other reason. */
export class BoundedFileError extends RuntimeLoadError {
  readonly missing: boolean;
  /** The reason without the path, for audit lines. */
  readonly reason: string;

  constructor(path: string, reason: string, missing: boolean) {
    super(`${path}: ${reason}`, { file: path });
    this.name = 'BoundedFileError';
    this.missing = missing;
    this.reason = reason;
  }
}

/**
 * The bytes of a regular file of at most `maxBytes` (see the module comment); `what` names it in messages.
 *
 * @throws {BoundedFileError} when it is missing, not a regular file, larger than `maxBytes`, or unreadable.
 */
export function readBoundedFile(path: string, maxBytes: number, what: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new BoundedFileError(path, code === 'ENOENT' ? `no such ${what}` : `cannot open the ${what}: ${(e as Error).message}`, code === 'ENOENT');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedFileError(path, `the ${what} is not a regular file (${kindOf(st)})`, false);
    if (st.size > maxBytes) throw new BoundedFileError(path, `the ${what} is ${st.size} bytes, more than the ${maxBytes} accepted`, false);
    const bytes = new Uint8Array(st.size);
    let at = 0;
    while (at < bytes.length) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break; // the file shrank since fstat: what is there is what is read
      at += n;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } catch (e) {
    if (e instanceof BoundedFileError) throw e;
    throw new BoundedFileError(path, `cannot read the ${what}: ${(e as Error).message}`, false);
  } finally {
    closeSync(fd);
  }
}

/**
 * A native image's signature file: its bytes, nothing when there is no such file (an unsigned image), or why it
 * exists but cannot be read (which the load policy refuses and audits: see LoadRequest.signatureUnreadable).
 */
export function readSignatureFileAt(path: string): { readonly bytes?: Uint8Array; readonly unreadable?: string } {
  try {
    return { bytes: readBoundedFile(path, MAX_SIGNATURE_FILE_BYTES, 'signature file') };
  } catch (e) {
    if (e instanceof BoundedFileError) return e.missing ? {} : { unreadable: e.reason };
    throw e;
  }
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

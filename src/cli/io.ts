/**
 * File input and output for the commands: reading an input with an error that names it, and writing an output
 * whole or not at all (a temporary file renamed into place), so that a failure never leaves half an artifact.
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A problem with the command line or the files it names: reported without a stack, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Reads a whole input file; a missing or unreadable file is a UsageError naming it. */
export function readInput(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory, expected a file`);
    if (code === 'EACCES') throw new UsageError(`${path}: permission denied`);
    throw new UsageError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/** Writes `data` to `path` atomically: into a temporary file beside it, then renamed over it. */
export function writeOutputAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`${path}: cannot write: ${(e as Error).message}`);
  }
}

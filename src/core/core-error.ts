/**
 * The error of the native core library: missing (and impossible to build here), or refusing an operation.
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError } from '../internal/errors.ts';

/** The core library is missing or refuses an operation. */
export class CoreError extends BpfshipError {
  readonly errno: number;
  constructor(detail: string, errno = 0) {
    super('NATIVE_CORE', detail);
    this.name = 'CoreError';
    this.errno = errno;
  }
}

/**
 * The service's error answers. Every error body has the same shape, whatever raised it (a refused build, a
 * missing image, fastify's own body-limit or content-type checks):
 *
 * ```json
 * { "error": { "code": "VERIFICATION_FAILED", "message": "fw.o: program 'xdp_fw' (section 'xdp') failed verification: ..." },
 *   "diagnostics": "fw.c:33:16: error: possible NULL dereference of r7 ...",
 *   "programs": [{ "section": "xdp", "name": "xdp_fw", "verdict": "fail", "diagnostics": [...] }] }
 * ```
 *
 * `diagnostics` and `programs` come only with verification failures; `error.where` (offset, section) only with a
 * malformed ELF.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Location } from '../internal/errors.ts';

/** The body of an error answer (see the module comment). */
export interface ProblemBody {
  readonly error: { readonly code: string; readonly message: string; readonly where?: Location };
  readonly diagnostics?: string;
  readonly programs?: readonly unknown[];
}

/** An answer other than success, thrown by a route and rendered by the service's error handler. */
export class ServiceProblem extends Error {
  /** The HTTP status. */
  readonly status: number;
  readonly code: string;
  readonly extra: Omit<ProblemBody, 'error'>;
  readonly where: Location | undefined;
  /** What only the log gets (a fault's details: stack, compiler output, paths on the server). */
  readonly logDetail: string | undefined;

  constructor(status: number, code: string, message: string, extra: Omit<ProblemBody, 'error'> & { readonly where?: Location; readonly logDetail?: string } = {}) {
    super(message);
    this.name = 'ServiceProblem';
    this.status = status;
    this.code = code;
    const { where, logDetail, ...rest } = extra;
    this.where = where !== undefined && Object.keys(where).length > 0 ? where : undefined;
    this.logDetail = logDetail;
    this.extra = rest;
  }

  /** The JSON body. */
  body(): ProblemBody {
    return { error: { code: this.code, message: this.message, ...(this.where !== undefined ? { where: this.where } : {}) }, ...this.extra };
  }
}

/**
 * Turns whatever a route throws into an answer with the service's error body (problem.ts): a ServiceProblem as
 * it says; a store fault as a 500 naming the blob but not the file; fastify's own checks (body too large, wrong
 * content type) with their status and code; anything else as a 500 whose details go only to the log.
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { StoreError } from '../store/index.ts';
import { ServiceProblem } from './problem.ts';
import { noteForLog } from './request-log.ts';

/** Maps an error to a problem (see the module comment). `bodyLimit` is for the 413 message, `contentType` for the 415's. */
export function problemFor(error: unknown, bodyLimit: number, contentType?: string): ServiceProblem {
  if (error instanceof ServiceProblem) return error;
  if (error instanceof StoreError) {
    // detail, not message: the message's location names a path on the server.
    const status = error.code === 'DIGEST_INVALID' ? 400 : error.code === 'STORE_UNAVAILABLE' ? 503 : 500;
    return new ServiceProblem(status, error.code, error.detail, { logDetail: error.message });
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ServiceProblem(413, 'BODY_TOO_LARGE', `expected a request body of at most ${bodyLimit} bytes`);
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return new ServiceProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type application/octet-stream (an ELF object), got ${contentType?.slice(0, 100) ?? 'none'}`);
    }
    return new ServiceProblem(e.statusCode, e.code ?? 'BAD_REQUEST', e.message ?? 'bad request');
  }
  return new ServiceProblem(500, 'INTERNAL', 'internal error of the service (the log has the details)');
}

/** Installs the error and not-found handlers. */
export function installErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(async (error, request, reply) => {
    const problem = problemFor(error, bodyLimit, request.headers['content-type']);
    const detail = problem.logDetail ?? (problem.status >= 500 && error instanceof Error && !(error instanceof ServiceProblem) ? error.stack : undefined);
    noteForLog(request, { error: { code: problem.code, message: error instanceof Error ? error.message : String(error), ...(detail !== undefined ? { detail } : {}) } });
    if (problem.status === 503) void reply.header('retry-after', '5');
    return reply.code(problem.status).type('application/json; charset=utf-8').send(problem.body());
  });
  app.setNotFoundHandler(async (request, reply) => {
    const problem = new ServiceProblem(404, 'NOT_FOUND', `no such resource: ${request.method} ${request.url.split('?')[0] ?? ''}`);
    noteForLog(request, { error: { code: problem.code, message: problem.message } });
    return reply.code(404).type('application/json; charset=utf-8').send(problem.body());
  });
}

/**
 * One JSON log line per request, written when the answer has been sent (fastify's own two lines per request are
 * turned off):
 *
 * ```json
 * {"level":30,"time":…,"reqId":"req-1","method":"POST","url":"/v1/builds?name=fw","status":201,"ms":812.4,
 *  "remote":"127.0.0.1","bytesIn":12040,"build":{"name":"fw","version":2,"image":"sha256:…"},"msg":"request"}
 * ```
 *
 * A failed request's line carries `error: {code, message}` (and for a 500, `detail`: the stack or the toolchain's
 * message, which the client does not get), at level error for 5xx.
 * Headers and bodies are never logged: nothing that could carry a credential or a key reaches the log.
 *
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What a route adds to its request's log line. */
export interface RequestLogFacts {
  build?: { readonly name: string; readonly version: number; readonly image: string };
  error?: { readonly code: string; readonly message: string; readonly detail?: string };
}

const facts = new WeakMap<FastifyRequest, RequestLogFacts>();

/** Adds facts to a request's log line. */
export function noteForLog(request: FastifyRequest, more: RequestLogFacts): void {
  facts.set(request, { ...facts.get(request), ...more });
}

/** Installs the per-request log line. */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const length = request.headers['content-length'];
    const line = {
      method: request.method,
      url: request.url,
      status,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      remote: request.ip,
      ...(length !== undefined ? { bytesIn: Number(length) } : {}),
      ...facts.get(request),
    };
    if (status >= 500) request.log.error(line, 'request');
    else request.log.info(line, 'request');
  });
}

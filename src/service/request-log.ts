/**
 * One JSON log line per request, written synchronously when the answer is about to leave (fastify's `onSend`), so
 * that a line is on its way to the log before the client can see the answer: a service killed with SIGKILL right
 * after answering has logged what it answered. (fastify's own two lines per request are turned off.)
 *
 * ```json
 * {"level":30,"time":…,"reqId":"req-1","method":"POST","url":"/v1/builds?name=fw","status":201,"ms":812.4,
 *  "remote":"127.0.0.1","client":"ci","bytesIn":12040,"build":{"name":"fw","version":2,"image":"sha256:…"},"msg":"request"}
 * ```
 *
 * `client` is the name of the token the request carried. A failed request's line carries `error: {code, message}`
 * (and for a 500, `detail`: the stack or the toolchain's message, which the client does not get), at level error
 * for 5xx. A request the client abandoned before the answer is logged with `aborted: true`.
 * Headers and bodies are never logged: nothing that could carry a credential or a key reaches the log.
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What a route adds to its request's log line. */
export interface RequestLogFacts {
  build?: { readonly name: string; readonly version: number; readonly image: string };
  error?: { readonly code: string; readonly message: string; readonly detail?: string };
  /** The name of the token the request was authenticated with. */
  client?: string;
}

const facts = new WeakMap<FastifyRequest, RequestLogFacts>();
const logged = new WeakSet<FastifyRequest>();

/** Adds facts to a request's log line. */
export function noteForLog(request: FastifyRequest, more: RequestLogFacts): void {
  facts.set(request, { ...facts.get(request), ...more });
}

function byteLength(payload: unknown): number | undefined {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.byteLength;
  return undefined;
}

function writeLine(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>): void {
  if (logged.has(request)) return;
  logged.add(request);
  const status = reply.statusCode;
  const length = request.headers['content-length'];
  const line = {
    method: request.method,
    url: request.url,
    status,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    remote: request.ip,
    ...(length !== undefined ? { bytesIn: Number(length) } : {}),
    ...extra,
    ...facts.get(request),
  };
  if (status >= 500) request.log.error(line, 'request');
  else request.log.info(line, 'request');
}

/** Installs the per-request log line. */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const bytesOut = byteLength(payload);
    writeLine(request, reply, bytesOut !== undefined ? { bytesOut } : {});
    return payload;
  });
  // Answers that skipped onSend (none expected) and requests the client abandoned still get their line.
  app.addHook('onResponse', async (request, reply) => writeLine(request, reply, {}));
  app.addHook('onRequestAbort', async (request) => {
    if (logged.has(request)) return;
    logged.add(request);
    request.log.info({ method: request.method, url: request.url, aborted: true, remote: request.ip, ...facts.get(request) }, 'request');
  });
}

/**
 * Who may ask the service what: one fastify `onRequest` hook that every route inherits (routes added later
 * included), run before a body is read. In order:
 *
 * 1. **Host.** The `Host` header must name the service: a loopback name or address, the address it listens on, or a
 *    name given with `--allowed-host`. Anything else is answered 421 `HOST_NOT_ALLOWED`: this is what stops DNS
 *    rebinding (a web page whose name was rebound to 127.0.0.1 reaches the port, but its requests carry its own
 *    name as Host).
 * 2. **Origin.** A request with an `Origin` header comes from a browser page. It is refused (403
 *    `ORIGIN_NOT_ALLOWED`) unless the origin is the service's own (a page the service served) or given with
 *    `--allowed-origin`.
 * 3. **Token.** With publish tokens (`--token-file`), any request that changes something (POST, PUT, PATCH, DELETE)
 *    needs `Authorization: Bearer TOKEN` with one of them (401 `TOKEN_MISSING` / `TOKEN_INVALID`). With read tokens
 *    (`--read-token-file`), reads need a read or a publish token too; a read token cannot publish (403
 *    `TOKEN_NOT_ALLOWED`). Routes marked `config: { access: 'open' }` (the health check) need no token.
 *
 * The token's name (never the token) goes into the request's log line and the published build (`publishedBy`).
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProblem } from './problem.ts';
import { noteForLog } from './request-log.ts';
import { findToken, type TokenEntry } from './token-file.ts';

/** What a route needs: a publish token, a read token (when reads need one), or nothing. */
export type RouteAccess = 'publish' | 'read' | 'open';

/** The service's access rules (see the module comment). */
export interface AccessPolicy {
  /** Host names (lower case, IPv6 without brackets) accepted in `Host`; loopback names are always accepted. */
  readonly allowedHosts?: readonly string[];
  /** Origins (`https://ui.example.com`) whose pages may call the service; its own origin always may. */
  readonly allowedOrigins?: readonly string[];
  /** Tokens that may publish (and read); none: publishing is open (loopback only, see serve). */
  readonly publishTokens?: readonly TokenEntry[];
  /** Tokens that may read; when given, reads need a token. */
  readonly readTokens?: readonly TokenEntry[];
}

/** Names every service answers to: loopback. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

/** The name of the token a request was authenticated with, if any. */
const clients = new WeakMap<FastifyRequest, string>();

/** The token name a request was authenticated with (for `publishedBy`). */
export function clientOf(request: FastifyRequest): string | undefined {
  return clients.get(request);
}

/** The host name of a `Host` header value (lower case, no port, IPv6 without brackets), or undefined when malformed. */
export function hostName(header: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (m === null) return undefined;
  return (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
}

/** Whether a host name is loopback (`localhost`, `*.localhost`, 127/8, ::1). */
function isLoopbackName(name: string): boolean {
  return LOOPBACK_HOSTS.includes(name) || name.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** What a request needs by its route and method. */
function accessOf(request: FastifyRequest): RouteAccess {
  const configured = (request.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
  if (configured !== undefined) return configured;
  return request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' ? 'read' : 'publish';
}

/** Installs the hook (see the module comment). `isStopping` answers 503 to every request once a stop began. */
export function installAccessControl(app: FastifyInstance, policy: AccessPolicy, isStopping: () => boolean): void {
  const hosts = new Set([...LOOPBACK_HOSTS, ...(policy.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/^\[|\]$/g, ''))]);
  const origins = new Set((policy.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const publishTokens = policy.publishTokens ?? [];
  const readTokens = policy.readTokens;

  const refuse = (request: FastifyRequest, reply: FastifyReply, problem: ServiceProblem): FastifyReply => {
    noteForLog(request, { error: { code: problem.code, message: problem.message } });
    if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="bpfship"');
    if (problem.status === 503) void reply.header('retry-after', '5').header('connection', 'close');
    return reply.code(problem.status).type('application/json; charset=utf-8').send(problem.body());
  };

  app.addHook('onRequest', async (request, reply) => {
    if (isStopping()) return refuse(request, reply, new ServiceProblem(503, 'SERVICE_STOPPING', 'the service is stopping: try again later (another instance, or this one once restarted)'));

    // 1. Host.
    const hostHeader = request.headers.host;
    const host = hostHeader === undefined ? undefined : hostName(hostHeader);
    if (host === undefined || !(hosts.has(host) || isLoopbackName(host))) {
      return refuse(request, reply, new ServiceProblem(421, 'HOST_NOT_ALLOWED', `this service does not answer to the host '${(hostHeader ?? '').slice(0, 100)}' (it answers to loopback names and those given with --allowed-host)`));
    }

    // 2. Origin.
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const own = `${request.protocol}://${(hostHeader ?? '').toLowerCase()}`;
      const normalized = origin.toLowerCase().replace(/\/+$/, '');
      if (normalized !== own && !origins.has(normalized)) {
        return refuse(request, reply, new ServiceProblem(403, 'ORIGIN_NOT_ALLOWED', `requests from web pages of ${origin.slice(0, 100)} are refused (allow an origin with --allowed-origin)`));
      }
    }

    // 3. Token.
    const access = accessOf(request);
    if (access === 'open' || (publishTokens.length === 0 && readTokens === undefined)) return;
    const needsToken = access === 'publish' ? publishTokens.length > 0 : readTokens !== undefined;
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      if (!needsToken) return;
      return refuse(request, reply, new ServiceProblem(401, 'TOKEN_MISSING', `${access === 'publish' ? 'publishing' : 'reading'} needs a token: Authorization: Bearer TOKEN`));
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = m?.[1];
    const publisher = token !== undefined ? findToken(publishTokens, token) : undefined;
    const reader = token !== undefined && publisher === undefined && readTokens !== undefined ? findToken(readTokens, token) : undefined;
    if (publisher === undefined && reader === undefined) {
      // A token that matches nothing is refused even where none is needed: a client that sends one expects it to count.
      return refuse(request, reply, new ServiceProblem(401, 'TOKEN_INVALID', m === null ? 'expected Authorization: Bearer TOKEN' : 'the token is not one of this service’s'));
    }
    const name = (publisher ?? reader) as string;
    clients.set(request, name);
    noteForLog(request, { client: name });
    if (access === 'publish' && publisher === undefined) {
      return refuse(request, reply, new ServiceProblem(403, 'TOKEN_NOT_ALLOWED', `the token '${name}' may read, not publish`));
    }
  });
}

/**
 * `bpfship explore`'s server: the explorer page and one object's explore documents, computed before it starts,
 * on loopback. It answers only requests whose `Host` is the loopback address it listens on (`127.0.0.1:PORT`,
 * `localhost:PORT`, `[::1]:PORT`), so that a web page elsewhere cannot read the object's source through DNS
 * rebinding.
 *
 * | route | answer |
 * |---|---|
 * | `GET /` | the page (routes/explorer.ts) |
 * | `GET /api/explore` | the object's programs, with their verdicts (src/web's ExploreObject) |
 * | `GET /api/explore/programs/INDEX` | one program's explore document |
 *
 * Author: Claude.
 *
 * @module
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ExploreObject } from '../web/index.ts';
import { registerExplorerPage } from './routes/explorer.ts';

/** What {@link createLocalExplorer} serves. */
export interface LocalExplorerOptions {
  readonly object: ExploreObject;
  /** The explore documents' JSON, by program index. */
  readonly documents: ReadonlyMap<number, string>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The server (not yet listening); see the module comment. */
export async function createLocalExplorer(options: LocalExplorerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    const port = app.server.address();
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    const ok = m !== null && LOOPBACK_HOSTS.has((m[1] ?? '').toLowerCase()) && (typeof port !== 'object' || port === null || m[2] === String(port.port));
    if (!ok) return reply.code(421).type('text/plain; charset=utf-8').send(`This explorer answers on loopback only (Host '${host.slice(0, 80)}' refused).\n`);
    return undefined;
  });
  app.get('/api/explore', async () => options.object);
  app.get<{ Params: { index: string } }>('/api/explore/programs/:index', async (request, reply) => {
    const json = /^\d{1,6}$/.test(request.params.index) ? options.documents.get(Number(request.params.index)) : undefined;
    if (json === undefined) return reply.code(404).send({ code: 'PROGRAM_NOT_FOUND', message: `no explored program #${request.params.index.slice(0, 20)}` });
    return reply.type('application/json; charset=utf-8').send(json);
  });
  registerExplorerPage(app, { mode: 'file', object: '/api/explore' });
  await app.ready();
  return app;
}

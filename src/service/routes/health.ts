/**
 * `GET /healthz`, for load balancers and supervisors (no token needed):
 *
 * - 200 `{"status": "ok", ...}`: the index and the blob backend answer, no blob is known to be damaged;
 * - 200 `{"status": "degraded", ...}`: the store answers but some blobs are missing or corrupt (listed in
 *   `store.damaged`, found by reads, by `bpfship store check`, or, for a local directory, by looking for every blob
 *   at each check); the rest is served;
 * - 503 `{"status": "unavailable", ...}` when the index or the blob backend does not answer, or `"stopping"` once a
 *   stop began (a load balancer then sends requests elsewhere).
 *
 * ```json
 * {"status": "ok", "store": {"status": "ok", "kind": "embedded", "index": {"kind": "sqlite", "location": "…", "ok": true},
 *  "blobs": {"kind": "directory", "location": "…", "ok": true}, "damaged": []}, "builds": {"running": 0, "queued": 0, "concurrency": 2}}
 * ```
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from './index.ts';

/** Registers the health check. */
export function registerHealthRoute(app: FastifyInstance, { store, pool, isStopping }: ServiceContext): void {
  app.get('/healthz', { config: { access: 'open' } }, async (_request, reply) => {
    const health = await store.health();
    const status = isStopping() ? 'stopping' : health.status;
    void reply.header('cache-control', 'no-store');
    return reply.code(status === 'unavailable' || status === 'stopping' ? 503 : 200).send({
      status,
      store: health,
      builds: { running: pool.running, queued: pool.queued, concurrency: pool.concurrency },
    });
  });
}

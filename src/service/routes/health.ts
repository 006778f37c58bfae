/**
 * `GET /healthz`: 200 `{status: "ok", store, builds: {running, queued, concurrency}}` when the store answers,
 * 503 otherwise (for load balancers and supervisors).
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import type { BuildPool } from '../build-pool.ts';
import { ServiceProblem } from '../problem.ts';

/** Registers the health check. */
export function registerHealthRoute(app: FastifyInstance, store: Store, pool: BuildPool): void {
  app.get('/healthz', async () => {
    try {
      await store.check();
    } catch (e) {
      throw new ServiceProblem(503, 'STORE_UNAVAILABLE', 'the store does not answer', { logDetail: (e as Error).message });
    }
    return { status: 'ok', store: store.kind, builds: { running: pool.running, queued: pool.queued, concurrency: pool.concurrency } };
  });
}

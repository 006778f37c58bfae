/**
 * Every route module of the service, registered in this order by app.ts: a new module (a page, another API) is one
 * more line here, and inherits the access control, the request log and the error handler of every route.
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import type { BuildPool } from '../build-pool.ts';
import type { BuildService } from '../build-service.ts';
import { registerBlobRoutes } from './blobs.ts';
import { registerBuildRoutes } from './builds.ts';
import { registerExplorer } from './explorer.ts';
import { registerHealthRoute } from './health.ts';
import { registerImageRoutes } from './images.ts';

/** What routes work with. */
export interface ServiceContext {
  readonly store: Store;
  readonly builds: BuildService;
  readonly pool: BuildPool;
  /** True once the service began to stop. */
  readonly isStopping: () => boolean;
}

/** A route module: registers its routes. */
export type RouteModule = (app: FastifyInstance, context: ServiceContext) => void;

/** The route modules, in registration order. */
export const ROUTE_MODULES: readonly RouteModule[] = [registerBuildRoutes, registerImageRoutes, registerBlobRoutes, registerHealthRoute, registerExplorer];

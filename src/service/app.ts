/**
 * The build-and-sign service as a fastify application: `bpfship serve` listens with it, tests drive it with
 * `inject()`. It owns its build pool (closed with the app); the store and the signing identity are the caller's.
 *
 * | route | answer |
 * |---|---|
 * | `POST /v1/builds?name=NAME` | 201 the published build; 400, 413, 415, 422, 503 (routes/builds.ts) |
 * | `GET /v1/images` | the names and their latest versions |
 * | `GET /v1/images/NAME`, `GET /v1/images/NAME/VERSION` | a build (build-view.ts) |
 * | `GET /v1/images/NAME/failures` | recent refused builds |
 * | `GET /v1/blobs/SHA256` | an artifact's bytes, checked against the digest |
 * | `GET /healthz` | 200 when the store answers |
 * | `GET /`, `GET /v1/explore/...` | the verifier explorer's page and its data (routes/explorer.ts) |
 *
 * @module
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Certificate, SigningIdentity } from '../sign/index.ts';
import type { Store } from '../store/index.ts';
import { BuildPool, type BuildPoolOptions } from './build-pool.ts';
import { BuildService } from './build-service.ts';
import { installErrorHandler } from './error-handler.ts';
import { installRequestLog } from './request-log.ts';
import { registerBlobRoutes } from './routes/blobs.ts';
import { registerBuildRoutes } from './routes/builds.ts';
import { registerExplorer } from './routes/explorer.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerImageRoutes } from './routes/images.ts';

/** The largest ELF accepted by default: 16 MiB (the biggest objects of the corpus are well under 2 MiB). */
export const DEFAULT_BODY_LIMIT = 16 << 20;

/** Where the log goes: JSON lines (pino). */
export interface ServiceLogOptions {
  /** pino level: `info` (default), `warn`, `error`, `silent`... */
  readonly level?: string;
  /** Default standard output. */
  readonly stream?: { write(line: string): void };
}

/** Options of {@link createService}. */
export interface ServiceOptions {
  readonly store: Store;
  /** Signs every published image; the key stays in this thread. */
  readonly signer: SigningIdentity;
  /** When given, each signature is checked to chain to one of these roots before it is stored. */
  readonly trustedRoots?: readonly Certificate[];
  /** The native build cache's root (e.g. `DATA/cache`), or false for none. */
  readonly cache: string | false;
  readonly cc?: string;
  /** The largest request body, in bytes; default {@link DEFAULT_BODY_LIMIT}. */
  readonly bodyLimit?: number;
  readonly builds?: BuildPoolOptions;
  /** false: no log. */
  readonly log?: ServiceLogOptions | false;
  readonly now?: () => Date;
}

/**
 * Creates the service (see the module comment).
 *
 * @example
 * ```ts
 * const store = await openEmbeddedStore('data');
 * const app = await createService({ store, signer: readSigningIdentity({ key, certificate, chain }), cache: 'data/cache' });
 * await app.listen({ host: '127.0.0.1', port: 8470 });
 * ```
 */
export async function createService(options: ServiceOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const log = options.log;
  const app = Fastify({
    bodyLimit,
    logger:
      log === false
        ? false
        : {
            level: log?.level ?? 'info',
            ...(log?.stream !== undefined ? { stream: log.stream } : {}),
            // Belt and braces: nothing here logs headers, but if anything ever does, credentials stay out.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'],
          },
    logController: new LogController({ disableRequestLogging: true }),
    // Image names and digests are short; a long parameter is refused before any handler sees it.
    routerOptions: { maxParamLength: 200 },
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  const pool = new BuildPool(options.builds ?? {});
  const builds = new BuildService({
    store: options.store,
    pool,
    signer: options.signer,
    cache: options.cache,
    ...(options.trustedRoots !== undefined ? { trustedRoots: options.trustedRoots } : {}),
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  app.addHook('onClose', async () => pool.close());

  installRequestLog(app);
  installErrorHandler(app, bodyLimit);
  registerBuildRoutes(app, builds);
  registerImageRoutes(app, options.store);
  registerBlobRoutes(app, options.store);
  registerHealthRoute(app, options.store, pool);
  registerExplorer(app, options.store);
  await app.ready();
  return app;
}

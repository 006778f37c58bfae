/**
 * The build-and-sign service as a fastify application: `bpfship serve` listens with it, tests drive it with
 * `inject()`. It owns its build pool (closed with the app); the store and the signing identity are the caller's.
 *
 * | route | answer |
 * |---|---|
 * | `POST /v1/builds?name=NAME` | 201 the published build; 400, 401, 403, 413, 415, 422, 503 (routes/builds.ts) |
 * | `GET /v1/images` | the names and their latest versions |
 * | `GET /v1/images/NAME`, `GET /v1/images/NAME/VERSION` | a build (build-view.ts) |
 * | `GET /v1/images/NAME/failures` | recent refused builds |
 * | `GET /v1/blobs/SHA256` | an artifact's bytes, checked against the digest |
 * | `GET /healthz` | the store's state and the build pool's |
 *
 * Every route, including ones added later (routes/index.ts is the one list), goes through the same hooks: access
 * control (Host, Origin, tokens: access-control.ts), the request log (request-log.ts) and the error handler.
 * A stop ({@link ServiceControl.stop}) answers new requests 503, refuses queued builds and lets running ones
 * finish within a grace period.
 *
 * Author: Claude.
 *
 * @module
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Certificate, SigningIdentity } from '../sign/index.ts';
import type { Store } from '../store/index.ts';
import type { RuleSet } from '../verifier/index.ts';
import { installAccessControl, type AccessPolicy } from './access-control.ts';
import { BuildPool, type BuildPoolOptions } from './build-pool.ts';
import { BuildService } from './build-service.ts';
import { installErrorHandler } from './error-handler.ts';
import { installRequestLog } from './request-log.ts';
import { ROUTE_MODULES, type ServiceContext } from './routes/index.ts';

/** The largest ELF accepted by default: 16 MiB (the biggest objects of the corpus are well under 2 MiB). */
export const DEFAULT_BODY_LIMIT = 16 << 20;

/** How long a stop lets running builds finish by default: 30 s. */
export const DEFAULT_STOP_GRACE_MS = 30_000;

/** Where the log goes: JSON lines (pino). */
export interface ServiceLogOptions {
  /** pino level: `info` (default), `warn`, `error`, `silent`... */
  readonly level?: string;
  /** Default: standard output, written synchronously (a line is out before its answer leaves). */
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
  /** The verifier's rule set for every build (default `linux`), recorded in each attestation. */
  readonly rules?: RuleSet;
  /** The largest request body, in bytes; default {@link DEFAULT_BODY_LIMIT}. */
  readonly bodyLimit?: number;
  readonly builds?: BuildPoolOptions;
  /** Host, Origin and token rules; default: loopback names only, no token needed. */
  readonly access?: AccessPolicy;
  /** Serve HTTPS with this key and certificate chain (PEM). */
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** false: no log. */
  readonly log?: ServiceLogOptions | false;
  readonly now?: () => Date;
}

/** What a stop did. */
export interface StopReport {
  /** Builds still running when the grace period ended: abandoned, answered 503, not published. */
  readonly abandoned: number;
}

/** The service's own controls, as `app.bpfship`. */
export interface ServiceControl {
  /** True once a stop began. */
  readonly stopping: boolean;
  readonly store: Store;
  readonly pool: BuildPool;
  /**
   * Stops the service: new connections and requests are refused (503 `SERVICE_STOPPING`), builds waiting for a
   * worker are answered 503 and never published, running builds get `graceMs` to finish (and are published); past
   * that they are abandoned (503, not published). Then the app closes. The store stays open (it is the caller's).
   */
  stop(options?: { readonly graceMs?: number }): Promise<StopReport>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The build service's controls (app.ts). */
    bpfship: ServiceControl;
  }
}

/**
 * Creates the service (see the module comment).
 *
 * @example
 * ```ts
 * const store = await openEmbeddedStore('data');
 * const app = await createService({ store, signer: readSigningIdentity({ key, certificate, chain }), cache: 'data/cache' });
 * await app.listen({ host: '127.0.0.1', port: 8470 });
 * process.once('SIGTERM', () => app.bpfship.stop({ graceMs: 30_000 }));
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
            stream: log?.stream ?? pino.destination({ dest: 1, sync: true }),
            // Belt and braces: nothing here logs headers, but if anything ever does, credentials stay out.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'],
          },
    logController: new LogController({ disableRequestLogging: true }),
    // Image names and digests are short; a long parameter is refused before any handler sees it.
    routerOptions: { maxParamLength: 200 },
    // The access hook answers requests during a stop, with the service's own error body.
    return503OnClosing: false,
    ...(options.https !== undefined ? { https: { key: options.https.key, cert: options.https.cert } } : {}),
  }) as unknown as FastifyInstance;
  // Only ELF objects are accepted as bodies: every other content type (JSON and text included) is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  const pool = new BuildPool(options.builds ?? {});
  const builds = new BuildService({
    store: options.store,
    pool,
    signer: options.signer,
    cache: options.cache,
    ...(options.trustedRoots !== undefined ? { trustedRoots: options.trustedRoots } : {}),
    ...(options.cc !== undefined ? { cc: options.cc } : {}),
    ...(options.rules !== undefined ? { rules: options.rules } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  app.addHook('onClose', async () => pool.close());

  let stopping: Promise<StopReport> | undefined;
  let requests = 0;
  const control: ServiceControl = {
    get stopping() {
      return stopping !== undefined;
    },
    store: options.store,
    pool,
    stop: (stopOptions = {}) => {
      stopping ??= (async () => {
        if (app.server.listening) {
          app.server.close();
          app.server.closeIdleConnections();
        }
        pool.stopAccepting();
        const abandoned = await pool.drain(stopOptions.graceMs ?? DEFAULT_STOP_GRACE_MS);
        builds.stopPublishing();
        await pool.close();
        await builds.idle();
        // The answers of the last publishes are on their way: let them leave before the app closes.
        for (let waited = 0; requests > 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
        await app.close();
        return { abandoned };
      })();
      return stopping;
    },
  };
  app.decorate('bpfship', control);
  app.addHook('onRequest', async () => void requests++);
  app.addHook('onResponse', async () => void requests--);
  app.addHook('onRequestAbort', async (_request) => void requests--);

  installRequestLog(app);
  installAccessControl(app, options.access ?? {}, () => control.stopping);
  installErrorHandler(app, bodyLimit);
  const context: ServiceContext = { store: options.store, builds, pool, isStopping: () => control.stopping };
  for (const register of ROUTE_MODULES) register(app, context);
  await app.ready();
  return app;
}

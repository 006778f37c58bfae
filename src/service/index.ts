/**
 * The service layer: `bpfship serve`'s build-and-sign service (a fastify application over a {@link Store}), and
 * the client a runtime uses to fetch what it published, checked before it is accepted.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { createService, fetchSignedImage } from './service/index.ts';
 * const app = await createService({ store, signer, cache: 'data/cache' });
 * await app.listen({ host: '127.0.0.1', port: 8470 });
 * const r = await fetchSignedImage({ serviceUrl: 'http://127.0.0.1:8470', name: 'xdp-firewall', trustedRoots });
 * ```
 * @module
 */
export { createService, DEFAULT_BODY_LIMIT, DEFAULT_STOP_GRACE_MS, type ServiceOptions, type ServiceLogOptions, type ServiceControl, type StopReport } from './app.ts';
export { BuildService, type BuildServiceOptions, type PublishOptions } from './build-service.ts';
export { BuildPool, BuildQueueFullError, ServiceStoppingError, type BuildPoolOptions } from './build-pool.ts';
export { installAccessControl, clientOf, hostName, type AccessPolicy, type RouteAccess } from './access-control.ts';
export { parseTokenFile, findToken, tokenHash, TokenFileError, MIN_TOKEN_LENGTH, type TokenEntry } from './token-file.ts';
export { ROUTE_MODULES, type RouteModule, type ServiceContext } from './routes/index.ts';
export { runBuildJob, SERVICE_VERIFIER, SERVICE_VERIFIER_ID, type BuildJobInput, type BuildJobOutcome, type BuiltImage, type RefusedBuild, type VerifiedProgram } from './build-job.ts';
export { attestBuild, artifactNames, type AttestedBuild } from './attest-build.ts';
export { buildView, blobPath, type BuildView } from './build-view.ts';
export { ServiceProblem, type ProblemBody } from './problem.ts';
export { fetchSignedOciImage, type FetchSignedOciImageOptions } from './oci-image-client.ts';
export {
  fetchSignedImage,
  requireSignedName,
  DEFAULT_MAX_IMAGE_BYTES,
  type FetchSignedImageOptions,
  type FetchOutcome,
  type FetchedImage,
  type FetchedBuild,
  type RefusedFetch,
} from './image-client.ts';

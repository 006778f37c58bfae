/**
 * The published images: `GET /v1/images` (every name with its latest version), `GET /v1/images/NAME` (the latest
 * build), `GET /v1/images/NAME/VERSION` (a given build), `GET /v1/images/NAME/failures` (recent builds refused by
 * verification, with their diagnostics).
 *
 * A build never changes: its answer's `ETag` is its id, and a given version is cacheable forever; the latest and
 * the list are `no-cache` (revalidate: `If-None-Match` gets 304 until a new version is published).
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { imageNameProblem, type StoredBuild } from '../../store/index.ts';
import { buildView, type BuildView } from '../build-view.ts';
import { etagOf, etagOfJson, notModified, sendNotModified } from '../etag.ts';
import { ServiceProblem } from '../problem.ts';
import type { ServiceContext } from './index.ts';

function checkName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem !== undefined) throw new ServiceProblem(400, 'NAME_INVALID', problem);
}

/** Answers a build, or 304 when the client has it. */
function sendBuild(request: FastifyRequest, reply: FastifyReply, build: StoredBuild, cacheControl: string): FastifyReply | BuildView {
  const etag = etagOf(build.id);
  void reply.header('cache-control', cacheControl);
  if (notModified(request, etag)) return sendNotModified(reply, etag);
  void reply.header('etag', etag);
  return buildView(build);
}

/** Registers the image routes. */
export function registerImageRoutes(app: FastifyInstance, { store }: ServiceContext): void {
  app.get('/v1/images', async (request, reply) => {
    const images = await store.listImages();
    const body = { images: images.map((i) => ({ ...i, links: { latest: `/v1/images/${i.name}`, version: `/v1/images/${i.name}/${i.latestVersion}` } })) };
    const etag = etagOfJson(body);
    void reply.header('cache-control', 'no-cache');
    if (notModified(request, etag)) return sendNotModified(reply, etag);
    return reply.header('etag', etag).send(body);
  });

  app.get<{ Params: { name: string } }>('/v1/images/:name', async (request, reply) => {
    const { name } = request.params;
    checkName(name);
    const build = await store.latestBuild(name);
    if (build === undefined) throw new ServiceProblem(404, 'IMAGE_NOT_FOUND', `no image named '${name}' has been published`);
    return sendBuild(request, reply, build, 'no-cache');
  });

  app.get<{ Params: { name: string } }>('/v1/images/:name/failures', async (request) => {
    const { name } = request.params;
    checkName(name);
    return { failures: await store.failedBuilds(name) };
  });

  app.get<{ Params: { name: string; version: string } }>('/v1/images/:name/:version', async (request, reply) => {
    const { name, version } = request.params;
    checkName(name);
    if (!/^[1-9][0-9]{0,8}$/.test(version)) throw new ServiceProblem(400, 'VERSION_INVALID', `expected a version number (1, 2, ...), got '${version.slice(0, 40)}'`);
    const build = await store.build(name, Number(version));
    if (build === undefined) {
      const latest = await store.latestBuild(name);
      throw new ServiceProblem(404, 'VERSION_NOT_FOUND', latest === undefined ? `no image named '${name}' has been published` : `image '${name}' has no version ${version} (the latest is ${latest.version})`);
    }
    return sendBuild(request, reply, build, 'public, max-age=31536000, immutable');
  });
}

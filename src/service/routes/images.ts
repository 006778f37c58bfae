/**
 * The published images: `GET /v1/images` (every name with its latest version), `GET /v1/images/NAME` (the latest
 * build), `GET /v1/images/NAME/VERSION` (a given build), `GET /v1/images/NAME/failures` (recent builds refused by
 * verification, with their diagnostics).
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { imageNameProblem, type Store } from '../../store/index.ts';
import { buildView } from '../build-view.ts';
import { ServiceProblem } from '../problem.ts';

function checkName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem !== undefined) throw new ServiceProblem(400, 'NAME_INVALID', problem);
}

/** Registers the image routes. */
export function registerImageRoutes(app: FastifyInstance, store: Store): void {
  app.get('/v1/images', async () => {
    const images = await store.listImages();
    return { images: images.map((i) => ({ ...i, links: { latest: `/v1/images/${i.name}`, version: `/v1/images/${i.name}/${i.latestVersion}` } })) };
  });

  app.get<{ Params: { name: string } }>('/v1/images/:name', async (request) => {
    const { name } = request.params;
    checkName(name);
    const build = await store.latestBuild(name);
    if (build === undefined) throw new ServiceProblem(404, 'IMAGE_NOT_FOUND', `no image named '${name}' has been published`);
    return buildView(build);
  });

  app.get<{ Params: { name: string } }>('/v1/images/:name/failures', async (request) => {
    const { name } = request.params;
    checkName(name);
    return { failures: await store.failedBuilds(name) };
  });

  app.get<{ Params: { name: string; version: string } }>('/v1/images/:name/:version', async (request) => {
    const { name, version } = request.params;
    checkName(name);
    if (!/^[1-9][0-9]{0,8}$/.test(version)) throw new ServiceProblem(400, 'VERSION_INVALID', `expected a version number (1, 2, ...), got '${version.slice(0, 40)}'`);
    const build = await store.build(name, Number(version));
    if (build === undefined) {
      const latest = await store.latestBuild(name);
      throw new ServiceProblem(404, 'VERSION_NOT_FOUND', latest === undefined ? `no image named '${name}' has been published` : `image '${name}' has no version ${version} (the latest is ${latest.version})`);
    }
    return buildView(build);
  });
}

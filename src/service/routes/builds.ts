/**
 * `POST /v1/builds?name=NAME`, body `application/octet-stream` (the ELF): verify, build, sign, store and publish
 * (build-service.ts). 201 with the build (build-view.ts) and `Location: /v1/images/NAME/VERSION`; 400 for a bad
 * name or a malformed ELF (the reader's offset and section in `error.where` and the message); 422 with the
 * verifier's diagnostics; 413 past the body limit; 415 for any other content type (decided before the body is
 * read); 503 when the build queue is full or the service is stopping.
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { clientOf } from '../access-control.ts';
import { buildView } from '../build-view.ts';
import { ServiceProblem } from '../problem.ts';
import { noteForLog } from '../request-log.ts';
import type { ServiceContext } from './index.ts';

/** Registers the build route. */
export function registerBuildRoutes(app: FastifyInstance, { builds }: ServiceContext): void {
  app.post<{ Querystring: { name?: string | string[] } }>('/v1/builds', async (request, reply) => {
    const name = request.query.name;
    if (name === undefined) throw new ServiceProblem(400, 'NAME_INVALID', "expected the image name as query parameter 'name' (POST /v1/builds?name=xdp-firewall)");
    if (typeof name !== 'string') throw new ServiceProblem(400, 'NAME_INVALID', "expected one query parameter 'name', got several");
    const body = request.body;
    // Only application/octet-stream has a parser (app.ts), so a body is bytes or absent.
    if (body !== undefined && body !== null && !(body instanceof Uint8Array)) {
      throw new ServiceProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type application/octet-stream (an ELF object), got ${request.headers['content-type'] ?? 'none'}`);
    }
    const elf = body instanceof Uint8Array ? body : new Uint8Array(0);
    const client = clientOf(request);
    const build = await builds.publish(name, elf, client !== undefined ? { publishedBy: client } : {});
    noteForLog(request, { build: { name: build.name, version: build.version, image: build.digests.image } });
    const view = buildView(build);
    return reply.code(201).header('location', view.links.self).send(view);
  });
}

/**
 * `GET /v1/blobs/SHA256` (the hex digest, or `sha256:<hex>`): a stored artifact's bytes with its media type. The
 * store hashes the bytes again before they are sent: a blob damaged on disk (or in the registry) answers 500
 * BLOB_CORRUPT, never wrong bytes. Blobs never change, so they are cacheable forever; `ETag` and `Content-Digest`
 * (RFC 9530) carry the digest, and `If-None-Match` with it gets 304 without the store reading the bytes.
 *
 * Author: Claude.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { digestHex } from '../../store/index.ts';
import { etagOf, notModified, sendNotModified } from '../etag.ts';
import { ServiceProblem } from '../problem.ts';
import type { ServiceContext } from './index.ts';

/** Registers the blob route (HEAD comes with it). */
export function registerBlobRoutes(app: FastifyInstance, { store }: ServiceContext): void {
  app.get<{ Params: { digest: string } }>('/v1/blobs/:digest', async (request, reply) => {
    const hex = digestHex(request.params.digest);
    if (hex === undefined) throw new ServiceProblem(400, 'DIGEST_INVALID', `expected a SHA-256 digest (64 lowercase hex digits, optionally after 'sha256:'), got '${request.params.digest.slice(0, 80)}'`);
    const digest = `sha256:${hex}`;
    const etag = etagOf(digest);
    void reply.header('cache-control', 'public, max-age=31536000, immutable');
    if (notModified(request, etag)) {
      if ((await store.describeBlob(digest)) === undefined) throw new ServiceProblem(404, 'BLOB_NOT_FOUND', `no blob ${digest} in the store`);
      return sendNotModified(reply, etag);
    }
    const blob = await store.getBlob(digest);
    if (blob === undefined) throw new ServiceProblem(404, 'BLOB_NOT_FOUND', `no blob ${digest} in the store`);
    return reply
      .type(blob.mediaType)
      .header('etag', etag)
      .header('content-digest', `sha-256=:${Buffer.from(hex, 'hex').toString('base64')}:`)
      .send(Buffer.from(blob.bytes.buffer, blob.bytes.byteOffset, blob.bytes.byteLength));
  });
}

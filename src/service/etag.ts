/**
 * Conditional GETs (RFC 9110 §13.1.2): an answer carries an `ETag`; a request whose `If-None-Match` lists it (or
 * `*`) gets 304 Not Modified with no body. Blobs are tagged by their digest (they never change), builds by their id
 * (a build never changes; `GET /v1/images/NAME` changes tag when a new version becomes the latest), lists by a hash
 * of their JSON.
 *
 * Author: Claude.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A strong entity tag for a value (quoted). */
export function etagOf(value: string): string {
  return `"${value}"`;
}

/** A strong entity tag for a JSON body: its SHA-256. */
export function etagOfJson(body: unknown): string {
  return etagOf(`sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`);
}

/** Whether the request's `If-None-Match` matches `etag` (weak comparison, as RFC 9110 asks for this header). */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  const strip = (t: string): string => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

/** Sends 304 with the tag (and the caching headers already set). */
export function sendNotModified(reply: FastifyReply, etag: string): FastifyReply {
  return reply.code(304).header('etag', etag).send();
}

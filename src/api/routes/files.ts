/**
 * Downloads of stored files by signed URL. No bearer token: the signature is the permission, as on
 * the hosted service, whose clients download outputs without one. Files in a bucket are answered
 * with a redirect to a presigned URL of a few minutes (or relayed, `--storage-downloads stream`).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiDeps } from '../context.js';
import { FileAccessError, FileNotFoundError } from '../errors.js';

export function fileRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { storage } = deps;
  app.get('/files/:kind/:owner/:name', {
    schema: {
      summary: 'Download an output or an upload by its signed URL',
      tags: ['files'],
      params: Type.Object({ kind: Type.String(), owner: Type.String(), name: Type.String() }),
      querystring: Type.Object({ expires: Type.Optional(Type.String()), signature: Type.Optional(Type.String()) }),
    },
    handler: async (request, reply) => {
      const { kind, owner, name } = request.params as { kind: string; owner: string; name: string };
      const { expires, signature } = request.query as { expires?: string; signature?: string };
      const key = `${kind}/${owner}/${name}`;
      if (!storage.verify(key, expires, signature, Date.now())) throw new FileAccessError();
      if (storage.directUrl && deps.config.storageDownloads === 'redirect') {
        const direct = await storage.directUrl(key, name);
        if (!direct) throw new FileNotFoundError();
        // The redirect may be cached briefly; the presigned URL it names lives a few minutes.
        return reply.header('cache-control', 'private, max-age=60').redirect(direct, 302);
      }
      const file = await storage.open(key);
      if (!file) throw new FileNotFoundError();
      const maxAge = Math.max(0, Number(expires) - Math.floor(Date.now() / 1000));
      return reply
        .header('content-type', file.contentType)
        .header('content-length', String(file.size))
        .header('cache-control', `private, max-age=${maxAge}, immutable`)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename="${name}"`)
        .send(file.stream);
    },
  });
}

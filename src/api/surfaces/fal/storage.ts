/**
 * fal's storage, as its client uses it for Blob and File inputs: `POST rest.fal.ai/storage/upload/
 * initiate` answers an `upload_url` and a `file_url`; the client PUTs the bytes to the first
 * (without a key: the link is signed) and puts the second in the input. Here the upload is an
 * upload of the account, checked like any image; `file_url` serves it to whoever holds the link, as
 * fal's CDN does, and a submit reads it from storage directly.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PublicError } from '../../../errors.js';
import { findUpload, openUpload, saveUpload } from '../../routes/uploads.js';
import type { SurfaceContext } from '../shared/context.js';
import { newFileId } from '../shared/file-ids.js';
import { FAL_PREFIX } from './bodies.js';

/** How long the client has to PUT the bytes after initiating. */
const UPLOAD_LINK_MS = 60 * 60_000;

const uploadGrant = (account: string, fileId: string) => `fal-upload/${account}/${fileId}`;
const fileGrant = (account: string, fileId: string) => `fal-file/${account}/${fileId}`;

const Params = Type.Object({
  account: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  file: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
});
type Signed = FastifyRequest<{ Params: { account: string; file: string }; Querystring: { expires?: string; signature?: string } }>;

export function initiateUpload(ctx: SurfaceContext, accountId: string) {
  const now = Date.now();
  const fileId = newFileId(now);
  const base = ctx.config.publicUrl + FAL_PREFIX;
  return {
    upload_url: `${base}/upload/${accountId}/${fileId}?${ctx.links.query(uploadGrant(accountId, fileId), now + UPLOAD_LINK_MS)}`,
    file_url: `${base}/files/${accountId}/${fileId}?${ctx.links.query(fileGrant(accountId, fileId), now + ctx.deps.config.uploadTtl)}`,
  };
}

/** A fal `file_url` the caller cannot use: its signature is wrong or expired, or its upload is gone. */
export class FalFileUrlError extends Error {}

/**
 * The storage URL the worker reads a fal `file_url` from; undefined when `url` is not one; throws
 * FalFileUrlError when it is one that cannot be used, and the storage's own error when the storage
 * cannot tell.
 */
export async function storageUrlOfFile(ctx: SurfaceContext, url: string): Promise<string | undefined> {
  const prefix = `${ctx.config.publicUrl}${FAL_PREFIX}/files/`;
  if (!url.startsWith(prefix)) return undefined;
  const parsed = new URL(url);
  const [account = '', fileId = ''] = url.slice(prefix.length).split(/[?#]/)[0]!.split('/');
  const query = { expires: parsed.searchParams.get('expires') ?? undefined, signature: parsed.searchParams.get('signature') ?? undefined };
  if (!ctx.links.valid(fileGrant(account, fileId), query)) throw new FalFileUrlError('This file URL is invalid or has expired.');
  const key = await findUpload(ctx.storage, account, fileId);
  if (!key) throw new FalFileUrlError('This file no longer exists (uploads expire after --upload-ttl).');
  return ctx.storage.signedUrl(key, Date.now() + ctx.deps.config.uploadTtl);
}

/** The two routes that take no key: the bare PUT of the bytes, and the file link. */
export async function falStorageRoutes(app: FastifyInstance, ctx: SurfaceContext): Promise<void> {
  const { uploadPolicy, storage } = ctx.deps;
  // The client PUTs the file with its own type (or none): the bytes are read raw, the magic bytes decide.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: uploadPolicy.maxBytes }, (_req, body, done) => done(null, body));

  app.put('/upload/:account/:file', {
    config: { public: true },
    bodyLimit: uploadPolicy.maxBytes,
    schema: { hide: true, params: Params },
    handler: async (request: Signed) => {
      const { account, file } = request.params;
      if (!ctx.links.valid(uploadGrant(account, file), request.query)) throw new PublicError(403, 403002, 'This upload URL is invalid or has expired.');
      const data = request.body as Buffer | undefined;
      if (!Buffer.isBuffer(data) || data.length === 0) throw new PublicError(422, 422001, 'Send the file as the request body.');
      const saved = await saveUpload(ctx.deps, account, data, file);
      request.log.info({ file_id: saved.fileId, bytes: saved.bytes }, 'file uploaded');
      return {};
    },
  });

  app.get('/files/:account/:file', {
    config: { public: true },
    schema: { hide: true, params: Params },
    handler: async (request: Signed, reply) => {
      const { account, file } = request.params;
      if (!ctx.links.valid(fileGrant(account, file), request.query)) throw new PublicError(403, 403002, 'This file URL is invalid or has expired.');
      const opened = (await openUpload(storage, account, file))?.file;
      if (!opened) throw new PublicError(404, 404003, 'This file no longer exists.');
      return reply
        .header('content-type', opened.contentType)
        .header('content-length', String(opened.size))
        .header('x-content-type-options', 'nosniff')
        .send(opened.stream);
    },
  });
}

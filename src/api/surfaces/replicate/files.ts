/**
 * Replicate's files API, as far as its client uses it to send local files: `POST /files`
 * (multipart `content`, `metadata`) keeps the image as an upload of the account, checked like any
 * image, and answers the file object whose `urls.get` the client then puts in the input; `GET
 * /files/{id}` reads it back. The file's creation time is in its id, so nothing but the upload
 * itself needs keeping; its metadata is answered once and not kept.
 */
import crypto from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { PublicError } from '../../../errors.js';
import { MESSAGES } from '../../../models/dreamina-4-0-edit.js';
import { principalOf } from '../../plugins/auth.js';
import { drainPart, openUpload, saveUpload, UploadError } from '../../routes/uploads.js';
import type { SurfaceContext } from '../shared/context.js';
import { createdAtOf, newFileId } from '../shared/file-ids.js';
import { REPLICATE_PREFIX } from './prediction.js';

export const REPLICATE_FILES_PATH = '/files';

const MAX_METADATA_BYTES = 64 * 1024;

export async function replicateFileRoutes(app: FastifyInstance, ctx: SurfaceContext): Promise<void> {
  const { storage, config, uploadPolicy } = ctx.deps;
  const maxBytes = uploadPolicy.maxBytes;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 2, fields: 4, parts: 6, fieldSize: MAX_METADATA_BYTES } });

  const fileObject = (id: string, data: Buffer, contentType: string, extra: { name?: string; metadata?: unknown } = {}) => {
    const created = createdAtOf(id) ?? Date.now();
    return {
      id,
      name: extra.name ?? id,
      content_type: contentType,
      size: data.length,
      etag: crypto.createHash('md5').update(data).digest('hex'),
      checksums: {
        sha256: crypto.createHash('sha256').update(data).digest('hex'),
        md5: crypto.createHash('md5').update(data).digest('hex'),
      },
      metadata: extra.metadata ?? {},
      created_at: new Date(created).toISOString(),
      expires_at: new Date(created + config.uploadTtl).toISOString(),
      urls: { get: `${config.publicUrl}${REPLICATE_PREFIX}${REPLICATE_FILES_PATH}/${id}` },
    };
  };

  app.post(REPLICATE_FILES_PATH, {
    bodyLimit: maxBytes + MAX_METADATA_BYTES + 64 * 1024,
    schema: { hide: true },
    handler: async (request: FastifyRequest, reply) => {
      if (!request.isMultipart()) throw new UploadError('Send the file as multipart/form-data with a "content" part, as Replicate\'s files API takes it.');
      let content: Buffer | undefined;
      let name: string | undefined;
      let metadata: unknown = {};
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'filename' && typeof part.value === 'string') name = part.value.slice(0, 255);
          if (part.fieldname === 'metadata' && typeof part.value === 'string') metadata = parseMetadata(part.value);
          continue;
        }
        if (part.fieldname === 'content' && !content) {
          try {
            content = await part.toBuffer();
          } catch (err) {
            if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new UploadError(MESSAGES.fileSize, `more than ${maxBytes} bytes`);
            throw err;
          }
          if (part.file.truncated) throw new UploadError(MESSAGES.fileSize, `more than ${maxBytes} bytes`);
          name ??= part.filename?.slice(0, 255);
        } else if (part.fieldname === 'metadata') {
          metadata = parseMetadata((await part.toBuffer()).toString('utf8'));
        } else {
          await drainPart(part);
        }
      }
      if (!content) throw new UploadError('Send the file in a multipart part named "content".');
      const saved = await saveUpload(ctx.deps, principalOf(request).accountId, content, newFileId(Date.now()));
      request.log.info({ file_id: saved.fileId, bytes: saved.bytes }, 'file uploaded');
      reply.code(201);
      return fileObject(saved.fileId, content, saved.contentType, { name, metadata });
    },
  });

  app.get(`${REPLICATE_FILES_PATH}/:id`, {
    schema: { hide: true, params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }) },
    handler: async (request: FastifyRequest<{ Params: { id: string } }>) => {
      const found = await openUpload(storage, principalOf(request).accountId, request.params.id);
      if (!found) throw new PublicError(404, 404003, 'This file does not exist (uploads expire after --upload-ttl).');
      // Read whole: the file object carries its checksums.
      const data = Buffer.concat(await found.file.stream.toArray());
      return fileObject(request.params.id, data, found.file.contentType);
    },
  });
}

function parseMetadata(text: string): unknown {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

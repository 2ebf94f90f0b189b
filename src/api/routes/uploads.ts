/**
 * `POST /v1/files`: upload a reference image (multipart field `file`, or the raw bytes with their
 * Content-Type). It is checked by the same rules as a fetched image, kept under the key's account,
 * and answered with a signed URL of retouch's own storage that can go into `image_urls`; a worker
 * reads such a URL from storage directly. Uploads expire after `--upload-ttl`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { Type } from 'typebox';
import { PublicError } from '../../errors.js';
import { checkImage } from '../../inputs/check.js';
import { ImageInputError } from '../../inputs/errors.js';
import { MESSAGES } from '../../models/dreamina-4-0-edit.js';
import type { InputPolicy } from '../../inputs/types.js';
import type { FileStorage, OpenedFile } from '../../storage/types.js';
import type { ApiDeps } from '../context.js';
import { principalOf } from '../plugins/auth.js';

export class UploadError extends PublicError {
  constructor(rule: string, found?: string) {
    const msg = found ? `${rule} (found ${found})` : rule;
    super(422, 422001, `file: ${msg}`, [{ loc: ['body', 'file'], msg }]);
  }
}

export const UploadResponse = Type.Object(
  {
    url: Type.String({ format: 'uri', description: 'Put it in image_urls; it expires with the upload.' }),
    file_id: Type.String(),
    content_type: Type.String(),
    width: Type.Integer(),
    height: Type.Integer(),
    bytes: Type.Integer(),
    expires_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Upload' },
);

const RAW_TYPES = ['image/jpeg', 'image/png', 'application/octet-stream'];

export interface SavedUpload {
  fileId: string;
  /** Where it lives in storage: `uploads/<account>/<file id>.<ext>`. */
  key: string;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  bytes: number;
  /** When it stops being usable (and is deleted), ms since epoch. */
  expiresAt: number;
}

/**
 * Checks an uploaded image by the rules of image URLs and keeps it under the account; the other
 * APIs' file uploads (Replicate's files, fal's storage) go through here too. Throws UploadError.
 */
export async function saveUpload(
  deps: Pick<ApiDeps, 'storage' | 'config' | 'uploadPolicy'>,
  accountId: string,
  data: Buffer,
  fileId: string = crypto.randomBytes(12).toString('base64url'),
): Promise<SavedUpload> {
  let image;
  try {
    image = await checkImage(data, 0, deps.uploadPolicy);
  } catch (err) {
    if (err instanceof ImageInputError) throw new UploadError(err.rule, err.found);
    throw err;
  }
  const key = `uploads/${accountId}/${fileId}.${image.format === 'png' ? 'png' : 'jpg'}`;
  await deps.storage.put(key, data);
  return {
    fileId,
    key,
    contentType: image.format === 'png' ? 'image/png' : 'image/jpeg',
    width: image.width,
    height: image.height,
    bytes: data.length,
    expiresAt: Date.now() + deps.config.uploadTtl,
  };
}

/** The keys an account's upload may have: its extension is that of the format its bytes turned out to be. */
function uploadKeys(accountId: string, fileId: string): string[] {
  return ['png', 'jpg'].map((ext) => `uploads/${accountId}/${fileId}.${ext}`);
}

/**
 * The storage key of an account's upload, or undefined when there is none (or it expired). Looks
 * without reading (a stat, a HEAD); a storage that cannot answer throws rather than pass for empty.
 */
export async function findUpload(storage: FileStorage, accountId: string, fileId: string): Promise<string | undefined> {
  for (const key of uploadKeys(accountId, fileId)) if (await storage.exists(key)) return key;
  return undefined;
}

/** An account's upload opened for reading, for the routes that serve its bytes; undefined when there is none. */
export async function openUpload(storage: FileStorage, accountId: string, fileId: string): Promise<{ key: string; file: OpenedFile } | undefined> {
  for (const key of uploadKeys(accountId, fileId)) {
    const file = await storage.open(key);
    if (file) return { key, file };
  }
  return undefined;
}

export async function uploadRoutes(app: FastifyInstance, deps: ApiDeps & { uploadPolicy: InputPolicy }): Promise<void> {
  const { storage, uploadPolicy } = deps;
  const maxBytes = uploadPolicy.maxBytes;

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 0, parts: 2 } });
  // Raw uploads: the bytes are the file; their declared type is ignored, the magic bytes decide.
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  app.post('/v1/files', {
    bodyLimit: maxBytes + 64 * 1024,
    schema: {
      summary: 'Upload a reference image',
      description: 'multipart/form-data with a `file` field, or the raw bytes as image/jpeg, image/png or application/octet-stream. The same rules as image URLs apply.',
      tags: ['files'],
      consumes: ['multipart/form-data', ...RAW_TYPES],
      response: { 200: UploadResponse },
    },
    handler: async (request: FastifyRequest) => {
      const principal = principalOf(request);
      const data = request.isMultipart() ? await multipartFile(request, maxBytes) : (request.body as Buffer | undefined);
      if (!data || !Buffer.isBuffer(data)) throw new UploadError('Send the image as a multipart field named "file" or as the raw request body.');
      const saved = await saveUpload(deps, principal.accountId, data);
      request.log.info({ file_id: saved.fileId, bytes: data.length }, 'file uploaded');
      return {
        url: storage.signedUrl(saved.key, saved.expiresAt),
        file_id: saved.fileId,
        content_type: saved.contentType,
        width: saved.width,
        height: saved.height,
        bytes: saved.bytes,
        expires_at: new Date(saved.expiresAt).toISOString(),
      };
    },
  });
}

/**
 * Reads a multipart file part to its end, throwing the bytes away: a part left unread keeps the
 * request (and a graceful shutdown) waiting.
 */
export async function drainPart(part: MultipartFile): Promise<void> {
  part.file.resume();
  await new Promise((resolve) => part.file.once('close', resolve).once('end', resolve));
}

async function multipartFile(request: FastifyRequest, maxBytes: number): Promise<Buffer | undefined> {
  const part = await request.file();
  if (!part) return undefined;
  if (part.fieldname !== 'file') {
    await drainPart(part);
    throw new UploadError(`The multipart field must be named "file" (found "${part.fieldname.slice(0, 40)}").`);
  }
  const tooLarge = () => new UploadError(MESSAGES.fileSize, `more than ${maxBytes} bytes`);
  let data: Buffer;
  try {
    data = await part.toBuffer();
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    throw err;
  }
  // The parser stops at the limit and may hand back the first part of the file without an error:
  // a PNG with trailing bytes cut off would still decode, so a cut file is refused here.
  if (part.file.truncated || data.length > maxBytes) throw tooLarge();
  return data;
}

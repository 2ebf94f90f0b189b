/**
 * OpenAI's `POST /images/edits` under /openai/v1, for the `openai` client (`baseURL`) and apps
 * written for `images.edit`: multipart `image` or `image[]` (files, streams), `prompt`, `model`
 * (`bytedance/dreamina-4-0/edit` or `seedream-4`), `size`, `n`, `response_format`, `output_format`.
 * Synchronous as OpenAI's is: the images are kept as uploads, the request is queued like any other,
 * and the answer waits for it (up to --sync-timeout): `{created, data: [{b64_json | url}], usage}`.
 * What the model cannot do (a mask, a transparent background, several generations, streaming) is
 * refused in OpenAI's error envelope. Keys: `Authorization: Bearer <key>`.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { PublicError } from '../../../errors.js';
import { MESSAGES } from '../../../models/dreamina-4-0-edit.js';
import type { RequestRecord } from '../../../requests/types.js';
import { principalOf } from '../../plugins/auth.js';
import { submitRequest } from '../../routes/submit.js';
import { drainPart, saveUpload, UploadError } from '../../routes/uploads.js';
import { waitForSyncCall, type SurfaceContext } from '../shared/context.js';
import { outputsOf, type SurfaceOutput } from '../shared/outputs.js';
import { storedInput, type SurfacePart } from '../shared/record.js';
import { setUpSurfaceScope } from '../shared/scope.js';
import { openaiSize } from '../shared/sizes.js';
import { OpenAIParamError, openaiProblem, renderOpenAIProblem } from './errors.js';

export const OPENAI_PREFIX = '/openai/v1';

/** The names `model` may take; without one, the edit model is meant. */
export const OPENAI_MODELS = ['bytedance/dreamina-4-0/edit', 'seedream-4'];

const MAX_IMAGES = 10;
const MAX_PROMPT = 800;
const FIELD_BYTES = 64 * 1024;

interface Form {
  fields: Map<string, string>;
  images: { data: Buffer; field: string }[];
  mask: boolean;
  others: string[];
}

/** images.edit's other parameters, kept with the request as the client sent them. */
const PARAMETERS = ['model', 'size', 'n', 'response_format', 'output_format', 'output_compression', 'quality', 'background', 'input_fidelity', 'user'];

const FORMATS = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
type OutputFormat = keyof typeof FORMATS;

/** The parameters the model cannot honour, refused with OpenAI's words for them. */
function refuseUnsupported(form: Form): void {
  if (form.mask) throw new OpenAIParamError('mask', 'mask is not supported: this model edits the whole image as the prompt says.', 'unsupported_parameter');
  const f = form.fields;
  if (f.get('background') === 'transparent') throw new OpenAIParamError('background', 'background "transparent" is not supported: outputs are opaque.', 'unsupported_value');
  if (f.get('stream') === 'true') throw new OpenAIParamError('stream', 'stream is not supported: the answer comes when the edit is done.', 'unsupported_parameter');
  const n = f.get('n');
  if (n !== undefined && n !== '1') throw new OpenAIParamError('n', 'n must be 1: the model makes one generation per request (a prompt that asks for a set is answered with the set).', 'unsupported_value');
  if (form.others.length) throw new OpenAIParamError(form.others[0]!, `Unknown file parameter "${form.others[0]!.slice(0, 40)}": send the images as image or image[].`, 'unknown_parameter');
}

function outputFormatOf(f: Map<string, string>): OutputFormat {
  const v = f.get('output_format') ?? 'png';
  if (!(v in FORMATS)) throw new OpenAIParamError('output_format', `output_format must be png, jpeg or webp (got ${JSON.stringify(v.slice(0, 20))}).`);
  return v as OutputFormat;
}

function compressionOf(f: Map<string, string>): number | undefined {
  const v = f.get('output_compression');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new OpenAIParamError('output_compression', 'output_compression must be a whole number from 0 to 100.');
  return n;
}

async function readForm(request: FastifyRequest, maxBytes: number): Promise<Form> {
  const form: Form = { fields: new Map(), images: [], mask: false, others: [] };
  let failure: Error | undefined;
  // Every part is read to its end, even after a problem: an unread part keeps the request waiting.
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (typeof part.value === 'string') form.fields.set(part.fieldname, part.value);
      continue;
    }
    if (failure || (part.fieldname !== 'image' && part.fieldname !== 'image[]')) {
      if (part.fieldname === 'mask') form.mask = true;
      else if (part.fieldname !== 'image' && part.fieldname !== 'image[]') form.others.push(part.fieldname);
      await drainPart(part);
      continue;
    }
    try {
      const data = await part.toBuffer();
      if (part.file.truncated) throw new UploadError(MESSAGES.fileSize, `more than ${maxBytes} bytes`);
      form.images.push({ data, field: part.fieldname });
    } catch (err) {
      failure = (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' ? new UploadError(MESSAGES.fileSize, `more than ${maxBytes} bytes`) : (err as Error);
    }
  }
  if (failure) throw failure;
  return form;
}

/** An output as OpenAI answers it: base64 in the asked format, or the signed URL. */
async function imageOf(o: SurfaceOutput, ctx: SurfaceContext, as: { b64: boolean; format: OutputFormat; compression: number | undefined }) {
  if (!as.b64) return { url: o.url };
  const stored = await ctx.storage.read(o.key);
  const same = FORMATS[as.format] === o.contentType && as.compression === undefined;
  const data = same ? stored : await sharp(stored, { limitInputPixels: 6198 * 4096 }).toFormat(as.format, as.compression === undefined ? {} : { quality: Math.max(1, as.compression) }).toBuffer();
  return { b64_json: data.toString('base64') };
}

const IMAGE_CODES: Record<string, string> = { too_large: 'image_too_large', resolution: 'image_too_large', unsupported_format: 'invalid_image_format' };

/** A request that did not complete, in OpenAI's envelope. */
function failureOf(record: RequestRecord): { status: number; body: unknown; retry: false } {
  if (record.status === 'cancelled') {
    return { status: 409, retry: false, body: { error: { message: `The edit (request ${record.id}) was cancelled before it started.`, type: 'invalid_request_error', param: null, code: 'request_cancelled' } } };
  }
  const error = record.error ?? { code: 'internal_error', message: 'The edit failed.' };
  if (error.code === 'internal_error' || error.code === 'worker_lost') {
    return { status: 500, retry: false, body: { error: { message: error.message, type: 'server_error', param: null, code: 'server_error' } } };
  }
  const index = /^image_urls\[(\d+)\]/.exec(error.message)?.[1];
  return {
    status: 400,
    retry: false,
    body: {
      error: {
        message: error.message.replace(/^image_urls\[(\d+)\]/, 'image[$1]'),
        type: 'invalid_request_error',
        param: index === undefined ? 'image' : `image[${index}]`,
        code: IMAGE_CODES[error.code] ?? 'invalid_image',
      },
    },
  };
}

export async function openaiSurface(app: FastifyInstance, options: { ctx: SurfaceContext }): Promise<void> {
  const { ctx } = options;
  const { keys, uploadPolicy } = ctx.deps;
  setUpSurfaceScope(app, {
    keys,
    schemes: ['Bearer'],
    render: renderOpenAIProblem,
    notFound: (request) => openaiProblem(404, `Invalid URL (${request.method} ${request.url.split('?')[0]!.slice(0, 200)})`),
  });
  await app.register(multipart, { limits: { fileSize: uploadPolicy.maxBytes, files: MAX_IMAGES + 2, fields: 30, parts: 45, fieldSize: FIELD_BYTES } });

  app.post('/images/edits', {
    schema: { hide: true },
    bodyLimit: (MAX_IMAGES + 1) * uploadPolicy.maxBytes + 1024 * 1024,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.isMultipart()) throw new OpenAIParamError('image', 'Send the edit as multipart/form-data, with the images as image or image[] files.');
      const form = await readForm(request, uploadPolicy.maxBytes);
      refuseUnsupported(form);
      const f = form.fields;
      const model = f.get('model') ?? OPENAI_MODELS[0]!;
      if (!OPENAI_MODELS.includes(model)) {
        throw new OpenAIParamError('model', `The model ${JSON.stringify(model.slice(0, 80))} does not exist here: use ${OPENAI_MODELS.map((m) => `"${m}"`).join(' or ')}.`, 'model_not_found');
      }
      const prompt = f.get('prompt');
      if (!prompt) throw new OpenAIParamError('prompt', 'prompt is required.', 'missing_required_parameter');
      if (prompt.length > MAX_PROMPT) throw new OpenAIParamError('prompt', `prompt must be at most ${MAX_PROMPT} characters long for this model (got ${prompt.length}).`, 'string_above_max_length');
      if (form.images.length === 0) throw new OpenAIParamError('image', 'image is required: send one or more images as image or image[].', 'missing_required_parameter');
      if (form.images.length > MAX_IMAGES) throw new OpenAIParamError('image', `At most ${MAX_IMAGES} images can be edited together (got ${form.images.length}).`, 'array_above_max_length');
      const responseFormat = f.get('response_format') ?? 'b64_json';
      if (responseFormat !== 'b64_json' && responseFormat !== 'url') throw new OpenAIParamError('response_format', 'response_format must be url or b64_json.');
      const format = outputFormatOf(f);
      const compression = compressionOf(f);
      const size = openaiSize(f.get('size'));
      if ('problem' in size) throw new OpenAIParamError('size', `size ${size.problem}`);

      const accountId = principalOf(request).accountId;
      const imageUrls: string[] = [];
      for (const [i, image] of form.images.entries()) {
        try {
          const saved = await saveUpload(ctx.deps, accountId, image.data);
          imageUrls.push(ctx.storage.signedUrl(saved.key, saved.expiresAt));
        } catch (err) {
          if (err instanceof UploadError) throw new OpenAIParamError(`image[${i}]`, `image[${i}]: ${err.message.replace(/^file: /, '')}`, 'invalid_image');
          throw err;
        }
      }
      const surface: SurfacePart = { name: 'openai', endpoint: model, input: Object.fromEntries([...f].filter(([k]) => PARAMETERS.includes(k))), notes: [], maxImages: 1 };
      const { record } = await submitRequest(ctx.deps, request, { model: ctx.model, input: storedInput({ prompt, imageUrls, size, forceSingle: true, surface }) });

      const { record: settled, final, cancelled } = await waitForSyncCall(ctx, reply, record);
      if (!final) {
        const seconds = Math.round(ctx.syncTimeoutMs / 1000);
        throw new PublicError(
          504,
          504001,
          cancelled
            ? `The edit did not start within ${seconds} s and was cancelled (request ${record.id}); try again when the queue is shorter.`
            : `The edit did not finish within ${seconds} s. It goes on as request ${record.id}: follow it at ${ctx.config.publicUrl}/v1/requests/${record.id}/result.`,
        );
      }
      if (settled.status !== 'completed') {
        const failure = failureOf(settled);
        return reply.code(failure.status).header('x-should-retry', 'false').send(failure.body);
      }
      const outputs = outputsOf(settled, surface, ctx.storage, ctx.config.urlTtl).shown;
      const data = await Promise.all(outputs.map((o) => imageOf(o, ctx, { b64: responseFormat === 'b64_json', format, compression })));
      const outputTokens = outputs.reduce((sum, o) => sum + Math.round((o.width * o.height) / 256), 0);
      return {
        created: Math.floor((settled.finishedAt ?? Date.now()) / 1000),
        data,
        background: 'opaque',
        output_format: responseFormat === 'b64_json' ? format : outputs[0]?.contentType === 'image/png' ? 'png' : 'jpeg',
        quality: f.get('quality') ?? 'auto',
        size: outputs[0] ? `${outputs[0].width}x${outputs[0].height}` : f.get('size') ?? 'auto',
        // Seedream's own accounting on ModelArk: a generated image costs width × height / 256 tokens.
        usage: { input_tokens: 0, input_tokens_details: { text_tokens: 0, image_tokens: 0 }, output_tokens: outputTokens, total_tokens: outputTokens },
      };
    },
  });
}

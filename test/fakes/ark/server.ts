/**
 * A fake of Ark's image generation (BytePlus ModelArk / Volcengine Ark, Seedream 4.0 and 4.5), as
 * shared/protocols/upstreams.md §1a describes it: Bearer keys (401 AuthenticationError), the
 * models' size rules (400 InvalidParameter with param), watermark on unless false, sets up to
 * 15 − references, `stream: true` as server-sent events (partial_succeeded / partial_failed /
 * completed, then [DONE]), usage with output_tokens = Σ w·h / 256, moderation refusals, 429
 * RateLimitExceeded, and output links that expire (403).
 */
import { Gate, OutputHost, fetchReference, json, listen, makeImage, send, setSize, type CannedFailure } from '../common.js';

const MODELS: Record<string, { minPixels: number }> = {
  'seedream-4-0-250828': { minPixels: 921_600 },
  'seedream-4-5-251128': { minPixels: 3_686_400 },
};

export interface ArkCall {
  body: any;
  stream: boolean;
}

export async function startArkFake(options: { key?: string } = {}) {
  const key = options.key ?? 'ark-test-key';
  const calls: ArkCall[] = [];
  const failures: CannedFailure[] = [];
  const gate = new Gate();
  /** Set `afterEvents` to stop sending after that many image events, the connection left open (a stalled answer). */
  const stall: { afterEvents: number | undefined } = { afterEvents: undefined };
  let n = 0;
  const error = (status: number, code: string, message: string, param?: string) => ({
    status,
    body: { error: { code, message: `${message} Request ID: 0217${Date.now()}abcdef`, ...(param && { param }), type: status === 401 ? 'Unauthorized' : 'BadRequest' } },
  });

  const server = await listen(async (req, body, res) => {
    if (outputs.serve(req, res)) return;
    if (req.method !== 'POST' || req.url !== '/api/v3/images/generations') return send(res, 404, { error: { code: 'NotFound', message: 'not found' } });
    if (req.headers.authorization !== `Bearer ${key}`) {
      const e = error(401, 'AuthenticationError', 'The API key or AK/SK in the request is missing or invalid.');
      return send(res, e.status, e.body);
    }
    const canned = failures.shift();
    if (canned) return send(res, canned.status, canned.body, canned.headers);
    const input = json(body);
    const refused = await check(input);
    if (refused) return send(res, refused.status, refused.body);
    calls.push({ body: input, stream: input.stream === true });
    const [w, h] = String(input.size).split('x').map(Number) as [number, number];
    const refs = (input.image ?? []).length;
    const count = input.sequential_image_generation === 'auto' ? setSize(input.prompt, input.sequential_image_generation_options?.max_images ?? 15 - refs) : 1;
    // The content filter refuses the second image of a set whose prompt asks for something it blocks.
    const failAt = /blocked second/.test(input.prompt) ? 1 : -1;
    await gate.pass();
    const items: any[] = [];
    for (let i = 0; i < count; i++) {
      if (i === failAt) items.push({ error: { code: 'OutputImageSensitiveContentDetected', message: 'The request failed because the output image may contain sensitive information.' } });
      else items.push({ url: outputs.put(await makeImage(w, h, ++n)), size: `${w}x${h}` });
    }
    const generated = items.filter((i) => i.url).length;
    const usage = { generated_images: generated, output_tokens: Math.round((generated * w * h) / 256), total_tokens: Math.round((generated * w * h) / 256) };
    const created = Math.floor(Date.now() / 1000);
    if (!input.stream) return send(res, 200, { model: input.model, created, data: items, usage });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // An event stream's headers go out at once, before the first event.
    res.flushHeaders();
    for (const [i, item] of items.entries()) {
      if (stall.afterEvents === i) return new Promise<void>((resolve) => res.on('close', resolve));
      const type = item.url ? 'image_generation.partial_succeeded' : 'image_generation.partial_failed';
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, model: input.model, created, image_index: i, ...item })}\n\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    res.write(`event: image_generation.completed\ndata: ${JSON.stringify({ type: 'image_generation.completed', model: input.model, created, usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  const outputs = new OutputHost(() => server.url, 403);

  async function check(input: any): Promise<{ status: number; body: unknown } | undefined> {
    if (!input || typeof input.prompt !== 'string' || !input.model) return error(400, 'MissingParameter', 'The request failed because it is missing one or multiple required parameters.');
    const model = MODELS[input.model];
    if (!model) return error(404, 'InvalidEndpointOrModel.NotFound', `The model or endpoint ${input.model} does not exist or you do not have access to it.`);
    const m = /^(\d+)x(\d+)$/.exec(String(input.size ?? '2048x2048'));
    const px = m ? Number(m[1]) * Number(m[2]) : 0;
    if (!m || px < model.minPixels || px > 16_777_216) {
      return error(400, 'InvalidParameter', `The parameter \`size\` specified in the request is not valid: image size must be at least ${model.minPixels} pixels.`, 'size');
    }
    const refs: unknown[] = input.image ?? [];
    if (!Array.isArray(refs) || refs.length > 14) return error(400, 'InvalidParameter', 'The parameter `image` specified in the request is not valid.', 'image');
    for (const ref of refs) {
      if (typeof ref !== 'string' || !(await fetchReference(ref))) return error(400, 'InvalidParameter', 'The parameter `image` specified in the request is not valid: the image cannot be downloaded.', 'image');
    }
    const max = input.sequential_image_generation_options?.max_images;
    if (max !== undefined && (max < 1 || max > 15 || refs.length + max > 15)) return error(400, 'InvalidParameter', 'The total number of input and output images must not exceed 15.', 'sequential_image_generation_options.max_images');
    if (/forbidden/i.test(input.prompt)) return error(400, 'InputTextSensitiveContentDetected', 'The request failed because the input text may contain sensitive information.');
    return undefined;
  }

  return {
    url: `${server.url}/api/v3`,
    key,
    calls,
    failures,
    gate,
    stall,
    outputs,
    close: server.close,
  };
}

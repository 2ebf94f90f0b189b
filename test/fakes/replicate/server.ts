/**
 * A fake of Replicate's predictions API (shared/protocols/upstreams.md §4): Bearer tokens (401),
 * `POST /v1/models/{owner}/{name}/predictions` honouring `Prefer: wait=N` (answering a finished
 * prediction, or one still processing when the wait runs out), starting → processing → succeeded,
 * `failed` with the model's words (moderation: E005 "flagged as sensitive"), cancel, 422
 * invalid_fields, 429 "resets in ~Ns", and outputs deleted after their hour (data_removed).
 */
import { Gate, OutputHost, fetchReference, json, listen, makeImage, send, setSize, type CannedFailure } from '../common.js';

interface Prediction {
  id: string;
  model: string;
  input: any;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  output: string[] | null;
  error: string | null;
  polls: number;
  created_at: string;
  data_removed: boolean;
}

export async function startReplicateFake(options: { token?: string } = {}) {
  const token = options.token ?? 'r8_test_token';
  const predictions = new Map<string, Prediction>();
  const failures: CannedFailure[] = [];
  const creates: { model: string; input: any; prefer: string | undefined }[] = [];
  const cancels: string[] = [];
  /** GETs of a prediction: its id reached the client, which now follows it. */
  let gets = 0;
  const gate = new Gate();
  let n = 0;

  const server = await listen(async (req, body, res) => {
    if (outputs.serve(req, res)) return;
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, { title: 'Unauthenticated', detail: 'You did not pass a valid authentication token', status: 401 });
    }
    const url = new URL(req.url ?? '/', server.url);
    const create = /^\/v1\/models\/([\w.-]+)\/([\w.-]+)\/predictions$/.exec(url.pathname);
    if (create && req.method === 'POST') {
      const canned = failures.shift();
      if (canned) return send(res, canned.status, canned.body, canned.headers);
      const model = `${create[1]}/${create[2]}`;
      if (model !== 'bytedance/seedream-4') return send(res, 404, { title: 'Not found', detail: 'The requested resource could not be found.', status: 404 });
      const input = json(body)?.input;
      const invalid = await validate(input);
      if (invalid.length) return send(res, 422, { detail: invalid.map((f) => `${f.field}: ${f.description}`).join('\n'), status: 422, title: 'Input validation failed', invalid_fields: invalid });
      creates.push({ model, input, prefer: req.headers.prefer as string | undefined });
      const p: Prediction = { id: `p${++n}${Math.random().toString(36).slice(2, 10)}`, model, input, status: 'starting', output: null, error: null, polls: 0, created_at: new Date().toISOString(), data_removed: false };
      predictions.set(p.id, p);
      // Prefer: wait=N holds the answer until the prediction ends or N seconds pass.
      const wait = /wait(?:=(\d+))?/.exec(String(req.headers.prefer ?? ''));
      if (wait) {
        const until = Date.now() + Math.min(60, Number(wait[1] ?? 60)) * 1000;
        while (Date.now() < until && !final(p)) {
          await step(p);
          if (!final(p)) await new Promise((r) => setTimeout(r, 50));
        }
      }
      return send(res, 201, view(p));
    }
    const one = /^\/v1\/predictions\/(\w+)(\/cancel)?$/.exec(url.pathname);
    const p = one ? predictions.get(one[1]!) : undefined;
    if (!one || !p) return send(res, 404, { title: 'Not found', detail: 'The requested resource could not be found.', status: 404 });
    if (one[2] && req.method === 'POST') {
      cancels.push(p.id);
      if (!final(p)) p.status = 'canceled';
      return send(res, 200, view(p));
    }
    gets++;
    await step(p);
    return send(res, 200, view(p));
  });
  const outputs = new OutputHost(() => server.url, 404);

  const final = (p: Prediction) => ['succeeded', 'failed', 'canceled'].includes(p.status);

  async function step(p: Prediction): Promise<void> {
    p.polls++;
    if (final(p)) return;
    if (p.status === 'starting') {
      p.status = 'processing';
      return;
    }
    if (!gate.isOpen) {
      gate.reached++;
      return;
    }
    if (/forbidden/i.test(p.input.prompt)) {
      p.status = 'failed';
      p.error = 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)';
      return;
    }
    const [w, h] = p.input.size === 'custom' ? [p.input.width, p.input.height] : p.input.size === '4K' ? fourK(p.input.aspect_ratio) : [2048, 2048];
    const count = p.input.sequential_image_generation === 'auto' ? setSize(p.input.prompt, p.input.max_images) : 1;
    const output = [];
    for (let i = 0; i < count; i++) output.push(outputs.put(await makeImage(w, h, i + 3)));
    p.output = output;
    p.status = 'succeeded';
  }

  function view(p: Prediction) {
    const removed = p.data_removed || (p.output !== null && outputs.ttlMs <= 0);
    const base = `${server.url}/v1/predictions/${p.id}`;
    return {
      id: p.id,
      model: p.model,
      version: 'cf7d431991436f19d1c8dad83fe463c729c816d7a21056c5105e75c84a0aa7e9',
      input: p.input,
      logs: '',
      output: removed ? null : p.output,
      data_removed: removed,
      error: p.error,
      status: p.status,
      created_at: p.created_at,
      urls: { get: base, cancel: `${base}/cancel`, web: `https://replicate.com/p/${p.id}` },
      ...(p.status === 'succeeded' && { metrics: { predict_time: 12.5, total_time: 13.1 } }),
    };
  }

  async function validate(input: any) {
    const invalid: { type: string; field: string; description: string }[] = [];
    if (!input || typeof input.prompt !== 'string') invalid.push({ type: 'required', field: 'input.prompt', description: 'prompt is required' });
    const refs = input?.image_input ?? [];
    if (!Array.isArray(refs) || refs.length > 10) invalid.push({ type: 'array_max_items', field: 'input.image_input', description: 'Array must have at most 10 items' });
    else for (const [i, u] of refs.entries()) if (!(await fetchReference(u))) invalid.push({ type: 'format', field: `input.image_input.${i}`, description: 'Does not match format uri, or cannot be fetched' });
    if (!['1K', '2K', '4K', 'custom'].includes(input?.size)) invalid.push({ type: 'enum', field: 'input.size', description: 'size must be one of: 1K, 2K, 4K, custom' });
    if (input?.size === 'custom') for (const k of ['width', 'height']) if (!(input[k] >= 1024 && input[k] <= 4096)) invalid.push({ type: 'number_one_of', field: `input.${k}`, description: `Must be between 1024 and 4096` });
    if (!(input?.max_images >= 1 && input?.max_images <= 15)) invalid.push({ type: 'number_one_of', field: 'input.max_images', description: 'Must be between 1 and 15' });
    return invalid;
  }

  return { url: `${server.url}/v1`, token, gets: () => gets, predictions, creates, cancels, failures, gate, outputs, close: server.close };
}

/** What the fake makes for "4K" at a ratio: 4096 on the long side. */
function fourK(ratio: string): [number, number] {
  const [a, b] = String(ratio ?? '1:1').split(':').map(Number) as [number, number];
  return a >= b ? [4096, Math.round((4096 * b) / a)] : [Math.round((4096 * a) / b), 4096];
}

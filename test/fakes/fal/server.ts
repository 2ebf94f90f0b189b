/**
 * A fake of fal's queue (shared/protocols/upstreams.md §3): `Authorization: Key …`; submit on the
 * full model id, status/result/cancel only under the app root (fal-ai/bytedance), status 202 until
 * COMPLETED then 200, the result 400 while running, cancel answering CANCELLATION_REQUESTED /
 * ALREADY_COMPLETED / NOT_FOUND (a cancelled request still COMPLETES, with an error result),
 * validation and moderation as 422 `detail[]` (content_policy_violation), 429, expiring links.
 */
import { Gate, OutputHost, fetchReference, json, listen, makeImage, send, setSize, type CannedFailure } from '../common.js';

interface Job {
  id: string;
  input: any;
  state: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  polls: number;
  result?: { status: number; body: unknown };
  cancelled: boolean;
}

export async function startFalFake(options: { key?: string } = {}) {
  const key = options.key ?? 'fal-key-id:fal-key-secret';
  const jobs = new Map<string, Job>();
  const failures: CannedFailure[] = [];
  /** Answers served to status checks before normal behaviour (a throttled poll). */
  const statusFailures: CannedFailure[] = [];
  const submits: any[] = [];
  const statusPaths: string[] = [];
  const cancels: string[] = [];
  const gate = new Gate();
  let n = 0;

  const server = await listen(async (req, body, res) => {
    if (outputs.serve(req, res)) return;
    if (req.headers.authorization !== `Key ${key}`) return send(res, 401, { detail: 'Authentication is required to access this application.' });
    const url = new URL(req.url ?? '/', server.url);
    const m = /^\/([\w.-]+)\/([\w.-]+)\/requests\/([\w-]+)(\/status|\/cancel)?$/.exec(url.pathname);
    if (m) {
      const job = jobs.get(m[3]!);
      if (m[4] === '/status') {
        statusPaths.push(url.pathname);
        const canned = statusFailures.shift();
        if (canned) return send(res, canned.status, canned.body, canned.headers);
      }
      if (!job || `${m[1]}/${m[2]}` !== 'fal-ai/bytedance') return send(res, 404, { detail: 'Request not found' });
      if (m[4] === '/cancel' && req.method === 'PUT') {
        cancels.push(job.id);
        if (job.state === 'COMPLETED') return send(res, 400, { status: 'ALREADY_COMPLETED' });
        job.cancelled = true;
        return send(res, 202, { status: 'CANCELLATION_REQUESTED' });
      }
      if (m[4] === '/status') {
        await advance(job);
        const urls = links(job.id);
        const body = { status: job.state, request_id: job.id, response_url: urls.response_url, status_url: urls.status_url, cancel_url: urls.cancel_url, logs: url.searchParams.get('logs') === '1' ? [] : null };
        if (job.state === 'IN_QUEUE') return send(res, 202, { ...body, queue_position: 0 });
        return send(res, job.state === 'COMPLETED' ? 200 : 202, body);
      }
      if (job.state !== 'COMPLETED') return send(res, 400, { detail: 'Request is still in progress' });
      return send(res, job.result!.status, job.result!.body);
    }
    if (req.method !== 'POST') return send(res, 405, { detail: 'Method not allowed' });
    const canned = failures.shift();
    if (canned) return send(res, canned.status, canned.body, canned.headers);
    const input = json(body);
    const problems = await validate(input);
    if (problems.length) return send(res, 422, { detail: problems });
    const id = `${Date.now().toString(16)}-${++n}-fal`;
    submits.push(input);
    jobs.set(id, { id, input, state: 'IN_QUEUE', polls: 0, cancelled: false });
    return send(res, 200, { request_id: id, ...links(id), queue_position: 0, status: 'IN_QUEUE' });
  });
  const outputs = new OutputHost(() => server.url, 404);

  function links(id: string) {
    const root = `${server.url}/fal-ai/bytedance/requests/${id}`;
    return { response_url: root, status_url: `${root}/status`, cancel_url: `${root}/cancel` };
  }

  /** One poll in the queue, one in progress, then done (held by the gate while a test needs it). */
  async function advance(job: Job): Promise<void> {
    job.polls++;
    if (job.state === 'COMPLETED') return;
    if (job.cancelled) {
      job.state = 'COMPLETED';
      job.result = { status: 400, body: { detail: 'Request was cancelled' } };
      return;
    }
    if (job.polls === 1) return;
    if (!gate.isOpen) {
      job.state = 'IN_PROGRESS';
      gate.reached++;
      return;
    }
    if (job.state === 'IN_QUEUE') {
      job.state = 'IN_PROGRESS';
      return;
    }
    const input = job.input;
    if (/forbidden/i.test(input.prompt)) {
      job.result = {
        status: 422,
        body: { detail: [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation', input: input.prompt }] },
      };
    } else {
      const count = input.max_images > 1 ? setSize(input.prompt, input.max_images) : 1;
      const { width, height } = input.image_size;
      const images = [];
      for (let i = 0; i < count; i++) images.push({ url: outputs.put(await makeImage(width, height, i + 7)), width, height, content_type: 'image/jpeg' });
      job.result = { status: 200, body: { images, seed: 42 } };
    }
    job.state = 'COMPLETED';
  }

  async function validate(input: any) {
    const problems: { loc: (string | number)[]; msg: string; type: string }[] = [];
    if (!input || typeof input.prompt !== 'string') problems.push({ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' });
    const urls = input?.image_urls;
    if (!Array.isArray(urls) || urls.length === 0) problems.push({ loc: ['body', 'image_urls'], msg: 'field required', type: 'value_error.missing' });
    else for (const [i, u] of urls.entries()) if (!(await fetchReference(u))) problems.push({ loc: ['body', 'image_urls', i], msg: 'Failed to download the file.', type: 'file_download_error' });
    const size = input?.image_size;
    if (!size || !(size.width <= 14142 && size.height <= 14142 && size.width > 0 && size.height > 0)) problems.push({ loc: ['body', 'image_size'], msg: 'ensure this value is less than or equal to 14142', type: 'value_error' });
    for (const k of ['num_images', 'max_images']) if (!(input?.[k] >= 1 && input?.[k] <= 6)) problems.push({ loc: ['body', k], msg: 'ensure this value is less than or equal to 6', type: 'value_error.number.not_le' });
    return problems;
  }

  return { url: server.url, key, jobs, submits, failures, statusFailures, statusPaths, cancels, gate, outputs, close: server.close };
}

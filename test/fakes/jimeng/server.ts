/**
 * A fake of Volcengine's visual API for Jimeng 4.0 (shared/protocols/upstreams.md §1b): routing on
 * Action and Version, every request's signature checked with @volcengine/openapi's own Signer
 * (401 SignatureDoesNotMatch in the gateway's ResponseMetadata shape otherwise), submit answering
 * code 10000 with a task_id, tasks going in_queue → generating → done, req_json parsed
 * (return_url: links, else base64), moderation codes 50411/50412 with HTTP 400, 50429 with 429,
 * not_found for unknown tasks, and links that expire (403). Images are taken only as URLs.
 */
import { Signer } from '@volcengine/openapi';
import { Gate, OutputHost, fetchReference, json, listen, makeImage, send, setSize, type CannedFailure } from '../common.js';

interface Task {
  id: string;
  input: any;
  status: 'in_queue' | 'generating' | 'done';
  polls: number;
  images?: Buffer[];
  urls?: string[];
}

export async function startJimengFake(options: { accessKeyId?: string; secretKey?: string } = {}) {
  const credentials = { accessKeyId: options.accessKeyId ?? 'AKLTfakeaccesskey', secretKey: options.secretKey ?? 'fake/secret+key==' };
  const tasks = new Map<string, Task>();
  const submits: any[] = [];
  const failures: CannedFailure[] = [];
  const gate = new Gate();
  let signatures = 0;
  let n = 0;
  const meta = (action: string) => ({ RequestId: `2025${Date.now()}`, Action: action, Version: '2022-08-31', Service: 'cv', Region: 'cn-north-1' });
  const business = (code: number, message: string, data: unknown = null) => ({ code, data, message, request_id: `2025${Date.now()}`, status: code, time_elapsed: '12.3ms' });

  const server = await listen(async (req, body, res) => {
    if (outputs.serve(req, res)) return;
    const url = new URL(req.url ?? '/', server.url);
    const action = url.searchParams.get('Action') ?? '';
    if (req.method !== 'POST' || url.pathname !== '/' || url.searchParams.get('Version') !== '2022-08-31') {
      return send(res, 404, { ResponseMetadata: { ...meta(action), Error: { Code: 'InvalidActionOrVersion', Message: 'Could not find operation' } } });
    }
    if (!signedCorrectly(req, url, body.toString('utf8'))) {
      return send(res, 401, { ResponseMetadata: { ...meta(action), Error: { CodeN: 100010, Code: 'SignatureDoesNotMatch', Message: 'The request signature we calculated does not match the signature you provided.' } } });
    }
    signatures++;
    const canned = failures.shift();
    if (canned) return send(res, canned.status, canned.body, canned.headers);
    const input = json(body);
    if (input?.req_key !== 'jimeng_t2i_v40') return send(res, 400, business(50400, 'Invalid req_key'));
    if (action === 'CVSync2AsyncSubmitTask') {
      if (typeof input.prompt !== 'string' || input.prompt === '') return send(res, 400, business(50400, 'prompt is required'));
      if ((input.width === undefined) !== (input.height === undefined)) return send(res, 400, business(50400, 'width and height must be given together'));
      const urls: unknown[] = input.image_urls ?? [];
      if (urls.length > 10) return send(res, 400, business(50400, 'at most 10 images'));
      for (const u of urls) {
        // Jimeng documents URLs only: a data URI is as unusable to it as an unreachable link.
        if (typeof u !== 'string' || u.startsWith('data:') || !(await fetchReference(u))) return send(res, 400, business(50400, 'Download image failed'));
      }
      if (/forbidden/i.test(input.prompt)) return send(res, 400, business(50412, 'Text Risk Not Pass'));
      submits.push(input);
      const id = `${7392616336519610409n + BigInt(++n)}`;
      tasks.set(id, { id, input, status: 'in_queue', polls: 0 });
      return send(res, 200, business(10000, 'Success', { task_id: id }));
    }
    if (action === 'CVSync2AsyncGetResult') {
      const task = tasks.get(String(input.task_id));
      if (!task) return send(res, 200, business(10000, 'Success', { status: 'not_found', image_urls: null, binary_data_base64: null }));
      const reqJson = typeof input.req_json === 'string' ? json(Buffer.from(input.req_json)) : {};
      await advance(task);
      if (task.status !== 'done') return send(res, 200, business(10000, 'Success', { status: task.status, image_urls: null, binary_data_base64: null }));
      if (/blocked output/i.test(task.input.prompt)) return send(res, 400, business(50511, 'Post Img Risk Not Pass', { status: 'done' }));
      if (reqJson?.return_url) {
        task.urls ??= task.images!.map((img) => outputs.put(img));
        return send(res, 200, business(10000, 'Success', { status: 'done', image_urls: task.urls, binary_data_base64: null }));
      }
      return send(res, 200, business(10000, 'Success', { status: 'done', image_urls: null, binary_data_base64: task.images!.map((b) => b.toString('base64')) }));
    }
    return send(res, 404, { ResponseMetadata: { ...meta(action), Error: { Code: 'InvalidActionOrVersion', Message: `Could not find operation ${action}` } } });
  });
  const outputs = new OutputHost(() => server.url, 403);

  async function advance(task: Task): Promise<void> {
    task.polls++;
    if (task.status === 'done') return;
    if (task.status === 'in_queue') {
      task.status = 'generating';
      return;
    }
    if (!gate.isOpen) {
      gate.reached++;
      return;
    }
    const { width = 2048, height = 2048 } = task.input;
    const count = task.input.force_single ? 1 : setSize(task.input.prompt, 15 - (task.input.image_urls ?? []).length);
    task.images = [];
    for (let i = 0; i < count; i++) task.images.push(await makeImage(width, height, i + 11));
    task.status = 'done';
  }

  /** Signs the request again with Volcengine's own SDK from what arrived, and compares. */
  function signedCorrectly(req: import('node:http').IncomingMessage, url: URL, body: string): boolean {
    const auth = String(req.headers.authorization ?? '');
    const m = /^HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/cn-north-1\/cv\/request, SignedHeaders=([\w;-]+), Signature=[0-9a-f]{64}$/.exec(auth);
    const date = String(req.headers['x-date'] ?? '');
    if (!m || m[1] !== credentials.accessKeyId || !/^\d{8}T\d{6}Z$/.test(date) || !date.startsWith(m[2]!)) return false;
    const at = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    // The real service refuses signatures more than 15 minutes from its clock.
    if (Math.abs(at.getTime() - Date.now()) > 15 * 60_000) return false;
    const headers: Record<string, string> = {};
    for (const name of m[3]!.split(';')) if (name !== 'x-date' && name !== 'x-content-sha256') headers[name] = String(req.headers[name] ?? '');
    const request = { method: 'POST', region: 'cn-north-1', pathname: url.pathname, params: Object.fromEntries(url.searchParams), headers, body };
    const signer = new (Signer as unknown as new (r: unknown, s: string) => { addAuthorization(c: unknown, d: Date): void })(request, 'cv');
    signer.addAuthorization(credentials, at);
    return (request.headers as Record<string, string>).Authorization === auth && (request.headers as Record<string, string>)['X-Content-Sha256'] === req.headers['x-content-sha256'];
  }

  return { url: server.url, credentials, tasks, submits, failures, gate, outputs, signatures: () => signatures, close: server.close };
}

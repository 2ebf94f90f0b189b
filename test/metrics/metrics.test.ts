/**
 * GET /metrics on its own port, scraped and parsed as Prometheus would: after a known sequence of
 * requests (completed after a fallback, cancelled, failed on an input, refused by a limit, with a
 * webhook), the counters, histograms and gauges hold the expected values, no label holds an id, and
 * the public port does not serve them.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineUnavailableError } from '../../src/engine/errors.js';
import type { Engine } from '../../src/engine/types.js';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri, ROOT } from '../helpers/paths.js';
import { promSamples, promValue, type PromSample } from '../helpers/prometheus.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';

const MODEL = 'bytedance/dreamina-4-0/edit';
const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'make it warmer', 'width×height': '1024x1024(1:1)' };

type Family = { name: string; type: string; help: string; metrics: { labels?: Record<string, string> }[] };

const down: Engine = {
  name: 'gpu',
  async run() {
    throw new EngineUnavailableError('ComfyUI refused the connection');
  },
};

describe('metrics', () => {
  let server: TestServer;
  let metricsUrl: string;
  let families: Map<string, Family>;
  let samples: PromSample[];
  const hooks: string[] = [];
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hooks.push(req.url ?? '');
      res.writeHead(204).end();
    });
  });

  const value = (name: string, labels: Record<string, string> = {}) => promValue(samples, name, labels);

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const gated = new GatedEngine();
    server = await startServer({
      settings: { metricsPort: '0', concurrency: '1' },
      engine: gated,
      engines: { gpu: down },
      configure: (c) => {
        c.engines.gpu = { type: 'test', options: {}, cooldownMs: 0 };
        c.routes = new Map([[MODEL, ['gpu', 'builtin']]]);
      },
    });
    metricsUrl = `http://127.0.0.1:${(server.runtime.metricsServer!.address() as { port: number }).port}/metrics`;

    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const submit = async (body: unknown, query = '') => (await (await server.api(MODEL_PATH + query, { method: 'POST', json: body })).json()).request_id as string;
    const a = await submit(BODY, `?webhook=${encodeURIComponent(hook)}`);
    // While the first is held in progress (concurrency 1), the second waits and is cancelled.
    for (let i = 0; i < 200 && gated.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const b = await submit(BODY);
    expect((await server.api(`/v1/requests/${b}/cancel`, { method: 'POST' })).status).toBe(200);
    gated.release();
    const c = await submit(BODY);
    const d = await submit({ ...BODY, image_urls: ['http://127.0.0.1:1/nothing-listens-here.png'] });
    for (const id of [a, c, d]) await server.waitForResult(id);
    for (let i = 0; i < 200 && hooks.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    // Over a limit: refused, and counted as such.
    server.config.limits = { rpm: 1 };
    expect((await server.submit(BODY)).status).toBe(429);

    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
    samples = promSamples(text);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    receiver.close();
  });

  it('is valid Prometheus text, every metric documented in docs/operations.md', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
    const ours = [...families.values()].filter((f) => f.name.startsWith('retouch_'));
    expect(ours.length).toBeGreaterThanOrEqual(15);
    for (const f of ours) {
      expect(f.help.length).toBeGreaterThan(10);
      expect(doc).toContain(`\`${f.name}\``);
    }
  });

  it('counts requests submitted and finished, by model, status and engine', () => {
    expect(value('retouch_requests_submitted_total', { model: MODEL })).toBe(4);
    expect(value('retouch_requests_finished_total', { model: MODEL, status: 'completed', engine: 'builtin' })).toBe(2);
    expect(value('retouch_requests_finished_total', { model: MODEL, status: 'failed', engine: '' })).toBe(1);
    expect(value('retouch_requests_finished_total', { model: MODEL, status: 'cancelled', engine: '' })).toBe(1);
  });

  it('times runs and queue waits as histograms', () => {
    expect(families.get('retouch_request_run_seconds')?.type).toBe('HISTOGRAM');
    expect(value('retouch_request_run_seconds_count', { status: 'completed', engine: 'builtin' })).toBe(2);
    expect(value('retouch_request_run_seconds_count', { status: 'failed' })).toBe(1);
    expect(value('retouch_request_run_seconds_bucket', { status: 'completed', le: '+Inf' })).toBe(2);
    // Three requests started (the cancelled one never did).
    expect(value('retouch_request_queue_wait_seconds_count', { model: MODEL })).toBe(3);
  });

  it('counts engine failures and fallbacks by engine, and input failures by reason', () => {
    expect(value('retouch_engine_failures_total', { engine: 'gpu', kind: 'unavailable' })).toBe(2);
    expect(value('retouch_engine_fallbacks_total', { engine: 'gpu' })).toBe(2);
    expect(value('retouch_input_failures_total', { reason: 'unreachable' })).toBe(1);
    expect(value('retouch_engine_ready', { engine: 'gpu' })).toBe(1);
  });

  it('counts webhook deliveries by outcome and refusals by limit', () => {
    expect(value('retouch_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(value('retouch_submit_refusals_total', { limit: 'rpm' })).toBe(1);
  });

  it('reads the queue from the store, and times HTTP requests by route template', () => {
    expect(value('retouch_queue_depth')).toBe(0);
    expect(value('retouch_requests_running')).toBe(0);
    expect(value('retouch_queue_oldest_age_seconds')).toBe(0);
    expect(families.get('retouch_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(value('retouch_http_request_duration_seconds_count', { method: 'GET', route: '/v1/requests/:request_id/result', status: '200' })).toBeGreaterThan(0);
    expect(value('retouch_http_request_duration_seconds_count', { method: 'POST', route: '/v1/requests/:request_id/cancel', status: '200' })).toBe(1);
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('no label takes an unbounded value: no ids, keys or URLs', () => {
    expect(samples.length).toBeGreaterThan(100);
    for (const s of samples) {
      for (const v of Object.values(s.labels)) {
        expect(v).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
        expect(v).not.toContain('rt_');
        expect(v).not.toContain('://');
      }
    }
  });

  it('is served on its own port only', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
  });
});

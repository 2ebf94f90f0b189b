/**
 * Per-account limits and the usage ledger through the real server and the CLI: each limit refuses
 * with its code, a message naming it and Retry-After, costs nothing and leaves other accounts alone;
 * limits hold across two API processes on one store; usage outlives retention, and the CSV export
 * matches it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { GatedEngine } from '../helpers/engines.js';
import { dataUri, tempDir } from '../helpers/paths.js';
import { retouch, startServe } from '../helpers/process.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';

const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'make it warmer', 'width×height': '1024x1024(1:1)' };
const withLimits = (limits: Config['limits']) => (config: Config) => void (config.limits = limits);

async function refusal(res: Response) {
  expect(res.status).toBe(429);
  return { retryAfter: Number(res.headers.get('retry-after')), body: await res.json() };
}

describe('per-account limits', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a key over its submits per minute gets 429001 naming rpm, with Retry-After; nothing is stored; other accounts go on', async () => {
    server = await startServer({ configure: withLimits({ rpm: 2 }), worker: false });
    for (let i = 0; i < 2; i++) expect((await server.submit(BODY)).status).toBe(200);
    const { retryAfter, body } = await refusal(await server.submit(BODY));
    expect(body).toMatchObject({ error_code: 429001 });
    expect(body.message).toContain('at most 2 requests per minute (limit rpm)');
    expect(retryAfter).toBeGreaterThanOrEqual(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The refused submit cost nothing: the library holds the two accepted ones.
    expect((await (await server.api('/v1/requests')).json()).requests).toHaveLength(2);
    const other = (await server.runtime.keys.create({ name: 'other account' })).token;
    expect((await server.submit(BODY, other)).status).toBe(200);
  });

  it('a key with as many requests queued or running as allowed gets 429003 until one ends', async () => {
    const engine = new GatedEngine();
    server = await startServer({ configure: withLimits({ concurrent: 1 }), engine });
    const first = (await (await server.submit(BODY)).json()).request_id;
    const { body, retryAfter } = await refusal(await server.submit(BODY));
    expect(body).toMatchObject({ error_code: 429003 });
    expect(body.message).toContain('at most 1 request queued or running at once (limit concurrent)');
    expect(retryAfter).toBeGreaterThan(0);
    engine.release();
    await server.waitForResult(first);
    expect((await server.submit(BODY)).status).toBe(200);
  });

  it('a key whose images of the day are used gets 429002 (a quota) until 00:00 UTC', async () => {
    server = await startServer({ configure: withLimits({ dailyImages: 1 }) });
    await server.waitForResult((await (await server.submit(BODY)).json()).request_id);
    const { body, retryAfter } = await refusal(await server.submit(BODY));
    expect(body).toMatchObject({ error_code: 429002 });
    expect(body.message).toContain('quota daily_images');
    const midnight = Math.ceil((Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000 - Date.now()) / 1000);
    expect(Math.abs(retryAfter - midnight)).toBeLessThanOrEqual(2);
    expect((await (await server.api('/v1/usage')).json()).limits).toEqual({ daily_images: 1 });
  });

  it('limits hold across two API processes on one store, and `retouch accounts limits` changes them for one account', async () => {
    const dataDir = tempDir();
    const config = path.join(dataDir, 'retouch.yaml');
    fs.writeFileSync(config, 'limits:\n  rpm: 3\n');
    server = await startServer({ dataDir, settings: { config }, worker: false });
    const other = await startServe(['--data-dir', dataDir, '--config', config], {}, 'api');
    try {
      const submitTo = (url: string) =>
        fetch(url + MODEL_PATH, { method: 'POST', headers: { authorization: `Bearer ${server!.key}`, 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
      const statuses = [];
      for (const url of [server.url, other.url, server.url, other.url]) statuses.push((await submitTo(url)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);

      const account = (await (await server.api('/v1/keys')).json()).keys[0];
      const accountId = (await server.runtime.keys.list()).find((k) => k.id === account.id)!.accountId;
      const set = retouch(['accounts', 'limits', accountId, '--rpm', '5', '--json', '--data-dir', dataDir, '--config', config]);
      expect(set.status).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({ account: accountId, limits: { rpm: 5, concurrent: null, daily_images: null } });
      expect((await submitTo(other.url)).status).toBe(200);
      expect(retouch(['accounts', 'limits', accountId, '--rpm', 'default', '--data-dir', dataDir, '--config', config]).stdout).toContain('rpm          3 submits per minute (default)');
      const bad = retouch(['accounts', 'limits', accountId, '--rpm', 'lots', '--data-dir', dataDir]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('--rpm: expected a whole number of at least 1, "default" or "none" (got "lots")');
    } finally {
      other.child.kill('SIGTERM');
      await other.exited;
    }
  });
});

describe('usage ledger', () => {
  it('counts requests that retention deleted, and `retouch usage export` matches /v1/usage', async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await (await server.submit(BODY)).json()).request_id);
      for (const id of ids) await server.waitForResult(id);
      const before = await (await server.api('/v1/usage?days=2')).json();
      // Retention runs as if eight days had passed: the requests are gone, their usage is not.
      await server.runtime.maintenance!.deleteExpired(Date.now() + 8 * 86_400_000);
      expect((await server.api(`/v1/requests/${ids[0]}/status`)).status).toBe(404);
      const after = await (await server.api('/v1/usage?days=2')).json();
      expect(after).toEqual(before);
      expect(after.days.at(-1)).toMatchObject({ requests: 3, completed: 3, images: 3, engines: { builtin: 3 } });

      const csv = retouch(['usage', 'export', '--since', '1d', '--data-dir', dataDir]);
      expect(csv.status).toBe(0);
      const [header, ...rows] = csv.stdout.trim().split('\n');
      expect(header).toBe('request_id,account_id,model_id,status,created_at,finished_at,images,megapixels,compute_seconds,engine,upstream');
      expect(rows.map((r) => r.split(',')[0]).sort()).toEqual([...ids].sort());
      const total = (column: number) => rows.reduce((t, r) => t + Number(r.split(',')[column]), 0);
      expect(total(6)).toBe(after.days.at(-1).images);
      expect(total(7)).toBeCloseTo(after.days.at(-1).output_megapixels, 1);
      expect(rows.every((r) => r.split(',')[3] === 'completed' && r.split(',')[9] === 'builtin')).toBe(true);
      const json = retouch(['usage', 'export', '--since', '2000-01-01', '--format', 'json', '--data-dir', dataDir]);
      expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l).request_id).sort()).toEqual([...ids].sort());
      expect(retouch(['usage', 'export', '--since', 'last tuesday', '--data-dir', dataDir]).status).toBe(2);
    } finally {
      await server.close();
    }
  });
});

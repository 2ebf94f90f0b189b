/**
 * `retouch serve` killed with -9 while ComfyUI runs its prompt, then started again on the same data
 * dir and configuration file: the next attempt follows the same prompt instead of queueing another,
 * the request ends once, and nothing is left running in ComfyUI; and if the request is cancelled
 * while back in the queue, its prompt is stopped. (Runs the built CLI: `npm run build` first; `npm
 * test` does.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeComfyUI } from '../../fakes/comfyui/server.js';
import { openDatabase } from '../../../src/db/sqlite.js';
import { SqliteRequestStore } from '../../../src/requests/sqlite/store.js';
import { viaComfy } from '../../helpers/comfyui.js';
import { dataUri, tempDir } from '../../helpers/paths.js';
import { startServe, type ServeProcess } from '../../helpers/process.js';
import { startServer } from '../../helpers/server.js';

const KEY = 'rt_test_comfyui_restart';
/** Each test starts `retouch serve` twice (a few seconds each on a loaded machine) and waits out a lease. */
const TWO_STARTS_MS = 90_000;
const running: ServeProcess[] = [];
let comfy: FakeComfyUI | undefined;
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await comfy?.close();
});

function configFile(url: string): string {
  const dir = tempDir('retouch-comfy-config-');
  const file = path.join(dir, 'retouch.yaml');
  fs.writeFileSync(
    file,
    [
      'engines:',
      '  gpu:',
      '    type: comfyui',
      `    url: ${url}`,
      '    workflow: weightless-blend',
      '    poll_interval: 200ms',
      'models:',
      '  bytedance/dreamina-4-0/edit:',
      '    engines: [gpu, builtin]',
      '',
    ].join('\n'),
  );
  return file;
}

async function serve(config: string, dataDir: string): Promise<ServeProcess> {
  // A short lease, so that the dead process's request is noticed within seconds.
  const p = await startServe(['--config', config, '--data-dir', dataDir, '--lease', '2s'], { RETOUCH_API_KEY: KEY });
  running.push(p);
  return p;
}

const call = async (url: string, route: string, init: RequestInit = {}) =>
  (await fetch(url + route, { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } })).json();

describe('a retouch process killed while ComfyUI runs its prompt', () => {
  it('follows the same prompt after a restart: the request ends once and ComfyUI is left idle', async () => {
    comfy = await new FakeComfyUI({ slow: { '*': 400 } }).start();
    const config = configFile(comfy.url);
    const dataDir = tempDir();
    const first = await serve(config, dataDir);
    const body = { image_urls: [dataUri('coffee.png'), dataUri('horse.png')], prompt: 'make it pop', 'width×height': '1024x1024(1:1)' };
    const { request_id: id } = await call(first.url, '/v1/models/bytedance/dreamina-4-0/edit', { method: 'POST', body: JSON.stringify(body) });
    const promptId = await comfy.started();
    await new Promise((r) => setTimeout(r, 600));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(comfy.queue().running).toEqual([promptId]);

    const second = await serve(config, dataDir);
    let result: any;
    await expect
      .poll(async () => (result = await call(second.url, `/v1/requests/${id}/result`)).status, { timeout: 30_000, interval: 200 })
      .toBe('completed');
    expect(result.engine).toBe('gpu');
    // One prompt, run once to its end; none queued after it.
    expect(comfy.received.map((r) => r.promptId)).toEqual([promptId]);
    expect(comfy.finished).toEqual([{ promptId, outcome: 'success', ran: ['1', '2', '3', '4', '5', '6', '7'] }]);
    expect(comfy.queue()).toEqual({ running: [], pending: [] });
    expect(second.stdout()).toContain('following the prompt of an earlier attempt');
    const completed = second.stdout().split('\n').filter((l) => l.includes('"request completed"') && l.includes(id));
    expect(completed).toHaveLength(1);
    const image = await fetch(result.output.image);
    expect(image.status).toBe(200);
  }, TWO_STARTS_MS);

  it('queues afresh when ComfyUI lost the prompt too', async () => {
    comfy = await new FakeComfyUI({ slow: { '*': 300 } }).start();
    const config = configFile(comfy.url);
    const dataDir = tempDir();
    const first = await serve(config, dataDir);
    const body = { image_urls: [dataUri('coffee.png')], prompt: 'make it pop', 'width×height': '1024x1024(1:1)' };
    const { request_id: id } = await call(first.url, '/v1/models/bytedance/dreamina-4-0/edit', { method: 'POST', body: JSON.stringify(body) });
    const lost = await comfy.started();
    first.child.kill('SIGKILL');
    await first.exited;
    await comfy.restart();

    const second = await serve(config, dataDir);
    await expect.poll(async () => (await call(second.url, `/v1/requests/${id}/result`)).status, { timeout: 30_000, interval: 200 }).toBe('completed');
    const prompts = comfy.received.map((r) => r.promptId);
    expect(prompts).toHaveLength(2);
    expect(prompts[0]).toBe(lost);
    expect(comfy.finished.map((f) => f.promptId)).toEqual([prompts[1]]);
  }, TWO_STARTS_MS);

  it('stops the prompt in ComfyUI when the request, back in the queue after its worker died, is cancelled', async () => {
    comfy = await new FakeComfyUI({ slow: { '*': 1_000 } }).start();
    const dataDir = tempDir();
    const first = await serve(configFile(comfy.url), dataDir);
    const body = { image_urls: [dataUri('coffee.png')], prompt: 'make it pop', 'width×height': '1024x1024(1:1)' };
    const { request_id: id } = await call(first.url, '/v1/models/bytedance/dreamina-4-0/edit', { method: 'POST', body: JSON.stringify(body) });
    const promptId = await comfy.started();
    first.child.kill('SIGKILL');
    await first.exited;
    // What a live worker's maintenance would do once the lease expired: the request is queued again.
    const db = openDatabase(path.join(dataDir, 'retouch.db'));
    await new SqliteRequestStore(db).recoverExpiredLeases(Date.now() + 60_000, 3);
    db.close();

    // An API node (no worker to take it) cancels it: the prompt still running in ComfyUI is stopped.
    const api = await startServer({ dataDir, worker: false, settings: { apiKey: KEY }, configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin']) });
    try {
      const cancelled = await (await api.api(`/v1/requests/${id}/cancel`, { method: 'POST', key: KEY })).json();
      expect(cancelled).toEqual({ request_id: id, status: 'cancelled' });
      await expect.poll(() => comfy!.finished.find((f) => f.promptId === promptId)?.outcome, { timeout: 10_000 }).toBe('interrupted');
      expect(comfy.requests).toContainEqual({ method: 'POST', path: '/interrupt', body: { prompt_id: promptId } });
      expect(comfy.queue()).toEqual({ running: [], pending: [] });
    } finally {
      await api.close();
    }
  }, TWO_STARTS_MS);
});

/**
 * The process as an operator runs it: a first start that makes a key, keys management, SIGTERM
 * with running work, and kill -9 at an awkward moment followed by a restart on the same data dir.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/sqlite.js';
import { SqliteRequestStore } from '../../src/requests/sqlite/store.js';
import { dataUri, tempDir } from '../helpers/paths.js';
import { retouch, startServe, type ServeProcess } from '../helpers/process.js';

const MODEL = '/v1/models/bytedance/dreamina-4-0/edit';
const running: ServeProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
});

async function serve(args: string[], env: Record<string, string> = {}) {
  const p = await startServe(args, env);
  running.push(p);
  return p;
}

function client(url: string, key: string) {
  const call = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(url + p, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } });
    return res.json();
  };
  return {
    submit: (body: unknown) => call(MODEL, { method: 'POST', body: JSON.stringify(body) }),
    status: (id: string) => call(`/v1/requests/${id}/status`),
  };
}

function newKey(dataDir: string): string {
  const r = retouch(['keys', 'create', '--name', 'ci', '--data-dir', dataDir, '--json']);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).key;
}

function storeOf(dataDir: string) {
  const db = openDatabase(path.join(dataDir, 'retouch.db'));
  return { db, store: new SqliteRequestStore(db) };
}

const completedLines = (logs: string, id: string) =>
  logs.split('\n').filter((l) => l.includes('"request completed"') && l.includes(id)).length;

describe('keys', () => {
  it('create prints the key once, list shows only a prefix, revoke refuses it from then on', async () => {
    const dataDir = tempDir();
    const created = retouch(['keys', 'create', '--name', 'laptop', '--data-dir', dataDir]);
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^rt_[A-Za-z0-9_-]{32}$/);
    const id = /Created (key_\S+)/.exec(created.stderr)![1]!;

    const list = retouch(['keys', 'list', '--data-dir', dataDir]);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('laptop');
    expect(list.stdout).toContain(token.slice(0, 9));
    expect(list.stdout).not.toContain(token);

    const server = await serve(['--data-dir', dataDir]);
    const ok = await fetch(`${server.url}/v1/requests/x/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(404);
    expect(retouch(['keys', 'revoke', id, '--data-dir', dataDir]).status).toBe(0);
    const refused = await fetch(`${server.url}/v1/requests/x/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    expect(retouch(['keys', 'revoke', id, '--data-dir', dataDir])).toMatchObject({ status: 1 });
    expect(retouch(['keys', 'revoke', 'key_nope', '--data-dir', dataDir])).toMatchObject({ status: 1 });
  });

  it('the first start without any key creates one, prints it once with a curl line, and never logs it', async () => {
    const dataDir = tempDir();
    const server = await serve(['--data-dir', dataDir]);
    await expect.poll(() => server.stderr(), { timeout: 5000 }).toContain('curl -H "Authorization: Bearer rt_');
    const token = /Bearer (rt_[A-Za-z0-9_-]+)/.exec(server.stderr())![1]!;
    const res = await fetch(`${server.url}/v1/requests/x/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(server.stdout()).not.toContain(token);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // A second start has a key already: no new one.
    const again = await serve(['--data-dir', dataDir]);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.stderr()).not.toContain('rt_');
  });

  it('RETOUCH_API_KEY is accepted beside the stored keys, and suppresses the first-start key', async () => {
    const dataDir = tempDir();
    const server = await serve(['--data-dir', dataDir], { RETOUCH_API_KEY: 'my-own-long-secret-key' });
    const res = await fetch(`${server.url}/v1/requests/x/status`, { headers: { authorization: 'Bearer my-own-long-secret-key' } });
    expect(res.status).toBe(404);
    expect(server.stderr()).not.toContain('rt_');
  });

  it('--help lists every setting with its environment variable', () => {
    const help = retouch(['serve', '--help']).stdout;
    for (const flag of ['--host', '--port', '--data-dir', '--public-url', '--concurrency', '--max-queue', '--allow-private-urls', '--retention', '--url-ttl']) {
      expect(help).toContain(flag);
    }
    for (const env of ['RETOUCH_HOST', 'RETOUCH_PORT', 'RETOUCH_DATA_DIR', 'RETOUCH_PUBLIC_URL', 'RETOUCH_CONCURRENCY', 'RETOUCH_MAX_QUEUE', 'RETOUCH_ALLOW_PRIVATE_URLS', 'RETOUCH_API_KEY']) {
      expect(help).toContain(env);
    }
    expect(retouch(['--help']).stdout).toMatch(/serve[\s\S]*keys/);
    const bad = retouch(['serve', '--port', 'eighty']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--port / RETOUCH_PORT must be a whole number');
  });
});

describe('stopping', () => {
  it('SIGTERM lets the running request finish, keeps the queued ones, and exits 0', async () => {
    const dataDir = tempDir();
    const key = newKey(dataDir);
    const server = await serve(['--data-dir', dataDir, '--concurrency', '1', '--shutdown-grace', '60s']);
    const api = client(server.url, key);
    const body = { image_urls: [dataUri('coffee.png')], prompt: 'p', 'width×height': '4096x4096(1:1)' };
    const ids = [(await api.submit(body)).request_id, (await api.submit(body)).request_id];
    await expect.poll(async () => (await api.status(ids[0])).status, { timeout: 10_000, interval: 20 }).toBe('in_progress');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const { db, store } = storeOf(dataDir);
    expect((await store.get(ids[0]))!.status).toBe('completed');
    expect((await store.get(ids[1]))!.status).toBe('in_queue');
    db.close();
  }, 60_000);

  it('SIGTERM stops a server whose stdout reader has gone (a broken pipe), and exits 0', async () => {
    // Regression: the last log lines were flushed at exit by a writer that retries EPIPE forever.
    const server = await serve(['--data-dir', tempDir()]);
    server.child.stdout!.destroy();
    // Something to write after the reader is gone, before the signal.
    await fetch(`${server.url}/healthz`);
    server.child.kill('SIGTERM');
    const ended = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('still running after 10 s'), 10_000))]);
    if (ended !== 0) server.child.kill('SIGKILL');
    expect(ended).toBe(0);
  }, 30_000);

  it('SIGTERM past the grace period puts the unfinished request back in the queue, without counting the attempt', async () => {
    const dataDir = tempDir();
    const key = newKey(dataDir);
    const server = await serve(['--data-dir', dataDir, '--concurrency', '1', '--shutdown-grace', '1ms']);
    const api = client(server.url, key);
    const { request_id: id } = await api.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '6198x2656(21:9)' });
    await expect.poll(async () => (await api.status(id)).status, { timeout: 10_000, interval: 10 }).toBe('in_progress');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const { db, store } = storeOf(dataDir);
    expect(await store.get(id)).toMatchObject({ status: 'in_queue', attempts: 0 });
    db.close();
    // And it completes after a restart.
    const restarted = await serve(['--data-dir', dataDir]);
    await expect.poll(async () => (await client(restarted.url, key).status(id)).status, { timeout: 30_000, interval: 100 }).toBe('completed');
  }, 60_000);

  it('kill -9 mid-run, then a restart on the same data dir: every request ends, none lost, none completed twice', async () => {
    const dataDir = tempDir();
    const key = newKey(dataDir);
    const args = ['--data-dir', dataDir, '--concurrency', '2', '--lease', '1s'];
    const first = await serve(args);
    const api = client(first.url, key);
    const body = { image_urls: [dataUri('astronaut.png')], prompt: 'p', 'width×height': '4096x4096(1:1)' };
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api.submit(body)).request_id);
    const cancelled = ids.pop()!;
    await fetch(`${first.url}/v1/requests/${cancelled}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });

    // Kill while some are done and others are being worked on.
    await expect
      .poll(async () => (await Promise.all(ids.map((id) => api.status(id)))).filter((s) => s.status === 'completed').length, { timeout: 60_000, interval: 50 })
      .toBeGreaterThanOrEqual(2);
    const before = await Promise.all(ids.map((id) => api.status(id)));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const interrupted = before.filter((s) => s.status === 'in_progress').map((s) => s.request_id as string);
    expect(interrupted.length).toBeGreaterThan(0);

    const second = await serve(args);
    const api2 = client(second.url, key);
    await expect
      .poll(async () => (await Promise.all(ids.map((id) => api2.status(id)))).every((s) => s.status === 'completed'), { timeout: 90_000, interval: 200 })
      .toBe(true);
    expect((await api2.status(cancelled)).status).toBe('cancelled');
    const logs = first.stdout() + second.stdout();
    for (const id of ids) expect(completedLines(logs, id)).toBe(1);
    expect(completedLines(logs, cancelled)).toBe(0);
    // The interrupted ones were recovered from their expired leases and run again.
    const { db, store } = storeOf(dataDir);
    for (const id of interrupted) expect((await store.get(id))!.attempts).toBe(2);
    db.close();
  }, 150_000);
});

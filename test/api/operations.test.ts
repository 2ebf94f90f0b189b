/** What an operator relies on: logs without secrets, internal errors with a correlation id, retention. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokenEngine } from '../helpers/engines.js';
import { dataUri } from '../helpers/paths.js';
import { startServer } from '../helpers/server.js';

describe('logs', () => {
  it('carry a request id on every request line, and never a key or a data URI', async () => {
    const server = await startServer();
    try {
      const image = dataUri('chelsea.png');
      const submitted = await (await server.submit({ image_urls: [image], prompt: 'p', 'width×height': '1024x1024(1:1)' })).json();
      const result = await server.waitForResult(submitted.request_id);
      await fetch(result.output.image);
      await server.api('/v1/requests/nope/status', { key: 'rt_wrong-key-that-must-not-be-logged' });
      await server.submit({ image_urls: ['https://bob:pa55word@example.test/x.jpg'], prompt: 'p' });
      const all = server.logs.join('\n');
      expect(all).not.toContain(server.key);
      expect(all).not.toContain('rt_wrong-key-that-must-not-be-logged');
      expect(all).not.toContain(image.slice(100, 200));
      expect(all).not.toContain('pa55word');
      // The signature of the file URL is a credential too.
      expect(all).not.toContain(new URL(result.output.image).searchParams.get('signature')!);
      const access = server.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request done');
      expect(access.length).toBeGreaterThanOrEqual(4);
      for (const line of access) expect(line.req_id).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await server.close();
    }
  });
});

describe('internal errors', () => {
  it('an API failure answers 500001 with a request id that the log line carries, and no internals', async () => {
    const server = await startServer({ worker: false });
    try {
      server.runtime.store.get = async () => {
        throw new Error('disk on fire at /var/secret/path');
      };
      const res = await server.api('/v1/requests/00000000-0000-4000-8000-000000000000/status');
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body).toMatchObject({ error_code: 500001, detail: [] });
      expect(body.request_id).toMatch(/^[0-9a-f]{16}$/);
      expect(body.message).toContain(body.request_id);
      expect(JSON.stringify(body)).not.toContain('fire');
      expect(res.headers.get('x-request-id')).toBe(body.request_id);
      const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.level === 50);
      expect(line.req_id).toBe(body.request_id);
      expect(line.err.message).toContain('disk on fire');
      // And it keeps serving.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('an engine bug fails the request with internal_error, hides the cause from the client and logs it', async () => {
    const server = await startServer({ engine: new BrokenEngine() });
    try {
      const submitted = await (await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p' })).json();
      const result = await server.waitForResult(submitted.request_id);
      expect(result).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
      expect(result.error.message).toContain(submitted.request_id);
      expect(JSON.stringify(result)).not.toContain('segfault');
      expect(server.logs.some((l) => l.includes('segfault') && l.includes(submitted.request_id))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('retention', () => {
  it('deletes a request and its files after the retention period; its id then answers 404001', async () => {
    const server = await startServer({ settings: { retention: '1h' } });
    try {
      const submitted = await (await server.submit({ image_urls: [dataUri('horse.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' })).json();
      const result = await server.waitForResult(submitted.request_id);
      const folder = path.join(server.config.dataDir, 'files/outputs', submitted.request_id);
      expect(fs.readdirSync(folder).sort()).toEqual(['0.jpg', 'thumb.jpg']);
      // Not yet.
      expect(await server.runtime.maintenance!.deleteExpired(Date.now() + 59 * 60_000)).toBe(0);
      expect(await server.runtime.maintenance!.deleteExpired(Date.now() + 61 * 60_000)).toBe(1);
      expect(fs.existsSync(folder)).toBe(false);
      const res = await server.api(`/v1/requests/${submitted.request_id}/result`);
      expect(res.status).toBe(404);
      expect((await res.json()).error_code).toBe(404001);
      expect((await fetch(result.output.image)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('CORS', () => {
  it('is off by default, and allows only the configured origins', async () => {
    const closed = await startServer({ worker: false });
    try {
      const res = await fetch(`${closed.url}/v1/models`, { headers: { origin: 'https://app.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.close();
    }
    const open = await startServer({ worker: false, settings: { corsOrigins: 'https://app.example.com' } });
    try {
      const preflight = await fetch(`${open.url}/v1/requests/x/status`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const other = await fetch(`${open.url}/v1/models`, { headers: { origin: 'https://evil.example.net' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const status = await open.api('/v1/requests/00000000-0000-4000-8000-000000000000/status', { headers: { origin: 'https://app.example.com' } });
      expect(status.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(status.headers.get('access-control-expose-headers')).toContain('x-request-id');
    } finally {
      await open.close();
    }
  });
});

/**
 * A worker killed (kill -9 of a real `retouch serve`) while the provider works on a request: the
 * restarted server follows the same upstream job instead of submitting again (the fakes count the
 * submits: exactly one), or, for Ark which keeps no job, refuses to pay twice and says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/paths.js';
import { startServe, type ServeProcess } from '../../helpers/process.js';
import { startArkFake } from '../../fakes/ark/server.js';
import { startFalFake } from '../../fakes/fal/server.js';
import { startJimengFake } from '../../fakes/jimeng/server.js';
import { startReplicateFake } from '../../fakes/replicate/server.js';
import { MODEL, TWO_REFERENCES, until } from './helpers.js';

const KEY = 'restart-test-key';

interface Case {
  type: string;
  start(): Promise<{
    options: Record<string, unknown>;
    env: Record<string, string>;
    gate: { close(): void; release(): void; reached: number };
    submits: () => number;
    /** The provider is working on the job and retouch follows it (its handle is stored). */
    working?: () => boolean;
    close(): Promise<void>;
  }>;
}

const cases: Case[] = [
  {
    type: 'fal',
    async start() {
      const f = await startFalFake();
      return { options: { base_url: f.url }, env: { FAL_KEY: f.key }, gate: f.gate, submits: () => f.submits.length, close: f.close };
    },
  },
  {
    type: 'replicate',
    async start() {
      const f = await startReplicateFake();
      // Killed during Prefer: wait, a worker never learns the prediction's id: wait for the polls.
      const working = () => f.gets() > 0 && f.gate.reached > 0;
      return { options: { base_url: f.url, wait: 1 }, env: { REPLICATE_API_TOKEN: f.token }, gate: f.gate, submits: () => f.creates.length, working, close: f.close };
    },
  },
  {
    type: 'jimeng',
    async start() {
      const f = await startJimengFake();
      return { options: { base_url: f.url }, env: { VOLC_ACCESSKEY: f.credentials.accessKeyId, VOLC_SECRETKEY: f.credentials.secretKey }, gate: f.gate, submits: () => f.submits.length, close: f.close };
    },
  },
  {
    type: 'ark',
    async start() {
      const f = await startArkFake();
      return { options: { base_url: f.url }, env: { ARK_API_KEY: f.key }, gate: f.gate, submits: () => f.calls.length, close: f.close };
    },
  },
];


describe('a worker killed while the provider works', () => {
  let serve: ServeProcess | undefined;
  afterEach(() => {
    serve?.child.kill('SIGKILL');
    serve = undefined;
  });

  for (const c of cases) {
    it(`${c.type}: the restarted server ${c.type === 'ark' ? 'does not call Ark again' : 'follows the same upstream job'}`, { timeout: 90_000 }, async () => {
      const fake = await c.start();
      try {
        const dir = tempDir();
        const config = path.join(dir, 'retouch.json');
        fs.writeFileSync(
          config,
          JSON.stringify({
            engines: { provider: { type: c.type, poll_interval: '100ms', ...fake.options } },
            models: { [MODEL]: { engines: ['provider', 'builtin'] } },
          }),
        );
        const args = ['--config', config, '--data-dir', path.join(dir, 'data'), '--allow-private-urls', '--lease', '2s'];
        const env = { ...fake.env, RETOUCH_API_KEY: KEY };
        const api = (url: string, p: string, init: RequestInit = {}) => fetch(url + p, { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } });

        fake.gate.close();
        serve = await startServe(args, env);
        const { request_id: id } = await (await api(serve.url, `/v1/models/${MODEL}`, { method: 'POST', body: JSON.stringify(TWO_REFERENCES) })).json();
        await until(async () => fake.working?.() ?? fake.gate.reached >= 1, (ok) => ok);
        serve.child.kill('SIGKILL');
        await serve.exited;

        serve = await startServe(args, env);
        const url = serve.url;
        fake.gate.release();
        const result = await until(async () => (await api(url, `/v1/requests/${id}/result`)).json(), (r: { status: string; error?: any }) => ['completed', 'failed'].includes(r.status), 60_000);
        if (c.type === 'ark') {
          expect(result.error.code).toBe('upstream_outcome_unknown');
          expect(result.error.message).toMatch(/^Ark was called for this request by a worker that stopped before Ark answered/);
        } else {
          expect(result).toMatchObject({ status: 'completed', engine: 'provider' });
        }
        expect(fake.submits()).toBe(1);
      } finally {
        fake.gate.release();
        await fake.close();
      }
    });
  }
});

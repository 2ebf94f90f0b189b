/**
 * A real retouch server for tests: the same runtime `retouch serve` builds, on 127.0.0.1 with a
 * free port, a fresh data dir (real SQLite file) and a key of its own.
 */
import { Writable } from 'node:stream';
import { resolveConfig, type Config, type SettingName } from '../../src/config.js';
import type { Engine } from '../../src/engine/types.js';
import type { DialHooks } from '../../src/inputs/dial.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, startBackground, type Runtime } from '../../src/runtime.js';
import { tempDir } from './paths.js';

export interface TestServer {
  url: string;
  key: string;
  runtime: Runtime;
  config: Config;
  /** Every log line written so far (JSON strings). */
  logs: string[];
  api: (path: string, init?: RequestInit & { key?: string | null; json?: unknown }) => Promise<Response>;
  submit: (body: unknown, key?: string) => Promise<Response>;
  /** Polls the status until it is final, and returns the result body. */
  waitForResult: (id: string, timeoutMs?: number) => Promise<any>;
  close: () => Promise<void>;
}

export const MODEL_PATH = '/v1/models/bytedance/dreamina-4-0/edit';

export async function startServer(
  options: {
    settings?: Partial<Record<SettingName, string>>;
    engine?: Engine;
    worker?: boolean;
    dataDir?: string;
    streamKeepAliveMs?: number;
    dialHooks?: DialHooks;
    /** Changes the resolved configuration before the runtime is built (engines, routes, limits). */
    configure?: (config: Config) => void;
    /** Engines of the test's own, by name, in place of configured ones. */
    engines?: Record<string, Engine>;
  } = {},
): Promise<TestServer> {
  const config = resolveConfig(
    // A short shutdown grace: a test's close() should never wait out a request it left running.
    { port: '0', host: '127.0.0.1', dataDir: options.dataDir ?? tempDir(), allowPrivateUrls: 'true', logLevel: 'debug', shutdownGrace: '2s', ...options.settings },
    {},
  );
  options.configure?.(config);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const runtime = await createRuntime(config, { api: true, worker: options.worker ?? true }, log, {
    engine: options.engine,
    streamKeepAliveMs: options.streamKeepAliveMs,
    dialHooks: options.dialHooks,
    engines: options.engines,
  });
  await runtime.app!.listen({ host: '127.0.0.1', port: 0 });
  const port = (runtime.app!.server.address() as { port: number }).port;
  config.publicUrl = `http://127.0.0.1:${port}`;
  startBackground(runtime);
  const { token } = await runtime.keys.create({ name: 'test' });

  const api: TestServer['api'] = (path, init = {}) => {
    const headers = new Headers(init.headers);
    const key = init.key === undefined ? token : init.key;
    if (key !== null) headers.set('authorization', `Bearer ${key}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(config.publicUrl + path, { ...init, headers, body });
  };
  const submit: TestServer['submit'] = (body, key) => api(MODEL_PATH, { method: 'POST', json: body, key });
  const waitForResult: TestServer['waitForResult'] = async (id, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api(`/v1/requests/${id}/result`);
      const body = await res.json();
      if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`request ${id} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { url: config.publicUrl, key: token, runtime, config, logs, api, submit, waitForResult, close: () => runtime.close() };
}

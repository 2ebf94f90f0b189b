/**
 * Per-account limits hold when submits race on two API nodes of one PostgreSQL database: the
 * checks run inside the enqueue's serialised transaction, so exactly the limit gets through.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { dataUri } from '../helpers/paths.js';
import { MODEL_PATH, startServer, type TestServer } from '../helpers/server.js';
import { freshDatabase, useServices } from '../helpers/services.js';

useServices();

const BODY = { image_urls: [dataUri('coffee.png')], prompt: 'make it warmer', 'width×height': '1024x1024(1:1)' };
let nodes: TestServer[] = [];

beforeAll(async () => {
  const settings = { databaseUrl: await freshDatabase() };
  const configure = (config: Config) => void (config.limits = { rpm: 3, concurrent: 5 });
  nodes = await Promise.all([1, 2].map(() => startServer({ settings, configure, worker: false })));
});
afterAll(async () => {
  for (const n of nodes) await n.close();
});

it('twelve submits at once on two nodes: exactly the rpm limit is accepted, the rest refused with 429001', async () => {
  const key = nodes[0]!.key;
  const submit = (node: TestServer) =>
    fetch(node.url + MODEL_PATH, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(nodes[i % 2]!)));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses).toEqual([...Array(3).fill(200), ...Array(9).fill(429)]);
  const refusals = await Promise.all(answers.filter((r) => r.status === 429).map((r) => r.json()));
  expect(new Set(refusals.map((b) => b.error_code))).toEqual(new Set([429001]));
  // What was accepted is all there is, seen from either node.
  for (const node of nodes) expect((await (await node.api('/v1/requests', { key })).json()).requests).toHaveLength(3);
});

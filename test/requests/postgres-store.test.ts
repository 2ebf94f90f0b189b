/**
 * The PostgreSQL store: the shared contract, then what only several connections (several nodes) can
 * show: claims racing claims and cancels, simultaneous submits against the queue limit and the same
 * idempotency key, recovery by several nodes at once, notifications that survive a killed LISTEN
 * connection, and inputs PostgreSQL's text type would refuse.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, QueueFullError } from '../../src/requests/errors.js';
import type { NewRequest, RequestStore } from '../../src/requests/types.js';
import type { Stores } from '../../src/stores.js';
import { freshDatabase, postgresStores, useServices } from '../helpers/services.js';
import { describeStoreSuite } from './store.suite.js';

useServices();

describeStoreSuite('PostgreSQL (a real server, a fresh database per test)', async () => {
  const stores = await postgresStores(await freshDatabase());
  return { store: stores.store, close: stores.close };
});

const request = (overrides: Partial<NewRequest> = {}): NewRequest => ({
  id: crypto.randomUUID(),
  accountId: 'acct_a',
  modelId: 'bytedance/dreamina-4-0/edit',
  input: { prompt: 'p', image_urls: ['https://example.test/a.jpg'] },
  createdAt: Date.now(),
  expiresAt: Date.now() + 86_400_000,
  ...overrides,
});

/** `n` nodes on one database, each with its own connections. */
async function nodes(n: number, options: { listen?: boolean } = {}) {
  const url = await freshDatabase();
  const all: Stores[] = [];
  for (let i = 0; i < n; i++) all.push(await postgresStores(url, options));
  return { url, all, close: () => Promise.all(all.map((s) => s.close())) };
}

async function enqueueMany(store: RequestStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await store.enqueue(request(), { maxQueue: 1_000_000 })).record.id);
  return ids;
}

describe('PostgreSQL store with several nodes', () => {
  it('four nodes claiming at once take every request exactly once, oldest first per node', async () => {
    const cluster = await nodes(4);
    try {
      const ids = await enqueueMany(cluster.all[0]!.store, 400);
      const claimedBy = await Promise.all(
        cluster.all.map(async ({ store }, n) => {
          const mine: string[] = [];
          for (;;) {
            const c = await store.claim(`w${n}`, 60_000, Date.now());
            if (!c) return mine;
            mine.push(c.id);
          }
        }),
      );
      const all = claimedBy.flat();
      expect(all).toHaveLength(ids.length);
      expect(new Set(all).size).toBe(ids.length);
      // Each node took more than a token share: they really ran side by side.
      for (const mine of claimedBy) expect(mine.length).toBeGreaterThan(10);
      for (const mine of claimedBy) expect(mine).toEqual([...mine].sort((a, b) => ids.indexOf(a) - ids.indexOf(b)));
      expect(await cluster.all[1]!.store.countByStatus()).toMatchObject({ in_queue: 0, in_progress: 400 });
    } finally {
      await cluster.close();
    }
  });

  it('cancels racing claims from another node: each request is either cancelled or claimed, never both', async () => {
    const cluster = await nodes(2);
    try {
      const [a, b] = cluster.all.map((s) => s.store) as [RequestStore, RequestStore];
      const ids = await enqueueMany(a, 300);
      const claimer = (async () => {
        const mine: string[] = [];
        for (let c = await a.claim('w', 60_000, Date.now()); c; c = await a.claim('w', 60_000, Date.now())) mine.push(c.id);
        return mine;
      })();
      const cancelled: string[] = [];
      for (const id of [...ids].reverse()) if ((await b.cancel(id, Date.now())).outcome === 'cancelled') cancelled.push(id);
      const claimed = await claimer;
      expect(claimed.length, 'the claimer won none').toBeGreaterThan(0);
      expect(cancelled.length, 'the canceller won none').toBeGreaterThan(0);
      expect(claimed.length + cancelled.length).toBe(ids.length);
      expect(new Set([...claimed, ...cancelled]).size).toBe(ids.length);
      for (const id of claimed) expect((await b.get(id))!.status).toBe('in_progress');
      for (const id of cancelled) expect((await a.get(id))!.status).toBe('cancelled');
    } finally {
      await cluster.close();
    }
  });

  it('submits from many connections at once fill the queue to its limit exactly, with distinct positions', async () => {
    const cluster = await nodes(4);
    try {
      const results = await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          cluster.all[i % 4]!.store.enqueue(request(), { maxQueue: 50 }).then(
            (r) => r.record.queuePosition,
            (err: unknown) => (err instanceof QueueFullError ? 'full' : Promise.reject(err)),
          ),
        ),
      );
      const positions = results.filter((r): r is number => typeof r === 'number');
      expect(positions).toHaveLength(50);
      expect(results.filter((r) => r === 'full')).toHaveLength(30);
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    } finally {
      await cluster.close();
    }
  });

  it('the same idempotency key sent to two nodes at once makes one request', async () => {
    const cluster = await nodes(2);
    try {
      const tries = await Promise.all(
        Array.from({ length: 20 }, (_, i) => cluster.all[i % 2]!.store.enqueue(request({ idempotencyKey: 'same' }), { maxQueue: 100 })),
      );
      expect(tries.filter((t) => t.created)).toHaveLength(1);
      expect(new Set(tries.map((t) => t.record.id)).size).toBe(1);
    } finally {
      await cluster.close();
    }
  });

  it('nodes recovering expired leases at once requeue each request once; a late completion is refused', async () => {
    const cluster = await nodes(3);
    try {
      const store = cluster.all[0]!.store;
      const ids = await enqueueMany(store, 60);
      const t0 = Date.now();
      for (let i = 0; i < ids.length; i++) await store.claim('dead', 1_000, t0);
      let requeued: string[] = [];
      // Rounds until everything is back: a node that finds another one recovering skips its round.
      for (let round = 0; round < 20 && requeued.length < ids.length; round++) {
        const results = await Promise.all(cluster.all.map((n) => n.store.recoverExpiredLeases(t0 + 2_000, 3)));
        requeued = requeued.concat(results.flatMap((r) => r.requeued));
      }
      expect(requeued.sort()).toEqual([...ids].sort());
      expect(await store.complete(ids[0]!, 'dead', { files: [], edits: [], warnings: [] }, t0 + 3_000)).toBe(false);
      expect(await store.countByStatus()).toMatchObject({ in_queue: 60, in_progress: 0 });
    } finally {
      await cluster.close();
    }
  });

  it('an account limit holds across nodes submitting at once: exactly that many are accepted', async () => {
    const cluster = await nodes(3);
    try {
      const limits = { maxQueue: 1_000, account: { concurrent: 7 } };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          cluster.all[i % 3]!.store.enqueue(request(), limits).then(
            () => 'accepted',
            (err: unknown) => (err instanceof LimitExceededError && err.limit === 'concurrent' ? 'refused' : Promise.reject(err)),
          ),
        ),
      );
      expect(results.filter((r) => r === 'accepted')).toHaveLength(7);
    } finally {
      await cluster.close();
    }
  });

  it('usage still adds up when an engine reports strings PostgreSQL\'s JSON functions would refuse', async () => {
    const { all, close } = await nodes(1);
    try {
      const store = all[0]!.store;
      const { record } = await store.enqueue(request(), { maxQueue: 10 });
      await store.claim('w', 10_000, Date.now());
      const file = { key: `outputs/${record.id}/0.jpg`, contentType: 'image/jpeg', width: 100, height: 100, bytes: 1 };
      const usage = { tokens: 42, note: 'odd \ud800 \u0000 text', cost: 0.5 };
      expect(await store.complete(record.id, 'w', { files: [file], edits: [], warnings: [], engine: 'e\u0000', usage }, Date.now())).toBe(true);
      const [day] = await store.usageByDay('acct_a', 0);
      expect(day).toMatchObject({ completed: 1, images: 1, upstream: { tokens: 42, cost: 0.5 }, engines: { 'e\uFFFD': 1 } });
      const [entry] = await store.usageEntries({ since: 0, limit: 5 });
      expect(entry!.upstream).toEqual({ tokens: 42, note: 'odd \uFFFD \uFFFD text', cost: 0.5 });
      // The request itself keeps what the engine said, exactly.
      expect((await store.get(record.id))!.result!.usage).toEqual(usage);
    } finally {
      await close();
    }
  });

  it('keeps a prompt with NUL characters and lone surrogates exactly, and lists it', async () => {
    const { all, close } = await nodes(1);
    try {
      const store = all[0]!.store;
      const input = { prompt: 'a\u0000b \ud800 c\udfff', image_urls: ['https://example.test/a.jpg'] };
      const { record } = await store.enqueue(request({ input, idempotencyKey: 'k\u0000' }), { maxQueue: 10 });
      expect(await store.inputOf(record.id)).toEqual(input);
      const page = await store.listByAccount('acct_a', { limit: 5 });
      expect(page.items[0]).toMatchObject({ id: record.id, imageCount: 1, prompt: 'a\uFFFDb \uFFFD c\uFFFD' });
      const claimed = (await store.claim('w', 10_000, Date.now()))!;
      expect(claimed.input).toEqual(input);
      const result = { files: [], edits: [{ op: 'x', prompt: 'b\u0000' }], warnings: ['w\u0000'] };
      expect(await store.complete(record.id, 'w', result, Date.now())).toBe(true);
      expect((await store.get(record.id))!.result).toEqual(result);
    } finally {
      await close();
    }
  });

  it('tells followers on another node of each change, and again after its LISTEN connection was killed', async () => {
    const { url, all, close } = await nodes(2, { listen: true });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const [writer, follower] = all.map((s) => s.store) as [RequestStore, RequestStore];
      const { record } = await writer.enqueue(request(), { maxQueue: 10 });
      let heard = 0;
      let queued = 0;
      follower.changes!.onChange(record.id, () => heard++);
      follower.changes!.onQueued(() => queued++);
      await writer.claim('w', 10_000, Date.now());
      await expect.poll(() => heard, { timeout: 2_000, interval: 5 }).toBe(1);
      await writer.setProgress(record.id, 'w', 0.5);
      await expect.poll(() => heard, { timeout: 2_000, interval: 5 }).toBe(2);

      // Kill every LISTEN connection: the follower reconnects, tells its followers to read again,
      // and hears the next change.
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' OR application_name LIKE '% listen'`);
      expect(killed.rowCount).toBeGreaterThan(0);
      await expect.poll(() => heard, { timeout: 5_000, interval: 10 }).toBe(3);
      await expect.poll(() => queued, { timeout: 5_000, interval: 10 }).toBeGreaterThanOrEqual(1);
      const before = heard;
      await writer.complete(record.id, 'w', { files: [], edits: [], warnings: [] }, Date.now());
      await expect.poll(() => heard, { timeout: 5_000, interval: 5 }).toBe(before + 1);
      await writer.enqueue(request(), { maxQueue: 10 });
      await expect.poll(() => queued, { timeout: 5_000, interval: 5 }).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.end();
      await close();
    }
  });
});

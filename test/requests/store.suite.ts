/**
 * The contract every RequestStore implementation must pass (SQLite now, Redis later): the state
 * machine, its guards, the queue order and positions, leases and their recovery, retention.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LimitExceededError, QueueFullError } from '../../src/requests/errors.js';
import type { NewRequest, RequestStore } from '../../src/requests/types.js';

export interface StoreHarness {
  store: RequestStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 10_000;
const NO_LIMIT = { maxQueue: 1_000_000 };

/** The record of a newly queued request. */
async function enqueue(store: RequestStore, request: NewRequest, limits: { maxQueue: number }) {
  return (await store.enqueue(request, limits)).record;
}

function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  return {
    id: crypto.randomUUID(),
    accountId: 'acct_a',
    modelId: 'bytedance/dreamina-4-0/edit',
    input: { prompt: 'p', image_urls: ['https://example.test/a.jpg'] },
    createdAt: T0,
    expiresAt: T0 + 7 * 86_400_000,
    ...overrides,
  };
}

export function describeStoreSuite(name: string, open: () => Promise<StoreHarness>): void {
  describe(`RequestStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: RequestStore;
    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => h.close());

    it('enqueues in_queue with its position and reads it back', async () => {
      const a = await enqueue(store, newRequest(), NO_LIMIT);
      const b = await enqueue(store, newRequest(), NO_LIMIT);
      expect(a.status).toBe('in_queue');
      expect(a.queuePosition).toBe(0);
      expect(b.queuePosition).toBe(1);
      const read = await store.get(b.id);
      expect(read).toMatchObject({ id: b.id, status: 'in_queue', queuePosition: 1, attempts: 0, accountId: 'acct_a' });
      expect(await store.get('no-such-id')).toBeUndefined();
    });

    it('returns the first request for a repeated idempotency key of the same account, within 24 hours', async () => {
      const first = await store.enqueue(newRequest({ idempotencyKey: 'k1' }), NO_LIMIT);
      expect(first.created).toBe(true);
      const again = await store.enqueue(newRequest({ idempotencyKey: 'k1', createdAt: T0 + 1000 }), NO_LIMIT);
      expect(again).toMatchObject({ created: false, record: { id: first.record.id } });
      const otherAccount = await store.enqueue(newRequest({ idempotencyKey: 'k1', accountId: 'acct_b' }), NO_LIMIT);
      expect(otherAccount.created).toBe(true);
      const nextDay = await store.enqueue(newRequest({ idempotencyKey: 'k1', createdAt: T0 + 25 * 3_600_000 }), NO_LIMIT);
      expect(nextDay.created).toBe(true);
      expect(nextDay.record.id).not.toBe(first.record.id);
    });

    it('records every status a request enters, in order, resumable after any event id', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.complete(r.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      const all = await store.eventsSince(r.id, 0);
      expect(all.map((e) => e.status)).toEqual(['in_queue', 'in_progress', 'completed']);
      expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
      expect(await store.eventsSince(r.id, all[0]!.id)).toEqual(all.slice(1));
      expect(await store.eventsSince(r.id, all[2]!.id)).toEqual([]);
    });

    it('queues a webhook delivery on the final status, and on in_progress when asked, atomically with the transition', async () => {
      const plain = await enqueue(store, newRequest(), NO_LIMIT);
      const hooked = await enqueue(store, newRequest({ webhook: { url: 'https://hooks.example.test/a', events: ['in_progress'] } }), NO_LIMIT);
      const finalOnly = await enqueue(store, newRequest({ webhook: { url: 'https://hooks.example.test/b', events: [] } }), NO_LIMIT);
      for (let i = 0; i < 2; i++) await store.claim('w1', LEASE, T0);
      await store.complete(plain.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      await store.fail(hooked.id, 'w1', { code: 'x', message: 'm' }, T0);
      await store.cancel(finalOnly.id, T0);
      expect(await store.deliveriesOf(plain.id)).toEqual([]);
      expect((await store.deliveriesOf(hooked.id)).map((d) => d.status)).toEqual(['in_progress', 'failed']);
      expect(await store.deliveriesOf(finalOnly.id)).toMatchObject([{ status: 'cancelled', url: 'https://hooks.example.test/b', state: 'pending', attempts: 0 }]);
    });

    it('hands each due delivery to one dispatcher at a time, and retries or settles it', async () => {
      const r = await enqueue(store, newRequest({ webhook: { url: 'https://hooks.example.test/c', events: [] } }), NO_LIMIT);
      await store.cancel(r.id, T0);
      const now = Date.now() + 1000;
      const [d] = await store.claimDueDeliveries(now, 10, 30_000);
      expect(d).toMatchObject({ requestId: r.id, status: 'cancelled', attempts: 1, accountId: 'acct_a' });
      expect(d!.id).toMatch(/^msg_[0-9a-f]{24}$/);
      // Held while the first dispatcher sends it.
      expect(await store.claimDueDeliveries(now + 1, 10, 30_000)).toEqual([]);
      await store.settleDelivery(d!.id, { state: 'retry', at: now + 5_000, error: 'HTTP 500' });
      expect(await store.claimDueDeliveries(now + 4_999, 10, 30_000)).toEqual([]);
      const [again] = await store.claimDueDeliveries(now + 5_000, 10, 30_000);
      expect(again).toMatchObject({ id: d!.id, attempts: 2 });
      await store.settleDelivery(d!.id, { state: 'delivered', at: now + 5_100 });
      expect(await store.deliveriesOf(r.id)).toMatchObject([{ state: 'delivered', deliveredAt: now + 5_100, lastError: null }]);
      expect(await store.claimDueDeliveries(now + 10 ** 9, 10, 30_000)).toEqual([]);
    });

    it('refuses a submit when maxQueue requests are waiting, and accepts again once one leaves', async () => {
      await enqueue(store, newRequest(), { maxQueue: 2 });
      await enqueue(store, newRequest(), { maxQueue: 2 });
      await expect(enqueue(store, newRequest(), { maxQueue: 2 })).rejects.toBeInstanceOf(QueueFullError);
      await store.claim('w1', LEASE, T0);
      await expect(enqueue(store, newRequest(), { maxQueue: 2 })).resolves.toMatchObject({ status: 'in_queue' });
    });

    it('a full queue asks to retry after about one run time divided by the requests running', async () => {
      const done = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.complete(done.id, 'w1', { files: [], edits: [], warnings: [] }, T0 + 8_000);
      await enqueue(store, newRequest(), NO_LIMIT);
      await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.claim('w2', LEASE, T0);
      await enqueue(store, newRequest(), NO_LIMIT);
      const refused = await store.enqueue(newRequest(), { maxQueue: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(QueueFullError);
      // 8 s runs, two running: a place frees up in about 4 s.
      expect((refused as QueueFullError).retryAfterSeconds).toBe(4);
    });

    it('claims the oldest queued request first, with the input, and counts the attempt', async () => {
      const first = await enqueue(store, newRequest({ input: { n: 1 } }), NO_LIMIT);
      const second = await enqueue(store, newRequest({ input: { n: 2 } }), NO_LIMIT);
      const claimed = await store.claim('w1', LEASE, T0 + 5);
      expect(claimed).toMatchObject({ id: first.id, status: 'in_progress', attempts: 1, leaseOwner: 'w1', input: { n: 1 }, startedAt: T0 + 5 });
      expect((await store.get(second.id))!.queuePosition).toBe(0);
      expect((await store.claim('w2', LEASE, T0))!.id).toBe(second.id);
      expect(await store.claim('w3', LEASE, T0)).toBeUndefined();
    });

    it('completes only for the lease owner, once', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      const result = { files: [{ key: `outputs/${r.id}/0.jpg`, contentType: 'image/jpeg', width: 8, height: 8, bytes: 10 }], edits: [], warnings: ['w'] };
      expect(await store.complete(r.id, 'intruder', result, T0 + 1)).toBe(false);
      expect(await store.complete(r.id, 'w1', result, T0 + 2)).toBe(true);
      expect(await store.complete(r.id, 'w1', result, T0 + 3)).toBe(false);
      expect(await store.get(r.id)).toMatchObject({ status: 'completed', finishedAt: T0 + 2, result, progress: 1 });
    });

    it('fails with the error kept for the owner to read', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.fail(r.id, 'w1', { code: 'aspect_ratio', message: 'm' }, T0 + 9)).toBe(true);
      expect(await store.get(r.id)).toMatchObject({ status: 'failed', error: { code: 'aspect_ratio', message: 'm' }, finishedAt: T0 + 9 });
    });

    it('cancels a queued request atomically; a second cancel answers as the first', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      const first = await store.cancel(r.id, T0 + 1);
      expect(first).toMatchObject({ outcome: 'cancelled', record: { status: 'cancelled', finishedAt: T0 + 1 } });
      expect(await store.cancel(r.id, T0 + 2)).toMatchObject({ outcome: 'already_cancelled', record: { finishedAt: T0 + 1 } });
      expect(await store.claim('w1', LEASE, T0)).toBeUndefined();
    });

    it('refuses to cancel a running or finished request and leaves it as it was', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.cancel(r.id, T0)).toMatchObject({ outcome: 'not_cancellable', record: { status: 'in_progress' } });
      await store.complete(r.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      expect(await store.cancel(r.id, T0)).toMatchObject({ outcome: 'not_cancellable', record: { status: 'completed' } });
      expect(await store.cancel('missing', T0)).toEqual({ outcome: 'not_found' });
    });

    it('a cancelled request cannot be completed by a worker that claimed it earlier', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.cancel(r.id, T0);
      expect(await store.complete(r.id, 'w1', { files: [], edits: [], warnings: [] }, T0)).toBe(false);
      expect((await store.get(r.id))!.status).toBe('cancelled');
    });

    it('renews a lease only for its owner, and records progress', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.renewLease(r.id, 'w2', LEASE, T0 + 1)).toBe(false);
      expect(await store.renewLease(r.id, 'w1', LEASE, T0 + 1)).toBe(true);
      expect(await store.setProgress(r.id, 'w1', 0.4)).toBe(true);
      expect(await store.setProgress(r.id, 'w2', 0.9)).toBe(false);
      expect((await store.get(r.id))!.progress).toBeCloseTo(0.4);
    });

    it('puts requests of a dead worker back in the queue, keeping their place, then fails them after maxAttempts', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      const later = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('dead', LEASE, T0);
      // Not yet expired.
      expect(await store.recoverExpiredLeases(T0 + LEASE - 1, 3)).toEqual({ requeued: [], failed: [] });
      expect(await store.recoverExpiredLeases(T0 + LEASE + 1, 3)).toEqual({ requeued: [r.id], failed: [] });
      expect(await store.get(r.id)).toMatchObject({ status: 'in_queue', queuePosition: 0 });
      expect((await store.get(later.id))!.queuePosition).toBe(1);
      // The dead worker can no longer move it on.
      expect(await store.complete(r.id, 'dead', { files: [], edits: [], warnings: [] }, T0)).toBe(false);

      let now = T0 + LEASE + 2;
      for (let attempt = 2; attempt <= 3; attempt++) {
        expect((await store.claim(`w${attempt}`, LEASE, now))!.attempts).toBe(attempt);
        now += LEASE + 1;
        const recovered = await store.recoverExpiredLeases(now, 3);
        expect(recovered).toEqual(attempt < 3 ? { requeued: [r.id], failed: [] } : { requeued: [], failed: [r.id] });
      }
      expect(await store.get(r.id)).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    });

    it('keeps an engine checkpoint for the lease owner only, and hands it to the next attempt', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      expect((await store.claim('w1', LEASE, T0))!.engineState).toBeNull();
      const checkpoint = { engine: 'ark', state: { job: 'cgt-2025', submitted_at: T0 } };
      expect(await store.saveEngineState(r.id, 'w2', { engine: 'x', state: 1 })).toBe(false);
      expect(await store.saveEngineState(r.id, 'w1', checkpoint)).toBe(true);
      // Clients never see it.
      expect(JSON.stringify(await store.get(r.id))).not.toContain('cgt-2025');
      expect(await store.recoverExpiredLeases(T0 + LEASE + 1, 3)).toEqual({ requeued: [r.id], failed: [] });
      expect(await store.saveEngineState(r.id, 'w1', { engine: 'x', state: 2 })).toBe(false);
      const again = await store.claim('w2', LEASE, T0 + LEASE + 2);
      expect(again).toMatchObject({ id: r.id, attempts: 2, engineState: checkpoint });
      // An engine that moved on clears it.
      expect(await store.saveEngineState(r.id, 'w2', null)).toBe(true);
      expect(await store.release(r.id, 'w2')).toBe(true);
      expect((await store.claim('w3', LEASE, T0 + LEASE + 3))!.engineState).toBeNull();
    });

    it('a queued request cancelled with a checkpoint hands it back, so that its upstream job is stopped too', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      const checkpoint = { engine: 'gpu', state: { prompt_id: 'p-1' } };
      await store.saveEngineState(r.id, 'w1', checkpoint);
      // Back in the queue (a shutdown), then cancelled there.
      await store.release(r.id, 'w1');
      expect(await store.cancel(r.id, T0 + 1)).toMatchObject({ outcome: 'cancelled', engineState: checkpoint });
      const plain = await enqueue(store, newRequest(), NO_LIMIT);
      expect(await store.cancel(plain.id, T0 + 2)).toMatchObject({ outcome: 'cancelled', engineState: null });
    });

    it('release gives a request back without counting the attempt', async () => {
      const r = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.release(r.id, 'w2')).toBe(false);
      expect(await store.release(r.id, 'w1')).toBe(true);
      expect(await store.get(r.id)).toMatchObject({ status: 'in_queue', attempts: 0, queuePosition: 0 });
    });

    it('counts requests by status as they move', async () => {
      const a = await enqueue(store, newRequest(), NO_LIMIT);
      await enqueue(store, newRequest(), NO_LIMIT);
      const c = await enqueue(store, newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.complete(a.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      await store.cancel(c.id, T0);
      expect(await store.countByStatus()).toEqual({ in_queue: 1, in_progress: 0, completed: 1, failed: 0, cancelled: 1 });
      expect(await store.oldestQueuedAt()).toBe(T0);
      await store.claim('w1', LEASE, T0);
      expect(await store.oldestQueuedAt()).toBeNull();
    });

    it('deletes requests past their retention, and only those', async () => {
      const old = await enqueue(store, newRequest({ expiresAt: T0 + 100 }), NO_LIMIT);
      const fresh = await enqueue(store, newRequest({ expiresAt: T0 + 10_000 }), NO_LIMIT);
      expect(await store.deleteExpired(T0 + 100, 10)).toEqual([old.id]);
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.get(fresh.id)).toBeDefined();
      expect((await store.countByStatus()).in_queue).toBe(1);
    });

    it('writes the usage ledger with the final status, and keeps it when retention deletes the request', async () => {
      const file = (key: string) => ({ key, contentType: 'image/jpeg', width: 2048, height: 2048, bytes: 1 });
      const done = await enqueue(store, newRequest({ expiresAt: T0 + 100 }), NO_LIMIT);
      const broken = await enqueue(store, newRequest(), NO_LIMIT);
      const dropped = await enqueue(store, newRequest(), NO_LIMIT);
      const other = await enqueue(store, newRequest({ accountId: 'acct_b' }), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.claim('w1', LEASE, T0 + 1_000);
      const result = { files: [file('a'), file('b')], edits: [], warnings: [], engine: 'ark', usage: { tokens: 16_384, cost: 0.06, currency: 'USD' } };
      expect(await store.complete(done.id, 'w1', result, T0 + 4_000)).toBe(true);
      await store.fail(broken.id, 'w1', { code: 'x', message: 'y' }, T0 + 3_000);
      await store.cancel(dropped.id, T0 + 500);
      await store.cancel(other.id, T0 + 500);

      const day = new Date(T0).toISOString().slice(0, 10);
      const expected = {
        day,
        requests: 3,
        completed: 1,
        failed: 1,
        cancelled: 1,
        images: 2,
        outputMegapixels: 8.39,
        computeSeconds: 6,
        engines: { ark: 1 },
        upstream: { tokens: 16_384, cost: 0.06 },
      };
      expect(await store.usageByDay('acct_a', T0 - 86_400_000)).toEqual([expected]);
      // Retention deletes the request, not what it used.
      expect(await store.deleteExpired(T0 + 100, 10)).toEqual([done.id]);
      expect(await store.usageByDay('acct_a', T0 - 86_400_000)).toEqual([expected]);

      const all = await store.usageEntries({ since: T0 - 1, limit: 10 });
      // In the order they ended (the two cancels at the same time, by id).
      expect(all.map((e) => e.requestId)).toEqual([...[dropped.id, other.id].sort(), broken.id, done.id]);
      expect(all.at(-1)).toMatchObject({ requestId: done.id, accountId: 'acct_a', status: 'completed', images: 2, megapixels: 8.39, computeSeconds: 4, engine: 'ark', upstream: result.usage });
      // Paged after the last id seen, and filtered by account.
      const first = await store.usageEntries({ since: T0 - 1, limit: 2 });
      const rest = await store.usageEntries({ since: T0 - 1, limit: 10, after: first.at(-1)!.requestId });
      expect([...first, ...rest].map((e) => e.requestId)).toEqual(all.map((e) => e.requestId));
      expect((await store.usageEntries({ since: T0 - 1, limit: 10, accountId: 'acct_b' })).map((e) => e.requestId)).toEqual([other.id]);
      expect(await store.deleteUsageBefore(T0 + 1_000)).toBe(2);
      expect(await store.usageEntries({ since: 0, limit: 10 })).toHaveLength(2);
    });

    it('refuses an account over its submits per minute, counting only what it accepted, and no other account', async () => {
      const limits = { ...NO_LIMIT, account: { rpm: 2 } };
      await store.enqueue(newRequest({ createdAt: T0 }), limits);
      await store.enqueue(newRequest({ createdAt: T0 + 20_000, idempotencyKey: 'k' }), limits);
      const refused = await store.enqueue(newRequest({ createdAt: T0 + 30_000 }), limits).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LimitExceededError);
      expect(refused).toMatchObject({ limit: 'rpm', errorCode: 429001, retryAfterSeconds: 30 });
      // A replay of an accepted submit is free; another account has its own minute.
      expect((await store.enqueue(newRequest({ createdAt: T0 + 30_000, idempotencyKey: 'k' }), limits)).created).toBe(false);
      await store.enqueue(newRequest({ createdAt: T0 + 30_000, accountId: 'acct_b' }), limits);
      // Once the first leaves the window, there is room again.
      await store.enqueue(newRequest({ createdAt: T0 + 60_001 }), limits);
    });

    it('refuses an account with too many requests queued or running, until one ends', async () => {
      const limits = { ...NO_LIMIT, account: { concurrent: 1 } };
      const first = (await store.enqueue(newRequest(), limits)).record;
      await expect(store.enqueue(newRequest(), limits)).rejects.toMatchObject({ limit: 'concurrent', errorCode: 429003 });
      await store.claim('w1', LEASE, T0);
      await expect(store.enqueue(newRequest(), limits)).rejects.toMatchObject({ limit: 'concurrent' });
      await store.complete(first.id, 'w1', { files: [], edits: [], warnings: [] }, T0 + 10);
      await store.enqueue(newRequest(), limits);
    });

    it('refuses an account whose output images of the UTC day are used, until the next day', async () => {
      const day0 = Date.UTC(2026, 11, 6);
      const limits = { ...NO_LIMIT, account: { dailyImages: 2 } };
      const r = (await store.enqueue(newRequest({ createdAt: day0 + 1_000 }), limits)).record;
      await store.claim('w1', LEASE, day0 + 2_000);
      const file = { key: 'k', contentType: 'image/jpeg', width: 10, height: 10, bytes: 1 };
      await store.complete(r.id, 'w1', { files: [file, file], edits: [], warnings: [] }, day0 + 3_000);
      const refused = await store.enqueue(newRequest({ createdAt: day0 + 3_600_000 }), limits).catch((e: unknown) => e);
      expect(refused).toMatchObject({ limit: 'daily_images', errorCode: 429002, retryAfterSeconds: 23 * 3600 });
      expect((refused as Error).message).toContain('daily_images');
      await store.enqueue(newRequest({ createdAt: day0 + 86_400_000 }), limits);
    });

    it('keeps an operator\'s overrides of an account\'s limits over the defaults', async () => {
      const limits = { ...NO_LIMIT, account: { rpm: 1, concurrent: 5 } };
      await store.setLimitOverrides('acct_a', { rpm: null, concurrent: 1 });
      expect(await store.limitOverrides('acct_a')).toEqual({ rpm: null, concurrent: 1 });
      // rpm lifted for this account, concurrent lowered.
      await store.enqueue(newRequest(), limits);
      await expect(store.enqueue(newRequest(), limits)).rejects.toMatchObject({ limit: 'concurrent' });
      await store.setLimitOverrides('acct_a', {});
      expect(await store.limitOverrides('acct_a')).toEqual({});
      await expect(store.enqueue(newRequest({ createdAt: T0 + 1 }), limits)).rejects.toMatchObject({ limit: 'rpm' });
    });

    it('tracks live workers by heartbeat', async () => {
      await store.heartbeat({ id: 'w1', info: { pid: 1 } }, T0);
      await store.heartbeat({ id: 'w2', info: { pid: 2 } }, T0 + 5_000);
      expect((await store.liveWorkers(T0 + 1)).map((w) => w.id)).toEqual(['w2']);
      await store.removeWorker('w2');
      expect(await store.liveWorkers(T0)).toHaveLength(1);
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

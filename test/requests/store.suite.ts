/**
 * The contract every RequestStore implementation must pass (SQLite now, Redis later): the state
 * machine, its guards, the queue order and positions, leases and their recovery, retention.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueFullError } from '../../src/requests/errors.js';
import type { NewRequest, RequestStore } from '../../src/requests/types.js';

export interface StoreHarness {
  store: RequestStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 10_000;
const NO_LIMIT = { maxQueue: 1_000_000 };

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
      const a = await store.enqueue(newRequest(), NO_LIMIT);
      const b = await store.enqueue(newRequest(), NO_LIMIT);
      expect(a.status).toBe('in_queue');
      expect(a.queuePosition).toBe(0);
      expect(b.queuePosition).toBe(1);
      const read = await store.get(b.id);
      expect(read).toMatchObject({ id: b.id, status: 'in_queue', queuePosition: 1, attempts: 0, accountId: 'acct_a' });
      expect(await store.get('no-such-id')).toBeUndefined();
    });

    it('refuses a submit when maxQueue requests are waiting, and accepts again once one leaves', async () => {
      await store.enqueue(newRequest(), { maxQueue: 2 });
      await store.enqueue(newRequest(), { maxQueue: 2 });
      await expect(store.enqueue(newRequest(), { maxQueue: 2 })).rejects.toBeInstanceOf(QueueFullError);
      await store.claim('w1', LEASE, T0);
      await expect(store.enqueue(newRequest(), { maxQueue: 2 })).resolves.toMatchObject({ status: 'in_queue' });
    });

    it('claims the oldest queued request first, with the input, and counts the attempt', async () => {
      const first = await store.enqueue(newRequest({ input: { n: 1 } }), NO_LIMIT);
      const second = await store.enqueue(newRequest({ input: { n: 2 } }), NO_LIMIT);
      const claimed = await store.claim('w1', LEASE, T0 + 5);
      expect(claimed).toMatchObject({ id: first.id, status: 'in_progress', attempts: 1, leaseOwner: 'w1', input: { n: 1 }, startedAt: T0 + 5 });
      expect((await store.get(second.id))!.queuePosition).toBe(0);
      expect((await store.claim('w2', LEASE, T0))!.id).toBe(second.id);
      expect(await store.claim('w3', LEASE, T0)).toBeUndefined();
    });

    it('completes only for the lease owner, once', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      const result = { files: [{ key: `outputs/${r.id}/0.jpg`, contentType: 'image/jpeg', width: 8, height: 8, bytes: 10 }], edits: [], warnings: ['w'] };
      expect(await store.complete(r.id, 'intruder', result, T0 + 1)).toBe(false);
      expect(await store.complete(r.id, 'w1', result, T0 + 2)).toBe(true);
      expect(await store.complete(r.id, 'w1', result, T0 + 3)).toBe(false);
      expect(await store.get(r.id)).toMatchObject({ status: 'completed', finishedAt: T0 + 2, result, progress: 1 });
    });

    it('fails with the error kept for the owner to read', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.fail(r.id, 'w1', { code: 'aspect_ratio', message: 'm' }, T0 + 9)).toBe(true);
      expect(await store.get(r.id)).toMatchObject({ status: 'failed', error: { code: 'aspect_ratio', message: 'm' }, finishedAt: T0 + 9 });
    });

    it('cancels a queued request atomically; a second cancel answers as the first', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      const first = await store.cancel(r.id, T0 + 1);
      expect(first).toMatchObject({ outcome: 'cancelled', record: { status: 'cancelled', finishedAt: T0 + 1 } });
      expect(await store.cancel(r.id, T0 + 2)).toMatchObject({ outcome: 'already_cancelled', record: { finishedAt: T0 + 1 } });
      expect(await store.claim('w1', LEASE, T0)).toBeUndefined();
    });

    it('refuses to cancel a running or finished request and leaves it as it was', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.cancel(r.id, T0)).toMatchObject({ outcome: 'not_cancellable', record: { status: 'in_progress' } });
      await store.complete(r.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      expect(await store.cancel(r.id, T0)).toMatchObject({ outcome: 'not_cancellable', record: { status: 'completed' } });
      expect(await store.cancel('missing', T0)).toEqual({ outcome: 'not_found' });
    });

    it('a cancelled request cannot be completed by a worker that claimed it earlier', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.cancel(r.id, T0);
      expect(await store.complete(r.id, 'w1', { files: [], edits: [], warnings: [] }, T0)).toBe(false);
      expect((await store.get(r.id))!.status).toBe('cancelled');
    });

    it('renews a lease only for its owner, and records progress', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.renewLease(r.id, 'w2', LEASE, T0 + 1)).toBe(false);
      expect(await store.renewLease(r.id, 'w1', LEASE, T0 + 1)).toBe(true);
      expect(await store.setProgress(r.id, 'w1', 0.4)).toBe(true);
      expect(await store.setProgress(r.id, 'w2', 0.9)).toBe(false);
      expect((await store.get(r.id))!.progress).toBeCloseTo(0.4);
    });

    it('puts requests of a dead worker back in the queue, keeping their place, then fails them after maxAttempts', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      const later = await store.enqueue(newRequest(), NO_LIMIT);
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

    it('release gives a request back without counting the attempt', async () => {
      const r = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      expect(await store.release(r.id, 'w2')).toBe(false);
      expect(await store.release(r.id, 'w1')).toBe(true);
      expect(await store.get(r.id)).toMatchObject({ status: 'in_queue', attempts: 0, queuePosition: 0 });
    });

    it('counts requests by status as they move', async () => {
      const a = await store.enqueue(newRequest(), NO_LIMIT);
      await store.enqueue(newRequest(), NO_LIMIT);
      const c = await store.enqueue(newRequest(), NO_LIMIT);
      await store.claim('w1', LEASE, T0);
      await store.complete(a.id, 'w1', { files: [], edits: [], warnings: [] }, T0);
      await store.cancel(c.id, T0);
      expect(await store.countByStatus()).toEqual({ in_queue: 1, in_progress: 0, completed: 1, failed: 0, cancelled: 1 });
    });

    it('deletes requests past their retention, and only those', async () => {
      const old = await store.enqueue(newRequest({ expiresAt: T0 + 100 }), NO_LIMIT);
      const fresh = await store.enqueue(newRequest({ expiresAt: T0 + 10_000 }), NO_LIMIT);
      expect(await store.deleteExpired(T0 + 100, 10)).toEqual([old.id]);
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.get(fresh.id)).toBeDefined();
      expect((await store.countByStatus()).in_queue).toBe(1);
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

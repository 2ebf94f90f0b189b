/**
 * A request whose worker died once too often is failed by the maintenance loop, not by a worker:
 * it must still be counted in retouch_requests_finished_total, or an alert on the failure rate
 * misses exactly the crashes it is for.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/sqlite.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { SqliteRequestStore } from '../../src/requests/sqlite/store.js';
import type { FileStorage } from '../../src/storage/types.js';
import { Maintenance } from '../../src/worker/maintenance.js';
import { tempDir } from '../helpers/paths.js';

it('counts a request failed after too many attempts as finished with status failed', async () => {
  const db = openDatabase(path.join(tempDir(), 'retouch.db'));
  const store = new SqliteRequestStore(db);
  const metrics = new Metrics();
  try {
    const now = Date.now();
    const model = 'bytedance/dreamina-4-0/edit';
    await store.enqueue({ id: 'r1', accountId: 'acct', modelId: model, input: { prompt: 'p' }, createdAt: now, expiresAt: now + 86_400_000 }, { maxQueue: 10 });
    await store.claim('dead-worker', 1_000, now);
    // Retention is not run here: the storage is never touched.
    const maintenance = new Maintenance({ store, storage: {} as FileStorage, log: createLogger('silent'), metrics }, { maxAttempts: 1, uploadTtlMs: 1, usageRetentionMs: 1, leaseCheckMs: 1_000 });
    await maintenance.recoverLeases(now + 2_000);
    expect((await store.get('r1'))!.status).toBe('failed');
    const counted = (await metrics.finished.get()).values.find((v) => v.labels.status === 'failed');
    expect(counted).toMatchObject({ value: 1, labels: { model, status: 'failed', engine: '' } });
  } finally {
    db.close();
  }
});

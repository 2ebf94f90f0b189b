import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/db/sqlite.js';
import { requestMigrations } from '../../src/requests/sqlite/schema.js';
import { SqliteRequestStore } from '../../src/requests/sqlite/store.js';
import { tempDir } from '../helpers/paths.js';
import { describeStoreSuite } from './store.suite.js';

function openFileStore(file = path.join(tempDir(), 'retouch.db')) {
  const db = openDatabase(file);
  return { db, store: new SqliteRequestStore(db), file };
}

describeStoreSuite('SQLite (a real file, WAL)', async () => {
  const { db, store } = openFileStore();
  return {
    store,
    close: async () => {
      db.close();
    },
  };
});

describe('SQLite store across connections', () => {
  it('keeps everything after the database is closed and opened again', async () => {
    const a = openFileStore();
    const { record: r } = await a.store.enqueue(
      { id: 'r1', accountId: 'x', modelId: 'm', input: { big: 'y'.repeat(100_000) }, createdAt: 1, expiresAt: 10 ** 15 },
      { maxQueue: 10 },
    );
    a.db.close();
    const b = openFileStore(a.file);
    expect(await b.store.get(r.id)).toMatchObject({ status: 'in_queue' });
    expect((await b.store.claim('w', 1000, 2))!.input).toEqual({ big: 'y'.repeat(100_000) });
    b.db.close();
  });

  it('a progress write, a checkpoint and a lease renewal do not write the input again', async () => {
    const { db, store } = openFileStore();
    // Half a megabyte of data URIs, as two 1024x1024 JPEG references make.
    const input = { image_urls: ['data:image/jpeg;base64,' + 'A'.repeat(540_000)], prompt: 'p' };
    await store.enqueue({ id: 'big', accountId: 'x', modelId: 'm', input, createdAt: 1, expiresAt: 10 ** 15 }, { maxQueue: 10 });
    expect((await store.claim('w', 60_000, 2))!.input).toEqual(input);
    // Counts the pages written to the WAL from here on.
    db.pragma('wal_checkpoint(TRUNCATE)');
    await store.setProgress('big', 'w', 0.42);
    await store.saveEngineState('big', 'w', { engine: 'gpu', state: { server: 'a', prompt_id: 'b' } });
    await store.renewLease('big', 'w', 60_000, 3);
    const { log } = (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!;
    // A row holding the input took 130 pages (4 kB each) per write.
    expect(log).toBeLessThan(12);
    expect(await store.inputOf('big')).toEqual(input);
    db.close();
  });

  it("announces this process's own changes to the request's followers, and new requests to workers", async () => {
    const { db, store } = openFileStore();
    expect(store.changes.everywhere).toBe(false);
    let queued = 0;
    store.changes.onQueued(() => queued++);
    const heard: string[] = [];
    const stop = store.changes.onChange('told', () => heard.push('told'));
    store.changes.onChange('other', () => heard.push('other'));
    await store.enqueue({ id: 'told', accountId: 'x', modelId: 'm', input: {}, createdAt: 1, expiresAt: 10 ** 15 }, { maxQueue: 10 });
    expect(queued).toBe(1);
    await store.claim('w', 60_000, 2);
    await store.setProgress('told', 'w', 0.5);
    // Not visible in a status read: nobody is told.
    await store.renewLease('told', 'w', 60_000, 3);
    await store.complete('told', 'w', { files: [], edits: [], warnings: [], engine: 'builtin' }, 4);
    expect(heard).toEqual(['told', 'told', 'told']);
    stop();
    await store.deleteFinished('told');
    expect(heard).toHaveLength(3);
    db.close();
  });

  it('commits the submits of one turn together, each refused or accepted on its own', async () => {
    const { db, store } = openFileStore();
    const submit = (id: string, key?: string) =>
      store.enqueue(
        { id, accountId: 'acct', modelId: 'm', input: { id }, createdAt: 1, expiresAt: 10 ** 15, ...(key && { idempotencyKey: key }) },
        { maxQueue: 100, account: { concurrent: 3 } },
      );
    // All sent before any is committed: one batch.
    const outcomes = await Promise.allSettled([submit('a'), submit('b', 'k'), submit('c', 'k'), submit('d'), submit('e')]);
    const summary = outcomes.map((o) => (o.status === 'fulfilled' ? `${o.value.record.id}${o.value.created ? '' : ' (replayed)'}` : (o.reason as Error).name));
    expect(summary).toEqual(['a', 'b', 'b (replayed)', 'd', 'LimitExceededError']);
    expect(db.prepare('SELECT count(*) FROM request_inputs').pluck().get()).toBe(3);
    expect(await store.inputOf('d')).toEqual({ id: 'd' });
    db.close();
  });

  it('moves the inputs of a database made before they had a table of their own', async () => {
    const file = path.join(tempDir(), 'retouch.db');
    const old = openDatabase(file);
    migrate(old, { module: 'requests', steps: requestMigrations.steps.slice(0, 5) });
    const insert = old.prepare(
      `INSERT INTO requests (id, account_id, model_id, input, status, created_at, expires_at) VALUES (?, 'acct', 'm', ?, ?, ?, 10e15)`,
    );
    insert.run('queued', JSON.stringify({ prompt: 'warmer', image_urls: ['u1', 'u2'] }), 'in_queue', 1);
    insert.run('done', JSON.stringify({ prompt: 'cooler', image_urls: ['u3'] }), 'completed', 2);
    old.close();

    const { db, store } = openFileStore(file);
    expect(db.prepare(`SELECT count(*) FROM pragma_table_info('requests') WHERE name = 'input'`).pluck().get()).toBe(0);
    expect(await store.inputOf('done')).toEqual({ prompt: 'cooler', image_urls: ['u3'] });
    const page = await store.listByAccount('acct', { limit: 10 });
    expect(page.items.map((i) => [i.id, i.prompt, i.imageCount])).toEqual([
      ['done', 'cooler', 1],
      ['queued', 'warmer', 2],
    ]);
    expect((await store.claim('w', 1000, 3))!.input).toEqual({ prompt: 'warmer', image_urls: ['u1', 'u2'] });
    // A deleted request takes its input with it.
    expect(await store.deleteFinished('done')).toBe(true);
    expect(await store.inputOf('done')).toBeUndefined();
    expect(db.prepare('SELECT count(*) FROM request_inputs').pluck().get()).toBe(1);
    db.close();
  });

  it('a read kept in memory gives way to a write by another connection within 25 ms', async () => {
    const a = openFileStore();
    const b = openFileStore(a.file);
    const { record } = await a.store.enqueue({ id: 'kept', accountId: 'x', modelId: 'm', input: {}, createdAt: 1, expiresAt: 10 ** 15 }, { maxQueue: 10 });
    expect((await a.store.get(record.id))!.status).toBe('in_queue');
    await b.store.cancel(record.id, 2);
    await new Promise((r) => setTimeout(r, 30));
    expect((await a.store.get(record.id))!.status).toBe('cancelled');
    a.db.close();
    b.db.close();
  });

  /**
   * One race: a thread with its own connection claims from the front of the queue while this thread
   * cancels from the back, both starting at the same instant. Returns who won what.
   */
  async function race(count: number) {
    const { db, store, file } = openFileStore();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { record: r } = await store.enqueue({ id: `r${i}`, accountId: 'a', modelId: 'm', input: {}, createdAt: i, expiresAt: 10 ** 15 }, { maxQueue: 100_000 });
      ids.push(r.id);
    }
    const goFlag = new SharedArrayBuffer(4);
    const claimer = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.sqlite);
      const db = new Database(workerData.file);
      db.pragma('busy_timeout = 5000');
      const claim = db.prepare("UPDATE requests SET status = 'in_progress', lease_owner = 'thread', lease_expires_at = 9e15, attempts = attempts + 1 WHERE seq = (SELECT seq FROM requests WHERE status = 'in_queue' ORDER BY seq LIMIT 1) AND status = 'in_queue' RETURNING id").pluck();
      const claimed = [];
      parentPort.postMessage('ready');
      const go = new Int32Array(workerData.go); Atomics.wait(go, 0, 0);
      for (let misses = 0; misses < 200; ) { const id = claim.get(); if (id) { claimed.push(id); misses = 0; } else misses++; }
      parentPort.postMessage(claimed);
      `,
      { eval: true, workerData: { file, go: goFlag, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    const claimed = new Promise<string[]>((resolve) => claimer.on('message', (m) => m !== 'ready' && resolve(m)));
    await new Promise((resolve) => claimer.once('message', resolve));
    Atomics.store(new Int32Array(goFlag), 0, 1);
    Atomics.notify(new Int32Array(goFlag), 0);
    const cancelled: string[] = [];
    for (const id of [...ids].reverse()) {
      if ((await store.cancel(id, Date.now())).outcome === 'cancelled') cancelled.push(id);
    }
    const byThread = await claimed;
    await claimer.terminate();
    const statuses = new Map<string, string>();
    for (const id of ids) statuses.set(id, (await store.get(id))!.status);
    db.close();
    return { ids, byThread, cancelled, statuses };
  }

  it('a cancel racing claims from another thread: each request is either cancelled or claimed, never both', async () => {
    // On a loaded machine one side can finish before the other starts; that round proves nothing,
    // so it is run again until they really met in the middle.
    let round = await race(3000);
    for (let attempt = 1; attempt < 6 && (!round.byThread.length || !round.cancelled.length); attempt++) round = await race(3000);
    const { ids, byThread, cancelled, statuses } = round;
    expect(byThread.length, 'the claimer won none in six rounds').toBeGreaterThan(0);
    expect(cancelled.length, 'the canceller won none in six rounds').toBeGreaterThan(0);
    expect(new Set([...byThread, ...cancelled]).size).toBe(ids.length);
    expect(byThread.length + cancelled.length).toBe(ids.length);
    for (const id of cancelled) expect(statuses.get(id)).toBe('cancelled');
    for (const id of byThread) expect(statuses.get(id)).toBe('in_progress');
  });
});

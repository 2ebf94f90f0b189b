import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/sqlite.js';
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

  it('a cancel racing claims from another thread: each request is either cancelled or claimed, never both', async () => {
    const { db, store, file } = openFileStore();
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const { record: r } = await store.enqueue({ id: `r${i}`, accountId: 'a', modelId: 'm', input: {}, createdAt: i, expiresAt: 10 ** 15 }, { maxQueue: 10_000 });
      ids.push(r.id);
    }
    const goFlag = new SharedArrayBuffer(4);
    // Another thread with its own connection claims as fast as it can while this one cancels.
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
    // Both start at the same instant: the thread from the front of the queue, this one from the back.
    Atomics.store(new Int32Array(goFlag), 0, 1);
    Atomics.notify(new Int32Array(goFlag), 0);
    const cancelled: string[] = [];
    for (const id of [...ids].reverse()) {
      if ((await store.cancel(id, Date.now())).outcome === 'cancelled') cancelled.push(id);
    }
    const byThread = await claimed;
    await claimer.terminate();
    // They met somewhere in the middle: both sides won some.
    expect(byThread.length).toBeGreaterThan(0);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(new Set([...byThread, ...cancelled]).size).toBe(ids.length);
    expect(byThread.length + cancelled.length).toBe(ids.length);
    for (const id of cancelled) expect((await store.get(id))!.status).toBe('cancelled');
    for (const id of byThread) expect((await store.get(id))!.status).toBe('in_progress');
    db.close();
    expect(fs.existsSync(file)).toBe(true);
  });
});

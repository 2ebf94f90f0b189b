import { describe, expect, it } from 'vitest';
import { freshDatabase, postgresStores, useServices } from '../helpers/services.js';
import { describeKeyStoreSuite } from './store.suite.js';
import type { PostgresKeyStore } from '../../src/keys/postgres/store.js';

useServices();

describeKeyStoreSuite('PostgreSQL (a real server, a fresh database per test)', async (options) => {
  const stores = await postgresStores(await freshDatabase(), { envKey: options.envKey, listen: true });
  return { keys: stores.keys, close: stores.close };
});

describe('PostgreSQL keys across nodes', () => {
  it('a key revoked on one node is refused at once by another that had it cached', async () => {
    const url = await freshDatabase();
    const a = await postgresStores(url, { listen: true });
    const b = await postgresStores(url, { listen: true });
    try {
      const { key, token } = await a.keys.create({ name: 'shared' });
      // b looks it up once and keeps it.
      expect(await b.keys.authenticate(token)).toMatchObject({ keyId: key.id });
      expect(await b.keys.authenticate(token)).toMatchObject({ keyId: key.id });
      expect(await a.keys.revoke(key.id)).toBe(true);
      await expect.poll(() => b.keys.authenticate(token), { timeout: 2_000, interval: 10 }).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a lookup that was under way when the revocation was heard does not put the key back in the cache', async () => {
    const url = await freshDatabase();
    const a = await postgresStores(url, { listen: true });
    const b = await postgresStores(url, { listen: true });
    try {
      const { key, token } = await a.keys.create({ name: 'raced' });
      // b's lookup reads the key's row (not yet revoked), and its answer is held back, as a slow
      // network would, until the revocation made on a has reached b.
      const pool = (b.keys as unknown as { pool: { query: (q: { name?: string }) => Promise<unknown> } }).pool;
      const query = pool.query.bind(pool);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let read!: () => void;
      const rowRead = new Promise<void>((r) => (read = r));
      pool.query = async (q) => {
        const result = await query(q);
        if (q.name === 'keys_by_hash') {
          read();
          await held;
        }
        return result;
      };
      const lookup = b.keys.authenticate(token);
      await rowRead;
      pool.query = query;
      // b's own count of the times it emptied its cache: it grows when b hears the revocation.
      const heard = () => (b.keys as unknown as { generation: number }).generation;
      const before = heard();
      expect(await a.keys.revoke(key.id)).toBe(true);
      await expect.poll(heard, { timeout: 2_000, interval: 10 }).toBeGreaterThan(before);
      release();
      expect(await lookup).toMatchObject({ keyId: key.id });
      // The stale answer was not cached: the next call looks again and refuses the key.
      expect(await b.keys.authenticate(token)).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('every node signs file URLs with the same secret, made once even when nodes start together', async () => {
    const url = await freshDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => postgresStores(url)));
    try {
      const secrets = await Promise.all(nodes.map((n) => (n.keys as PostgresKeyStore).sharedSecret('url_signing')));
      expect(secrets[0]!.length).toBe(32);
      for (const s of secrets) expect(s.equals(secrets[0]!)).toBe(true);
      const signers = await Promise.all(nodes.map((n) => n.signer()));
      expect(signers[1]!.sign('outputs/x/0.jpg', 99)).toBe(signers[0]!.sign('outputs/x/0.jpg', 99));
    } finally {
      for (const n of nodes) await n.close();
    }
  });
});

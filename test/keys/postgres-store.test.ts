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

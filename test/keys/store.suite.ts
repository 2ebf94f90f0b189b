/** The contract every KeyStore implementation must pass (SQLite and PostgreSQL). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENV_ACCOUNT_ID, type KeyStore } from '../../src/keys/types.js';

export interface KeyHarness {
  keys: KeyStore;
  close(): Promise<void>;
}

export function describeKeyStoreSuite(name: string, open: (options: { envKey?: string }) => Promise<KeyHarness>): void {
  describe(`KeyStore contract: ${name}`, () => {
    let h: KeyHarness;
    let keys: KeyStore;
    beforeEach(async () => {
      h = await open({ envKey: 'rt_from-the-environment' });
      keys = h.keys;
    });
    afterEach(async () => h.close());

    it('creates a key in a new account, shows it once, and keeps only what identifies it', async () => {
      const { key, token } = await keys.create({ name: ' laptop ' });
      expect(token).toMatch(/^rt_[A-Za-z0-9_-]{32}$/);
      expect(key).toMatchObject({ name: 'laptop', prefix: token.slice(0, 9), revokedAt: null });
      expect(key.accountId).toMatch(/^acct_/);
      expect(await keys.get(key.id)).toEqual(key);
      expect(JSON.stringify(await keys.list())).not.toContain(token);
      expect(await keys.authenticate(token)).toEqual({ accountId: key.accountId, keyId: key.id });
      expect(await keys.authenticate(`${token}x`)).toBeUndefined();
      expect(await keys.get('key_missing')).toBeUndefined();
    });

    it('adds keys to an existing account only, and lists them per account', async () => {
      const a = await keys.create({ name: 'a' });
      const b = await keys.create({ name: 'b', accountId: a.key.accountId });
      const other = await keys.create({ name: 'other' });
      await expect(keys.create({ accountId: 'acct_missing' })).rejects.toThrow(/No account/);
      expect((await keys.list(a.key.accountId)).map((k) => k.id)).toEqual([a.key.id, b.key.id]);
      expect((await keys.list()).map((k) => k.id).sort()).toEqual([a.key.id, b.key.id, other.key.id].sort());
      expect(await keys.activeCount()).toBe(3);
    });

    it('revokes once; a revoked key no longer authenticates, even after it was used', async () => {
      const { key, token } = await keys.create();
      expect(await keys.authenticate(token)).toBeDefined();
      expect(await keys.revoke(key.id)).toBe(true);
      expect(await keys.revoke(key.id)).toBe(false);
      expect(await keys.revoke('key_missing')).toBe(false);
      expect(await keys.authenticate(token)).toBeUndefined();
      expect((await keys.get(key.id))!.revokedAt).toEqual(expect.any(Number));
      expect(await keys.activeCount()).toBe(0);
    });

    it('gives each account one webhook secret, and none to an unknown account', async () => {
      const { key } = await keys.create();
      const secret = await keys.webhookSecret(key.accountId);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(await keys.webhookSecret(key.accountId)).toBe(secret);
      expect(await keys.webhookSecret((await keys.create()).key.accountId)).not.toBe(secret);
      expect(await keys.webhookSecret('acct_missing')).toBeUndefined();
    });

    it('accepts RETOUCH_API_KEY for its own account, which has a webhook secret', async () => {
      expect(await keys.authenticate('rt_from-the-environment')).toEqual({ accountId: ENV_ACCOUNT_ID, keyId: 'key_env' });
      expect(await keys.webhookSecret(ENV_ACCOUNT_ID)).toMatch(/^whsec_/);
      expect(await keys.authenticate('rt_from-the-environmenT')).toBeUndefined();
    });
  });
}

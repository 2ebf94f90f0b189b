/**
 * The key store on PostgreSQL, shared by every API node. Authentication runs on every call, so a
 * node keeps the keys it has seen in memory; a revocation on any node is announced in the same
 * statement (NOTIFY retouch_keys), and every node forgets its cached keys when it hears it. While
 * this node's LISTEN connection is down it could miss that news, so it caches nothing then, and
 * forgets everything when the connection comes back.
 */
import crypto from 'node:crypto';
import { CHANNELS, type PgListener } from '../../db/postgres/listener.js';
import { guarded, inTransaction, type Pool } from '../../db/postgres/pool.js';
import { SECRET_BYTES, type SecretName } from '../../secrets.js';
import { EnvKey } from '../env-key.js';
import { displayPrefix, hashPresentedToken, hashToken, newId, newToken, newWebhookSecret } from '../token.js';
import { ENV_ACCOUNT_ID, ENV_PRINCIPAL, type ApiKey, type KeyStore, type Principal } from '../types.js';
import { MAX_KNOWN_KEYS, toKey, type KeyRow } from '../rows.js';
import { SQL } from './sql.js';

/** Even with the listener up, a cached key is looked up again after this long. */
const KNOWN_FOR_MS = 60_000;

export class PostgresKeyStore implements KeyStore {
  private readonly envKey: EnvKey;
  private readonly known = new Map<string, { principal: Principal; at: number }>();
  /**
   * Counts the times the cache was emptied. A lookup that started before a revocation was heard may
   * end after it with the key's old row: it must not put that row back in the cache.
   */
  private generation = 0;

  private constructor(private readonly pool: Pool, private readonly listener: PgListener | undefined, envKey: string | undefined) {
    this.envKey = new EnvKey(envKey);
    listener?.on(CHANNELS.keys, () => this.forgetAll());
    listener?.onReconnect(() => this.forgetAll());
  }

  /** Opens the store on migrated tables; creates RETOUCH_API_KEY's account when that key is set. */
  static async open(pool: Pool, listener: PgListener | undefined, options: { envKey?: string | undefined } = {}): Promise<PostgresKeyStore> {
    const store = new PostgresKeyStore(pool, listener, options.envKey);
    if (store.envKey.configured) {
      await guarded(() => pool.query({ ...SQL.insertAccount, values: [ENV_ACCOUNT_ID, 'RETOUCH_API_KEY', Date.now(), newWebhookSecret()] }));
    }
    return store;
  }

  async create(options: { name?: string | undefined; accountId?: string | undefined } = {}): Promise<{ key: ApiKey; token: string }> {
    const now = Date.now();
    const name = options.name?.trim() || 'default';
    return inTransaction(this.pool, async (c) => {
      let accountId = options.accountId;
      if (accountId) {
        if (!(await c.query({ ...SQL.account, values: [accountId] })).rowCount) throw new Error(`No account ${accountId}`);
      } else {
        accountId = newId('acct');
        await c.query({ ...SQL.insertAccount, values: [accountId, name, now, newWebhookSecret()] });
      }
      const token = newToken();
      const row = (await c.query<KeyRow>({ ...SQL.insertKey, values: [newId('key'), accountId, name, displayPrefix(token), hashToken(token), now] })).rows[0]!;
      return { key: toKey(row), token };
    });
  }

  async list(accountId?: string): Promise<ApiKey[]> {
    const rows = accountId === undefined ? await this.rows<KeyRow>(SQL.list, []) : await this.rows<KeyRow>(SQL.listOf, [accountId]);
    return rows.map(toKey);
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const row = (await this.rows<KeyRow>(SQL.byId, [id]))[0];
    return row && toKey(row);
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = (await this.rows(SQL.revoke, [Date.now(), id])).length === 1;
    this.forgetAll();
    return revoked;
  }

  private forgetAll(): void {
    this.known.clear();
    this.generation++;
  }

  async webhookSecret(accountId: string): Promise<string | undefined> {
    const row = (await this.rows<{ webhook_secret: string | null }>(SQL.secret, [accountId]))[0];
    if (!row) return undefined;
    if (row.webhook_secret) return row.webhook_secret;
    // coalesce keeps a secret another node set meanwhile.
    return (await this.rows<{ webhook_secret: string }>(SQL.setSecret, [newWebhookSecret(), accountId]))[0]?.webhook_secret;
  }

  async activeCount(): Promise<number> {
    return (await this.rows<{ n: number }>(SQL.active, []))[0]!.n;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashPresentedToken(token);
    if (this.envKey.matches(hash)) return ENV_PRINCIPAL;
    const now = Date.now();
    const cached = this.known.get(hash);
    if (cached && now - cached.at < KNOWN_FOR_MS && this.listener?.connected) return cached.principal;
    const generation = this.generation;
    // An indexed lookup of a hash: its timing reveals nothing about the key.
    const row = (await this.rows<{ id: string; account_id: string }>(SQL.byHash, [hash]))[0];
    if (!row) {
      this.known.delete(hash);
      return undefined;
    }
    const principal = { accountId: row.account_id, keyId: row.id };
    if (this.listener?.connected && generation === this.generation) {
      if (this.known.size >= MAX_KNOWN_KEYS) this.known.clear();
      this.known.set(hash, { principal, at: now });
    }
    return principal;
  }

  /**
   * A secret every node shares (src/secrets.ts): the first node to ask makes it, the others (even
   * at the same instant) read that one.
   */
  async sharedSecret(name: SecretName): Promise<Buffer> {
    await this.rows(SQL.offerSecret, [name, crypto.randomBytes(SECRET_BYTES).toString('hex'), Date.now()]);
    const value = (await this.rows<{ value: string }>(SQL.readSecret, [name]))[0]!.value;
    return Buffer.from(value, 'hex');
  }

  private async rows<T>(statement: { name: string; text: string }, values: unknown[]): Promise<T[]> {
    return guarded(async () => (await this.pool.query({ ...statement, values })).rows as T[]);
  }
}

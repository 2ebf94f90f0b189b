/**
 * Accounts and their API keys. A request belongs to the account of the key that submitted it; an
 * account may hold several keys, so that one can be rotated without losing access to its requests.
 */
import crypto from 'node:crypto';
import type { SqliteDatabase } from '../db/sqlite.js';
import { ForeignWrites, migrate } from '../db/sqlite.js';
import { keyMigrations } from './schema.js';
import { displayPrefix, hashToken, newId, newToken, newWebhookSecret } from './token.js';

export interface ApiKey {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface Principal {
  accountId: string;
  keyId: string;
}

const MAX_KNOWN_KEYS = 10_000;
const VERSION_CHECK_MS = 100;

/** The account that RETOUCH_API_KEY acts for. */
export const ENV_ACCOUNT_ID = 'acct_env';
const ENV_KEY_ID = 'key_env';

interface KeyRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export class KeyStore {
  private readonly sql;
  private readonly envKeyHash: Buffer | undefined;
  /**
   * Keys already seen, by hash: authentication runs on every call, and the answer only changes when
   * a key is revoked. A revocation by this process clears it at once; one by another process (the
   * CLI, another API node) changes SQLite's data_version for this connection, which is looked at
   * every VERSION_CHECK_MS, so it takes effect within that.
   */
  private readonly known = new Map<string, Principal>();
  private readonly foreignWrites: ForeignWrites;

  constructor(private readonly db: SqliteDatabase, options: { envKey?: string | undefined } = {}) {
    migrate(db, keyMigrations);
    this.foreignWrites = new ForeignWrites(db, VERSION_CHECK_MS);
    this.sql = {
      insertAccount: db.prepare('INSERT INTO accounts (id, name, created_at, webhook_secret) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING'),
      secret: db.prepare('SELECT webhook_secret FROM accounts WHERE id = ?').pluck(),
      setSecret: db.prepare('UPDATE accounts SET webhook_secret = coalesce(webhook_secret, ?) WHERE id = ? RETURNING webhook_secret').pluck(),
      account: db.prepare('SELECT id FROM accounts WHERE id = ?').pluck(),
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, account_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
      ),
      list: db.prepare('SELECT id, account_id, name, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at, id'),
      listOf: db.prepare('SELECT id, account_id, name, prefix, created_at, revoked_at FROM api_keys WHERE account_id = ? ORDER BY created_at, id'),
      revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      byId: db.prepare('SELECT id, account_id, name, prefix, created_at, revoked_at FROM api_keys WHERE id = ?'),
      byHash: db.prepare('SELECT id, account_id FROM api_keys WHERE hash = ? AND revoked_at IS NULL'),
      active: db.prepare('SELECT count(*) FROM api_keys WHERE revoked_at IS NULL').pluck(),
    };
    if (options.envKey) {
      this.envKeyHash = Buffer.from(hashToken(options.envKey), 'hex');
      this.sql.insertAccount.run(ENV_ACCOUNT_ID, 'RETOUCH_API_KEY', Date.now(), newWebhookSecret());
    }
  }

  /**
   * Creates a key, in `accountId` when given (it must exist), otherwise in a new account named
   * like the key. The token is returned once and only its hash is kept.
   */
  create(options: { name?: string | undefined; accountId?: string | undefined } = {}): { key: ApiKey; token: string } {
    const now = Date.now();
    const name = options.name?.trim() || 'default';
    return this.db.transaction(() => {
      let accountId = options.accountId;
      if (accountId) {
        if (!this.sql.account.get(accountId)) throw new Error(`No account ${accountId}`);
      } else {
        accountId = newId('acct');
        this.sql.insertAccount.run(accountId, name, now, newWebhookSecret());
      }
      const token = newToken();
      const row = this.sql.insertKey.get(newId('key'), accountId, name, displayPrefix(token), hashToken(token), now) as KeyRow;
      return { key: toKey(row), token };
    })();
  }

  /** Every key, or those of one account. */
  list(accountId?: string): ApiKey[] {
    const rows = accountId === undefined ? this.sql.list.all() : this.sql.listOf.all(accountId);
    return (rows as KeyRow[]).map(toKey);
  }

  get(id: string): ApiKey | undefined {
    const row = this.sql.byId.get(id) as KeyRow | undefined;
    return row && toKey(row);
  }

  /** True when the key was active and is now revoked. */
  revoke(id: string): boolean {
    const revoked = this.sql.revoke.run(Date.now(), id).changes === 1;
    this.known.clear();
    return revoked;
  }

  /** The account's webhook signing secret; undefined for an unknown account. */
  webhookSecret(accountId: string): string | undefined {
    const secret = this.sql.secret.get(accountId) as string | null | undefined;
    if (secret === undefined) return undefined;
    // Accounts made before webhooks existed get theirs on first use; coalesce keeps a concurrent one.
    return secret ?? (this.sql.setSecret.get(newWebhookSecret(), accountId) as string);
  }

  activeCount(): number {
    return this.sql.active.get() as number;
  }

  authenticate(token: string): Principal | undefined {
    const hash = hashToken(token);
    if (this.envKeyHash && crypto.timingSafeEqual(this.envKeyHash, Buffer.from(hash, 'hex'))) {
      return { accountId: ENV_ACCOUNT_ID, keyId: ENV_KEY_ID };
    }
    if (this.foreignWrites.happened()) this.known.clear();
    const cached = this.known.get(hash);
    if (cached) return cached;
    // An indexed lookup of a hash: its timing reveals nothing about the key.
    const row = this.sql.byHash.get(hash) as { id: string; account_id: string } | undefined;
    if (!row) return undefined;
    const principal = { accountId: row.account_id, keyId: row.id };
    if (this.known.size >= MAX_KNOWN_KEYS) this.known.clear();
    this.known.set(hash, principal);
    return principal;
  }
}

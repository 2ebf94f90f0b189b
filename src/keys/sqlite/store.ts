/** The embedded key store: accounts and API keys in the data dir's SQLite file. */
import type { SqliteDatabase } from '../../db/sqlite.js';
import { ForeignWrites, migrate } from '../../db/sqlite.js';
import { EnvKey } from '../env-key.js';
import { displayPrefix, hashPresentedToken, hashToken, newId, newToken, newWebhookSecret } from '../token.js';
import { ENV_ACCOUNT_ID, ENV_PRINCIPAL, type ApiKey, type KeyStore, type Principal } from '../types.js';
import { MAX_KNOWN_KEYS, toKey, type KeyRow } from '../rows.js';
import { keyMigrations } from './schema.js';

const VERSION_CHECK_MS = 100;

export class SqliteKeyStore implements KeyStore {
  private readonly sql;
  private readonly envKey: EnvKey;
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
    this.envKey = new EnvKey(options.envKey);
    if (this.envKey.configured) this.sql.insertAccount.run(ENV_ACCOUNT_ID, 'RETOUCH_API_KEY', Date.now(), newWebhookSecret());
  }

  async create(options: { name?: string | undefined; accountId?: string | undefined } = {}): Promise<{ key: ApiKey; token: string }> {
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

  async list(accountId?: string): Promise<ApiKey[]> {
    const rows = accountId === undefined ? this.sql.list.all() : this.sql.listOf.all(accountId);
    return (rows as KeyRow[]).map(toKey);
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const row = this.sql.byId.get(id) as KeyRow | undefined;
    return row && toKey(row);
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = this.sql.revoke.run(Date.now(), id).changes === 1;
    this.known.clear();
    return revoked;
  }

  async webhookSecret(accountId: string): Promise<string | undefined> {
    const secret = this.sql.secret.get(accountId) as string | null | undefined;
    if (secret === undefined) return undefined;
    // Accounts made before webhooks existed get theirs on first use; coalesce keeps a concurrent one.
    return secret ?? (this.sql.setSecret.get(newWebhookSecret(), accountId) as string);
  }

  async activeCount(): Promise<number> {
    return this.sql.active.get() as number;
  }

  peek(token: string): Principal | undefined {
    return this.known.size === 0 ? undefined : this.cached(hashPresentedToken(token));
  }

  /** RETOUCH_API_KEY's principal, or a key seen lately that no process has revoked since. */
  private cached(hash: string): Principal | undefined {
    if (this.envKey.matches(hash)) return ENV_PRINCIPAL;
    if (this.foreignWrites.happened()) this.known.clear();
    return this.known.get(hash);
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const hash = hashPresentedToken(token);
    const cached = this.cached(hash);
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

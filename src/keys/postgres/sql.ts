/** Every SQL statement of the PostgreSQL key store, in one place (see requests/postgres/sql.ts). */
const q = (name: string, text: string) => ({ name: `keys_${name}`, text });

const KEY = 'id, account_id, name, prefix, created_at, revoked_at';

export const SQL = {
  insertAccount: q('insert_account', 'INSERT INTO accounts (id, name, created_at, webhook_secret) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING'),
  account: q('account', 'SELECT id FROM accounts WHERE id = $1'),
  secret: q('secret', 'SELECT webhook_secret FROM accounts WHERE id = $1'),
  setSecret: q('set_secret', 'UPDATE accounts SET webhook_secret = coalesce(webhook_secret, $1) WHERE id = $2 RETURNING webhook_secret'),
  insertKey: q('insert_key', `INSERT INTO api_keys (id, account_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${KEY}`),
  list: q('list', `SELECT ${KEY} FROM api_keys ORDER BY created_at, id`),
  listOf: q('list_of', `SELECT ${KEY} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`),
  byId: q('by_id', `SELECT ${KEY} FROM api_keys WHERE id = $1`),
  byHash: q('by_hash', 'SELECT id, account_id FROM api_keys WHERE hash = $1 AND revoked_at IS NULL'),
  active: q('active', 'SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL'),
  /** The revocation and the news of it in one statement: other nodes forget the key at commit. */
  revoke: q(
    'revoke',
    `WITH revoked AS (UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id)
     SELECT pg_notify('retouch_keys', id) FROM revoked`,
  ),
  /** Two statements, not one: the second must see a row another node inserted concurrently. */
  offerSecret: q('offer_secret', 'INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING'),
  readSecret: q('read_secret', 'SELECT value FROM secrets WHERE name = $1'),
};

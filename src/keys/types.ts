/**
 * Accounts and their API keys. A request belongs to the account of the key that submitted it; an
 * account may hold several keys, so that one can be rotated without losing access to its requests.
 * SQLite (keys/sqlite/) is the embedded default, PostgreSQL (keys/postgres/) the one for several
 * machines; both pass test/keys/store.suite.ts.
 */
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

/** The account that RETOUCH_API_KEY acts for. */
export const ENV_ACCOUNT_ID = 'acct_env';
export const ENV_KEY_ID = 'key_env';
/** Who RETOUCH_API_KEY authenticates as (one object: the fast path hands it out per poll). */
export const ENV_PRINCIPAL: Readonly<Principal> = Object.freeze({ accountId: ENV_ACCOUNT_ID, keyId: ENV_KEY_ID });

export interface KeyStore {
  /**
   * Creates a key, in `accountId` when given (it must exist), otherwise in a new account named
   * like the key. The token is returned once and only its hash is kept.
   */
  create(options?: { name?: string | undefined; accountId?: string | undefined }): Promise<{ key: ApiKey; token: string }>;
  /** Every key, or those of one account. */
  list(accountId?: string): Promise<ApiKey[]>;
  get(id: string): Promise<ApiKey | undefined>;
  /** True when the key was active and is now revoked; every node refuses it from then on. */
  revoke(id: string): Promise<boolean>;
  /** The account's webhook signing secret; undefined for an unknown account. */
  webhookSecret(accountId: string): Promise<string | undefined>;
  activeCount(): Promise<number>;
  /** The key's account, or undefined for an unknown or revoked key. */
  authenticate(token: string): Promise<Principal | undefined>;
  /**
   * What authenticate would answer, when this store can say so from memory alone; undefined means
   * "ask authenticate". Lets the status fast path (api/fast-status.ts) answer without a promise.
   */
  peek?(token: string): Principal | undefined;
}

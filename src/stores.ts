/** The embedded stores of a data dir: one SQLite file holding requests, the queue and keys. */
import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type SqliteDatabase } from './db/sqlite.js';
import { KeyStore } from './keys/store.js';
import { SqliteRequestStore } from './requests/sqlite/store.js';

export function openStores(config: Config): { db: SqliteDatabase; store: SqliteRequestStore; keys: KeyStore } {
  const db = openDatabase(path.join(config.dataDir, 'retouch.db'));
  return { db, store: new SqliteRequestStore(db), keys: new KeyStore(db, { envKey: config.apiKey }) };
}

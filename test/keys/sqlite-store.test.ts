import path from 'node:path';
import { openDatabase } from '../../src/db/sqlite.js';
import { SqliteKeyStore } from '../../src/keys/sqlite/store.js';
import { tempDir } from '../helpers/paths.js';
import { describeKeyStoreSuite } from './store.suite.js';

describeKeyStoreSuite('SQLite (a real file)', async (options) => {
  const db = openDatabase(path.join(tempDir(), 'retouch.db'));
  return { keys: new SqliteKeyStore(db, options), close: async () => void db.close() };
});

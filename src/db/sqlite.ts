/**
 * Opens the embedded SQLite database and brings each module's tables up to date. Modules own their
 * schema (requests/sqlite/schema.ts, keys/schema.ts); this file only knows how to apply it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface Migrations {
  /** Namespace of the versions below, e.g. "requests". */
  module: string;
  /** Applied in order, each once; append, never edit a released one. */
  steps: string[];
}

export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the API read while a worker writes; NORMAL syncs at checkpoints, which survives a
  // crash of the process (kill -9) and loses at most the last commits on power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Several processes (serve, worker) may share the file: wait for the write lock, don't fail.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

export function migrate(db: SqliteDatabase, migrations: Migrations): void {
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').get(migrations.module) as
      | { version: number }
      | undefined;
    const from = row?.version ?? 0;
    for (let v = from; v < migrations.steps.length; v++) db.exec(migrations.steps[v]!);
    if (migrations.steps.length > from) {
      db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version')
        .run(migrations.module, migrations.steps.length);
    }
  }).immediate();
}

/**
 * Tells whether another connection (another process: a worker, the CLI) has written to the database
 * since the last look, through SQLite's data_version. Looking costs a statement, so it is done at
 * most every `everyMs`: what a process keeps in memory is then at most that stale.
 */
export class ForeignWrites {
  private readonly version;
  private last = -1;
  private checkedAt = 0;

  constructor(db: SqliteDatabase, private readonly everyMs: number) {
    this.version = db.prepare('PRAGMA data_version').pluck();
  }

  /** True when another connection wrote since the previous true (or at the first look). */
  happened(now = Date.now()): boolean {
    if (now - this.checkedAt < this.everyMs) return false;
    this.checkedAt = now;
    const version = this.version.get() as number;
    if (version === this.last) return false;
    this.last = version;
    return true;
  }
}

/**
 * `retouch migrate`: brings the database's tables up to date and says what it did. Every node does
 * the same at start (under an advisory lock, so simultaneous starts are safe); running it by hand
 * first lets a deployment see the change before any node serves traffic with it.
 */
import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { createLogger } from '../log.js';
import { openStores, migratePostgres, POSTGRES_MIGRATIONS } from '../stores.js';
import { configFrom } from './options.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Bring the database up to date: PostgreSQL with --database-url, else the data dir\'s SQLite file')
    .option('--database-url <url>', 'PostgreSQL [env: RETOUCH_DATABASE_URL]')
    .option('--data-dir <dir>', 'data dir [env: RETOUCH_DATA_DIR] (default: ./.retouch)')
    .action(async (_opts: unknown, command: Command) => {
      const config = configFrom(command);
      const log = createLogger('warn', pino.destination(2));
      if (!config.databaseUrl) {
        // Opening the embedded stores applies their migrations.
        const { close } = await openStores(config, { log, role: 'migrate', listen: false });
        await close();
        console.log(`SQLite ${path.join(config.dataDir, 'retouch.db')} is up to date.`);
        return;
      }
      const reports = await migratePostgres(config.databaseUrl, log);
      for (const r of reports) {
        const steps = POSTGRES_MIGRATIONS.find((m) => m.module === r.module)!.steps;
        if (r.to > r.from) {
          for (const s of steps.filter((s) => s.version > r.from)) console.log(`${r.module}: applied ${s.version} (${s.name})`);
        } else {
          console.log(`${r.module}: up to date at ${r.to}${r.ahead ? ` (the database is at ${r.from}: a newer retouch migrated it)` : ''}`);
        }
      }
    });
}

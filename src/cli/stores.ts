/** The stores of the one-shot commands (keys, accounts, usage): the data dir's, or PostgreSQL's. */
import type { Command } from 'commander';
import pino from 'pino';
import { createLogger } from '../log.js';
import { openStores, type Stores } from '../stores.js';
import { configFrom } from './options.js';

/** The options a command takes to find the store. */
export function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data dir [env: RETOUCH_DATA_DIR] (default: ./.retouch)')
    .option('--database-url <url>', 'PostgreSQL instead of the data dir [env: RETOUCH_DATABASE_URL]');
}

/** Opens the stores the command's options name, runs `work`, and closes them. */
export async function withStores<T>(command: Command, role: string, work: (stores: Stores, config: ReturnType<typeof configFrom>) => Promise<T>): Promise<T> {
  const config = configFrom(command);
  // stdout carries what the command prints (a key, JSON, CSV): the database's warnings go to stderr.
  const log = createLogger('warn', pino.destination(2));
  const stores = await openStores(config, { log, role, listen: false });
  try {
    return await work(stores, config);
  } finally {
    await stores.store.close();
    await stores.close();
  }
}

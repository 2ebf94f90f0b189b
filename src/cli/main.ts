import { Command } from 'commander';
import { registerAccounts } from './accounts.js';
import { registerConfig } from './config.js';
import { registerEdit } from './edit.js';
import { registerKeys } from './keys.js';
import { registerMigrate } from './migrate.js';
import { registerServe } from './serve.js';
import { registerUsage } from './usage.js';

export const VERSION = '0.1.0';

export function main(argv: string[]): void {
  const program = new Command('retouch')
    .description('retouch: a self-hostable image-edit model API server (the bytedance/dreamina-4-0/edit contract)')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  registerServe(program);
  registerKeys(program);
  registerMigrate(program);
  registerAccounts(program);
  registerUsage(program);
  registerConfig(program);
  registerEdit(program);
  program.parseAsync(argv, { from: 'user' }).catch((err: unknown) => {
    console.error(`retouch: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

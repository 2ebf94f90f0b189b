/**
 * `retouch accounts limits ACCOUNT [--rpm N] [--concurrent N] [--daily-images N]`: shows and sets one
 * account's limits, kept in the store so that every API node enforces them. A number sets the
 * limit, `default` goes back to the configuration file's `limits`, `none` lifts it for the account.
 */
import type { Command } from 'commander';
import { effectiveLimits } from '../requests/limits.js';
import type { AccountLimitOverrides, AccountLimits } from '../requests/types.js';
import { storeOptions, withStores } from './stores.js';

const LIMITS = [
  { option: 'rpm', key: 'rpm', what: 'submits per minute' },
  { option: 'concurrent', key: 'concurrent', what: 'requests queued or running at once' },
  { option: 'dailyImages', key: 'dailyImages', what: 'output images per UTC day' },
] as const;

const NAMES: Record<keyof AccountLimits, string> = { rpm: 'rpm', concurrent: 'concurrent', dailyImages: 'daily_images' };

/** A number, `default` (undefined: the override goes) or `none` (null: no limit for this account). */
function limitValue(raw: string): number | null | undefined {
  if (raw === 'default') return undefined;
  if (raw === 'none' || raw === 'unlimited') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number of at least 1, "default" or "none" (got "${raw}")`);
  return n;
}

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description("Manage accounts' limits (submits per minute, requests at once, images per day)");
  storeOptions(
    accounts
      .command('limits <account>')
      .description("Show an account's limits, or change them: a number sets one, `default` goes back to the config file's, `none` lifts it"),
  )
    .option('--rpm <n>', 'submits per minute')
    .option('--concurrent <n>', 'requests queued or running at once')
    .option('--daily-images <n>', 'output images per UTC day')
    .option('--json', 'print JSON')
    .option('--config <file>', 'the configuration file whose `limits` are the defaults [env: RETOUCH_CONFIG]')
    .action(async (account: string, opts: Record<string, string | boolean | undefined>, command: Command) => {
      await withStores(command, 'accounts', async ({ store, keys }, config) => {
        if ((await keys.webhookSecret(account)) === undefined) command.error(`No account ${account}. \`retouch keys list\` shows the accounts.`, { exitCode: 1 });
        const overrides: AccountLimitOverrides = await store.limitOverrides(account);
        let changed = false;
        for (const l of LIMITS) {
          const raw = opts[l.option];
          if (typeof raw !== 'string') continue;
          try {
            const value = limitValue(raw);
            if (value === undefined) delete overrides[l.key];
            else overrides[l.key] = value;
            changed = true;
          } catch (err) {
            command.error(`retouch: --${NAMES[l.key].replace('_', '-')}: ${(err as Error).message}`, { exitCode: 2 });
          }
        }
        if (changed) await store.setLimitOverrides(account, overrides);
        const effective = effectiveLimits(config.limits, overrides);
        if (opts.json) {
          const out = Object.fromEntries(LIMITS.map((l) => [NAMES[l.key], effective[l.key] ?? null]));
          console.log(JSON.stringify({ account, limits: out }));
          return;
        }
        for (const l of LIMITS) {
          const value = effective[l.key];
          const source = overrides[l.key] !== undefined ? 'set for this account' : config.limits[l.key] !== undefined ? 'default' : '';
          console.log(`${NAMES[l.key].padEnd(13)}${value === undefined ? 'none' : String(value)} ${l.what}${source ? ` (${source})` : ''}`);
        }
      });
    });
}

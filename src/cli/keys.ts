/** `retouch keys create|list|revoke`: manage API keys in the data dir's database, or in PostgreSQL. */
import type { Command } from 'commander';
import { storeOptions, withStores as withAllStores } from './stores.js';
import type { KeyStore } from '../keys/types.js';

const withStores = <T>(command: Command, work: (keys: KeyStore) => Promise<T>) => withAllStores(command, 'keys', ({ keys }) => work(keys));

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage API keys (stored hashed in the data dir, or in PostgreSQL with --database-url)');

  storeOptions(keys.command('create').description('Create a key and print it once; only its hash is kept'))
    .option('--name <name>', 'a label for the key')
    .option('--account <id>', 'add the key to this existing account (default: a new account)')
    .option('--json', 'print JSON')
    .action(async (opts: { name?: string; account?: string; json?: boolean }, command: Command) => {
      await withStores(command, async (store) => {
        const { key, token } = await store.create({ name: opts.name, accountId: opts.account });
        const webhookSecret = await store.webhookSecret(key.accountId);
        if (opts.json) {
          console.log(JSON.stringify({ id: key.id, account_id: key.accountId, name: key.name, key: token, webhook_secret: webhookSecret }));
        } else {
          console.log(token);
          console.error(`Created ${key.id} (account ${key.accountId}). Keep the key now: it is not shown again.`);
          console.error(`Webhooks to this account are signed with ${webhookSecret} (\`retouch keys webhook-secret ${key.accountId}\`).`);
        }
      });
    });

  storeOptions(keys.command('list').description('List keys: id, account, name, prefix, created, revoked'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withStores(command, async (store) => {
        const list = await store.list();
        if (opts.json) {
          console.log(JSON.stringify(list.map((k) => ({ id: k.id, account_id: k.accountId, name: k.name, prefix: k.prefix, created_at: iso(k.createdAt), revoked_at: k.revokedAt === null ? null : iso(k.revokedAt) }))));
          return;
        }
        if (!list.length) return console.error('No keys yet: `retouch keys create` makes one.');
        const rows = list.map((k) => [k.id, k.accountId, k.name, `${k.prefix}…`, iso(k.createdAt), k.revokedAt ? `revoked ${iso(k.revokedAt)}` : 'active']);
        const header = ['ID', 'ACCOUNT', 'NAME', 'PREFIX', 'CREATED', 'STATE'];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      });
    });

  storeOptions(keys.command('webhook-secret <account>').description("Print an account's webhook signing secret (Standard Webhooks, whsec_…)"))
    .action(async (account: string, _opts: unknown, command: Command) => {
      await withStores(command, async (store) => {
        const secret = await store.webhookSecret(account);
        if (!secret) command.error(`No account ${account}. \`retouch keys list\` shows the accounts.`, { exitCode: 1 });
        console.log(secret);
      });
    });

  storeOptions(keys.command('revoke <id>').description('Revoke a key: requests with it are refused from now on (on every node)'))
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withStores(command, async (store) => {
        if (await store.revoke(id)) return console.error(`Revoked ${id}.`);
        const key = await store.get(id);
        command.error(key ? `${id} was already revoked.` : `No key ${id}. \`retouch keys list\` shows them.`, { exitCode: 1 });
      });
    });
}

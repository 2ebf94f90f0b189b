/**
 * `retouch usage export --since DATE [--until DATE] [--account ID] [--format csv|json]`: the usage
 * ledger (one line per ended request, kept for --usage-retention), for billing and budgets.
 */
import type { Command } from 'commander';
import type { UsageEntry } from '../requests/types.js';
import { storeOptions, withStores } from './stores.js';

const PAGE = 1000;
export const CSV_COLUMNS = [
  'request_id',
  'account_id',
  'model_id',
  'status',
  'created_at',
  'finished_at',
  'images',
  'megapixels',
  'compute_seconds',
  'engine',
  'upstream',
] as const;

/** "2026-11-01", an ISO time, or a span back from now such as "30d". */
export function parseWhen(raw: string, now = Date.now()): number | undefined {
  const span = /^(\d+)\s*(d|h)$/i.exec(raw.trim());
  if (span) return now - Number(span[1]) * (span[2]!.toLowerCase() === 'd' ? 86_400_000 : 3_600_000);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw.trim()) ? `${raw.trim()}T00:00:00Z` : raw);
  return Number.isNaN(t) ? undefined : t;
}

function csvField(v: unknown): string {
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** An entry with the names of the CSV header, for both formats. */
export function ledgerRecord(e: UsageEntry): Record<(typeof CSV_COLUMNS)[number], unknown> {
  return {
    request_id: e.requestId,
    account_id: e.accountId,
    model_id: e.modelId,
    status: e.status,
    created_at: new Date(e.createdAt).toISOString(),
    finished_at: new Date(e.finishedAt).toISOString(),
    images: e.images,
    megapixels: e.megapixels,
    compute_seconds: e.computeSeconds,
    engine: e.engine,
    upstream: e.upstream,
  };
}

export function csvRow(e: UsageEntry): string {
  const row = ledgerRecord(e);
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',');
}

export function registerUsage(program: Command): void {
  const usage = program.command('usage').description('The usage ledger: what each ended request used');
  storeOptions(
    usage.command('export').description('Print the ledger entries that ended in a period, as CSV (a header and a line per request) or JSON lines'),
  )
    .requiredOption('--since <when>', 'start: 2026-11-01, an ISO time, or 30d (back from now)')
    .option('--until <when>', 'end (exclusive), same forms; default now')
    .option('--account <id>', 'only this account')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--config <file>', 'configuration file [env: RETOUCH_CONFIG]')
    .action(async (opts: { since: string; until?: string; account?: string; format: string }, command: Command) => {
      const since = parseWhen(opts.since);
      const until = opts.until === undefined ? Date.now() : parseWhen(opts.until);
      if (since === undefined) command.error(`retouch: --since: expected a date (2026-11-01), an ISO time or a span such as 30d (got "${opts.since}")`, { exitCode: 2 });
      if (until === undefined) command.error(`retouch: --until: expected a date, an ISO time or a span (got "${opts.until}")`, { exitCode: 2 });
      if (opts.format !== 'csv' && opts.format !== 'json') command.error(`retouch: --format: expected csv or json (got "${opts.format}")`, { exitCode: 2 });
      await withStores(command, 'usage', async ({ store }) => {
        if (opts.format === 'csv') process.stdout.write(`${CSV_COLUMNS.join(',')}\n`);
        let after: string | undefined;
        for (;;) {
          const page = await store.usageEntries({ since: since!, until, accountId: opts.account, after, limit: PAGE });
          const lines = page.map((e) => (opts.format === 'csv' ? csvRow(e) : JSON.stringify(ledgerRecord(e))));
          if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
          if (page.length < PAGE) break;
          after = page.at(-1)!.requestId;
        }
      });
    });
}

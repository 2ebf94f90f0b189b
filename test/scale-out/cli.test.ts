/**
 * The one-shot commands against PostgreSQL: `retouch migrate` from several machines at once on an
 * empty database, and `retouch keys`, `accounts limits`, `usage export` with --database-url, as an
 * operator runs them against a deployment.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/paths.js';
import { retouch } from '../helpers/process.js';
import { freshDatabase, useServices } from '../helpers/services.js';

useServices();

/** `retouch args…` as a child process, without waiting for it. */
function start(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
}

describe('the CLI on PostgreSQL', () => {
  it('four `retouch migrate` at once on an empty database: one applies, the others find it done', async () => {
    const env = { RETOUCH_DATABASE_URL: await freshDatabase() };
    const runs = await Promise.all([1, 2, 3, 4].map(() => start(['migrate'], env)));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const applied = runs.filter((r) => r.stdout.includes('applied'));
    expect(applied).toHaveLength(1);
    expect(applied[0]!.stdout).toMatch(/^keys: applied 1 \(accounts, API keys, server secrets\)\nrequests: applied 1 \(.+\)\nrequests: applied 2 \(/);
    for (const r of runs.filter((x) => !x.stdout.includes('applied'))) expect(r.stdout).toBe('keys: up to date at 1\nrequests: up to date at 2\n');
  });

  it('keys, account limits and the usage export work with --database-url', async () => {
    const dataDir = tempDir();
    const db = ['--database-url', await freshDatabase(), '--data-dir', dataDir];
    const created = retouch(['keys', 'create', '--name', 'ops', '--json', ...db]);
    expect(created.status, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ name: 'ops', key: expect.stringMatching(/^rt_/), webhook_secret: expect.stringMatching(/^whsec_/) });

    const list = retouch(['keys', 'list', '--json', ...db]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: key.id, account_id: key.account_id, revoked_at: null })]);
    expect(list.stdout).not.toContain(key.key);
    expect(retouch(['keys', 'webhook-secret', key.account_id, ...db]).stdout.trim()).toBe(key.webhook_secret);

    const limits = retouch(['accounts', 'limits', key.account_id, '--rpm', '30', '--json', ...db]);
    expect(limits.status, limits.stderr).toBe(0);
    expect(JSON.parse(limits.stdout)).toEqual({ account: key.account_id, limits: { rpm: 30, concurrent: null, daily_images: null } });
    const exported = retouch(['usage', 'export', '--since', '30d', ...db]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout.split('\n')[0]).toMatch(/^request_id,/);

    expect(retouch(['keys', 'revoke', key.id, ...db]).status).toBe(0);
    expect(retouch(['keys', 'revoke', key.id, ...db])).toMatchObject({ status: 1, stderr: expect.stringContaining('already revoked') });
    // Nothing of the embedded store was made: the data dir stays empty.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('an unreachable database is one clear line and exit 1, with the password nowhere', () => {
    const r = retouch(['keys', 'list', '--database-url', 'postgres://ops:hunter2@127.0.0.1:1/retouch']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('retouch cannot reach its database right now; retry in a few seconds.');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});

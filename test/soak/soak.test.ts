/**
 * The soak script itself, for a short bounded time: mixed traffic against a real `retouch serve`,
 * and its checks (nothing lost, no unexpected answer, webhooks arrived, the ledger agrees) pass.
 * The long run, which also judges memory, is by hand: `npm run soak -- --minutes 30`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

describe('soak', () => {
  it('half a minute of mixed traffic loses nothing and gets no unexpected answer', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/soak.mjs'), '--minutes', '0.5', '--sample-seconds', '10'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.stdout).toContain('summary');
    expect(r.stdout).toMatch(/accepted (\d+), ended \1 /);
    expect(r.stdout).toContain('expected refusals: ');
    expect(r.stdout).toMatch(/limited submit 429 \d+/);
    expect(r.stdout).toContain('OK: nothing lost, no unexpected answer');
    expect(r.status).toBe(0);
  }, 320_000);
});

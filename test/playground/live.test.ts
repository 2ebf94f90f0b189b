/**
 * The live status of a run, from the server-sent events: queued behind another request (with
 * Cancel), then running with its progress, then done. The engine here holds each run at gates the
 * test opens, so every state stays on screen long enough to be seen and photographed.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinEngine } from '../../src/engine/builtin/index.js';
import type { EditRequest, Engine, EngineContext, EngineResult } from '../../src/engine/types.js';
import { dataUri, PHOTOS } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { closeBrowser, assertPlaygroundBuilt, launchBrowser, openTab, type Tab } from './browser.js';

/** Each run waits at two gates: before any work, and at 40% of it (reported until the gate opens). */
class SteppedEngine implements Engine {
  readonly name = 'stepped';
  private readonly inner = new BuiltinEngine();
  private waiters: (() => void)[] = [];

  async run(request: EditRequest, ctx: EngineContext): Promise<EngineResult> {
    await this.gate(ctx);
    await this.gate(ctx, () => ctx.progress(0.4));
    return this.inner.run(request, ctx);
  }

  /** Opens the gate the oldest waiting run is at. */
  step(): boolean {
    const next = this.waiters.shift();
    next?.();
    return next !== undefined;
  }

  waiting(): number {
    return this.waiters.length;
  }

  private gate(ctx: EngineContext, meanwhile?: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The worker writes progress at most every 250 ms: say it again until the gate opens.
      const timer = meanwhile ? setInterval(meanwhile, 100) : undefined;
      meanwhile?.();
      this.waiters.push(() => {
        clearInterval(timer);
        resolve();
      });
      ctx.signal.addEventListener('abort', () => (clearInterval(timer), reject(ctx.signal.reason)), { once: true });
    });
  }
}

const engine = new SteppedEngine();
let server: TestServer;
let browser: Browser;
let tab: Tab;

beforeAll(async () => {
  assertPlaygroundBuilt();
  [server, browser] = await Promise.all([startServer({ engine, settings: { concurrency: '1' } }), launchBrowser()]);
  tab = await openTab(browser, server.url, 'live', { key: server.key });
});

afterAll(async () => {
  while (engine.step());
  await closeBrowser(browser);
  await server?.close();
});

const STEP = 30_000;
/** Under a loaded CI machine a state change can take a while to reach the screen. */
const WAIT = { timeout: 10_000 };

async function until(check: () => boolean, what: string): Promise<void> {
  await expect.poll(check, { timeout: 10_000, message: what }).toBe(true);
}

describe('a run followed live', () => {
  let blocker = '';

  it('shows the run queued behind another, and cancels it', async () => {
    const { page } = tab;
    // Another client's request takes the only worker slot.
    const res = await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'warmer', 'width×height': '1024x1024(1:1)' });
    blocker = (await res.json()).request_id;
    await until(() => engine.waiting() === 1, 'the blocking request reaches the engine');

    await page.goto(server.url + '/');
    await page.locator('input[type=file]').setInputFiles(path.join(PHOTOS, 'coffee.png'));
    await page.locator('.thumb.ready').waitFor();
    await page.getByLabel('Prompt').fill('make it brighter');
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    const badge = page.locator('.status-line .badge');
    await expect.poll(() => badge.innerText(), WAIT).toBe('In queue');
    expect(await page.locator('.status-detail').innerText()).toMatch(/ahead|next in line/);
    expect(await page.locator('button.run').isDisabled()).toBe(true);
    const elapsed = page.locator('.elapsed');
    const first = await elapsed.innerText();
    await expect.poll(() => elapsed.innerText(), WAIT).not.toBe(first);
    await tab.shot('queued');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('.output-card').innerText(), WAIT).toContain('cancelled before it started');
    expect(await badge.innerText()).toBe('Cancelled');
    await tab.shot('cancelled');
  }, STEP);

  it('shows the progress of a running request, then its result', async () => {
    const { page } = tab;
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const badge = page.locator('.status-line .badge');
    await expect.poll(() => badge.innerText(), WAIT).toBe('In queue');

    // The blocker goes through its two gates and completes; ours is claimed and waits at its first.
    engine.step();
    await until(() => engine.waiting() === 1, 'the blocker reaches its second gate');
    engine.step();
    expect((await server.waitForResult(blocker)).status).toBe('completed');
    await until(() => engine.waiting() === 1, "the page's request reaches the engine");
    await expect.poll(() => badge.innerText(), WAIT).toBe('Running');

    engine.step();
    const bar = page.getByRole('progressbar');
    await expect.poll(() => bar.getAttribute('aria-valuenow'), WAIT).toBe('44');
    expect(await page.locator('.status-detail').innerText()).toBe('44%');
    await tab.shot('running');

    engine.step();
    await expect.poll(() => badge.innerText(), { timeout: 20_000 }).toBe('Completed');
    await expect.poll(() => page.locator('.output-size').innerText(), WAIT).toBe('2048 × 2048');
    await tab.shot('completed');
  }, STEP);

  it('pages the library, newest first, with each status', async () => {
    const { page } = tab;
    // Twelve more from another client: one runs (held at its gate), eleven wait. Fifteen in all.
    const ids: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const res = await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: `batch ${i}`, 'width×height': '1024x1024(1:1)' });
      ids.push((await res.json()).request_id);
    }
    await until(() => engine.waiting() === 1, 'the first of the batch reaches the engine');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
    const items = page.locator('.library-item');
    await expect.poll(() => items.count(), WAIT).toBe(12);
    expect(await items.first().innerText()).toContain('batch 12');
    expect(await items.first().innerText()).toContain('In queue');
    const running = items.filter({ has: page.locator('.library-prompt', { hasText: /^batch 1$/ }) });
    expect(await running.innerText()).toContain('Running');
    await tab.shot('library-page-1');

    await page.getByRole('button', { name: 'Load older requests' }).click();
    await expect.poll(() => items.count(), WAIT).toBe(15);
    expect(await items.last().innerText()).toContain('warmer');
    expect(await items.nth(13).innerText()).toContain('Cancelled');
    expect(await page.getByRole('button', { name: 'Load older requests' }).count()).toBe(0);
    await tab.shot('library-page-2');

    // Leave nothing running: cancel the queued ones, let the running one finish.
    for (const id of ids.slice(1)) expect((await server.api(`/v1/requests/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    engine.step();
    await until(() => engine.waiting() === 1, 'the running one reaches its second gate');
    engine.step();
    expect((await server.waitForResult(ids[0]!)).status).toBe('completed');

    expect(tab.outside).toEqual([]);
    expect(tab.problems).toEqual([]);
  }, STEP);
});

/**
 * The playground as a person uses it, in a real Chromium against a real server: paste the key,
 * upload a photo, write a prompt, pick a size, run, see the result at its real size, look at the
 * API tab, find the request in the library, run it again, make a key, revoke the one in use and be
 * asked for another, read the usage. Screenshots of each step go to test-results/playground/.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHOTOS } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { closeBrowser, assertPlaygroundBuilt, launchBrowser, naturalSize, openTab, storedKey, type Tab } from './browser.js';

let server: TestServer;
let browser: Browser;
let tab: Tab;

beforeAll(async () => {
  assertPlaygroundBuilt();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  tab = await openTab(browser, server.url, 'flow');
});

afterAll(async () => {
  await closeBrowser(browser);
  await server?.close();
});

const STEP = 30_000;

describe('the playground, from a key to an edited image and back', () => {
  let firstId = '';
  /** The key made on the Keys page; the test's own key is revoked there. */
  let newKey = '';

  it('asks for a key, says where to find one, and opens the model page with it', async () => {
    const { page } = tab;
    await page.goto(server.url + '/');
    await page.getByRole('heading', { name: 'Paste your API key' }).waitFor();
    expect(await page.getByText('prints a key beginning with').isVisible()).toBe(true);
    await tab.shot('key-prompt');

    await page.getByLabel('API key').fill(server.key);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Dreamina 4.0 Edit', level: 1 }).waitFor();
    // The form comes from the model's schema: the 11 sizes, the slider, the switch.
    expect(await page.getByRole('radio').count()).toBe(11);
    expect(await page.getByRole('slider', { name: 'Scale' }).inputValue()).toBe('0.5');
    expect(await page.getByRole('switch', { name: 'Force Single Image' }).isChecked()).toBe(false);
    expect(await storedKey(page)).toBe(server.key);
    await tab.shot('model-page');
  }, STEP);

  it('uploads a photo, takes a prompt, a size and a scale, and shows the same call as code', async () => {
    const { page } = tab;
    await page.locator('input[type=file]').setInputFiles(path.join(PHOTOS, 'coffee.png'));
    const thumb = page.locator('.thumb', { hasText: 'coffee.png' });
    await thumb.and(page.locator('.ready')).waitFor();
    expect(await thumb.innerText()).toContain('600×400');

    await page.getByLabel('Prompt').fill('make it warmer');
    expect(await page.locator('#count-prompt').innerText()).toBe('14 / 800');
    // The sizes are a radio group: the arrow keys move the choice.
    await page.getByRole('radio', { name: /2048×2048/ }).focus();
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('radio', { name: /1024×1024/ }).isChecked()).toBe(true);
    await page.getByRole('slider', { name: 'Scale' }).fill('0.7');
    expect(await page.locator('output.slider-value').innerText()).toBe('0.70');
    await tab.shot('form-filled');

    await page.getByRole('tab', { name: 'API' }).click();
    const curl = await page.locator('#panel-api pre').first().innerText();
    const ts = await page.locator('#panel-api pre').nth(1).innerText();
    expect(curl).toContain(`${server.url}/v1/models/bytedance/dreamina-4-0/edit`);
    expect(curl).toContain('"width×height": "1024x1024(1:1)"');
    expect(curl).toContain('"scale": 0.7');
    expect(curl).toContain('/files/uploads/');
    expect(ts).toContain("client.run('bytedance/dreamina-4-0/edit'");
    expect(ts).toContain("prompt: 'make it warmer'");
    // The key is masked: its first characters only.
    expect(curl + ts).not.toContain(server.key);
    expect(curl).toContain(server.key.slice(0, 6) + '…');
    await tab.shot('api-tab');
    await page.getByRole('tab', { name: 'Form' }).click();
  }, STEP);

  it('runs it, follows the event stream, and shows the result at its real size with what was done', async () => {
    const { page } = tab;
    // Ctrl+Enter in the prompt runs, as the Run button does.
    await page.getByLabel('Prompt').press('Control+Enter');
    const size = page.locator('.output-size');
    await expect.poll(() => size.first().innerText(), { timeout: 20_000 }).toBe('1024 × 1024');
    const img = page.getByRole('img', { name: 'Output 1' });
    expect(await naturalSize(img)).toEqual([1024, 1024]);
    expect(await page.locator('.status-line .badge').innerText()).toBe('Completed');
    expect(await page.locator('.report').innerText()).toMatch(/warmth\s+from “warmer”/);
    expect(await page.getByRole('link', { name: 'Download' }).first().getAttribute('href')).toContain('/files/outputs/');

    firstId = (await page.locator('.run a[href^="#/library/"]').getAttribute('href'))!.split('/').pop()!;
    expect(tab.requests.some((u) => u.endsWith(`/v1/requests/${firstId}/status/stream`))).toBe(true);
    const stored = await (await server.api(`/v1/requests/${firstId}`)).json();
    expect(stored.input).toMatchObject({ prompt: 'make it warmer', 'width×height': '1024x1024(1:1)', scale: 0.7, force_single: false });
    await tab.shot('result');

    await page.getByRole('button', { name: 'Full size' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await tab.shot('full-size');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, STEP);

  it('finds the request in the library, opens it, and runs it again', async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
    const item = page.locator('.library-item', { hasText: 'make it warmer' });
    await item.waitFor();
    expect(await item.innerText()).toContain('Completed');
    expect(await item.locator('img').count()).toBe(1);
    await tab.shot('library');

    await item.click();
    await page.getByRole('heading', { name: `Request ${firstId.slice(0, 8)}` }).waitFor();
    await page.getByRole('img', { name: 'Output 1' }).waitFor();
    expect(await page.locator('.params').innerText()).toMatch(/1024×1024 \(1:1\)/);
    await tab.shot('library-detail');

    await page.getByRole('button', { name: 'Run again' }).click();
    await page.getByRole('heading', { name: 'Dreamina 4.0 Edit', level: 1 }).waitFor();
    const link = page.locator('.run a[href^="#/library/"]');
    // A new request, not the one opened.
    await expect.poll(async () => ((await link.count()) ? await link.getAttribute('href') : ''), { timeout: 10_000 }).toMatch(/^#\/library\/[\w-]+$/);
    expect(await link.getAttribute('href')).not.toContain(firstId);
    await expect.poll(() => page.locator('.output-size').first().innerText(), { timeout: 20_000 }).toBe('1024 × 1024');
    const list = await (await server.api('/v1/requests')).json();
    expect(list.requests).toHaveLength(2);
    expect(list.requests[0].prompt).toBe('make it warmer');
    await tab.shot('run-again');
  }, STEP);

  it('deletes a request and its files from the library', async () => {
    const { page } = tab;
    const before = await (await server.api(`/v1/requests/${firstId}/result`)).json();
    const output = before.output.images[0] as string;
    expect((await fetch(output)).status).toBe(200);

    await page.goto(`${server.url}/#/library/${firstId}`);
    await page.getByRole('heading', { name: `Request ${firstId.slice(0, 8)}` }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    // The confirmation takes the focus: Enter confirms.
    const confirm = page.getByRole('button', { name: 'Delete it and its files' });
    await confirm.waitFor();
    await tab.shot('delete-confirm');
    expect(await confirm.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Library', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.library-item').count(), { timeout: 10_000 }).toBe(1);
    expect((await server.api(`/v1/requests/${firstId}`)).status).toBe(404);
    expect((await fetch(output)).status).toBe(404);
    await tab.shot('deleted');
  }, STEP);

  it('creates a key (shown once), revokes the key in use, and asks for another', async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('second');
    await page.getByRole('button', { name: 'Create key' }).click();
    const created = page.getByLabel('The new key');
    await created.waitFor();
    newKey = await created.inputValue();
    expect(newKey).toMatch(/^rt_/);
    await page.locator('tr', { hasText: 'second' }).waitFor();
    await tab.shot('key-created');

    const inUse = page.locator('tr', { hasText: 'In use here' });
    await inUse.getByRole('button', { name: /^Revoke/ }).click();
    await inUse.getByRole('button', { name: 'Revoke (and sign out)' }).click();
    await page.getByRole('heading', { name: 'Paste your API key' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('refused the key');
    expect(await storedKey(page)).toBeNull();
    await tab.shot('asked-for-a-new-key');

    // The key made on the page is the way back in.
    await page.getByLabel('API key').fill(newKey);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
    expect(await page.locator('tr', { hasText: 'test' }).innerText()).toContain('Revoked');
  }, STEP);

  it("shows the account's usage per day", async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    const row = page.locator('.usage-table tbody tr').first();
    await row.waitFor();
    const usage = await (await server.api('/v1/usage', { key: newKey })).json();
    const today = usage.days[usage.days.length - 1];
    expect(today.requests).toBeGreaterThan(0);
    expect(await row.locator('th').innerText()).toBe(today.day);
    expect(await row.locator('td').first().innerText()).toBe(String(today.requests));
    await tab.shot('usage');
  }, STEP);

  it('reads well on a phone-sized screen', async () => {
    const phone = await openTab(browser, server.url, 'flow-phone', { viewport: { width: 390, height: 844 }, key: (await storedKey(tab.page))! });
    try {
      await phone.page.goto(server.url + '/');
      await phone.page.getByRole('heading', { name: 'Dreamina 4.0 Edit', level: 1 }).waitFor();
      // Nothing wider than the screen.
      expect(await phone.page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await phone.shot('model-page');
      await phone.page.goto(server.url + '/#/library');
      await phone.page.locator('.library-item').first().waitFor();
      await phone.shot('library');
      expect(phone.problems).toEqual([]);
    } finally {
      await phone.context.close();
    }
  }, STEP);

  it('fetched nothing from outside the server, and broke no content-security rule', () => {
    expect(tab.outside).toEqual([]);
    expect(tab.problems).toEqual([]);
  });
});

/**
 * Refused inputs in the playground, each shown by the field it concerns: the seed's image rules
 * checked in the browser before any upload, the prompt that cannot grow past its counter, the
 * server's 422 `detail` mapped to the field (and to the very image) it names, a request the worker
 * fails, and a key the server refuses.
 */
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { startPhotoServer, type PhotoServer } from '../helpers/photo-server.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { closeBrowser, assertPlaygroundBuilt, launchBrowser, openTab, type Tab } from './browser.js';

const ASPECT = 'The input image aspect ratio must be within [1/3, 3].';
const FORMATS = 'Only JPEG and PNG formats are supported.';

let server: TestServer;
let photos: PhotoServer;
let browser: Browser;
let tab: Tab;
let wide: Buffer;

beforeAll(async () => {
  assertPlaygroundBuilt();
  [server, photos, browser, wide] = await Promise.all([
    startServer(),
    startPhotoServer(),
    launchBrowser(),
    sharp({ create: { width: 3900, height: 1000, channels: 3, background: '#6a8caf' } }).jpeg().toBuffer(),
  ]);
  photos.set('wide.jpg', wide);
  tab = await openTab(browser, server.url, 'errors', { key: server.key });
});

afterAll(async () => {
  await closeBrowser(browser);
  await Promise.all([server?.close(), photos?.close()]);
});

const STEP = 30_000;
const images = () => tab.page.locator('#field-image_urls');
const run = () => tab.page.getByRole('button', { name: 'Run', exact: true }).click();

describe('refused inputs, each by its field', () => {
  it('asks the server with no image, and puts its 422 on the images field', async () => {
    const { page } = tab;
    await page.goto(server.url + '/');
    await page.getByRole('heading', { name: 'Dreamina 4.0 Edit', level: 1 }).waitFor();
    await page.getByLabel('Prompt').fill('make it brighter');
    await run();
    const error = images().locator('#error-image_urls');
    await error.waitFor();
    // The server's words, without the field's name it is shown under.
    expect(await error.innerText()).toBe('Supports 1–10 images (got 0)');
    await tab.shot('no-image-422');
  }, STEP);

  it('refuses a too-wide image and a text file in the browser, with the seed messages, before uploading', async () => {
    const { page } = tab;
    const uploads = () => tab.requests.filter((u) => u.endsWith('/v1/files')).length;
    await page.locator('input[type=file]').setInputFiles([
      { name: 'panorama.jpg', mimeType: 'image/jpeg', buffer: wide },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') },
    ]);
    const panorama = images().locator('.thumb', { hasText: 'panorama.jpg' });
    const notes = images().locator('.thumb', { hasText: 'notes.txt' });
    await panorama.and(page.locator('.refused')).waitFor();
    await notes.and(page.locator('.refused')).waitFor();
    expect(await panorama.getByRole('alert').innerText()).toBe(`${ASPECT} (found 3900x1000)`);
    expect(await notes.getByRole('alert').innerText()).toBe(FORMATS);
    expect(uploads()).toBe(0);
    // The server's no-image error went with the first change to the field.
    expect(await images().locator('#error-image_urls').count()).toBe(0);
    await tab.shot('refused-in-browser');

    await panorama.getByRole('button', { name: /^Remove/ }).click();
    await notes.getByRole('button', { name: /^Remove/ }).click();
    expect(await images().locator('.thumb').count()).toBe(0);
  }, STEP);

  it('cannot take an 801st character in the prompt', async () => {
    const { page } = tab;
    const prompt = page.getByLabel('Prompt');
    await prompt.fill('');
    await prompt.focus();
    await page.keyboard.insertText('a'.repeat(801));
    expect((await prompt.inputValue()).length).toBe(800);
    await page.keyboard.type('b');
    expect((await prompt.inputValue()).length).toBe(800);
    expect(await page.locator('#count-prompt').innerText()).toBe('800 / 800');
    expect(await page.locator('#count-prompt').getAttribute('class')).toContain('at-limit');
    await tab.shot('prompt-at-limit');
    await prompt.fill('make it brighter');
  }, STEP);

  it("puts the server's 422 about one image URL on that image", async () => {
    const { page } = tab;
    // Dropped on the drop zone this time, as a file dragged from the desktop.
    const files = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(photo('coffee.png').toString('base64'))}), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'coffee.png', { type: 'image/png' }));
      return data;
    })()`);
    await images().locator('.dropzone').dispatchEvent('drop', { dataTransfer: files });
    await images().locator('.thumb.ready', { hasText: 'coffee.png' }).waitFor();
    await page.getByLabel('Image URL').fill('ftp://example.com/photo.jpg');
    await page.getByLabel('Image URL').press('Enter');
    const ftp = images().locator('.thumb', { hasText: 'photo.jpg' });
    await ftp.waitFor();
    await run();
    const alert = ftp.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('Must be an http(s) URL or a data: URI (got a ftp: URL)');
    // The first image is fine, and says nothing.
    expect(await images().locator('.thumb', { hasText: 'coffee.png' }).getByRole('alert').count()).toBe(0);
    await tab.shot('url-refused-by-server');
    await ftp.getByRole('button', { name: /^Remove/ }).click();
  }, STEP);

  it('shows why a request failed, in the output and on the image it names', async () => {
    const { page } = tab;
    await page.getByLabel('Image URL').fill(`${photos.url}/wide.jpg`);
    await page.getByRole('button', { name: 'Add URL' }).click();
    // Reorder with the buttons (the keyboard's way) and by dragging: the URL goes first, so the failure names image_urls[0].
    const order = () => images().locator('.thumb-name').allInnerTexts();
    await images().getByRole('button', { name: 'Move image 2 earlier' }).click();
    expect(await order()).toEqual(['wide.jpg', 'coffee.png']);
    await images().getByRole('button', { name: 'Move image 1 later' }).click();
    expect(await order()).toEqual(['coffee.png', 'wide.jpg']);
    await images().locator('.thumb', { hasText: 'wide.jpg' }).dragTo(images().locator('.thumb', { hasText: 'coffee.png' }));
    expect(await order()).toEqual(['wide.jpg', 'coffee.png']);
    await run();
    const failed = page.locator('.output-card .banner.error');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.innerText()).toContain(`image_urls[0]: ${ASPECT} (found 3900x1000)`);
    expect(await failed.innerText()).toContain('(aspect_ratio)');
    expect(await page.locator('.status-line .badge').innerText()).toBe('Failed');
    expect(await images().locator('.thumb').first().getByRole('alert').innerText()).toBe(`${ASPECT} (found 3900x1000)`);
    await tab.shot('request-failed');
  }, STEP);

  it('asks again for a kept key the server no longer takes, and says so when a pasted key is refused', async () => {
    const other = await openTab(browser, server.url, 'errors-key', { key: 'rt_revoked-long-ago' });
    try {
      await other.page.goto(server.url + '/');
      await other.page.getByRole('heading', { name: 'Paste your API key' }).waitFor();
      expect(await other.page.getByRole('alert').innerText()).toContain('refused the key');
      await other.page.getByLabel('API key').fill('rt_not-a-key');
      await other.page.getByRole('button', { name: 'Continue' }).click();
      const error = other.page.locator('#api-key-error');
      await error.waitFor();
      expect(await error.innerText()).toContain('This key was refused');
      expect(await other.page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
      await other.shot('key-refused');
    } finally {
      await other.context.close();
    }
  }, STEP);

  it('threw nothing in the page, and asked nothing of another host', () => {
    expect(tab.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    // The only outside address is the image host the test set up; its thumbnail is refused by the CSP, not fetched.
    expect(tab.outside).toEqual([]);
  });
});

/**
 * Debian's Chromium, headless, driven by playwright-core, for the playground's tests. One browser
 * per test file. Every request the page makes is recorded, and anything that is not the server
 * under test (loopback only) is aborted and reported: the page must fetch nothing from outside.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT } from '../helpers/paths.js';

/** The flags DEVELOPERS.md documents; playwright adds --headless and a fresh --user-data-dir itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SCREENSHOTS = path.join(ROOT, 'test-results/playground');

export function assertPlaygroundBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dist/web/index.html'))) {
    throw new Error('The playground is not built (dist/web/index.html is missing): run `npm run build` first (npm test does).');
  }
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`No Chromium at ${executablePath}. \`npm test\` installs Debian's chromium when run as root; otherwise apt-get install chromium, or set CHROMIUM_PATH.`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** Closes the browser, but never waits more than 10 s for it (a loaded machine can stall its exit). */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Requests to anywhere but the server, aborted. */
  outside: string[];
  /** Uncaught exceptions and Content-Security-Policy violations. */
  problems: string[];
  /** Saves test-results/playground/<prefix>-<name>.png, full page. */
  shot: (name: string) => Promise<string>;
}

export async function openTab(
  browser: Browser,
  serverUrl: string,
  prefix: string,
  options: { viewport?: { width: number; height: number }; key?: string } = {},
): Promise<Tab> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 }, acceptDownloads: false });
  if (options.key) await context.addInitScript(`localStorage.setItem('retouch.apiKey', ${JSON.stringify(options.key)})`);
  const origin = new URL(serverUrl).origin;
  const requests: string[] = [];
  const outside: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // A fresh set each run: no picture left over from an older numbering.
  for (const f of fs.readdirSync(SCREENSHOTS)) if (f.startsWith(`${prefix}-`)) fs.rmSync(path.join(SCREENSHOTS, f));
  let n = 0;
  const shot = async (name: string) => {
    const file = path.join(SCREENSHOTS, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`);
    // From the top: a full-page shot of a scrolled page draws the sticky header in the middle.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  return { context, page, requests, outside, problems, shot };
}

/** The key the page keeps in the browser's storage. (Page code goes as strings: this tsconfig has no DOM types.) */
export function storedKey(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`localStorage.getItem('retouch.apiKey')`);
}

/** An <img>'s decoded size. */
export function naturalSize(img: Locator): Promise<[number, number]> {
  return img.evaluate((el) => {
    const i = el as unknown as { naturalWidth: number; naturalHeight: number };
    return [i.naturalWidth, i.naturalHeight] as [number, number];
  });
}

/**
 * Text replacement through the API, end to end: a poster made by the test, a prompt that mixes a
 * text edit with a tone edit, the output read back with the engine's own OCR.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPhrases } from '../../src/engine/builtin/text/find.js';
import { makePoster } from '../text/posters.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('text edits through the API', () => {
  let server: TestServer;
  let poster: Buffer;
  beforeAll(async () => {
    server = await startServer();
    // 16:9, so that the 2560x1440 output is a plain enlargement of it.
    const p = await makePoster({ kind: 'gradient', from: [244, 238, 226], to: [214, 224, 236], angle: 0 }, 1280, 720, [
      { text: 'BIG', x: 300, y: 330, size: 150, colour: [176, 30, 40] },
      { text: 'SALE', x: 660, y: 330, size: 150, colour: [176, 30, 40] },
      { text: 'Open on Monday', x: 640, y: 560, size: 60, weight: 400, colour: [30, 40, 60], align: 'center' },
    ]);
    poster = await sharp(p.image.data, { raw: { width: p.image.width, height: p.image.height, channels: p.image.channels } }).png().toBuffer();
  });
  afterAll(async () => server.close());

  async function read(url: string, phrases: string[]) {
    const { data, info } = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    const search = await findPhrases({ data, width: info.width, height: info.height, channels: info.channels as 3 }, phrases);
    return search.found.map((f) => f.length > 0);
  }

  it('replaces a word and warms the picture, and reports both with their spans', async () => {
    const prompt = 'replace "SALE" with "DEAL" and make it warmer';
    const body = { image_urls: [`data:image/png;base64,${poster.toString('base64')}`], prompt, 'width×height': '2560x1440(16:9)' };
    const { request_id } = await (await server.submit(body)).json();
    const result = await server.waitForResult(request_id, 120_000);
    expect(result.status).toBe('completed');
    expect(result.edits.map((e: { kind: string }) => e.kind)).toEqual(['replace_text', 'warmth']);
    const replace = result.edits[0];
    expect(prompt.slice(replace.span[0], replace.span[1])).toContain('SALE');
    expect(result.warnings).toEqual([]);
    const [deal, sale] = await read(result.output.image, ['DEAL', 'SALE']);
    expect(deal).toBe(true);
    expect(sale).toBe(false);
  }, 120_000);

  it('text that is not there: the request completes, with a warning naming it', async () => {
    const body = { image_urls: [`data:image/png;base64,${poster.toString('base64')}`], prompt: 'replace the word Tuesday with Friday', 'width×height': '2560x1440(16:9)' };
    const { request_id } = await (await server.submit(body)).json();
    const result = await server.waitForResult(request_id, 120_000);
    expect(result.status).toBe('completed');
    expect(result.warnings.join(' ')).toMatch(/Tuesday.*not found/i);
  }, 120_000);
});

/**
 * Text replaced on posters and signs through the API, end to end: a real server on 127.0.0.1, the poster
 * sent as a data URI with the prompt, the output fetched from its signed URL, and read back by
 * tesseract, an OCR the engine does not use (test/helpers/readback.ts). The new words must be read
 * where the old ones were, and the old ones nowhere in that line. Each poster is drawn at an output size
 * of the contract (or half of it), so the output maps onto the poster by one scale factor.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeText, stopReadback } from '../helpers/readback.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makePoster, type Background, type PosterText } from './posters.js';

interface ApiCase {
  name: string;
  background: Background;
  /** Poster size, and the contract's size it is sent for (an exact multiple of it). */
  width: number;
  height: number;
  size: '1024x1024(1:1)' | '2304x1728(4:3)' | '2560x1440(16:9)' | '2496x1664(3:2)';
  texts: PosterText[];
  prompt: string;
  expect: { text: number; now: string; old: string }[];
}

const CASES: ApiCase[] = [
  {
    name: 'bold red words on a light panel over a night photo',
    background: { kind: 'photo', name: 'coffee', night: true, panel: { x: 240, y: 250, width: 800, height: 240, colour: [238, 234, 226] } },
    width: 1280,
    height: 720,
    size: '2560x1440(16:9)',
    texts: [{ text: 'BIG SALE', x: 640, y: 415, size: 120, weight: 900, colour: [200, 24, 32], align: 'center' }],
    prompt: 'replace "SALE" with "DEAL"',
    expect: [{ text: 0, now: 'DEAL', old: 'SALE' }],
  },
  {
    name: 'white capitals straight on a busy photo',
    background: { kind: 'photo', name: 'astronaut' },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'WELCOME', x: 512, y: 900, size: 110, weight: 900, colour: [255, 255, 255], align: 'center' }],
    prompt: 'replace "WELCOME" with "GOODBYE"',
    expect: [{ text: 0, now: 'GOODBYE', old: 'WELCOME' }],
  },
  {
    name: 'yellow capitals turned 20° over grass',
    background: { kind: 'photo', name: 'grass' },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'HOT DEALS', x: 512, y: 540, size: 100, weight: 900, colour: [255, 214, 40], align: 'center', angle: 20 }],
    prompt: 'replace "DEALS" with "PRICES"',
    expect: [{ text: 0, now: 'PRICES', old: 'DEALS' }],
  },
  {
    name: 'white capitals turned 30° on a dark gradient',
    background: { kind: 'gradient', from: [40, 44, 52], to: [70, 80, 96], angle: 0 },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'OPEN LATE', x: 512, y: 540, size: 90, weight: 900, colour: [250, 250, 250], align: 'center', angle: 30 }],
    prompt: 'replace "LATE" with "DAILY"',
    expect: [{ text: 0, now: 'DAILY', old: 'LATE' }],
  },
  {
    name: 'black on a yellow sign over brick, turned −25°',
    background: { kind: 'photo', name: 'brick', panel: { x: 160, y: 300, width: 704, height: 420, colour: [246, 206, 40] } },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'NO PARKING', x: 512, y: 540, size: 74, weight: 900, colour: [20, 20, 20], align: 'center', angle: -25 }],
    prompt: 'replace "PARKING" with "ENTRY"',
    expect: [{ text: 0, now: 'ENTRY', old: 'PARKING' }],
  },
  {
    name: 'small 16 px regular print on a gradient',
    background: { kind: 'gradient', from: [252, 250, 244], to: [226, 232, 222], angle: 0 },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'Free delivery on every order', x: 512, y: 520, size: 16, weight: 400, colour: [40, 36, 34], align: 'center' }],
    prompt: 'replace "delivery" with "shipping"',
    expect: [{ text: 0, now: 'shipping', old: 'delivery' }],
  },
  {
    name: 'serif turned +15°, a word in the middle of a line',
    background: { kind: 'gradient', from: [236, 240, 246], to: [196, 210, 228], angle: 90 },
    width: 1248,
    height: 832,
    size: '2496x1664(3:2)',
    texts: [{ text: 'Grand Opening Today', x: 624, y: 430, size: 64, kind: 'serif', colour: [32, 52, 96], align: 'center', angle: 15 }],
    prompt: 'replace the word Opening with Closing',
    expect: [{ text: 0, now: 'Closing', old: 'Opening' }],
  },
  {
    name: 'condensed black capitals, light on dark',
    background: { kind: 'flat', colour: [20, 24, 30] },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'CLEARANCE', x: 512, y: 560, size: 140, kind: 'condensed', weight: 900, colour: [255, 90, 60], align: 'center' }],
    prompt: 'replace CLEARANCE with OUTLET',
    expect: [{ text: 0, now: 'OUTLET', old: 'CLEARANCE' }],
  },
  {
    name: 'two lines over a photo, both replaced',
    background: { kind: 'photo', name: 'clock_motion' },
    width: 1152,
    height: 864,
    size: '2304x1728(4:3)',
    texts: [
      { text: 'LAST CALL', x: 576, y: 140, size: 100, weight: 900, colour: [250, 250, 250], align: 'center' },
      { text: 'Time is up', x: 576, y: 790, size: 90, weight: 700, colour: [255, 236, 150], align: 'center' },
    ],
    prompt: 'replace "CALL" with "ORDERS" and "time is up" with "doors open"',
    expect: [
      { text: 0, now: 'ORDERS', old: 'CALL' },
      { text: 1, now: 'Doors open', old: 'Time' },
    ],
  },
  {
    name: 'cream capitals turned −15° on wood',
    background: { kind: 'photo', name: 'coffee' },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'FRESH COFFEE', x: 640, y: 860, size: 70, weight: 900, colour: [255, 246, 220], align: 'center', angle: -15 }],
    prompt: 'replace "COFFEE" with "COCOA"',
    expect: [{ text: 0, now: 'COCOA', old: 'COFFEE' }],
  },
  {
    name: 'green capitals on brick',
    background: { kind: 'photo', name: 'brick' },
    width: 1024,
    height: 1024,
    size: '1024x1024(1:1)',
    texts: [{ text: 'EXIT', x: 512, y: 560, size: 170, weight: 900, colour: [30, 190, 80], align: 'center' }],
    prompt: 'replace EXIT with OUT',
    expect: [{ text: 0, now: 'OUT', old: 'EXIT' }],
  },
];

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  await server?.close();
  await stopReadback();
});

describe('text replaced through the API, read back by another OCR', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const poster = await makePoster(c.background, c.width, c.height, c.texts);
      const png = await sharp(poster.image.data, { raw: { width: c.width, height: c.height, channels: 3 } }).png().toBuffer();
      const res = await server.submit({ image_urls: [`data:image/png;base64,${png.toString('base64')}`], prompt: c.prompt, 'width×height': c.size });
      expect(res.status).toBe(200);
      const result = await server.waitForResult((await res.json()).request_id, 120_000);
      expect(result.status, JSON.stringify(result.error)).toBe('completed');
      const output = await fetch(result.output.image as string);
      const { data, info } = await sharp(Buffer.from(await output.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      const k = info.width / c.width;
      expect(info.height / c.height).toBeCloseTo(k, 5);

      for (const e of c.expect) {
        const drawn = poster.texts[e.text]!;
        const b = drawn.box;
        const region = { cx: b.x + b.width / 2, cy: b.y + b.height / 2, width: b.width, height: b.height, angle: b.angle };
        const output = { data, width: info.width, height: info.height, channels: info.channels };
        const j = await judgeText(poster.image, output, region, k, drawn.colour, e.now, e.old);
        expect(j.readable, `the checker reads "${e.old}" on the input: ${JSON.stringify(j.before)}`).toBe(true);
        expect(j.present, `"${e.now}" is read: ${j.shown}`).toBe(true);
        expect(j.gone, `"${e.old}" is gone: ${j.shown}`).toBe(true);
      }
    }, 120_000);
  }
});

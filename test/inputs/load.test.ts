/**
 * How loadImages behaves as a whole: redirects followed within the cap, nothing but the fixed
 * headers sent, one resolution per hop (the checked address is the dialled one), the concurrency
 * bound, a refusal stopping the rest and the first in order named, the caller's abort, retouch's own storage, and the
 * switches of the policy.
 */
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImageInputError } from '../../src/inputs/errors.js';
import { USER_AGENT } from '../../src/inputs/fetch.js';
import { EARLIER_SOURCES_GRACE_MS, loadImages, type LookupAddress } from '../../src/inputs/load.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import { photo, pngHeader } from './images.js';
import { DialGuard, safeOptions, testLookup } from './net.js';
import { endless, startServer, type TestServer } from './server.js';

let server: TestServer;
let base: string;
const policy = defaultInputPolicy();
let inFlight = 0;
let maxInFlight = 0;
const closed: string[] = [];

beforeAll(async () => {
  server = await startServer();
  base = server.base;
  server.file('/photo/chelsea.png', photo('chelsea.png'), 'image/png');
  server.file('/photo/coffee.png', photo('coffee.png'), 'image/png');
  server.route('/redirect', (req, res) => {
    const [, , n, ...rest] = (req.url ?? '').split('/');
    const left = Number(n);
    res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}/${rest.join('/')}` : `/${rest.join('/')}` }).end();
  });
  server.route('/cookie-then-redirect', (_req, res) => {
    res.writeHead(302, { 'set-cookie': 'session=abc123; Path=/', location: '/photo/chelsea.png' }).end();
  });
  server.route('/slow', async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await sleep(150);
    inFlight--;
    res.writeHead(200, { 'content-type': 'image/png' }).end(photo('chelsea.png'));
  });
  server.route('/stream-forever', async (req, res, ctx) => {
    req.socket.once('close', () => closed.push(ctx.path));
    res.writeHead(200, { 'content-type': 'image/png' });
    await ctx.write(pngHeader(2000, 1000));
    // Slowly, so that it is still running when the other source is refused.
    while (await ctx.write(Buffer.alloc(1024))) await sleep(20);
  });
  server.route('/bad-after-delay', async (_req, res) => {
    await sleep(100);
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end('GIF89a not really');
  });
  server.route('/gzipped', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(gzipSync(photo('coffee.png')));
  });
  server.route('/endless', endless(pngHeader(2000, 1000), Buffer.alloc(64 * 1024)));
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.resetStats();
});

describe('redirects and headers', () => {
  it('follows up to 3 redirects, checking each hop', async () => {
    const opts = safeOptions();
    const [img] = await loadImages([`${base}/redirect/3/photo/chelsea.png`], policy, opts);
    expect(img).toMatchObject({ width: 451, height: 300 });
    expect(opts.lookupCalls).toEqual(['images.test', 'images.test', 'images.test', 'images.test']);
  });

  it('sends a fixed User-Agent, asks for identity encoding, and forwards no cookie or credentials', async () => {
    await loadImages([`${base}/cookie-then-redirect`], policy, safeOptions());
    expect(server.stats.headersSeen).toHaveLength(2);
    for (const h of server.stats.headersSeen) {
      expect(h['user-agent']).toBe(USER_AGENT);
      expect(h['user-agent']).toMatch(/^retouch\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/retouch\)$/);
      expect(h['accept-encoding']).toBe('identity');
      expect(h.cookie).toBeUndefined();
      expect(h.authorization).toBeUndefined();
    }
  });

  it('decodes a body compressed against its wishes, under the same cap', async () => {
    const [img] = await loadImages([`${base}/gzipped`], policy, safeOptions());
    expect(img).toMatchObject({ format: 'png', width: 600, height: 400 });
    expect(img!.data.equals(photo('coffee.png'))).toBe(true);
  });
});

describe('address pinning', () => {
  it('resolves once per hop and dials exactly the address it checked (no rebinding window)', async () => {
    // A rebinding resolver: public (the test server) on the first answer, private afterwards.
    let n = 0;
    const calls: string[] = [];
    const lookup = async (host: string): Promise<LookupAddress[]> => {
      calls.push(host);
      return n++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
    };
    const guard = new DialGuard();
    const [img] = await loadImages([`${base}/photo/chelsea.png`], policy, {
      ...safeOptions(),
      lookup,
      beforeConnect: guard.beforeConnect,
    });
    expect(img).toBeDefined();
    expect(calls).toEqual(['images.test']);
    expect(guard.dialled).toEqual(['127.0.0.1']);
  });

  it('falls back to the other family when the first address does not answer', async () => {
    // ::1 (nobody listens there on this port) first, then the test server; both exempted, both loopback.
    const opts = safeOptions({
      lookup: async () => [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ],
      addressRule: (a) => (a === '::1' || a === '127.0.0.1' ? null : { range: 'test', metadata: false }),
    });
    const [img] = await loadImages([`${base}/photo/chelsea.png`], policy, opts);
    expect(img!.width).toBe(451);
    expect(opts.guard.dialled).toEqual(['::1', '127.0.0.1']);
  });

  it('with the real address rule, the same server by name is refused and never dialled', async () => {
    const opts = safeOptions({ addressRule: undefined });
    const err = await loadImages([`${base}/photo/chelsea.png`], policy, opts).catch((e: unknown) => e);
    expect((err as ImageInputError).reason).toBe('private_address');
    expect(opts.guard.dialled).toEqual([]);
  });

  it('allowPrivateUrls lets a developer fetch from loopback, by literal or by name', async () => {
    const open = { ...policy, allowPrivateUrls: true };
    const opts = safeOptions({ addressRule: undefined });
    const images = await loadImages([`http://127.0.0.1:${server.port}/photo/chelsea.png`, `${base}/photo/coffee.png`], open, opts);
    expect(images.map((i) => i.width)).toEqual([451, 600]);
    expect(opts.guard.dialled).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('allowedHosts admits matching hosts only', async () => {
    const p = { ...policy, allowedHosts: ['*.images.test'] };
    const { lookup } = testLookup();
    const ok = await loadImages([`http://other.images.test:${server.port}/photo/chelsea.png`], p, safeOptions({ lookup }));
    expect(ok).toHaveLength(1);
    const err = await loadImages([`${base}/photo/chelsea.png`], p, safeOptions()).catch((e: unknown) => e);
    expect((err as ImageInputError).reason).toBe('host_not_allowed');
  });
});

describe('concurrency and failure', () => {
  it('keeps at most `concurrency` downloads in flight and returns results in input order', async () => {
    maxInFlight = 0;
    const urls = Array.from({ length: 10 }, (_, i) => `${base}/slow?i=${i}`);
    const images = await loadImages(urls, { ...policy, concurrency: 3 }, safeOptions());
    expect(images.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxInFlight).toBe(3);
  });

  it('a refusal stops the rest: later downloads are cut at once, earlier ones get a short grace, then are cut too', async () => {
    closed.length = 0;
    const started = performance.now();
    const err = await loadImages([`${base}/stream-forever`, `${base}/stream-forever`, `${base}/bad-after-delay`, `${base}/photo/chelsea.png`], policy, safeOptions()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).index).toBe(2);
    expect((err as ImageInputError).reason).toBe('unsupported_format');
    expect(performance.now() - started).toBeLessThan(EARLIER_SOURCES_GRACE_MS + 2000);
    // Both endless downloads were cut by the client.
    for (let i = 0; i < 50 && closed.length < 2; i++) await sleep(20);
    expect(closed).toEqual(['/stream-forever', '/stream-forever']);
  });

  it('when several sources are refused, the error names the first in the client\'s order, not the fastest', async () => {
    const err = await loadImages([`${base}/bad-after-delay`, `${base}/no-such-file.png`], policy, safeOptions()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).index).toBe(0);
    expect((err as ImageInputError).reason).toBe('unsupported_format');
  });

  it("stops everything when the caller's signal aborts, rejecting with its reason", async () => {
    const controller = new AbortController();
    const reason = new Error('lease lost');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    const err = await loadImages([`${base}/stream-forever`], policy, safeOptions({ signal: controller.signal })).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects at once when the signal is already aborted, and resolves [] for no URLs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(loadImages([`${base}/photo/chelsea.png`], policy, { signal: controller.signal })).rejects.toThrow('gone');
    await expect(loadImages([], policy)).resolves.toEqual([]);
  });

  it('ten good images in one request all arrive', async () => {
    const urls = Array.from({ length: 10 }, (_, i) => `${base}/photo/${i % 2 ? 'coffee' : 'chelsea'}.png?n=${i}`);
    const images = await loadImages(urls, policy, safeOptions());
    expect(images.map((i) => i.width)).toEqual([451, 600, 451, 600, 451, 600, 451, 600, 451, 600]);
  });
});

describe("retouch's own storage (localSource)", () => {
  const uploads = new Map<string, Buffer>([
    ['retouch://uploads/cat', photo('chelsea.png')],
    ['retouch://uploads/broken', photo('truncated.jpg')],
  ]);
  const localSource = (url: string) => {
    if (!url.startsWith('retouch://uploads/')) return undefined;
    const data = uploads.get(url);
    return data ? Promise.resolve(data) : Promise.reject(new Error('ENOENT: /var/lib/retouch/secret/path'));
  };

  it('reads its own URLs without HTTP and without the address rule, checks them like any file', async () => {
    const opts = safeOptions({ localSource });
    const images = await loadImages(['retouch://uploads/cat', `${base}/photo/coffee.png`], policy, opts);
    expect(images.map((i) => [i.index, i.width])).toEqual([
      [0, 451],
      [1, 600],
    ]);
    expect(opts.guard.dialled).toEqual(['127.0.0.1']);
  });

  it('refuses a bad stored file by its index', async () => {
    const err = await loadImages([`${base}/photo/coffee.png`, 'retouch://uploads/broken'], policy, safeOptions({ localSource })).catch((e: unknown) => e);
    expect((err as ImageInputError).reason).toBe('corrupt');
    expect((err as ImageInputError).index).toBe(1);
  });

  it('turns a failed read into a refusal without leaking the internal error', async () => {
    const err = await loadImages(['retouch://uploads/gone'], policy, safeOptions({ localSource })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).reason).toBe('unreachable');
    expect((err as ImageInputError).message).toBe('image_urls[0]: The uploaded file could not be read.');
  });
});

describe('the test harness itself', () => {
  it('the guard refuses to dial anything but loopback, and the error is not disguised as a refusal', async () => {
    // A resolver bug simulated: the rule is switched off and a name points outside loopback.
    const guard = new DialGuard();
    const err = await loadImages(['http://private.test/x.png'], policy, {
      ...safeOptions(),
      addressRule: () => null,
      beforeConnect: guard.beforeConnect,
    }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ImageInputError);
    expect(String(err)).toContain('TEST GUARD: refused to dial non-loopback 10.0.0.5');
    expect(guard.dialled).toEqual([]);
  });
});

/**
 * The malicious corpus of issue 3: each case a source (or a request of several) that must be
 * refused, with the reason, the index and the words the refusal must carry. corpus.test.ts runs
 * each as its own test; memory.test.ts runs them all twice and reports the peak RSS.
 *
 * Every load goes through `safeOptions` (net.ts): names resolve only to what TEST_NAMES says, and
 * a guard throws if anything but loopback is ever dialled. Literal-address cases also assert that
 * nothing was dialled at all: the refusal came before any connection.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { forbiddenRange } from '../../src/inputs/address.js';
import { ImageInputError, type ImageInputReason } from '../../src/inputs/errors.js';
import { loadImages, type LoadOptions } from '../../src/inputs/load.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import type { InputPolicy } from '../../src/inputs/types.js';
import { gzipBombParts, jpegHeader, photo, pngHeader, solid } from './images.js';
import { safeOptions, type DialGuard } from './net.js';
import { endless, raw, startServer, trickle, type TestServer } from './server.js';

export interface Env {
  server: TestServer;
  /** http://images.test:<port>: the "public" test server. */
  base: string;
  port: number;
  /** A port on 127.0.0.1 where nothing listens. */
  closedPort: number;
  gif: Buffer;
  webp: Buffer;
  jpeg: Buffer;
}

export interface CorpusCase {
  name: string;
  urls(env: Env): string[];
  policy?: Partial<InputPolicy>;
  options?(env: Env): Partial<LoadOptions>;
  reason: ImageInputReason;
  /** The index the refusal must name, or a test of it (when several sources race). */
  index: number | ((i: number) => boolean);
  /** Each must appear in the message. */
  words: string[];
  /** None may appear in the message (secrets, payloads). */
  never?: string[];
  /** The refusal must come before any connection was made. */
  noDial?: boolean;
  maxMs?: number;
  check?(env: Env, ctx: { guard: DialGuard; lookupCalls: string[]; ms: number }): void;
}

const PRIVATE = 'The image URL must point to a public internet address.';
const FORMAT = 'Only JPEG and PNG formats are supported.';
const SIZE = 'Each image file must be ≤ 15 MB.';
const RESOLUTION = 'Maximum resolution is 4096x4096.';
const ASPECT = 'The input image aspect ratio must be within [1/3, 3].';
const MB = 1024 * 1024;

/** A literal address that must be refused before any connection. */
function literal(name: string, host: string, range: string, path = '/'): CorpusCase {
  return {
    name,
    urls: (e) => [`http://${host}:${e.port}${path}`],
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, range],
    noDial: true,
    maxMs: 1000,
  };
}

/** A name that the test lookup points at a forbidden address. */
function named(name: string, host: string, range: string, options?: CorpusCase['options']): CorpusCase {
  return {
    name,
    urls: (e) => [`http://${host}:${e.port}/photo/chelsea.png`],
    options,
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, host, range],
    never: ['10.0.0.5', '169.254.169.254', 'fd12:3456::1'],
    noDial: true,
    maxMs: 1000,
  };
}

function scheme(name: string, url: string, found: string): CorpusCase {
  return {
    name,
    urls: () => [url],
    reason: 'bad_scheme',
    index: 0,
    words: ['Only http and https image URLs are supported.', `(found ${found})`],
    noDial: true,
  };
}

function served(name: string, path: string, reason: ImageInputReason, words: string[], maxMs = 3000): CorpusCase {
  return { name, urls: (e) => [`${e.base}${path}`], reason, index: 0, words, maxMs };
}

export const corpus: CorpusCase[] = [
  // --- Every refused address family and spelling, as a literal in the URL. ---
  literal('IPv4 loopback 127.0.0.1', '127.0.0.1', 'loopback'),
  literal('IPv4 loopback, decimal spelling 2130706433', '2130706433', '127.0.0.1, a loopback'),
  literal('IPv4 loopback, octal spelling 0177.0.0.1', '0177.0.0.1', '127.0.0.1, a loopback'),
  literal('IPv4 loopback, hexadecimal short spelling 0x7f.1', '0x7f.1', '127.0.0.1, a loopback'),
  literal('IPv4 loopback, short spelling 127.1', '127.1', '127.0.0.1, a loopback'),
  literal('IPv4 unspecified 0 (dials the local host on Linux)', '0', '0.0.0.0, an unspecified address'),
  literal('IPv4 private 10.0.0.1', '10.0.0.1', 'private'),
  literal('IPv4 private 172.16.5.4', '172.16.5.4', 'private'),
  literal('IPv4 private 192.168.1.1', '192.168.1.1', 'private'),
  literal('IPv4 carrier-grade NAT 100.64.0.1', '100.64.0.1', 'carrier-grade NAT'),
  literal('IPv4 link-local 169.254.1.1', '169.254.1.1', 'link-local'),
  literal('AWS/GCP/Azure metadata 169.254.169.254', '169.254.169.254', 'cloud metadata', '/latest/meta-data/'),
  literal('Alibaba metadata 100.100.100.200', '100.100.100.200', 'cloud metadata'),
  literal('Oracle metadata 192.0.0.192', '192.0.0.192', 'cloud metadata'),
  literal('Azure WireServer 168.63.129.16', '168.63.129.16', 'cloud metadata'),
  literal('IPv4 multicast 224.0.0.1', '224.0.0.1', 'multicast'),
  literal('IPv4 broadcast 255.255.255.255', '255.255.255.255', 'broadcast'),
  literal('IPv4 reserved 240.0.0.1', '240.0.0.1', 'reserved'),
  literal('IPv4 benchmarking 198.18.0.1', '198.18.0.1', 'benchmarking'),
  literal('IPv4 documentation 192.0.2.1', '192.0.2.1', 'documentation'),
  literal('IPv6 loopback [::1]', '[::1]', 'loopback'),
  literal('IPv6 unspecified [::]', '[::]', 'unspecified'),
  literal('IPv4-mapped loopback [::ffff:127.0.0.1]', '[::ffff:127.0.0.1]', 'IPv4-mapped loopback'),
  literal('IPv4-mapped metadata [::ffff:169.254.169.254]', '[::ffff:169.254.169.254]', 'cloud metadata'),
  literal('IPv4-mapped private [::ffff:a00:1]', '[::ffff:a00:1]', 'IPv4-mapped private'),
  literal('IPv4-compatible [::127.0.0.1]', '[::127.0.0.1]', 'IPv4-compatible'),
  literal('NAT64 of metadata [64:ff9b::a9fe:a9fe]', '[64:ff9b::a9fe:a9fe]', 'cloud metadata'),
  literal('NAT64 of private [64:ff9b::10.0.0.1]', '[64:ff9b::10.0.0.1]', 'NAT64 private'),
  literal('6to4 of loopback [2002:7f00:1::1]', '[2002:7f00:1::1]', '6to4 loopback'),
  literal('Teredo of loopback [2001:0:4136:e378:8000:63bf:80ff:fffe]', '[2001:0:4136:e378:8000:63bf:80ff:fffe]', 'Teredo loopback'),
  literal('IPv6 unique-local [fd00::1]', '[fd00::1]', 'unique-local'),
  literal('AWS metadata over IPv6 [fd00:ec2::254]', '[fd00:ec2::254]', 'cloud metadata'),
  literal('IPv6 link-local [fe80::1]', '[fe80::1]', 'link-local'),
  literal('IPv6 site-local [fec0::1]', '[fec0::1]', 'site-local'),
  literal('IPv6 multicast [ff02::1]', '[ff02::1]', 'multicast'),
  literal('IPv6 documentation [2001:db8::1]', '[2001:db8::1]', 'documentation'),
  {
    name: 'GCP metadata by name, metadata.google.internal (refused before resolving)',
    urls: () => ['http://metadata.google.internal/computeMetadata/v1/'],
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, 'metadata.google.internal, a cloud metadata service'],
    noDial: true,
    check: (_e, { lookupCalls }) => expect(lookupCalls).toEqual([]),
  },

  // --- Names that resolve to forbidden addresses. ---
  named('a host name resolving to 127.0.0.1', 'localhost-alias.test', 'loopback', () => ({ addressRule: forbiddenRange })),
  named('a host name resolving to 127.0.0.2', 'loopback2.test', 'loopback'),
  named('a host name resolving to the metadata address', 'metadata-alias.test', 'cloud metadata'),
  {
    ...named('a host name resolving to the metadata address, with private URLs allowed', 'metadata-alias.test', 'cloud metadata'),
    policy: { allowPrivateUrls: true },
  },
  named('a host name resolving to 10.0.0.5', 'private.test', 'private'),
  named('a host name resolving to a unique-local IPv6 address', 'ula.test', 'unique-local'),
  named('a host name resolving to IPv4-mapped 192.168.1.1', 'mapped.test', 'IPv4-mapped private'),
  named('a host name resolving to one public and one private address', 'mixed.test', 'private'),

  // --- Redirects. ---
  {
    name: 'redirect to a private address',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent('http://10.0.0.1/x.jpg')}`],
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, '10.0.0.1, a private address after redirect 1'],
    check: (_e, { guard }) => expect(guard.dialled).toEqual(['127.0.0.1']),
  },
  {
    name: 'redirect to a name resolving to the metadata address',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent('http://metadata-alias.test/latest/meta-data/')}`],
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, 'metadata-alias.test, which resolves to a cloud metadata address after redirect 1'],
    check: (_e, { guard }) => expect(guard.dialled).toEqual(['127.0.0.1']),
  },
  {
    name: 'redirect to loopback on another port of the same machine',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent(`http://loopback2.test:${e.port}/photo/chelsea.png`)}`],
    reason: 'private_address',
    index: 0,
    words: [PRIVATE, 'loopback2.test, which resolves to a loopback address after redirect 1'],
    check: (_e, { guard }) => expect(guard.dialled).toEqual(['127.0.0.1']),
  },
  {
    name: 'redirect loop',
    urls: (e) => [`${e.base}/loop`],
    reason: 'too_many_redirects',
    index: 0,
    words: ['An image URL may redirect at most 3 times.', 'a redirect loop back to http://images.test'],
  },
  {
    name: 'more than 3 redirects',
    urls: (e) => [`${e.base}/redirect/4/photo/chelsea.png`],
    reason: 'too_many_redirects',
    index: 0,
    words: ['An image URL may redirect at most 3 times.', 'a redirect number 4'],
    check: (e) => expect(e.server.stats.requests.get('/photo/chelsea.png') ?? 0).toBe(0),
  },
  {
    name: 'redirect to file:///etc/passwd',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent('file:///etc/passwd')}`],
    reason: 'bad_scheme',
    index: 0,
    words: ['Only http and https image URLs are supported.', '(found file: after redirect 1)'],
  },
  {
    name: 'redirect to a URL with credentials',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent(`http://admin:hunter2@images.test:${e.port}/photo/chelsea.png`)}`],
    reason: 'credentials_in_url',
    index: 0,
    words: ['An image URL must not contain a user name or password.', 'after redirect 1'],
    never: ['hunter2', 'admin'],
  },
  {
    name: 'redirect to a host outside the allowed hosts',
    urls: (e) => [`${e.base}/redirect-to?u=${encodeURIComponent(`http://other.images.test:${e.port}/photo/chelsea.png`)}`],
    policy: { allowedHosts: ['images.test'] },
    reason: 'host_not_allowed',
    index: 0,
    words: ["The image host is not on this server's list of allowed hosts.", 'other.images.test after redirect 1'],
    check: (_e, { guard }) => expect(guard.dialled).toEqual(['127.0.0.1']),
  },

  // --- Schemes, credentials, URL shape, allow-list. ---
  scheme('file: URL', 'file:///etc/passwd', 'file:'),
  scheme('ftp: URL', 'ftp://images.test/photo.jpg', 'ftp:'),
  scheme('gopher: URL', 'gopher://127.0.0.1:6379/_FLUSHALL', 'gopher:'),
  scheme('javascript: URL', 'javascript:alert(document.cookie)', 'javascript:'),
  {
    name: 'credentials in the URL (user:password)',
    urls: (e) => [`http://alice:s3cr3t@images.test:${e.port}/photo/chelsea.png`],
    reason: 'credentials_in_url',
    index: 0,
    words: ['An image URL must not contain a user name or password.'],
    never: ['s3cr3t', 'alice'],
    noDial: true,
  },
  {
    name: 'credentials in the URL (a token as user name)',
    urls: (e) => [`${e.base}/photo/chelsea.png`, `http://ghp_tokentoken@images.test:${e.port}/photo/chelsea.png`],
    reason: 'credentials_in_url',
    index: 1,
    words: ['image_urls[1]:', 'must not contain a user name or password'],
    never: ['ghp_tokentoken'],
  },
  {
    name: 'a 5,000-character URL',
    urls: (e) => {
      const head = `${e.base}/photo/chelsea.png?pad=`;
      return [head + 'a'.repeat(5000 - head.length)];
    },
    reason: 'url_too_long',
    index: 0,
    words: ['An image URL must be at most 4096 characters long.', '(found 5000 characters)'],
    never: ['aaaaaaaaaa'],
    noDial: true,
  },
  {
    name: 'not a URL at all',
    urls: () => ['not a url, just words'],
    reason: 'bad_url',
    index: 0,
    words: ['Each image must be an http(s) URL or a data URI.'],
    never: ['just words'],
    noDial: true,
  },
  {
    name: 'a host outside the allowed hosts',
    urls: (e) => [`${e.base}/photo/chelsea.png`],
    policy: { allowedHosts: ['*.example.com', 'cdn.example.org'] },
    reason: 'host_not_allowed',
    index: 0,
    words: ["The image host is not on this server's list of allowed hosts.", '(found images.test)'],
    noDial: true,
  },

  // --- What the source answers. ---
  served('a 404 from the source', '/status/404', 'http_status', ['The image URL must answer with HTTP 200.', '(found HTTP 404)']),
  served('a 500 from the source', '/status/500', 'http_status', ['The image URL must answer with HTTP 200.', '(found HTTP 500)']),
  {
    name: 'connection refused',
    urls: (e) => [`http://images.test:${e.closedPort}/photo/chelsea.png`],
    reason: 'unreachable',
    index: 0,
    words: ['The image URL could not be reached.', '(found connection refused)'],
  },
  {
    name: 'a name that does not resolve',
    urls: () => ['http://no-such-host.test/a.jpg'],
    reason: 'unreachable',
    index: 0,
    words: ['The image URL could not be reached.', 'no address for no-such-host.test'],
    noDial: true,
  },

  // --- Time. ---
  {
    name: 'slow trickle, one byte every 100 ms, cut at the total deadline',
    urls: (e) => [`${e.base}/trickle`],
    policy: { totalTimeoutMs: 1000, firstByteTimeoutMs: 500 },
    reason: 'timeout',
    index: 0,
    words: ['The image download must finish within 1 s.', 'still downloading after 1 s'],
    maxMs: 2500,
  },
  {
    name: 'a server that accepts and never answers',
    urls: (e) => [`${e.base}/hang`],
    policy: { firstByteTimeoutMs: 300 },
    reason: 'timeout',
    index: 0,
    words: ['The image server must start answering within 0.3 s.'],
    maxMs: 2000,
  },
  {
    name: 'a name whose resolution never ends',
    urls: () => ['http://images.test/photo/chelsea.png'],
    policy: { connectTimeoutMs: 300 },
    options: () => ({ lookup: () => new Promise(() => {}) }),
    reason: 'timeout',
    index: 0,
    words: ['The image server must accept the connection within 0.3 s.'],
    noDial: true,
    maxMs: 2000,
  },

  // --- Size. ---
  {
    name: 'endless body without Content-Length',
    urls: (e) => [`${e.base}/endless`],
    reason: 'too_large',
    index: 0,
    words: [SIZE, '(found more than 15 MB)'],
    maxMs: 5000,
  },
  {
    name: 'Content-Length over 15 MB, refused before the body',
    urls: (e) => [`${e.base}/declared-16mb`],
    reason: 'too_large',
    index: 0,
    words: [SIZE, '(found 16 MB)'],
    maxMs: 2000,
  },
  {
    name: 'lying Content-Length (says 1000 bytes, sends without end)',
    urls: (e) => [`${e.base}/liar-short`],
    reason: 'corrupt',
    index: 0,
    words: ['The image file must be a complete, readable JPEG or PNG.'],
    maxMs: 3000,
  },
  {
    name: 'lying Content-Length (says 10 MB, sends 20 KB and closes)',
    urls: (e) => [`${e.base}/liar-long`],
    reason: 'unreachable',
    index: 0,
    words: ['The image URL could not be reached.'],
    maxMs: 3000,
  },
  {
    name: 'gzip bomb (Content-Encoding: gzip, 1 MB on the wire inflating to 1 GB)',
    urls: (e) => [`${e.base}/gzip-bomb`],
    reason: 'too_large',
    index: 0,
    words: [SIZE, '(found more than 15 MB)'],
    maxMs: 5000,
  },
  {
    name: 'Content-Encoding: gzip over bytes that are not gzip',
    urls: (e) => [`${e.base}/fake-gzip`],
    reason: 'corrupt',
    index: 0,
    words: ['(found a body that is not valid gzip)'],
  },
  {
    name: 'an encoding that cannot be capped (Content-Encoding: zstd)',
    urls: (e) => [`${e.base}/zstd`],
    reason: 'unsupported_encoding',
    index: 0,
    words: ['Content-Encoding: zstd'],
  },
  {
    name: 'ten 16 MB images in one request (refused quickly, not buffered)',
    urls: (e) => Array.from({ length: 10 }, (_, i) => `${e.base}/big/${i}`),
    reason: 'too_large',
    index: (i) => i >= 0 && i < 4,
    words: [SIZE, '(found more than 15 MB)'],
    maxMs: 8000,
    check: (e) => {
      // Only the first `concurrency` downloads ever started; the rest never did.
      const started = [...e.server.stats.requests.keys()].filter((p) => p.startsWith('/big/')).length;
      expect(started).toBeLessThanOrEqual(4);
    },
  },

  // --- The file. ---
  {
    name: 'bomb PNG declaring 30000x30000, refused on its header',
    urls: (e) => [`${e.base}/bomb.png`],
    reason: 'resolution',
    index: 0,
    words: [RESOLUTION, '(found 30000x30000)'],
    maxMs: 1000,
    check: (e) => expect(e.server.stats.bytesSent.get('/bomb.png') ?? 0).toBeLessThan(4 * MB),
  },
  {
    name: 'JPEG header declaring 65000x65000',
    urls: (e) => [`${e.base}/huge.jpg`],
    reason: 'resolution',
    index: 0,
    words: [RESOLUTION, '(found 65000x65000)'],
    maxMs: 1000,
  },
  {
    name: 'aspect ratio out of bounds, third image of three',
    urls: (e) => [`${e.base}/photo/chelsea.png`, `${e.base}/photo/coffee.png`, `${e.base}/wide.png`],
    reason: 'aspect_ratio',
    index: 2,
    words: [`image_urls[2]: ${ASPECT} (found 3900x1000)`],
  },
  served('truncated JPEG (the fixture truncated.jpg)', '/photo/truncated.jpg', 'corrupt', [
    'The image file must be a complete, readable JPEG or PNG.',
    'ends inside its header',
  ]),
  // libvips says "premature end of JPEG image"; under parallel decodes its text may be lost, not the error.
  served('JPEG cut in half after its header', '/half.jpg', 'corrupt', ['The image file must be a complete, readable JPEG or PNG. (found ']),
  served('PNG whose first chunk is not IHDR', '/bad-ihdr.png', 'corrupt', ['not a valid IHDR']),
  served('GIF served as image/jpeg', '/fake/gif.jpg', 'unsupported_format', [FORMAT, '(found GIF)']),
  served('WebP served as image/jpeg', '/fake/webp.jpg', 'unsupported_format', [FORMAT, '(found WebP)']),
  served('SVG served as image/jpeg', '/fake/svg.jpg', 'unsupported_format', [FORMAT, '(found SVG)']),
  served('HTML served as image/jpeg', '/fake/html.jpg', 'unsupported_format', [FORMAT, '(found HTML)']),
  served('an empty file', '/empty.jpg', 'empty', [FORMAT, '(found an empty file)']),

  // --- data: URIs. ---
  {
    name: 'data: URI holding a GIF, declared image/png',
    urls: (e) => [`data:image/png;base64,${e.gif.toString('base64')}`],
    reason: 'unsupported_format',
    index: 0,
    words: [FORMAT, '(found GIF)'],
    never: ['R0lGOD'],
  },
  {
    name: 'data: URI over 15 MB, refused before decoding',
    urls: () => [`data:image/jpeg;base64,${'A'.repeat(21 * MB)}`],
    reason: 'too_large',
    index: 0,
    words: [SIZE, '(found 15.8 MB)'],
    never: ['AAAA'],
  },
  {
    name: 'data: URI that is not base64',
    urls: () => ['data:image/png,%89PNG%0D%0A'],
    reason: 'bad_data_uri',
    index: 0,
    words: ['A data URI must be base64-encoded', 'without ;base64'],
    never: ['%89PNG'],
  },
  {
    name: 'data: URI with garbage in its base64',
    urls: () => ['data:image/png;base64,iVBORw0KGgo<script>alert(1)</script>'],
    reason: 'bad_data_uri',
    index: 0,
    words: ['characters that are not base64'],
    never: ['script'],
  },
];

/** Starts the server and registers every route the corpus (and the positive tests) need. */
export async function setupCorpus(): Promise<Env> {
  const server = await startServer();
  const gif = await solidAs('gif');
  const webp = await solidAs('webp');
  const jpeg = await solid(600, 400, 'jpeg');

  for (const name of ['astronaut.png', 'brick.png', 'chelsea.png', 'clock_motion.png', 'coffee.png', 'grass.png', 'horse.png']) {
    server.file(`/photo/${name}`, photo(name), 'image/png');
  }
  server.file('/photo/truncated.jpg', photo('truncated.jpg'));
  server.file('/half.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  server.file('/wide.png', await solid(3900, 1000, 'png'), 'image/png');
  const badIhdr = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('0000000d49444154', 'hex'), Buffer.alloc(40)]);
  server.file('/bad-ihdr.png', badIhdr, 'image/png');
  server.file('/fake/gif.jpg', gif);
  server.file('/fake/webp.jpg', webp);
  server.file('/fake/svg.jpg', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'));
  server.file('/fake/html.jpg', Buffer.from('<!DOCTYPE html><html><body>Not an image, a login page</body></html>'));
  server.file('/empty.jpg', Buffer.alloc(0));

  server.route('/status', (req, res) => {
    const code = Number((req.url ?? '').split('/')[2]);
    res.writeHead(code, { 'content-type': 'text/html' }).end(`<h1>${code}</h1>`);
  });
  server.route('/redirect-to', (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x').searchParams.get('u') ?? '/';
    res.writeHead(302, { location: u }).end();
  });
  server.route('/loop', (_req, res) => {
    res.writeHead(301, { location: '/loop' }).end();
  });
  // /redirect/<n>/<path>: n redirects, then <path>.
  server.route('/redirect', (req, res) => {
    const [, , n, ...rest] = (req.url ?? '').split('/');
    const left = Number(n);
    res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}/${rest.join('/')}` : `/${rest.join('/')}` }).end();
  });

  const zeros = Buffer.alloc(64 * 1024);
  server.route('/trickle', trickle(pngHeader(800, 600), 100));
  server.route('/hang', () => {
    /* accept and say nothing */
  });
  server.route('/endless', endless(jpegHeader(1000, 800), zeros));
  server.route('/declared-16mb', endless(pngHeader(2000, 1000), zeros, { 'content-length': 16 * MB }, 16 * MB));
  server.route('/liar-short', raw(Buffer.concat([httpHead('image/png', 1000), pngHeader(2000, 1000)]), zeros));
  server.route('/liar-long', raw(Buffer.concat([httpHead('image/jpeg', 10 * MB), jpeg.subarray(0, 20 * 1024)])));
  const bomb = gzipBombParts();
  server.route('/gzip-bomb', endless(bomb.head, bomb.zeros, { 'content-encoding': 'gzip' }, 1100 * bomb.zeros.length));
  server.route('/fake-gzip', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-encoding': 'gzip' }).end(jpeg);
  });
  server.route('/zstd', (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-encoding': 'zstd' }).end(jpeg);
  });
  server.route('/big', endless(pngHeader(2000, 1000), zeros, {}, 16 * MB));
  server.route('/bomb.png', endless(pngHeader(30000, 30000), zeros));
  server.route('/huge.jpg', endless(jpegHeader(65000, 65000), zeros));

  // A port where nothing listens: bind one, note it, close it.
  const probe = http.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const closedPort = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, 'close');

  return { server, base: server.base, port: server.port, closedPort, gif, webp, jpeg };
}

function httpHead(contentType: string, contentLength: number): Buffer {
  return Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\ncontent-length: ${contentLength}\r\n\r\n`);
}

async function solidAs(format: 'gif' | 'webp'): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const img = sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } });
  return format === 'gif' ? img.gif().toBuffer() : img.webp().toBuffer();
}

export interface CaseResult {
  error: ImageInputError;
  ms: number;
}

/** Runs one case and checks everything it promises. */
export async function runCase(c: CorpusCase, env: Env): Promise<CaseResult> {
  env.server.resetStats();
  const policy = { ...defaultInputPolicy(), ...c.policy };
  const opts = safeOptions(c.options?.(env));
  const started = performance.now();
  let caught: unknown;
  try {
    await loadImages(c.urls(env), policy, opts);
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - started;
  if (!(caught instanceof ImageInputError)) {
    const code = (caught as { code?: unknown } | undefined)?.code;
    throw new Error(`${c.name}: expected an ImageInputError, got ${caught === undefined ? 'success' : `${String(caught)} (code ${String(code)})`}`, {
      cause: caught,
    });
  }
  const error = caught;
  expect(error.reason).toBe(c.reason);
  if (typeof c.index === 'number') expect(error.index).toBe(c.index);
  else expect(c.index(error.index), `index ${error.index}`).toBe(true);
  expect(error.status).toBe(422);
  expect(error.errorCode).toBe(422001);
  expect(error.message.startsWith(`image_urls[${error.index}]: `)).toBe(true);
  expect(error.detail).toEqual([{ loc: ['body', 'image_urls', error.index], msg: expect.any(String) }]);
  for (const w of c.words) expect(error.message).toContain(w);
  for (const w of c.never ?? []) expect(error.message).not.toContain(w);
  expect(error.message.length).toBeLessThan(400);
  if (c.noDial) expect(opts.guard.dialled).toEqual([]);
  if (c.maxMs !== undefined) expect(ms).toBeLessThan(c.maxMs);
  c.check?.(env, { guard: opts.guard, lookupCalls: opts.lookupCalls, ms });
  return { error, ms };
}

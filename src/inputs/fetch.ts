/**
 * The guarded HTTP download of one source: every hop checked from the start (url.ts, then the
 * address in dial.ts), at most `maxRedirects` redirects, a fixed User-Agent and nothing else sent
 * (no cookies, no credentials), three time limits, and the size capped on the declared
 * Content-Length, then on the stream itself whatever the headers said (decoded bytes, and raw bytes
 * when a Content-Encoding is in the way).
 *
 * `inspect` sees everything received so far after each chunk and throws to stop the download:
 * that is how a bad header is refused before the rest of the file is fetched.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { errors as undiciErrors, type Client, type Dispatcher } from 'undici';
import { ByteSink } from './byte-sink.js';
import { pinnedClient, resolveTarget, type DialHooks } from './dial.js';
import { CORRUPT_RULE, HTTP_STATUS_RULE, ImageInputError, timeoutError, UNREACHABLE_RULE } from './errors.js';
import { formatMb, sizeError, sizeRule } from './rules.js';
import type { InputPolicy } from './types.js';
import { checkUrl, redactUrl } from './url.js';

export const USER_AGENT = `retouch/${packageVersion()} (+https://github.com/retouch)`;

const REQUEST_HEADERS = {
  'user-agent': USER_AGENT,
  accept: 'image/jpeg,image/png;q=0.9,*/*;q=0.1',
  // Asked for plainly; a server that compresses anyway is decoded below, under the same cap.
  'accept-encoding': 'identity',
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface DownloadOptions extends DialHooks {
  signal?: AbortSignal;
  inspect?: (received: Buffer) => void;
}

/** The total deadline's abort reason, told apart from the caller's own abort. */
const DEADLINE = Symbol('deadline');

export async function download(
  raw: string,
  index: number,
  policy: InputPolicy,
  opts: DownloadOptions,
): Promise<Buffer> {
  const outer = opts.signal;
  if (outer?.aborted) throw outer.reason;
  const controller = new AbortController();
  const signal = controller.signal;
  const timer = setTimeout(() => controller.abort(DEADLINE), policy.totalTimeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await follow(raw, index, policy, opts, signal);
  } catch (err) {
    if (signal.aborted) {
      if (signal.reason === DEADLINE) throw timeoutError(index, 'total', policy);
      throw signal.reason;
    }
    throw classify(err, index, policy);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

async function follow(
  raw: string,
  index: number,
  policy: InputPolicy,
  opts: DownloadOptions,
  signal: AbortSignal,
): Promise<Buffer> {
  const visited = new Set<string>();
  let current = raw;
  for (let hop = 0; ; hop++) {
    const target = checkUrl(current, index, policy, hop);
    visited.add(target.url.href);
    const addresses = await resolveTarget(target, index, policy, opts, signal, hop);
    const client = pinnedClient(target, addresses, policy, opts);
    try {
      const res = await client.request({
        method: 'GET',
        path: `${target.url.pathname}${target.url.search}`,
        headers: REQUEST_HEADERS,
        signal,
      });
      if (REDIRECTS.has(res.statusCode)) {
        discard(res.body);
        current = nextHop(res, target.url, visited, index, policy, hop);
        continue;
      }
      if (res.statusCode !== 200) {
        discard(res.body);
        throw new ImageInputError(index, 'http_status', HTTP_STATUS_RULE, `HTTP ${res.statusCode}`);
      }
      return await readBody(res, index, policy, opts.inspect);
    } finally {
      // One client per hop: closing it closes its socket, whatever state the body is in.
      await closeClient(client);
    }
  }
}

function nextHop(
  res: Dispatcher.ResponseData,
  from: URL,
  visited: Set<string>,
  index: number,
  policy: InputPolicy,
  hop: number,
): string {
  const location = headerValue(res.headers.location);
  if (!location) {
    throw new ImageInputError(index, 'http_status', HTTP_STATUS_RULE, `HTTP ${res.statusCode} without a Location`);
  }
  const rule = `An image URL may redirect at most ${policy.maxRedirects} times.`;
  let next: string;
  try {
    next = new URL(location, from).href;
  } catch {
    // checkUrl words it, as the target of this redirect.
    return location;
  }
  if (visited.has(new URL(next).href.replace(/#.*$/, ''))) {
    throw new ImageInputError(index, 'too_many_redirects', rule, `a redirect loop back to ${redactUrl(next)}`);
  }
  if (hop + 1 > policy.maxRedirects) {
    throw new ImageInputError(index, 'too_many_redirects', rule, `a redirect number ${hop + 1}, to ${redactUrl(next)}`);
  }
  return next;
}

async function readBody(
  res: Dispatcher.ResponseData,
  index: number,
  policy: InputPolicy,
  inspect: ((received: Buffer) => void) | undefined,
): Promise<Buffer> {
  const body = res.body as unknown as Readable;
  const declared = Number(headerValue(res.headers['content-length']) ?? NaN);
  const encoding = contentEncoding(res.headers['content-encoding'], index);
  // Refused before a byte of the body is read.
  if (Number.isFinite(declared) && declared > policy.maxBytes) {
    discard(body);
    throw sizeError(declared, index, policy);
  }
  // A decoder inflates without limit by itself: the cap below counts what comes out of it.
  const decoder = encoding ? makeDecoder(encoding) : undefined;
  const stream: Readable = decoder ? body.pipe(decoder) : body;
  if (decoder) {
    body.once('error', (err) => decoder.destroy(err));
    // Bytes that decode to nothing (empty deflate blocks, empty gzip members) would never reach
    // the cap on decoded bytes: the raw stream gets the same cap.
    let raw = 0;
    body.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > policy.maxBytes) decoder.destroy(tooLarge(index, policy));
    });
  }
  const initial = !decoder && Number.isFinite(declared) && declared > 0 ? Math.min(declared, 1024 * 1024) : undefined;
  const sink = new ByteSink(policy.maxBytes, initial);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!sink.push(chunk)) throw tooLarge(index, policy);
      inspect?.(sink.view());
    }
  } catch (err) {
    if (decoder && isZlibError(err)) {
      throw new ImageInputError(index, 'corrupt', CORRUPT_RULE, `a body that is not valid ${encoding}`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    discard(body);
    if (decoder) discard(decoder);
  }
  return sink.take();
}

function tooLarge(index: number, policy: InputPolicy): ImageInputError {
  return new ImageInputError(index, 'too_large', sizeRule(policy), `more than ${formatMb(policy.maxBytes)} MB`);
}

type Encoding = 'gzip' | 'deflate' | 'br';

function contentEncoding(header: string | string[] | undefined, index: number): Encoding | undefined {
  const codings = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return undefined;
  const only = codings.length === 1 ? codings[0] : undefined;
  if (only === 'gzip' || only === 'x-gzip') return 'gzip';
  if (only === 'deflate' || only === 'br') return only;
  throw new ImageInputError(
    index,
    'unsupported_encoding',
    'The image must be sent uncompressed, or with one gzip, deflate or br encoding.',
    `Content-Encoding: ${codings.join(', ').slice(0, 60)}`,
  );
}

function makeDecoder(encoding: Encoding): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress {
  if (encoding === 'gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  return zlib.createBrotliDecompress();
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // zlib's are Z_DATA_ERROR and the like; brotli's are ERR__ERROR_FORMAT_… and ERR_BROTLI_….
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR') || code.startsWith('ERR_BROTLI'));
}

/**
 * undici's and the network's errors, as refusals. Anything not recognised is rethrown as it is:
 * an internal error, not something to blame on the source (and a test hook's error stays visible).
 */
function classify(err: unknown, index: number, policy: InputPolicy): unknown {
  if (err instanceof ImageInputError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return timeoutError(index, 'connect', policy);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return timeoutError(index, 'first_byte', policy);
    case 'UND_ERR_BODY_TIMEOUT':
      return timeoutError(index, 'stall', policy);
  }
  const network: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'connection closed',
    EADDRNOTAVAIL: 'address not available',
    UND_ERR_SOCKET: 'connection closed by the server',
    UND_ERR_CLOSED: 'connection closed',
    UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'a body shorter or longer than its Content-Length',
  };
  const words =
    network[code] ??
    (/^HPE_/.test(code) ? 'an invalid HTTP response' : undefined) ??
    tlsWords(code) ??
    (isNetworkError(err) ? `a network error (${code.slice(0, 40) || 'no code'})` : undefined);
  if (words) return new ImageInputError(index, 'unreachable', UNREACHABLE_RULE, words, { cause: err });
  return err;
}

/** undici's own errors and the system's socket errors; not a plain Error thrown by our code or a hook. */
function isNetworkError(err: unknown): boolean {
  if (err instanceof undiciErrors.UndiciError) return true;
  const e = err as { syscall?: unknown; code?: unknown };
  return typeof e?.syscall === 'string' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function tlsWords(code: string): string | undefined {
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) return `a TLS error (${code.slice(0, 60)})`;
  return undefined;
}

/**
 * Drops a body not read to its end. undici reports that as an 'error' on the stream; nobody is
 * listening any more, and an unheard 'error' would crash the process.
 */
function discard(stream: { on(event: 'error', fn: () => void): unknown; destroy(): unknown }): void {
  stream.on('error', () => {});
  stream.destroy();
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function closeClient(client: Client): Promise<void> {
  try {
    await client.destroy();
  } catch {
    // Already closed: nothing to release.
  }
}

function packageVersion(): string {
  try {
    // src/inputs and dist/inputs both sit two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0';
  } catch {
    return '0';
  }
}

/**
 * Status polls are most of the traffic. When one is ordinary (GET, a Bearer key that
 * authenticates, a request of that key's account) it is answered here, from the key cache and the
 * store's in-memory records, before Fastify's routing and hooks. Everything else (no key, a bad
 * one, an unknown or foreign id, a browser's CORS request, debug logging) is handed to Fastify,
 * which answers exactly as it always has: the envelope for errors, the access log line. The body
 * and headers sent here are the route's own, byte for byte (test/api/fast-status.test.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastJson from 'fast-json-stringify';
import type { Logger } from 'pino';
import { statusBody } from '../contract/bodies.js';
import { StatusResponse } from '../contract/schemas.js';
import type { RequestRecord } from '../requests/types.js';
import type { ApiDeps } from './context.js';

const PREFIX = '/v1/requests/';
const SUFFIX = '/status';
/** The route template, for the metrics label. */
const ROUTE = '/v1/requests/:request_id/status';
/** As the route's params schema allows. */
const MAX_ID = 100;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A header's first value, read from the raw list. `req.headers` is built on first use, an object
 * and a string per header; a poll needs one or two of them (as `req.headers` keeps them, the first
 * of duplicates).
 */
function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (sameName(raw[i]!, lowerName)) return raw[i + 1];
  return undefined;
}

/**
 * The token of `Bearer <token>` (the scheme in any case), or undefined. As strict as the auth
 * plugin: whatever this does not read is answered by Fastify, which reads it exactly.
 */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || !startsWithLower(header, 'bearer')) return undefined;
  const gap = header.charCodeAt(6);
  if (gap !== 32 && gap !== 9) return undefined;
  const token = header.slice(7).trim();
  return token !== '' && !/\s/.test(token) ? token : undefined;
}

/** Case-insensitive equality with a lower-case ASCII name, without making a lower-case copy. */
function sameName(name: string, lower: string): boolean {
  return name.length === lower.length && startsWithLower(name, lower);
}

function startsWithLower(text: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Wraps Fastify's request handler: answers ordinary status polls itself, passes everything else on.
 * `nextId` makes the x-request-id as Fastify would.
 */
export function withFastStatus(fastify: Handler, deps: Pick<ApiDeps, 'keys' | 'store' | 'config' | 'metrics'>, log: Logger, nextId: () => string): Handler {
  const serialize = fastJson(StatusResponse as object);
  const corsOn = Boolean(deps.config.corsOrigins);
  // A store's record is replaced, never changed, when the request moves on: its body is made once
  // however often it is polled.
  const bodies = new WeakMap<RequestRecord, { body: string; length: number }>();

  function answer(res: ServerResponse, record: RequestRecord, started: number): void {
    let made = bodies.get(record);
    if (!made) {
      const body = serialize(statusBody(record));
      made = { body, length: Buffer.byteLength(body) };
      bodies.set(record, made);
    }
    res.writeHead(200, {
      'x-request-id': nextId(),
      'content-type': 'application/json; charset=utf-8',
      'content-length': made.length,
    });
    res.end(made.body);
    deps.metrics?.http.observe({ method: 'GET', route: ROUTE, status: 200 }, (performance.now() - started) / 1000);
  }

  const idOf = (req: IncomingMessage): string | undefined => {
    const url = req.url;
    if (req.method !== 'GET' || !url || !url.startsWith(PREFIX) || !url.endsWith(SUFFIX)) return undefined;
    const id = url.slice(PREFIX.length, url.length - SUFFIX.length);
    if (!id || id.length > MAX_ID || id.includes('/') || id.includes('?') || id.includes('%')) return undefined;
    return id;
  };

  async function tryServe(res: ServerResponse, token: string, id: string, started: number): Promise<boolean> {
    const principal = await deps.keys.authenticate(token);
    if (!principal) return false;
    const record = await deps.store.get(id);
    if (!record || record.accountId !== principal.accountId) return false;
    answer(res, record, started);
    return true;
  }

  return (req, res) => {
    const id = idOf(req);
    // Fastify logs successful reads at debug: with debug on, it answers, so that the log is the same.
    if (id === undefined || (corsOn && rawHeader(req.rawHeaders, 'origin') !== undefined) || log.isLevelEnabled('debug')) return fastify(req, res);
    const started = performance.now();
    const token = bearerToken(rawHeader(req.rawHeaders, 'authorization'));
    if (!token) return fastify(req, res);
    // Both in memory (the usual poll on the embedded store): answered without a promise.
    const known = deps.keys.peek?.(token);
    const record = known && deps.store.peek?.(id);
    if (record) return record.accountId === known.accountId ? answer(res, record, started) : fastify(req, res);
    tryServe(res, token, id, started).then(
      (served) => served || fastify(req, res),
      // The ordinary route meets the same failure and answers it in the envelope, with a log line.
      () => fastify(req, res),
    );
  };
}

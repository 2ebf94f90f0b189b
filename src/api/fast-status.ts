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
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** As the route's params schema allows. */
const MAX_ID = 100;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

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
    if (id === undefined || (corsOn && req.headers.origin) || log.isLevelEnabled('debug')) return fastify(req, res);
    const started = performance.now();
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
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

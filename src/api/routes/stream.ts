/**
 * `GET /v1/requests/{id}/status/stream`: server-sent events as the request moves.
 *
 *   event: status    one per status the request enters (kept in the store, so never lost);
 *                    id = the event's number
 *   event: progress  queue position or progress changed; id = "<last status id>:<what changed>"
 *
 * A keep-alive comment goes out every 15 s; the stream ends after the final status. A client that
 * reconnects with `Last-Event-ID` gets the statuses it missed, in order, then only what is new.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FINAL_STATUSES, type RequestEvent, type RequestRecord } from '../../requests/types.js';
import { RequestParams, type ProgressEventData, type StatusEventData } from '../../contract/schemas.js';
import { PublicError } from '../../errors.js';
import type { ApiDeps } from '../context.js';
import { ForbiddenRequestError, RequestNotFoundError } from '../errors.js';
import { ANNOUNCED_POLL_MS, ChangeWaiter, POLL_INTERVAL_MS } from '../follow.js';
import { principalOf } from '../plugins/auth.js';

export const KEEP_ALIVE_MS = 15_000;

interface Cursor {
  /** The last status event the client has. */
  eventId: number;
  /** What its last progress event said ("q3", "p0.420"), if any. */
  stamp: string | null;
}

export function parseLastEventId(header: string | undefined): Cursor {
  const m = header && /^(\d{1,15})(?::([qp][\d.]{1,12}))?$/.exec(header.trim());
  return m ? { eventId: Number(m[1]), stamp: m[2] ?? null } : { eventId: 0, stamp: null };
}

/** What changes between status events: the queue position or the progress. */
function stampOf(r: RequestRecord): string | null {
  if (r.status === 'in_queue' && r.queuePosition !== null) return `q${r.queuePosition}`;
  if (r.status === 'in_progress') return `p${r.progress.toFixed(3)}`;
  return null;
}

/** The headers of a server-sent event stream. */
export function eventStreamHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold events back.
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  };
}

function frame(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function streamRoutes(app: FastifyInstance, deps: ApiDeps, options: { keepAliveMs?: number } = {}): void {
  const { store } = deps;
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  // Open streams never end on their own before the request does: a shutdown ends them.
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const c of open) c.abort();
  });

  app.get('/v1/requests/:request_id/status/stream', {
    schema: {
      summary: 'Follow a request with server-sent events',
      description:
        '`status` events (one per status entered; `id` is resumable with `Last-Event-ID`) and `progress` events (queue position or progress), a keep-alive comment every 15 s; the stream closes after the final status.',
      tags: ['requests'],
      params: RequestParams,
      produces: ['text/event-stream'],
    },
    handler: async (request: FastifyRequest<{ Params: { request_id: string } }>, reply) => {
      const id = request.params.request_id;
      const first = await store.get(id);
      if (!first) throw new RequestNotFoundError(id);
      if (first.accountId !== principalOf(request).accountId) throw new ForbiddenRequestError();

      const cursor = parseLastEventId(request.headers['last-event-id'] as string | undefined);
      // Subscribed before the first read: a change announced in between is not missed.
      const changes = new ChangeWaiter(store, id);
      const pollMs = changes.announced ? ANNOUNCED_POLL_MS : POLL_INTERVAL_MS;
      const closed = new AbortController();
      request.raw.once('close', () => closed.abort());
      open.add(closed);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, eventStreamHeaders(request.id));
      res.write(`retry: 1000\n\n`);

      let lastWrite = Date.now();
      const send = (chunk: string) => {
        res.write(chunk);
        lastWrite = Date.now();
      };
      const statusData = (e: RequestEvent): StatusEventData => ({ request_id: id, status: e.status, at: new Date(e.at).toISOString() });

      try {
        while (!closed.signal.aborted) {
          const events = await store.eventsSince(id, cursor.eventId);
          let ended = false;
          for (const e of events) {
            send(frame(String(e.id), 'status', statusData(e)));
            cursor.eventId = e.id;
            cursor.stamp = null;
            ended ||= FINAL_STATUSES.has(e.status);
          }
          if (ended) break;
          const record = await store.get(id);
          if (!record) break; // deleted by retention
          const stamp = stampOf(record);
          // Only once the stream has caught up with the statuses, so progress never runs ahead of them.
          if (stamp && stamp !== cursor.stamp && !(await store.eventsSince(id, cursor.eventId)).length) {
            const data: ProgressEventData =
              record.status === 'in_queue'
                ? { request_id: id, status: record.status, queue_position: record.queuePosition ?? 0 }
                : { request_id: id, status: record.status, progress: record.progress };
            send(frame(`${cursor.eventId}:${stamp}`, 'progress', data));
            cursor.stamp = stamp;
          }
          if (Date.now() - lastWrite >= keepAliveMs) send(': keep-alive\n\n');
          await changes.wait(Math.min(pollMs, keepAliveMs), closed.signal);
        }
      } catch (err) {
        // The client reconnects with Last-Event-ID; an outage of the database is no bug of ours.
        if (err instanceof PublicError) request.log.warn({ error: err.message }, 'status stream interrupted');
        else request.log.error({ err }, 'status stream failed');
      } finally {
        changes.close();
        open.delete(closed);
        res.end();
      }
    },
  });
}

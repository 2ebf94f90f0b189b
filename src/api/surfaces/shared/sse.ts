/**
 * Server-sent events for the surfaces' streams (Replicate's `urls.stream`, fal's `status/stream`):
 * the response is taken over from Fastify, a comment keeps the connection alive while nothing
 * happens, and a shutdown ends every open stream so that the server can close.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { eventStreamHeaders, KEEP_ALIVE_MS } from '../../routes/stream.js';

export interface EventStream {
  send(data: string, options?: { event?: string; id?: string }): void;
  /** Aborted when the client leaves or the server shuts down. */
  signal: AbortSignal;
  /** Sends a keep-alive comment when the stream has been quiet for the keep-alive period. */
  keepAlive(): void;
  end(): void;
}

export type OpenEventStream = (request: FastifyRequest, reply: FastifyReply) => EventStream;

export function eventStreams(app: FastifyInstance, keepAliveMs = KEEP_ALIVE_MS): OpenEventStream {
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const c of open) c.abort();
  });

  return (request, reply) => {
    const closed = new AbortController();
    request.raw.once('close', () => closed.abort());
    reply.raw.once('close', () => closed.abort());
    open.add(closed);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, eventStreamHeaders(request.id));
    // Sent now, not with the first event: a stream of a queued request may have nothing to say for a
    // while, and a client should not wait that long to learn that the stream is open.
    res.flushHeaders();
    let lastWrite = Date.now();
    const write = (chunk: string) => {
      if (closed.signal.aborted) return;
      res.write(chunk);
      lastWrite = Date.now();
    };
    return {
      signal: closed.signal,
      send(data, options = {}) {
        let frame = '';
        if (options.id !== undefined) frame += `id: ${options.id}\n`;
        if (options.event !== undefined) frame += `event: ${options.event}\n`;
        // A line break inside the data would end the field: each line is a data field of its own.
        frame += data.split(/\r?\n/).map((line) => `data: ${line}\n`).join('');
        write(`${frame}\n`);
      },
      keepAlive() {
        if (Date.now() - lastWrite >= keepAliveMs) write(': keep-alive\n\n');
      },
      end() {
        open.delete(closed);
        res.end();
      },
    };
  };
}

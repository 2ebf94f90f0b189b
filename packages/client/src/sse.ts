/**
 * Server-sent events, parsed from a fetch body. EventSource would do this for us, but it cannot
 * send an Authorization header; this follows the parsing rules of the HTML standard instead.
 */

export interface SseMessage {
  /** `message` when the server named none. */
  event: string;
  data: string;
  /** The last event id seen so far on this connection (`id:` lines), as EventSource keeps it. */
  lastEventId: string | undefined;
  /** The `id:` of this very message, if it had one. */
  id: string | undefined;
  /** A `retry:` that arrived with this message, in milliseconds. */
  retry: number | undefined;
}

/** Feed it text as it arrives; it hands back the messages that are complete. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;
  private sawId = false;
  lastEventId: string | undefined;

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  feed(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const cut = this.buffer.search(/\r\n|\r|\n/);
      if (cut < 0) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[cut] === '\r' && cut === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + (this.buffer.startsWith('\r\n', cut) ? 2 : 1));
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined; // a comment: keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value;
          this.id = value;
          this.sawId = true;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const hasData = this.data.length > 0;
    const message: SseMessage = {
      event: this.event || 'message',
      data: this.data.join('\n'),
      lastEventId: this.lastEventId,
      id: this.sawId ? this.id : undefined,
      retry: this.retry,
    };
    this.data = [];
    this.event = '';
    this.id = undefined;
    this.sawId = false;
    const retry = this.retry;
    this.retry = undefined;
    // A block without data is not an event, but a `retry:` in it still counts.
    if (hasData) return message;
    return retry === undefined ? undefined : { ...message, event: '', data: '' };
  }
}

/** Thrown when a stream goes quiet for longer than its idle limit: the connection is presumed dead. */
export class IdleTimeoutError extends Error {}

/**
 * Reads messages from a body until it ends. Rejects when the connection breaks (or stays silent
 * for `idleMs`), and cancels the body when the caller stops early.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, options: { lastEventId?: string; idleMs: number }): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(options.lastEventId);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const next = await new Promise<ReadableStreamReadResult<Uint8Array>>((resolve, reject) => {
        timer = setTimeout(() => reject(new IdleTimeoutError(`no data for ${options.idleMs} ms`)), options.idleMs);
        reader.read().then(resolve, reject);
      }).finally(() => clearTimeout(timer));
      // At the end, a message without its closing blank line is dropped, as the standard says.
      if (next.done) return;
      for (const m of parser.feed(decoder.decode(next.value, { stream: true }))) yield m;
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
  }
}

/** Server-sent events from a streamed answer (Ark's image stream): each `event:`/`data:` block as it completes. */

export interface ServerEvent {
  event: string;
  data: string;
}

export interface ReadEventsOptions {
  /**
   * How long the stream may send nothing at all before it counts as stalled (StreamStalledError);
   * a provider that stops mid-answer with the connection open would otherwise hold the run forever.
   */
  idleMs?: number | undefined;
}

/** The stream sent nothing for `idleMs`; it has been cancelled. */
export class StreamStalledError extends Error {
  constructor(readonly idleMs: number) {
    super(`the stream sent nothing for ${Math.round(idleMs / 1000)} s`);
    this.name = 'StreamStalledError';
  }
}

/** At most this much unparsed text is held (a data line with a base64 image is the largest). */
const MAX_PENDING = 64 * 1024 * 1024;

export async function* readEvents(body: ReadableStream<Uint8Array>, options: ReadEventsOptions = {}): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let pending = '';
  let event = '';
  let data: string[] = [];
  let ended = false;
  try {
    for (;;) {
      const next = await readWithin(reader, options.idleMs);
      if (next.done) break;
      pending += decoder.decode(next.value, { stream: true });
      if (pending.length > MAX_PENDING) throw new Error('an event larger than the limit');
      let newline: number;
      while ((newline = pending.search(/\r\n|\n|\r/)) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + (pending.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event = value;
        else if (name === 'data') data.push(value);
      }
    }
    ended = true;
  } finally {
    // Left early (a stall, an error, a reader that stopped at [DONE]): close the connection.
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (data.length) yield { event: event || 'message', data: data.join('\n') };
}

/** The next chunk, or StreamStalledError when none comes within `idleMs` (a comment line counts). */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number | undefined): ReturnType<typeof reader.read> {
  if (!idleMs) return reader.read();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StreamStalledError(idleMs)), idleMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

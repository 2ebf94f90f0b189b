/** Server-sent events from a streamed answer (Ark's image stream): each `event:`/`data:` block as it completes. */

export interface ServerEvent {
  event: string;
  data: string;
}

/** At most this much unparsed text is held (a data line with a base64 image is the largest). */
const MAX_PENDING = 64 * 1024 * 1024;

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let pending = '';
  let event = '';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
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
  if (data.length) yield { event: event || 'message', data: data.join('\n') };
}

/** Reading a server-sent event stream in tests. */

export interface SseEvent {
  id?: string;
  event?: string;
  data?: any;
  comment?: string;
}

/** Reads a whole SSE response (until the server closes it, or `until` says stop). */
export async function readEvents(res: Response, until?: (e: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) e.comment = line.slice(1).trim();
        else if (line.startsWith('id: ')) e.id = line.slice(4);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
      }
      if (e.id || e.comment) events.push(e);
    }
    if (until?.(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

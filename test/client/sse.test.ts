/** The SSE parser on what a network can do to a stream: lines cut anywhere, CRLF, comments, multi-line data. */
import { describe, expect, it } from 'vitest';
import { SseParser } from '@retouch/client';

const STREAM = 'retry: 1000\r\n\r\n: keep-alive\r\n\r\nid: 1\r\nevent: status\r\ndata: {"status":"in_queue"}\r\n\r\nid: 1:q0\nevent: progress\ndata: {"a":\ndata: 1}\n\nevent: status\ndata: {"status":"completed"}\n\nid: 9\nevent: status\ndata: {"cut":';

describe('SseParser', () => {
  it('gives the same messages however the text is cut into chunks', () => {
    const whole = new SseParser().feed(STREAM);
    expect(whole.map((m) => [m.event, m.data, m.lastEventId])).toEqual([
      ['', '', undefined], // the retry block: no event, but its retry counts
      ['status', '{"status":"in_queue"}', '1'],
      ['progress', '{"a":\n1}', '1:q0'],
      ['status', '{"status":"completed"}', '1:q0'], // no id of its own: the last one stays
    ]);
    expect(whole[0]!.retry).toBe(1000);
    expect(whole[3]!.id).toBeUndefined();
    for (const size of [1, 2, 3, 7]) {
      const parser = new SseParser();
      const pieces = [];
      for (let i = 0; i < STREAM.length; i += size) pieces.push(...parser.feed(STREAM.slice(i, i + size)));
      expect(pieces).toEqual(whole);
      // The unfinished message at the end is never handed out.
      expect(parser.lastEventId).toBe('9');
    }
  });
});

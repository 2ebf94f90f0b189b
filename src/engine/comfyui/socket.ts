/**
 * The one long-lived websocket to a ComfyUI server (`/ws?clientId=…`), shared by every run of this
 * worker process: ComfyUI sends a prompt's events only to the socket whose id is the prompt's
 * client_id, and replays nothing, so it is opened before any prompt is queued and reopened with
 * backoff (0.5 s doubling to 10 s) whenever it drops. The events are hints: runs confirm every end
 * from /history, which is also their fallback while the socket is down.
 */
import type { Logger } from 'pino';
import { WebSocket } from 'undici';

export interface SocketMessage {
  type: string;
  data: Record<string, unknown>;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export class ComfySocket {
  private ws: WebSocket | undefined;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private opened = false;
  /** When it last closed (or was first started), for how long it has been down. */
  private downSince = performance.now();
  private readonly openWaiters = new Set<(open: boolean) => void>();

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly log: Logger,
    private readonly handlers: {
      message(message: SocketMessage): void;
      /** The socket (re)opened: whatever was missed while it was down must be read from /history. */
      open(): void;
      close(): void;
    },
  ) {}

  get open(): boolean {
    return this.opened;
  }

  /** Milliseconds since it was last open; 0 while it is. */
  get downFor(): number {
    return this.opened ? 0 : performance.now() - this.downSince;
  }

  start(): void {
    if (this.ws || this.closed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, { headers: this.headers });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ComfyUI websocket could not be created');
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('open', () => {
      this.opened = true;
      this.retryMs = FIRST_RETRY_MS;
      for (const wake of [...this.openWaiters]) wake(true);
      this.handlers.open();
    });
    ws.addEventListener('message', (event) => {
      // Binary frames are previews and progress text; nothing a run needs.
      if (typeof event.data !== 'string') return;
      let message: SocketMessage;
      try {
        message = JSON.parse(event.data) as SocketMessage;
      } catch {
        return;
      }
      if (typeof message?.type === 'string' && typeof message.data === 'object' && message.data !== null) this.handlers.message(message);
    });
    ws.addEventListener('error', () => {
      // A close event follows; the error itself says nothing more useful than "it failed".
    });
    ws.addEventListener('close', () => {
      const was = this.opened;
      this.opened = false;
      this.ws = undefined;
      if (was) this.downSince = performance.now();
      if (was) {
        this.log.warn('ComfyUI websocket closed; reconnecting');
        this.handlers.close();
      }
      this.scheduleRetry();
    });
  }

  /** Tries again now instead of waiting out the backoff (the server was just seen answering). */
  reconnectNow(): void {
    if (this.closed || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.start();
  }

  /** Resolves true once the socket is open, false when `ms` pass or the signal aborts first. */
  waitOpen(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.opened) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.openWaiters.delete(done);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.openWaiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.ws?.close();
    this.ws = undefined;
    this.opened = false;
    for (const wake of [...this.openWaiters]) wake(false);
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, wait);
    this.retryTimer.unref();
  }
}

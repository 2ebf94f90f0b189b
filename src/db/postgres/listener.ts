/**
 * The one LISTEN connection of a process. Notifications are hints ("request X changed", "something
 * was queued", "a key was revoked"); the tables stay the truth, so a notification lost while the
 * connection was down costs nothing but time: after every reconnect the subscribers are told to
 * read again (onReconnect), and they poll slowly anyway as a backstop.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { clientConfig, describe, type PostgresOptions } from './pool.js';

export const CHANNELS = {
  /** A request entered in_queue (submitted, released, recovered): idle workers claim. Payload: ''. */
  queued: 'retouch_queued',
  /** A request's status or progress changed. Payload: its id. */
  events: 'retouch_events',
  /** A key was revoked: forget cached authentications. Payload: the key id. */
  keys: 'retouch_keys',
} as const;

type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];
type Handler = (payload: string) => void;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
/** A connection can die without a word (a cable, a firewall); a cheap query finds out. */
const CHECK_EVERY_MS = 15_000;

export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<Channel, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private everConnected = false;
  private closed = false;
  private downSince: number | undefined;

  constructor(private readonly options: PostgresOptions, private readonly log: Logger) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  on(channel: Channel, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called after the connection came back: notifications may have been missed meanwhile. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  /** Connects and listens; when the database is not there yet, keeps trying in the background. */
  async start(): Promise<void> {
    this.check();
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.checkTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...clientConfig(this.options), application_name: `${this.options.applicationName} listen`.slice(0, 63) });
    let failed = false;
    const lost = (err?: Error) => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.closed) {
        this.downSince ??= Date.now();
        this.log.warn({ err: err && describe(err), retry_ms: this.retryMs }, 'the database listener connection was lost; reconnecting');
        this.scheduleReconnect();
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => this.dispatch(n.channel as Channel, n.payload ?? ''));
    try {
      await client.connect();
      for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      lost(err as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    if (this.everConnected) {
      this.log.info({ down_ms: this.downSince ? Date.now() - this.downSince : undefined }, 'the database listener is back');
      for (const handler of this.reconnectHandlers) this.safely(handler);
    }
    this.downSince = undefined;
    this.everConnected = true;
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }

  private check(): void {
    this.checkTimer = setInterval(() => {
      const client = this.client;
      // A failed query emits 'error' on the client, which reconnects.
      client?.query('SELECT 1').catch((err) => client.emit('error', err));
    }, CHECK_EVERY_MS);
    this.checkTimer.unref();
  }

  private dispatch(channel: Channel, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) this.safely(() => handler(payload));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'a database notification handler failed');
    }
  }
}

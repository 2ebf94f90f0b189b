/**
 * Delivers the webhook messages that request transitions queued in the store (Standard Webhooks:
 * `webhook-id`, `webhook-timestamp`, `webhook-signature`, signed with the account's secret), retrying
 * with exponential backoff until a 2xx or until `retryForMs` has passed. It runs beside the worker,
 * never in the path of an API call, so a receiver that is down slows nothing but itself.
 */
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { resultBody, statusBody } from '../contract/bodies.js';
import { PublicError } from '../errors.js';
import type { DialHooks } from '../inputs/dial.js';
import type { InputPolicy } from '../inputs/types.js';
import type { KeyStore } from '../keys/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RequestRecord, RequestStore, WebhookDelivery } from '../requests/types.js';
import type { FileStorage } from '../storage/types.js';
import { postWebhook } from './send.js';

export interface DispatcherOptions {
  /** Give up on a message this long after it was queued. */
  retryForMs: number;
  /** The first retry waits this long; each next one twice as long, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Messages in flight at once. */
  concurrency: number;
  pollMs: number;
  urlTtlMs: number;
}

/** One message as it goes out: the body, and the headers that sign it. */
export interface WebhookMessage {
  body: string;
  headers: Record<string, string>;
}

export interface WebhookContext {
  delivery: WebhookDelivery;
  record: RequestRecord;
  /** The account's Standard Webhooks secret. */
  secret: string;
  sentAt: Date;
}

/**
 * How a delivery is worded and signed. retouch's own format is the default; the other APIs'
 * surfaces bring theirs (Replicate's prediction object, fal's ED25519-signed payload), picked by
 * the request's stored input. `skipped`: the receiver asked not to hear about this status.
 */
export interface WebhookFormat {
  render(context: WebhookContext): WebhookMessage | { skipped: string } | Promise<WebhookMessage | { skipped: string }>;
}

export interface DispatcherDeps {
  store: RequestStore;
  keys: KeyStore;
  storage: FileStorage;
  log: Logger;
  policy: InputPolicy;
  hooks: DialHooks;
  metrics?: Metrics | undefined;
  /** The format for a request, from its stored input; undefined for retouch's own. */
  formatFor?: (input: unknown) => WebhookFormat | undefined;
}

/** retouch's own: `{type, timestamp, data: <the result body>}`, signed per Standard Webhooks. */
export function nativeWebhookFormat(storage: FileStorage, urlTtlMs: number): WebhookFormat {
  return {
    render({ delivery: d, record, secret, sentAt }) {
      // A message announces the status it was queued for, even if the request has moved on since.
      const data = d.status === 'in_progress' ? { ...statusBody(record), status: 'in_progress' as const } : resultBody(record, storage, urlTtlMs);
      const body = JSON.stringify({ type: `request.${d.status}`, timestamp: sentAt.toISOString(), data });
      return { body, headers: standardWebhookHeaders(d.id, sentAt, body, secret) };
    },
  };
}

/** `webhook-id`, `webhook-timestamp` and `webhook-signature`, as Standard Webhooks (and Replicate) sign. */
export function standardWebhookHeaders(id: string, sentAt: Date, body: string, secret: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, sentAt, body),
  };
}

/** How long to wait after the `attempt`-th failed attempt. */
export function retryDelay(attempt: number, options: Pick<DispatcherOptions, 'firstDelayMs' | 'maxDelayMs'>): number {
  return Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** Math.max(0, attempt - 1));
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private ticking = false;
  private readonly inFlight = new Set<Promise<void>>();

  private readonly native: WebhookFormat;

  constructor(private readonly deps: DispatcherDeps, private readonly options: DispatcherOptions) {
    this.native = nativeWebhookFormat(deps.storage, options.urlTtlMs);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.pollMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops sending new messages; waits a little for those in flight (the store retries the rest). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  /** Sends what is due now; exposed for tests. */
  async tick(now = Date.now()): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const room = this.options.concurrency - this.running;
      if (room <= 0) return;
      // Held for twice the timeout: a dispatcher that dies mid-send gives the message back by then.
      const due = await this.deps.store.claimDueDeliveries(now, room, this.options.timeoutMs * 2);
      for (const d of due) {
        this.running++;
        const p = this.deliver(d)
          // Unsent or unsettled: its hold runs out and it is tried again.
          .catch((err) => this.deps.log.warn({ webhook_id: d.id, err: (err as Error).message }, 'webhook delivery interrupted'))
          .finally(() => {
            this.running--;
            this.inFlight.delete(p);
          });
        this.inFlight.add(p);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'webhook dispatch failed');
    } finally {
      this.ticking = false;
    }
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    const { store, keys, log } = this.deps;
    const record = await store.get(d.requestId);
    const secret = await keys.webhookSecret(d.accountId);
    if (!record || !secret) {
      await store.settleDelivery(d.id, { state: 'failed', error: 'the request or its account no longer exists' });
      return;
    }
    let error: string;
    try {
      const format = (this.deps.formatFor && this.deps.formatFor(await store.inputOf(d.requestId))) || this.native;
      const message = await format.render({ delivery: d, record, secret, sentAt: new Date() });
      if ('skipped' in message) {
        await store.settleDelivery(d.id, { state: 'failed', error: `not sent: ${message.skipped}` });
        log.info({ webhook_id: d.id, request_id: d.requestId, status: d.status }, `webhook not sent: ${message.skipped}`);
        return;
      }
      const status = await postWebhook(d.url, message.body, message.headers, { policy: this.deps.policy, hooks: this.deps.hooks, timeoutMs: this.options.timeoutMs });
      if (status >= 200 && status < 300) {
        await store.settleDelivery(d.id, { state: 'delivered', at: Date.now() });
        this.deps.metrics?.webhooks.inc({ outcome: 'delivered' });
        log.info({ webhook_id: d.id, request_id: d.requestId, status: d.status, attempt: d.attempts }, 'webhook delivered');
        return;
      }
      error = `the receiver answered HTTP ${status}`;
    } catch (err) {
      error = err instanceof PublicError ? err.message.replace(/^image_urls\[0\]: /, '') : `could not be delivered (${(err as Error).message})`;
    }
    const next = Date.now() + retryDelay(d.attempts, this.options);
    if (next - d.createdAt > this.options.retryForMs) {
      await store.settleDelivery(d.id, { state: 'failed', error });
      this.deps.metrics?.webhooks.inc({ outcome: 'failed' });
      log.warn({ webhook_id: d.id, request_id: d.requestId, attempts: d.attempts, error }, 'webhook given up');
    } else {
      await store.settleDelivery(d.id, { state: 'retry', at: next, error });
      this.deps.metrics?.webhooks.inc({ outcome: 'retry' });
      log.info({ webhook_id: d.id, request_id: d.requestId, attempt: d.attempts, error, retry_in_ms: next - Date.now() }, 'webhook will be retried');
    }
  }
}

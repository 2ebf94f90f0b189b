/**
 * Following a request from the API: the store is the only source of truth (the worker may be another
 * process, on another machine), so changes are found by reading it. A read follows each change the
 * store announces at once. Where every change is announced (PostgreSQL's notifications), polling is
 * only the backstop (for queue positions, which move without an announcement of their own); where
 * only this process's are (SQLite: the worker beside the API), the store is also read quickly at
 * first and then every quarter second, for what other processes wrote.
 */
import type { RequestRecord, RequestStore } from '../requests/types.js';
import { FINAL_STATUSES } from '../requests/types.js';

const FIRST_DELAY_MS = 20;
const MAX_DELAY_MS = 250;
/** With announcements, how often a follower reads anyway. */
export const ANNOUNCED_POLL_MS = 1_000;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits for the next announced change of one request, or for a given time. It subscribes before the
 * first read, and remembers an announcement that arrives between a read and the next wait, so none
 * is missed.
 */
export class ChangeWaiter {
  private pending = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Whether the store announces every change (else followers poll, and announcements only hurry them). */
  readonly announced: boolean;

  constructor(store: RequestStore, id: string) {
    this.announced = store.changes?.everywhere === true;
    this.unsubscribe =
      store.changes?.onChange(id, () => {
        this.pending = true;
        this.wake?.();
      }) ?? (() => undefined);
  }

  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.pending) {
      const ctrl = new AbortController();
      const stop = () => ctrl.abort();
      signal?.addEventListener('abort', stop, { once: true });
      this.wake = stop;
      await sleep(ms, ctrl.signal);
      this.wake = undefined;
      signal?.removeEventListener('abort', stop);
    }
    this.pending = false;
  }

  close(): void {
    this.unsubscribe();
  }
}

/** Resolves with the request once it is final, or with its latest state when `timeoutMs` passes. */
export async function waitForFinal(store: RequestStore, id: string, timeoutMs: number, signal?: AbortSignal): Promise<RequestRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  const changes = new ChangeWaiter(store, id);
  let delay = FIRST_DELAY_MS;
  try {
    for (;;) {
      const record = await store.get(id);
      if (!record || FINAL_STATUSES.has(record.status) || signal?.aborted) return record;
      const left = deadline - Date.now();
      if (left <= 0) return record;
      await changes.wait(Math.min(changes.announced ? ANNOUNCED_POLL_MS : delay, left), signal);
      delay = Math.min(MAX_DELAY_MS, delay * 2);
    }
  } finally {
    changes.close();
  }
}

export const POLL_INTERVAL_MS = MAX_DELAY_MS;

/**
 * The request each time its status, queue position or progress changes, ending with its final
 * state (or when it disappears, or `signal` fires). For the other APIs' event streams, which send
 * whole states rather than the native stream's numbered status events. Like `waitForFinal`, it
 * reads again as soon as the store announces a change, and otherwise only as the backstop poll.
 */
export async function* watchRequest(
  store: RequestStore,
  id: string,
  signal: AbortSignal,
  /** Called after each look that found nothing new (a stream sends its keep-alive there). */
  onIdle?: () => void,
): AsyncGenerator<RequestRecord> {
  // Subscribed before the first read: a change announced in between is not missed.
  const changes = new ChangeWaiter(store, id);
  let last = '';
  let delay = FIRST_DELAY_MS;
  try {
    while (!signal.aborted) {
      const record = await store.get(id);
      if (!record) return;
      const stamp = `${record.status}:${record.queuePosition ?? ''}:${record.status === 'in_progress' ? record.progress.toFixed(2) : ''}`;
      if (stamp !== last) {
        last = stamp;
        yield record;
      } else {
        onIdle?.();
      }
      if (FINAL_STATUSES.has(record.status)) return;
      await changes.wait(changes.announced ? ANNOUNCED_POLL_MS : delay, signal);
      delay = Math.min(MAX_DELAY_MS, delay * 2);
    }
  } finally {
    changes.close();
  }
}

/**
 * The followers of requests in this process, and the ChangeFeed that tells them. PostgreSQL feeds it
 * from its notifications (changes made anywhere); SQLite from its own writes (changes made by this
 * process, so that a request run by the worker beside the API is answered the moment it ends, while
 * writes of other processes on the same file are still found by polling).
 */
import type { ChangeFeed } from './types.js';

export class ChangeListeners implements ChangeFeed {
  private readonly byRequest = new Map<string, Set<() => void>>();
  private readonly queued = new Set<() => void>();

  constructor(readonly everywhere: boolean) {}

  onQueued(listener: () => void): () => void {
    this.queued.add(listener);
    return () => this.queued.delete(listener);
  }

  onChange(id: string, listener: () => void): () => void {
    let set = this.byRequest.get(id);
    if (!set) this.byRequest.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.byRequest.get(id) === set) this.byRequest.delete(id);
    };
  }

  /** Request `id` may have changed. */
  changed(id: string): void {
    const set = this.byRequest.get(id);
    if (set) for (const notify of set) notify();
  }

  /** Something entered the queue. */
  enqueued(): void {
    for (const notify of this.queued) notify();
  }

  /** Everything may have changed (notifications were lost): everyone reads again. */
  all(): void {
    for (const set of this.byRequest.values()) for (const notify of set) notify();
    this.enqueued();
  }
}

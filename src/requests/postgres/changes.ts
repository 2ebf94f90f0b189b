/**
 * The request store's ChangeFeed over the process's LISTEN connection: one channel for the whole
 * cluster, a request id as the payload, and an in-memory map from ids to the followers on this node
 * (a channel per request would cost a LISTEN per stream). After a reconnect everyone is told to read
 * again, since notifications sent meanwhile are gone.
 */
import { CHANNELS, type PgListener } from '../../db/postgres/listener.js';
import type { ChangeFeed } from '../types.js';

export class ListenerChangeFeed implements ChangeFeed {
  private readonly byRequest = new Map<string, Set<() => void>>();
  private readonly queued = new Set<() => void>();

  constructor(listener: PgListener) {
    listener.on(CHANNELS.events, (id) => {
      for (const notify of this.byRequest.get(id) ?? []) notify();
    });
    listener.on(CHANNELS.queued, () => {
      for (const notify of this.queued) notify();
    });
    listener.onReconnect(() => {
      for (const set of this.byRequest.values()) for (const notify of set) notify();
      for (const notify of this.queued) notify();
    });
  }

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
}

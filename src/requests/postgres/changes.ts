/**
 * The request store's ChangeFeed over the process's LISTEN connection: one channel for the whole
 * cluster, a request id as the payload, and an in-memory map from ids to the followers on this node
 * (a channel per request would cost a LISTEN per stream). After a reconnect everyone is told to read
 * again, since notifications sent meanwhile are gone.
 */
import { CHANNELS, type PgListener } from '../../db/postgres/listener.js';
import { ChangeListeners } from '../change-listeners.js';
import type { ChangeFeed } from '../types.js';

export function listenerChangeFeed(listener: PgListener): ChangeFeed {
  const feed = new ChangeListeners(true);
  listener.on(CHANNELS.events, (id) => feed.changed(id));
  listener.on(CHANNELS.queued, () => feed.enqueued());
  listener.onReconnect(() => feed.all());
  return feed;
}

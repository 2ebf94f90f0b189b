/** The key row both store implementations read, and how it becomes an ApiKey. */
import type { ApiKey } from './types.js';

export interface KeyRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export const toKey = (r: KeyRow): ApiKey => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

/** Keys a process remembers at most, so that a flood of distinct valid keys cannot grow it. */
export const MAX_KNOWN_KEYS = 10_000;

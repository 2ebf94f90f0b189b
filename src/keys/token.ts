import crypto from 'node:crypto';

const TOKEN_PREFIX = 'rt_';

/** A new API key: 192 random bits, URL-safe, recognisable by its prefix in logs and secret scanners. */
export function newToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(24).toString('base64url');
}

/**
 * Keys are long random strings, not passwords: a fast hash is enough to make a stolen database
 * useless, and it keeps authentication off the hot path's profile.
 */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/**
 * hashToken for a token presented again and again (a client polling): the hashes of the last
 * tokens seen, so that a poll does not pay for SHA-256 (a tenth of a status poll's own time).
 * The tokens are in every request's headers anyway; at most MEMO_SIZE are kept, all forgotten when
 * it is full, so random tokens cannot grow it.
 */
const MEMO_SIZE = 1_024;
/** Longer tokens (a header may carry 16 kB) are hashed each time rather than kept. */
const MEMO_MAX_TOKEN = 256;
const recentHashes = new Map<string, string>();

export function hashPresentedToken(token: string): string {
  if (token.length > MEMO_MAX_TOKEN) return hashToken(token);
  let hash = recentHashes.get(token);
  if (hash === undefined) {
    hash = hashToken(token);
    if (recentHashes.size >= MEMO_SIZE) recentHashes.clear();
    recentHashes.set(token, hash);
  }
  return hash;
}

/** What a list shows of a key: enough to tell keys apart, too little to use. */
export function displayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}

export function newId(kind: 'acct' | 'key'): string {
  return `${kind}_${crypto.randomBytes(9).toString('base64url')}`;
}

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`;
}

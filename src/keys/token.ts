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

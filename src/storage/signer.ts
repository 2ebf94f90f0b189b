import crypto from 'node:crypto';

/**
 * Signs file URLs with an HMAC over the key and the expiry. The secret must be the same on every
 * process that hands out or checks URLs: it comes from the stores (src/secrets.ts), a file in the data
 * dir or a row in PostgreSQL.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error('The URL signing secret must be at least 32 bytes');
  }

  sign(key: string, expiresSeconds: number): string {
    return crypto.createHmac('sha256', this.secret).update(`${key}\n${expiresSeconds}`).digest('base64url');
  }

  verify(key: string, expiresSeconds: number, signature: string, nowMs: number): boolean {
    if (!Number.isSafeInteger(expiresSeconds) || expiresSeconds * 1000 < nowMs) return false;
    const expected = Buffer.from(this.sign(key, expiresSeconds));
    const given = Buffer.from(signature);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }
}

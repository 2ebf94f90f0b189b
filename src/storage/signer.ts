import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Signs file URLs with an HMAC over the key and the expiry. The secret must be the same on every
 * process that hands out or checks URLs: with SQLite it is made once and kept in the data dir; with
 * PostgreSQL it lives in the database (keys/postgres/store.ts), so every API node shares it.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new Error('The URL signing secret must be at least 32 bytes');
  }

  static fromDataDir(dataDir: string): UrlSigner {
    const file = path.join(dataDir, 'secret');
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx' fails when the file exists: the first process to start writes it, the others read it.
      fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const secret = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    if (secret.length < 32) throw new Error(`${file} does not hold a 32-byte hex secret`);
    return new UrlSigner(secret);
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

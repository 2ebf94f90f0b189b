import crypto from 'node:crypto';
import { hashToken } from './token.js';

/** RETOUCH_API_KEY, accepted beside the stored keys; compared by hash in constant time. */
export class EnvKey {
  private readonly hash: Buffer | undefined;

  constructor(token: string | undefined) {
    this.hash = token ? Buffer.from(hashToken(token), 'hex') : undefined;
  }

  get configured(): boolean {
    return this.hash !== undefined;
  }

  matches(tokenHash: string): boolean {
    return this.hash !== undefined && crypto.timingSafeEqual(this.hash, Buffer.from(tokenHash, 'hex'));
  }
}

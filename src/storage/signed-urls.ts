/**
 * retouch's own file URLs, `<public url>/files/<key>?expires=…&signature=…`, whatever keeps the bytes:
 * they work without the bearer token until they expire (7 days by default), as the hosted service's
 * output URLs do. The files route checks them and then serves the file (local disk) or redirects to
 * a short-lived presigned URL of the bucket (S3).
 */
import { isValidKey } from './types.js';
import type { UrlSigner } from './signer.js';

export const FILES_ROUTE_PREFIX = '/files/';

export class SignedUrls {
  constructor(
    private readonly signer: UrlSigner,
    /** Read on every call: the public URL is only known once the server listens on port 0. */
    private readonly publicUrl: () => string,
  ) {}

  signedUrl(key: string, expiresAt: number): string {
    const expires = Math.floor(expiresAt / 1000);
    return `${this.publicUrl()}${FILES_ROUTE_PREFIX}${key}?expires=${expires}&signature=${this.signer.sign(key, expires)}`;
  }

  /** For the files route: is this a valid, unexpired signature for this key? */
  verify(key: string, expires: string | undefined, signature: string | undefined, now: number): boolean {
    if (!isValidKey(key) || !expires || !signature || !/^\d{1,12}$/.test(expires)) return false;
    return this.signer.verify(key, Number(expires), signature, now);
  }

  keyOfSignedUrl(url: string, now: number): string | undefined {
    const base = this.publicUrl() + FILES_ROUTE_PREFIX;
    if (!url.startsWith(base)) return undefined;
    let parsed: URL;
    let key: string;
    try {
      parsed = new URL(url);
      key = decodeURIComponent(url.slice(base.length).split('?')[0] ?? '');
    } catch {
      return undefined;
    }
    const ok = this.verify(key, parsed.searchParams.get('expires') ?? undefined, parsed.searchParams.get('signature') ?? undefined, now);
    return ok ? key : undefined;
  }
}

/** The URL half of every FileStorage: the same signed URLs whatever keeps the bytes. */
export abstract class SignedUrlStorage {
  constructor(protected readonly urls: SignedUrls) {}

  signedUrl(key: string, expiresAt: number): string {
    return this.urls.signedUrl(key, expiresAt);
  }

  verify(key: string, expires: string | undefined, signature: string | undefined, now: number): boolean {
    return this.urls.verify(key, expires, signature, now);
  }

  keyOfSignedUrl(url: string, now: number): string | undefined {
    return this.urls.keyOfSignedUrl(url, now);
  }
}

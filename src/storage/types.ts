import type { Readable } from 'node:stream';

export interface OpenedFile {
  stream: Readable;
  size: number;
  contentType: string;
}

/**
 * Where outputs and uploads live. Keys are `<kind>/<owner>/<name>.<ext>`, e.g.
 * `outputs/<request id>/0.jpg`. The local implementation (the data dir) is the embedded default;
 * the S3 one (any S3-compatible bucket) is for several machines. Both hand out retouch's own signed
 * URLs (signed-urls.ts), so the contract is the same whichever keeps the bytes.
 */
export interface FileStorage {
  put(key: string, data: Buffer): Promise<void>;
  read(key: string): Promise<Buffer>;
  /** undefined when the file does not exist. */
  open(key: string): Promise<OpenedFile | undefined>;
  /** Removes every file under `prefix/` (a request's outputs, an account's uploads). */
  deletePrefix(prefix: string): Promise<void>;
  /** Removes the files of `kind` written before `cutoff` (ms since epoch); returns how many. */
  deleteWrittenBefore(kind: 'uploads', cutoff: number): Promise<number>;
  /** A URL that fetches the file without the bearer token until `expiresAt` (ms since epoch). */
  signedUrl(key: string, expiresAt: number): string;
  /**
   * The key behind a URL this storage signed, when the signature holds and has not expired;
   * lets a worker read an uploaded file directly instead of over HTTP.
   */
  keyOfSignedUrl(url: string, now: number): string | undefined;
  /** For the files route: is this a valid, unexpired signature for this key? */
  verify(key: string, expires: string | undefined, signature: string | undefined, now: number): boolean;
  /**
   * Where a client may fetch the file directly for a few minutes (a presigned URL of the bucket),
   * or undefined when it does not exist; absent when the API must serve the bytes itself.
   */
  directUrl?(key: string, filename: string): Promise<string | undefined>;
  /** The origin of those direct URLs, for the playground's Content-Security-Policy. */
  readonly directOrigin?: string | undefined;
}

const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };

export function contentTypeOf(key: string): string {
  return CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** Keys are made by us, but they also arrive from URLs: only this shape is ever accepted. */
const KEY_SHAPE = /^(outputs|uploads)\/[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}\.(jpg|png)$/;

export function isValidKey(key: string): boolean {
  return KEY_SHAPE.test(key);
}

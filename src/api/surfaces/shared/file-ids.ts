/**
 * Ids of the files the surfaces' uploads make (Replicate's files API, fal's storage):
 * `<creation time, base 36>_<random>`. They fit storage keys, and tell their age without a lookup,
 * so nothing but the upload itself needs keeping.
 */
import crypto from 'node:crypto';

export function newFileId(now: number): string {
  return `${now.toString(36)}_${crypto.randomBytes(12).toString('base64url')}`;
}

/** When the file of `id` was made (ms since epoch); undefined for an id not made by newFileId. */
export function createdAtOf(id: string): number | undefined {
  const t = parseInt(id.split('_')[0] ?? '', 36);
  return Number.isSafeInteger(t) && t > 0 ? t : undefined;
}

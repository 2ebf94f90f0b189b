/**
 * Verifying a webhook delivery, per Standard Webhooks (https://www.standardwebhooks.com/): an
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` with the base64 key after `whsec_`,
 * sent as `v1,<base64>` (several, space-separated, while a secret is rotated). With Web Crypto, so
 * that it runs in Node 20+, browsers, and edge runtimes alike.
 */
import { WebhookVerificationError } from './errors.js';
import type { ResultResponse } from './generated/types.js';

/** What retouch delivers: the result body of the request, as `GET …/result` would answer it. */
export interface WebhookEvent {
  /** `request.completed` (for every final status) or `request.in_progress`. */
  type: string;
  timestamp: string;
  data: ResultResponse;
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way, in seconds. Default: 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The current time in milliseconds (for tests). */
  now?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compares in time that depends on the length only, never on where the bytes differ. */
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Checks a delivery and returns its parsed body; throws `WebhookVerificationError` otherwise.
 * `payload` must be the raw body as received (a parsed and re-serialized one will not verify).
 */
export async function verifyWebhook(payload: string | Uint8Array, headers: WebhookHeaders, secret: string, options: VerifyOptions = {}): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing the webhook-id, webhook-timestamp or webhook-signature header.');

  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) throw new WebhookVerificationError('The webhook-timestamp header is not a number of seconds.');
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (seconds < now - tolerance) throw new WebhookVerificationError('The webhook timestamp is too old.');
  if (seconds > now + tolerance) throw new WebhookVerificationError('The webhook timestamp is too far in the future.');

  let key: Uint8Array<ArrayBuffer>;
  try {
    key = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new WebhookVerificationError('The secret is not a Standard Webhooks secret (whsec_ and base64).');
  }
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));

  let matched = false;
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(value);
    } catch {
      continue;
    }
    // Every candidate is compared, so that the time taken does not say which one matched.
    matched = timingSafeEqual(bytes, expected) || matched;
  }
  if (!matched) throw new WebhookVerificationError('No matching signature: the body, the headers or the secret differ from what was signed.');
  try {
    return JSON.parse(body) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('The signed body is not JSON.');
  }
}

/**
 * Volcengine's request signature (HMAC-SHA256, the V4 scheme its OpenAPI SDKs implement, close to
 * AWS SigV4): a canonical request of method, path, sorted query, signed headers and the body's
 * SHA-256; a signing key derived from the secret key through the date, region and service; the
 * signature in `Authorization: HMAC-SHA256 Credential=AK/<date>/<region>/<service>/request,
 * SignedHeaders=…, Signature=…`. Checked against @volcengine/openapi's Signer in the tests.
 */
import crypto from 'node:crypto';

export interface VolcCredentials {
  accessKeyId: string;
  secretKey: string;
}

export interface SignInput {
  method: string;
  url: URL;
  /** The exact body bytes sent (JSON text), or undefined for none. */
  body: string | undefined;
  region: string;
  service: string;
  /** The time of signing; the server refuses signatures too far from its clock. */
  date?: Date;
}

const ALGORITHM = 'HMAC-SHA256';

/** The headers to send: Host, X-Date, X-Content-Sha256 and the Authorization over them. */
export function signRequest(input: SignInput, credentials: VolcCredentials): Record<string, string> {
  const datetime = (input.date ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[:-]/g, '');
  const day = datetime.slice(0, 8);
  const signed: Record<string, string> = {
    host: input.url.host,
    'x-content-sha256': sha256Hex(input.body ?? ''),
    'x-date': datetime,
  };
  const names = Object.keys(signed).sort();
  const canonical = [
    input.method.toUpperCase(),
    input.url.pathname || '/',
    canonicalQuery(input.url.searchParams),
    `${names.map((n) => `${n}:${signed[n]!.replace(/\s+/g, ' ').trim()}`).join('\n')}\n`,
    names.join(';'),
    signed['x-content-sha256'],
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/request`;
  const toSign = [ALGORITHM, datetime, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = hmac(credentials.secretKey, day);
  for (const part of [input.region, input.service, 'request']) key = hmac(key, part);
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return {
    Host: signed.host!,
    'X-Date': datetime,
    'X-Content-Sha256': signed['x-content-sha256']!,
    Authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** Keys sorted, keys and values percent-encoded as RFC 3986 says (also ! ' ( ) *). */
export function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params.entries()].map(([k, v]) => [uriEscape(k), uriEscape(v)] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string): string {
  return crypto.createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * The checks on a URL itself, run on the first URL and again on every redirect target, before any
 * name is resolved or any socket opened: length, syntax, scheme, credentials, the host allow-list,
 * metadata host names, and the address rule for IP literals.
 *
 * Parsing is WHATWG's (`new URL`), which is also what undici dials: it already turns the odd IPv4
 * spellings (2130706433, 0177.0.0.1, 0x7f.1, 127.1) into dotted quads, so the literal checked here
 * is the literal that would be dialled.
 */
import { isIP } from 'node:net';
import { describeRange, forbiddenRange, isMetadataHostName } from './address.js';
import { ImageInputError, PRIVATE_RULE, URL_RULE } from './errors.js';
import type { InputPolicy } from './types.js';

/** Long enough for presigned URLs carrying a session token, short enough to refuse junk. */
export const MAX_URL_LENGTH = 4096;

/** What is known about a URL that passed: the host without brackets, and whether it is an IP literal. */
export interface CheckedUrl {
  url: URL;
  host: string;
  literal: boolean;
}

/**
 * Throws an ImageInputError for the first rule broken. `hop` > 0 means this URL came from a
 * redirect, which the message then says.
 */
export function checkUrl(raw: string, index: number, policy: InputPolicy, hop = 0): CheckedUrl {
  const via = hop > 0 ? ` after redirect ${hop}` : '';
  if (raw.length > MAX_URL_LENGTH) {
    throw new ImageInputError(
      index,
      'url_too_long',
      `An image URL must be at most ${MAX_URL_LENGTH} characters long.`,
      `${raw.length} characters${via}`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ImageInputError(
      index,
      'bad_url',
      URL_RULE,
      hop > 0 ? `an invalid redirect target${via}` : 'an invalid URL',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageInputError(
      index,
      'bad_scheme',
      'Only http and https image URLs are supported.',
      `${safeText(url.protocol, 20)}${via}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // Never forwarded and never echoed: a user name can be a token as well as a password.
    throw new ImageInputError(
      index,
      'credentials_in_url',
      'An image URL must not contain a user name or password.',
      hop > 0 ? `credentials${via}` : undefined,
    );
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host) !== 0;

  if (policy.allowedHosts !== null && !hostAllowed(host, policy.allowedHosts)) {
    throw new ImageInputError(
      index,
      'host_not_allowed',
      "The image host is not on this server's list of allowed hosts.",
      `${safeText(host, 100)}${via}`,
    );
  }
  if (isMetadataHostName(host)) {
    throw new ImageInputError(
      index,
      'private_address',
      PRIVATE_RULE,
      `${safeText(host, 100)}, a cloud metadata service${via}`,
    );
  }
  if (literal) {
    const verdict = forbiddenRange(host);
    if (verdict && (verdict.metadata || !policy.allowPrivateUrls)) {
      throw new ImageInputError(
        index,
        'private_address',
        PRIVATE_RULE,
        `${host}, ${describeRange(verdict.range)}${via}`,
      );
    }
  }
  url.hash = '';
  return { url, host, literal };
}

/**
 * Exact names, or "*.example.com" for any name below example.com (not example.com itself: list it
 * too if wanted). Case and a final dot do not matter. IP literals match exact entries only.
 */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
    if (p.startsWith('*.')) {
      if (h.endsWith(p.slice(1)) && h.length > p.length - 1) return true;
    } else if (h === p) {
      return true;
    }
  }
  return false;
}

/**
 * A URL fit for a log line or a message: no user info, no query string (presigned URLs carry their
 * signature there), data URIs reduced to their media type, at most `max` characters.
 */
export function redactUrl(raw: string, max = 100): string {
  if (/^\s*data:/i.test(raw)) {
    const comma = raw.indexOf(',');
    const head = raw.slice(0, comma < 0 ? 60 : Math.min(comma, 60)).trimStart();
    return `${safeText(head, 60)},… (${raw.length} characters)`;
  }
  try {
    const u = new URL(raw);
    // origin has no user info; the path is kept, the query reduced to a mark.
    if (u.origin === 'null') return `${safeText(u.protocol, 20)}…`;
    return `${safeText(`${u.origin}${u.pathname}`, max)}${u.search ? '?…' : ''}`;
  } catch {
    // Not parseable: strip anything that looks like user info or a query by hand.
    return safeText(raw.replace(/\/\/[^/?#]*@/, '//').replace(/[?#].*$/, ''), max);
  }
}

/** Printable ASCII only, cut at `max` characters with an ellipsis. */
function safeText(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

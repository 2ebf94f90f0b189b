/**
 * `data:` URIs in image_urls: `data:image/png;base64,…`, any media type and parameters
 * (`;charset=…` or none). The declared type is ignored: the bytes are sniffed like any download.
 * The size rule runs on the decoded length, computed before anything is decoded. Messages never
 * repeat the payload.
 */
import { ImageInputError } from './errors.js';
import { checkSize } from './rules.js';
import type { InputPolicy } from './types.js';

const RULE = 'A data URI must be base64-encoded, like data:image/png;base64,….';

export function isDataUri(raw: string): boolean {
  return /^\s*data:/i.test(raw);
}

export function decodeDataUri(raw: string, index: number, policy: InputPolicy): Buffer {
  const comma = raw.indexOf(',');
  if (comma < 0) throw new ImageInputError(index, 'bad_data_uri', RULE, 'a data URI without a comma');
  const params = raw
    .slice(raw.indexOf(':') + 1, comma)
    .split(';')
    .map((p) => p.trim().toLowerCase());
  if (!params.includes('base64')) {
    throw new ImageInputError(index, 'bad_data_uri', RULE, 'a data URI without ;base64');
  }
  let payload = raw.slice(comma + 1);
  // Some clients percent-encode the base64 alphabet's +, / and =.
  if (payload.includes('%')) {
    try {
      payload = decodeURIComponent(payload);
    } catch {
      throw new ImageInputError(index, 'bad_data_uri', RULE, 'broken percent-encoding');
    }
  }
  payload = payload.replace(/\s+/g, '');
  // Node's decoder skips characters it does not know; checking first makes garbage an error.
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload) || payload.length % 4 === 1) {
    throw new ImageInputError(index, 'bad_data_uri', RULE, 'characters that are not base64');
  }
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  checkSize(Math.floor((payload.length * 3) / 4) - padding, index, policy);
  return Buffer.from(payload, 'base64');
}

/**
 * Turns schema violations into the hosted service's `detail` entries: one per broken rule, with
 * the field's location and a message that names the field, the rule and (where it is safe) what
 * was found. Values are never echoed whole: an image URL may be a multi-megabyte data URI or carry
 * credentials.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { ErrorDetail } from '../errors.js';

/** The longest image URL accepted; data: URIs are bounded by the body limit instead. */
export const MAX_IMAGE_URL_LENGTH = 4096;

/** Why a string is not an acceptable image reference, or undefined when it is one. */
export function imageUriProblem(value: string): string | undefined {
  if (value.startsWith('data:')) {
    return /^data:image\/[a-z0-9.+-]+(;[a-z0-9=.+-]+)*;base64,/i.test(value.slice(0, 200))
      ? undefined
      : 'must be a base64 data URI of an image (data:image/png;base64,…)';
  }
  if (value.length > MAX_IMAGE_URL_LENGTH) return `must be at most ${MAX_IMAGE_URL_LENGTH} characters long (got ${value.length})`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL or a data: URI';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http(s) URL or a data: URI (got a ${url.protocol.slice(0, 20)} URL)`;
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  return undefined;
}

/** Why a string is not an acceptable webhook URL, or undefined when it is one. */
export function webhookUrlProblem(value: string): string | undefined {
  if (value.startsWith('data:')) return 'must be an http(s) URL';
  return imageUriProblem(value)?.replace(' or a data: URI', '');
}

/**
 * The validator of request parts. Bodies are JSON and typed: a string where a number belongs is the
 * client's mistake to hear about, not to guess at, and the stored input is exactly the model's
 * schema (unknown fields dropped). Query strings, paths and headers are text by nature, so they are
 * coerced.
 */
export function schemaValidator(part: 'body' | 'text'): Ajv {
  const ajv = new Ajv({
    coerceTypes: part === 'text' ? 'array' : false,
    useDefaults: true,
    removeAdditional: part === 'body' ? 'all' : false,
    // One detail entry per broken rule, with the offending value at hand for its message.
    allErrors: true,
    verbose: true,
    strict: false,
  });
  ajv.addFormat('image_uri', (value: string) => imageUriProblem(value) === undefined);
  ajv.addFormat('webhook_uri', (value: string) => webhookUrlProblem(value) === undefined);
  // The seed's `validations` list documents the image rules, which the fetcher enforces.
  ajv.addKeyword({ keyword: 'validations', schemaType: 'array' });
  return ajv;
}

type Loc = (string | number)[];

function locOf(context: string, instancePath: string): Loc {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return [context, ...parts];
}

/** `image_urls[3]`, `prompt`, … for messages. */
function fieldName(loc: Loc): string {
  return loc
    .slice(1)
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('') || loc[0]!.toString();
}

const ARTICLE_TYPE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `must be ${ARTICLE_TYPE[String(p.type)] ?? String(p.type)}`;
    case 'minItems':
    case 'maxItems': {
      const n = Array.isArray(e.data) ? e.data.length : undefined;
      const bounds = e.parentSchema as { minItems?: number; maxItems?: number } | undefined;
      const range = bounds?.minItems !== undefined && bounds.maxItems !== undefined ? `${bounds.minItems}–${bounds.maxItems}` : String(p.limit);
      return `Supports ${range} images${n === undefined ? '' : ` (got ${n})`}`;
    }
    case 'maxLength':
      return `must be at most ${p.limit} characters${typeof e.data === 'string' ? ` (got ${[...e.data].length})` : ''}`;
    case 'minLength':
      return `must be at least ${p.limit} characters`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const s = e.parentSchema as { minimum?: number; maximum?: number } | undefined;
      const got = typeof e.data === 'number' ? ` (got ${e.data})` : '';
      return s?.minimum !== undefined && s.maximum !== undefined
        ? `must be between ${s.minimum} and ${s.maximum}${got}`
        : `must be ${e.keyword.includes('max') ? '≤' : '≥'} ${p.limit}${got}`;
    }
    case 'format':
      if (p.format === 'image_uri' && typeof e.data === 'string') return imageUriProblem(e.data) ?? 'is not a valid image URL';
      if (p.format === 'webhook_uri' && typeof e.data === 'string') return webhookUrlProblem(e.data) ?? 'is not a valid webhook URL';
      return `must be a valid ${String(p.format)}`;
    default:
      return e.message ?? 'is invalid';
  }
}

export function toErrorDetails(errors: ErrorObject[], context: string): ErrorDetail[] {
  return errors.map((e) => {
    if (e.keyword === 'required') {
      const loc = [...locOf(context, e.instancePath), String((e.params as { missingProperty: string }).missingProperty)];
      return { loc, msg: `${fieldName(loc)} is required` };
    }
    const loc = locOf(context, e.instancePath);
    return { loc, msg: `${fieldName(loc)} ${describe(e)}`.replace(/^(image_urls) Supports/, '$1: Supports') };
  });
}

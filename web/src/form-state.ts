/** What the model form holds, and how it becomes a request body and back. */
import type { ErrorDetail } from '@retouch/client';
import { initialValues, type Field } from './schema.js';

export interface ImageItem {
  id: string;
  /** The file's name, or the URL's last path segment. */
  name: string;
  source: 'file' | 'url';
  /** Set once the image can go into the request: the upload's URL, or the URL given. */
  url?: string;
  /** What the thumbnail shows: an object URL for a file, the URL itself otherwise. */
  preview?: string;
  width?: number;
  height?: number;
  state: 'checking' | 'uploading' | 'ready' | 'refused';
  error?: string;
}

export interface FormState {
  values: Record<string, unknown>;
  images: Record<string, ImageItem[]>;
  /** By field key: what is wrong with it (from the browser's checks or the server's `detail`). */
  errors: Record<string, string>;
  /** What could not be put next to a field. */
  formError?: string;
}

let nextId = 0;
export const newId = (): string => `img${++nextId}`;

export function emptyForm(fields: Field[]): FormState {
  const images: Record<string, ImageItem[]> = {};
  for (const f of fields) if (f.kind === 'images') images[f.key] = [];
  return { values: initialValues(fields), images, errors: {} };
}

export function nameOfUrl(url: string): string {
  if (url.startsWith('data:')) return 'data URI';
  try {
    const u = new URL(url);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? u.host) || u.host;
  } catch {
    return url.slice(0, 40);
  }
}

/** A stored request's input back into the form (the library's "run again"). */
export function formFromInput(fields: Field[], input: Record<string, unknown>): FormState {
  const form = emptyForm(fields);
  for (const f of fields) {
    const v = input[f.key];
    if (v === undefined) continue;
    if (f.kind === 'images' && Array.isArray(v)) {
      form.images[f.key] = v
        .filter((u): u is string => typeof u === 'string')
        .map((url) => ({ id: newId(), name: nameOfUrl(url), source: 'url' as const, url, preview: url, state: 'ready' as const }));
    } else {
      form.values[f.key] = v;
    }
  }
  return form;
}

/** The request body for the form as it is; images that are not ready are left out. */
export function inputOf(fields: Field[], form: FormState): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.kind === 'images') {
      input[f.key] = (form.images[f.key] ?? []).filter((i) => i.state === 'ready' && i.url).map((i) => i.url);
      continue;
    }
    const v = form.values[f.key];
    if (v === undefined || (v === '' && !f.required)) continue;
    input[f.key] = v;
  }
  return input;
}

/**
 * Puts the server's `detail` entries next to their fields: `["body","prompt"]` on the prompt,
 * `["body","image_urls",1]` on the second image sent. What names no field stays for the form.
 */
export function applyDetail(fields: Field[], form: FormState, detail: ErrorDetail[], fallback: string): FormState {
  const errors: Record<string, string> = {};
  const images = Object.fromEntries(Object.entries(form.images).map(([k, list]) => [k, list.map((i) => ({ ...i }))]));
  const unplaced: string[] = [];
  for (const d of detail) {
    const [where, key, index] = d.loc;
    const field = where === 'body' ? fields.find((f) => f.key === key) : undefined;
    if (!field) {
      unplaced.push(d.msg);
      continue;
    }
    const msg = withoutFieldName(field.key, d.msg);
    if (field.kind === 'images' && typeof index === 'number') {
      const sent = (images[field.key] ?? []).filter((i) => i.state === 'ready' && i.url);
      const item = sent[index];
      if (item) {
        item.error = msg;
        continue;
      }
    }
    errors[field.key] = errors[field.key] ? `${errors[field.key]} ${msg}` : msg;
  }
  const formError = unplaced.length ? unplaced.join(' ') : detail.length ? undefined : fallback;
  return { ...form, images, errors, formError };
}

/**
 * Next to its field, a message need not name the field: `image_urls[1] must be an http(s) URL…`
 * becomes `Must be an http(s) URL…` on the second image, `image_urls: Supports 1–10 images` becomes
 * `Supports 1–10 images` under Images.
 */
function withoutFieldName(key: string, msg: string): string {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rest = msg.replace(new RegExp(`^${escaped}(\\[\\d+\\])?:?\\s+`), '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/**
 * A failed request's message names the image it is about (`image_urls[1]: The input image aspect
 * ratio must be within [1/3, 3]. (found 3900x1000)`): put it on that image too.
 */
export function applyFailure(fields: Field[], form: FormState, message: string): FormState {
  const m = /^([\w×-]+)\[(\d+)\]:\s*(.*)$/s.exec(message);
  if (!m) return form;
  return applyDetail(fields, form, [{ loc: ['body', m[1]!, Number(m[2])], msg: m[3]! }], '');
}

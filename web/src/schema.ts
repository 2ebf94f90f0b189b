/**
 * A model's input JSON Schema (from `GET /v1/models`) turned into form fields. Nothing here knows
 * the Dreamina model: a field's widget follows from its schema, so another model in the catalogue
 * gets its form for free.
 */
import type { JsonSchema } from './session.js';

export type FieldKind = 'images' | 'longtext' | 'text' | 'size' | 'choice' | 'slider' | 'number' | 'toggle';

export interface Field {
  key: string;
  kind: FieldKind;
  label: string;
  /** The schema's description, empty when it has none. */
  description: string;
  required: boolean;
  schema: JsonSchema;
}

/** `2048x2048(1:1)`: a size choice, whose aspect the form draws. */
export const SIZE_CHOICE = /^(\d+)x(\d+)\((\d+):(\d+)\)$/;

export function parseSizeChoice(value: string): { width: number; height: number; ratio: string } | undefined {
  const m = SIZE_CHOICE.exec(value);
  return m ? { width: Number(m[1]), height: Number(m[2]), ratio: `${m[3]}:${m[4]}` } : undefined;
}

function kindOf(key: string, s: JsonSchema): FieldKind {
  if (s.type === 'array' && s.items?.type === 'string' && (s.items.format === 'image_uri' || /image/i.test(key))) return 'images';
  if (s.enum && s.enum.length > 0) {
    return s.enum.every((v) => typeof v === 'string' && SIZE_CHOICE.test(v)) ? 'size' : 'choice';
  }
  if (s.type === 'boolean') return 'toggle';
  if (s.type === 'number' && s.minimum !== undefined && s.maximum !== undefined) return 'slider';
  if (s.type === 'number' || s.type === 'integer') return 'number';
  if (s.type === 'string' && (key === 'prompt' || (s.maxLength ?? 0) > 200)) return 'longtext';
  return 'text';
}

/** `force_single` → `Force single`; a schema title wins, capitalised (the seed's `prompt` → `Prompt`). */
function labelOf(key: string, s: JsonSchema): string {
  const raw = s.title && s.title !== key ? s.title : key.replace(/[_-]+/g, ' ');
  return raw.charAt(0).toUpperCase() + raw.slice(1);
}

export function fieldsOf(schema: JsonSchema): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, s]) => ({
    key,
    kind: kindOf(key, s),
    label: labelOf(key, s),
    description: s.description ?? '',
    required: required.has(key),
    schema: s,
  }));
}

/**
 * The form's first values: the schema's defaults for choices, numbers and switches. Example texts
 * and example image URLs (the seed's defaults point at the hosted service's samples) are shown as
 * placeholders instead, so a first Run uses the user's own pictures and words.
 */
export function initialValues(fields: Field[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.kind === 'images') values[f.key] = [];
    else if (f.kind === 'longtext' || f.kind === 'text') values[f.key] = '';
    else if (f.schema.default !== undefined) values[f.key] = f.schema.default;
    else if (f.kind === 'toggle') values[f.key] = false;
    else if (f.kind === 'slider') values[f.key] = f.schema.minimum;
  }
  return values;
}

/** The first sentence of a description, for a one-line hint. */
export function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/.exec(text.trim());
  return (m ? m[1]! : text).trim();
}

export interface ImageRules {
  /** MIME types, or undefined when the schema names none. */
  formats?: { types: string[]; message: string };
  maxBytes?: { value: number; message: string };
  maxWidth?: { value: number; message: string };
  maxHeight?: { value: number; message: string };
  minAspect?: { value: number; message: string };
  maxAspect?: { value: number; message: string };
}

const FORMAT_TYPES: Record<string, string> = { JPEG: 'image/jpeg', JPG: 'image/jpeg', PNG: 'image/png', WEBP: 'image/webp', GIF: 'image/gif' };

/** The seed writes the bound 1/3 as "0.33": read it as the fraction its message states. */
function ratioValue(v: number | string): number {
  const n = Number(v);
  if (Math.abs(n - 1 / 3) < 0.005) return 1 / 3;
  return n;
}

/**
 * The image rules of an images field, with the messages the server uses: the seed's `validations`
 * list (file size, width, height, aspect ratio), and the formats its description names
 * ("Only JPEG and PNG formats are supported").
 */
export function imageRules(s: JsonSchema): ImageRules {
  const rules: ImageRules = {};
  const formats = /Only ((?:[A-Z]{3,4})(?:(?:, | and | or )[A-Z]{3,4})*) formats? (?:are|is) supported/.exec(s.description ?? '');
  if (formats) {
    const types = [...new Set(formats[1]!.split(/, | and | or /).map((f) => FORMAT_TYPES[f]).filter((t): t is string => !!t))];
    if (types.length) rules.formats = { types, message: `${formats[0]}.` };
  }
  for (const v of s.validations ?? []) {
    const m = /^(file_size_mb|width_pixels|height_pixels|width\/height)\s*(<=|≤|>=|≥)$/.exec(v.validation_rule.trim());
    if (!m) continue;
    const upper = m[2] === '<=' || m[2] === '≤';
    const message = v.validation_error;
    switch (m[1]) {
      case 'file_size_mb':
        if (upper) rules.maxBytes = { value: Number(v.validation_value) * 1024 * 1024, message };
        break;
      case 'width_pixels':
        if (upper) rules.maxWidth = { value: Number(v.validation_value), message };
        break;
      case 'height_pixels':
        if (upper) rules.maxHeight = { value: Number(v.validation_value), message };
        break;
      case 'width/height':
        if (upper) rules.maxAspect = { value: ratioValue(v.validation_value), message };
        else rules.minAspect = { value: ratioValue(v.validation_value), message };
        break;
    }
  }
  return rules;
}

/**
 * Turns TypeBox's validation errors into messages a person fixes a file with: the key as it is
 * written in the file (`engines.gpu.max_concurrency`), what was expected, and what was found, with a
 * suggestion for a misspelt key.
 */
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

export function schemaProblems(schema: TSchema, value: unknown, at: string): string[] {
  const problems: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    // `additionalProperties: false` reports each extra key twice; the object-level entry names them.
    if (error.keyword === 'boolean') continue;
    const key = joinKey(at, error.instancePath);
    const sub = subSchema(schema, error.schemaPath);
    if (error.keyword === 'additionalProperties') {
      // Each unknown key is its own problem, named by its own path.
      const known = Object.keys((sub?.properties as object | undefined) ?? {});
      for (const extra of (error.params as { additionalProperties?: string[] }).additionalProperties ?? []) {
        const near = closest(extra, known);
        const hint = near ? `; did you mean "${near}"?` : known.length ? ` (expected one of: ${known.join(', ')})` : '';
        problems.push(`${[key, extra].filter(Boolean).join('.')}: unknown key${hint}`);
      }
      continue;
    }
    const found = valueAt(value, error.instancePath);
    problems.push(`${key || '(top level)'}: ${describe(error.keyword, error.params as Record<string, unknown>, found, sub)}`);
  }
  return dedupe(problems);
}

function describe(keyword: string, params: Record<string, unknown>, found: unknown, schema: Record<string, unknown> | undefined): string {
  const got = ` (got ${show(found)})`;
  const expected = typeof schema?.description === 'string' ? schema.description : undefined;
  switch (keyword) {
    case 'required':
      return `"${(params.requiredProperties as string[] | undefined)?.join('", "') ?? params.missingProperty}" is required`;
    case 'type':
      return `expected ${expected ?? article(String(params.type))}${got}`;
    case 'minimum':
      return `expected ${expected ?? `a number of at least ${params.limit ?? params.minimum}`}${got}`;
    case 'maximum':
      return `expected ${expected ?? `a number of at most ${params.limit ?? params.maximum}`}${got}`;
    case 'minItems':
      return `expected ${expected ?? `a list of at least ${params.limit ?? params.minItems} item(s)`}${got}`;
    case 'minLength':
      return `expected ${expected ?? 'a non-empty text'}${got}`;
    case 'const':
    case 'enum':
      return `expected ${expected ?? `one of ${JSON.stringify(params.allowedValues ?? params.allowedValue ?? params.const)}`}${got}`;
    default:
      return `expected ${expected ?? `a value matching the rule "${keyword}"`}${got}`;
  }
}

function article(type: string): string {
  return { integer: 'a whole number', number: 'a number', string: 'a text', boolean: 'true or false', object: 'a map of keys', array: 'a list' }[type] ?? type;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function joinKey(at: string, pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [at, ...parts].filter(Boolean).join('.');
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/** The schema at a JSON pointer such as `#/properties/engines/patternProperties/^.*$`. */
function subSchema(schema: TSchema, pointer: string): Record<string, unknown> | undefined {
  let s: unknown = schema;
  for (const part of pointer.replace(/^#/, '').split('/').slice(1)) {
    if (s === null || typeof s !== 'object') return undefined;
    s = (s as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : undefined;
}

/** The known key within two edits of `key`, if exactly one is nearest. */
export function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

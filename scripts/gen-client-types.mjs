#!/usr/bin/env node
// Writes packages/client/src/generated/types.ts, the SDK's types for model inputs and response
// bodies, from the server's own TypeBox schemas (after a build: it imports dist/). `npm run gen:client`
// builds, regenerates and rebuilds the client; test/client/generated.test.ts fails when the file is stale.
//
// The emitter knows just the JSON Schema the server's schemas use: object, array, string, number,
// integer, boolean, null, enum, const, anyOf, and {} for "anything".
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS } from '../dist/models/catalogue.js';
import { CancelResponse, ErrorEnvelope, Output, ProgressEventData, ResultResponse, Status, StatusEventData, StatusResponse, SubmitResponse } from '../dist/contract/schemas.js';
import { UploadResponse } from '../dist/api/routes/uploads.js';

export const TARGET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/client/src/generated/types.ts');

const HEADER = `// GENERATED FILE, do not edit. Made by scripts/gen-client-types.mjs from the server's schemas
// (src/models/*.ts through src/models/catalogue.ts, src/contract/schemas.ts, src/api/routes/uploads.ts).
// Regenerate with \`npm run gen:client\`; test/client/generated.test.ts fails when it is out of date.
`;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `bytedance/dreamina-4-0/edit` → `Dreamina40Edit`: the vendor is dropped, the rest joined. */
export function typeNameOf(modelId) {
  return modelId
    .split('/')
    .slice(1)
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** What a reader of the type should know, from the schema's own words and limits. */
function docLines(schema, { required = true, key } = {}) {
  const lines = [];
  const text = schema.description || schema.title;
  if (text && text !== key) lines.push(...text.split('\n'));
  const limits = [];
  for (const k of ['minItems', 'maxItems', 'minLength', 'maxLength', 'minimum', 'maximum', 'format']) {
    if (schema[k] !== undefined) limits.push(`${k} ${schema[k]}`);
  }
  if (limits.length) lines.push(`Schema: ${limits.join(', ')}.`);
  const checks = [...new Set((schema.validations ?? []).map((v) => v.validation_error))];
  if (checks.length) lines.push(`Checked on each file: ${checks.join(' ')}`);
  // A required field's documented default is only an example: the server does not fill it in.
  if (!required && schema.default !== undefined) lines.push(`@default ${JSON.stringify(schema.default)}`);
  return lines;
}

function comment(lines, pad) {
  if (!lines.length) return '';
  if (lines.length === 1) return `${pad}/** ${lines[0].replace(/\*\//g, '*\\/')} */\n`;
  return `${pad}/**\n${lines.map((l) => `${pad} * ${l.replace(/\*\//g, '*\\/')}`.trimEnd()).join('\n')}\n${pad} */\n`;
}

class Emitter {
  constructor() {
    /** Sub-schemas that have a name of their own are referred to by it, not repeated. */
    this.named = new Map();
  }

  name(schema, name) {
    this.named.set(JSON.stringify(schema), name);
  }

  type(schema, indent, self) {
    const known = this.named.get(JSON.stringify(schema));
    if (known && known !== self) return known;
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    if (schema.anyOf || schema.oneOf) return (schema.anyOf ?? schema.oneOf).map((s) => this.type(s, indent)).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'number':
      case 'integer':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'array': {
        const item = this.type(schema.items ?? {}, indent);
        return /[|&]/.test(item) ? `Array<${item}>` : `${item}[]`;
      }
      case 'object':
        return this.object(schema, indent);
      case undefined:
        if (Object.keys(schema).every((k) => ['description', 'title', 'default'].includes(k))) return 'unknown';
      // falls through
      default:
        throw new Error(`gen-client-types: no TypeScript for the schema ${JSON.stringify(schema).slice(0, 200)}`);
    }
  }

  object(schema, indent) {
    const pad = '  '.repeat(indent + 1);
    const required = new Set(schema.required ?? []);
    const members = [];
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      const optional = required.has(key) ? '' : '?';
      const name = IDENTIFIER.test(key) ? key : JSON.stringify(key);
      const doc = this.named.has(JSON.stringify(prop)) ? [] : docLines(prop, { required: !optional, key });
      members.push(`${comment(doc, pad)}${pad}${name}${optional}: ${this.type(prop, indent + 1)};\n`);
    }
    const patterns = Object.values(schema.patternProperties ?? {});
    if (patterns.length) {
      members.push(`${pad}[key: string]: ${patterns.map((p) => this.type(p, indent + 1)).join(' | ')};\n`);
    } else if (schema.additionalProperties === true) {
      members.push(`${pad}[key: string]: unknown;\n`);
    }
    if (!members.length) return 'Record<string, never>';
    return `{\n${members.join('')}${'  '.repeat(indent)}}`;
  }

  declaration(name, schema, doc) {
    const lines = doc ?? docLines(schema);
    const body = this.type(schema, 0, name);
    const keyword = body.startsWith('{') ? `export interface ${name} ` : `export type ${name} = `;
    return `${comment(lines, '')}${keyword}${body}${body.startsWith('{') ? '' : ';'}\n`;
  }
}

export function generate() {
  const e = new Emitter();
  const out = [HEADER];

  // Shared pieces first, so that the bodies below refer to them by name.
  const ErrorDetail = ErrorEnvelope.properties.detail.items;
  const Edit = StatusResponse.properties.edits.items;
  e.name(Status, 'RequestStatus');
  e.name(Output, 'Output');
  e.name(ErrorDetail, 'ErrorDetail');
  e.name(Edit, 'Edit');
  out.push(e.declaration('RequestStatus', Status));
  out.push(e.declaration('Output', Output, ['The outputs of a completed request.', ...docLines(Output).slice(1)]));
  out.push(e.declaration('ErrorDetail', ErrorDetail, ['Where a problem is (`loc`, FastAPI-style) and what it is.']));
  out.push(e.declaration('Edit', Edit, ['One edit the engine applied, with the part of the prompt it came from.']));
  const { $id: _id, ...envelope } = ErrorEnvelope;
  out.push(e.declaration('ErrorEnvelope', envelope, ['The body of every error answer: `{error_code, message, detail}`.']));

  out.push(e.declaration('SubmitResponse', SubmitResponse, ['The answer to a submit: the request id and where to follow it.']));
  out.push(e.declaration('StatusResponse', StatusResponse, ['`GET /v1/requests/{id}/status`.']));
  out.push(e.declaration('ResultResponse', ResultResponse, ['`GET /v1/requests/{id}/result`: ' + ResultResponse.description]));
  out.push(e.declaration('CancelResponse', CancelResponse, ['`POST /v1/requests/{id}/cancel` on a queued request.']));
  out.push(e.declaration('StatusEventData', StatusEventData, ['`data` of a `status` event of `GET /v1/requests/{id}/status/stream`: ' + StatusEventData.description]));
  out.push(e.declaration('ProgressEventData', ProgressEventData, ['`data` of a `progress` event of the status stream: the queue position or the progress changed.']));
  out.push(e.declaration('UploadResponse', UploadResponse, ['`POST /v1/files`: an uploaded image, whose `url` goes into `image_urls`.']));

  const models = [...MODELS.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const m of models) {
    out.push(e.declaration(`${typeNameOf(m.id)}Input`, m.input, [`The input of \`${m.id}\` (${m.title}).`, '', m.summary]));
  }
  out.push(
    `/** Every model the server runs, by id, with its input type. */\nexport interface ModelInputs {\n${models
      .map((m) => `  ${JSON.stringify(m.id)}: ${typeNameOf(m.id)}Input;\n`)
      .join('')}}\n`,
  );
  out.push(`/** The model ids, as values. */\nexport const MODEL_IDS = [${models.map((m) => JSON.stringify(m.id)).join(', ')}] as const;\n`);
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });
  fs.writeFileSync(TARGET, generate());
  console.log(`${path.relative(process.cwd(), TARGET)} written`);
}

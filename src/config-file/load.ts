/**
 * Reads the configuration file (`--config FILE` / RETOUCH_CONFIG), YAML or JSON, and checks all of
 * it before anything starts: the top level against its schema, each engine against its type's
 * options, each model route against the catalogue and the engines defined. Every problem found is
 * reported at once, each naming its key as written in the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type } from 'typebox';
import { parseDocument } from 'yaml';
import { COMMON_OPTIONS, ENGINE_TYPES } from '../engine/registry.js';
import { MODELS } from '../models/catalogue.js';
import { parseDuration } from '../units.js';
import { closest, schemaProblems } from './problems.js';
import { fileSchema } from './schema.js';

/** One engine as the file defines it, with the options every type shares already read. */
export interface EngineConfig {
  type: string;
  maxConcurrency?: number | undefined;
  timeoutMs?: number | undefined;
  cooldownMs?: number | undefined;
  /** The type's own options, as written (snake_case keys). */
  options: Record<string, unknown>;
}

/** Default per-account limits; absent means unlimited. */
export interface AccountLimits {
  rpm?: number | undefined;
  concurrent?: number | undefined;
  dailyImages?: number | undefined;
}

export interface ConfigFile {
  path: string;
  /** Relative paths in the file are relative to this folder. */
  baseDir: string;
  /** Settings given in the file, by setting name, as text for the setting's own parser. */
  settings: Record<string, string>;
  engines: Record<string, EngineConfig>;
  /** Model id → engine names, in the order they are tried. */
  routes: Map<string, string[]>;
  limits: AccountLimits;
}

export class ConfigFileError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file} is not a valid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * @param settingNames the names of config.ts's settings (camelCase); the file spells them in snake_case.
 */
export function readConfigFile(file: string, settingNames: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const absolute = path.resolve(file);
  const baseDir = path.dirname(absolute);
  const doc = parse(absolute, file);
  const bySnake = new Map(settingNames.map((n) => [snakeCase(n), n]));

  const problems = schemaProblems(fileSchema([...bySnake.keys()]), doc, '');
  if (!isMap(doc)) throw new ConfigFileError(file, problems);
  // The parts whose shape is right are checked further even when others are wrong: all at once.
  const top = doc;
  const mapOf = <T>(v: unknown, ok: (e: unknown) => boolean): Record<string, T> =>
    isMap(v) ? (Object.fromEntries(Object.entries(v).filter(([, e]) => ok(e))) as Record<string, T>) : {};

  const settings: Record<string, string> = {};
  for (const [snake, name] of bySnake) {
    const v = top[snake];
    if (v !== undefined) settings[name] = Array.isArray(v) ? v.join(',') : String(v);
  }

  const engines: Record<string, EngineConfig> = {};
  for (const [name, raw] of Object.entries(mapOf<Record<string, unknown>>(top.engines, (e) => isMap(e) && typeof e.type === 'string'))) {
    const at = `engines.${name}`;
    const type = String(raw.type);
    const def = ENGINE_TYPES[type];
    if (!def) {
      const near = closest(type, Object.keys(ENGINE_TYPES));
      problems.push(`${at}.type: unknown engine type "${type}"${near ? `; did you mean "${near}"?` : ''} (types: ${Object.keys(ENGINE_TYPES).join(', ')})`);
      continue;
    }
    if ((name === 'builtin') !== (type === 'builtin')) {
      problems.push(`${at}.type: the name "builtin" is reserved for the engine of type builtin, and that type takes no other name`);
      continue;
    }
    const optionProblems = schemaProblems(Type.Object({ ...COMMON_OPTIONS, ...def.options }, { additionalProperties: false }), raw, at);
    if (optionProblems.length === 0) {
      for (const p of def.check?.(raw, { baseDir, env }) ?? []) optionProblems.push(`${at}.${p.key}: ${p.message}`);
    }
    problems.push(...optionProblems);
    const { type: _type, max_concurrency, timeout, cooldown, ...options } = raw;
    engines[name] = {
      type,
      maxConcurrency: max_concurrency as number | undefined,
      timeoutMs: timeout === undefined ? undefined : parseDuration(timeout as string | number),
      cooldownMs: cooldown === undefined ? undefined : parseDuration(cooldown as string | number),
      options,
    };
  }

  const routes = new Map<string, string[]>();
  // A broken engine is still defined: its own problem is reported once, not again at each route.
  const defined = ['builtin', ...Object.keys(isMap(top.engines) ? top.engines : {}).filter((n) => n !== 'builtin')];
  const routable = (e: unknown) => isMap(e) && Array.isArray(e.engines) && e.engines.every((n) => typeof n === 'string');
  for (const [model, route] of Object.entries(mapOf<{ engines: string[] }>(top.models, routable))) {
    if (!MODELS.has(model)) {
      const near = closest(model, [...MODELS.keys()]);
      problems.push(`models.${model}: unknown model${near ? `; did you mean "${near}"?` : ''} (models: ${[...MODELS.keys()].join(', ')})`);
      continue;
    }
    route.engines.forEach((name, i) => {
      if (defined.includes(name)) return;
      const near = closest(name, defined);
      problems.push(`models.${model}.engines[${i}]: no engine named "${name}"${near ? `; did you mean "${near}"?` : ''} (engines: ${defined.join(', ')})`);
    });
    if (new Set(route.engines).size !== route.engines.length) problems.push(`models.${model}.engines: an engine is listed twice`);
    routes.set(model, route.engines);
  }
  if (problems.length) throw new ConfigFileError(file, problems);

  const limits = (top.limits ?? {}) as { rpm?: number; concurrent?: number; daily_images?: number };
  return {
    path: absolute,
    baseDir,
    settings,
    engines,
    routes,
    limits: { rpm: limits.rpm, concurrent: limits.concurrent, dailyImages: limits.daily_images },
  };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parse(absolute: string, shown: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(shown, [code === 'ENOENT' ? 'the file does not exist' : `the file cannot be read (${code ?? 'error'})`]);
  }
  if (absolute.endsWith('.json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ConfigFileError(shown, [`not valid JSON: ${(err as Error).message}`]);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) throw new ConfigFileError(shown, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  // An empty file configures nothing, which is valid.
  return value ?? {};
}

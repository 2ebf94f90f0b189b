/**
 * One typed configuration, from command-line flags and environment variables, with the embedded
 * defaults. The table below is the single place a setting is declared: the CLI builds its flags
 * and `--help` from it, and the README's configuration table is generated from it
 * (`npm run docs:config`).
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigFileError, readConfigFile, snakeCase, type AccountLimits, type ConfigFile, type EngineConfig } from './config-file/load.js';
import { parseBytes, parseDuration } from './units.js';

type Parser<T> = (raw: string, name: string) => T;

interface Setting<T> {
  /** The flag, commander-style: "--port <n>" or "--allow-private-urls" for a boolean. */
  flag: string;
  env: string;
  help: string;
  /** The default as a user would type it, so that it reads well in --help and the README. */
  default: string | undefined;
  parse: Parser<T>;
  /** Settings only a worker or only the API reads, to keep each command's --help short. */
  roles: readonly Role[];
}

export type Role = 'api' | 'worker';
const API: readonly Role[] = ['api'];
const WORKER: readonly Role[] = ['worker'];
const BOTH: readonly Role[] = ['api', 'worker'];

export class ConfigError extends Error {}

const text: Parser<string> = (raw) => raw;

function integer(min: number, max: number): Parser<number> {
  return (raw, name) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    }
    return n;
  };
}

const boolean: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
};

/** "500ms", "30s", "15m", "12h", "7d", or a bare number of seconds. Returns milliseconds. */
export const duration: Parser<number> = (raw, name) => {
  const ms = parseDuration(raw);
  if (ms === undefined) throw new ConfigError(`${name} must be a duration such as 30s, 15m, 12h or 7d (got "${raw}")`);
  return ms;
};

/** "64mb", "512kb", or a bare number of bytes. */
export const bytes: Parser<number> = (raw, name) => {
  const n = parseBytes(raw);
  if (n === undefined) throw new ConfigError(`${name} must be a size such as 512kb or 64mb (got "${raw}")`);
  return n;
};

const url: Parser<string> = (raw, name) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${raw}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
  return parsed.href.replace(/\/+$/, '');
};

const list: Parser<string[] | null> = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : null;
};

const optional = <T>(p: Parser<T>): Parser<T | undefined> => (raw, name) => (raw === '' ? undefined : p(raw, name));

const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (raw, name) => {
  if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
  return raw as T;
};

/** Never echoed back: the URL may hold a password. */
const postgresUrl: Parser<string> = (raw, name) => {
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    // Reported below.
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must be a URL such as postgres://user:password@host:5432/retouch`);
  }
  return raw;
};

export interface S3Location {
  kind: 's3';
  bucket: string;
  /** Without slashes at either end; '' for the whole bucket. */
  prefix: string;
  endpoint: string | undefined;
  region: string | undefined;
  pathStyle: boolean;
}
export type StorageLocation = { kind: 'local' } | S3Location;

const S3_PARAMS = ['endpoint', 'region', 'path_style'];

/** `local`, or `s3://BUCKET[/PREFIX]?endpoint=…&region=…&path_style=true`. */
const storageLocation: Parser<StorageLocation> = (raw, name) => {
  if (raw === 'local') return { kind: 'local' };
  const shape = `local or s3://BUCKET[/PREFIX]?endpoint=…&region=…&path_style=true`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be ${shape} (got "${raw}")`);
  }
  if (u.protocol !== 's3:') throw new ConfigError(`${name} must be ${shape} (got "${raw}")`);
  if (u.username || u.password) throw new ConfigError(`${name}: credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL`);
  const bucket = u.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`${name}: "${bucket}" is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)`);
  }
  // From the text as typed: URL parsing would quietly resolve "a/../b" to "b".
  const prefix = (raw.slice(`s3://${bucket}`.length).split(/[?#]/)[0] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix && !prefix.split('/').every((seg) => /^[A-Za-z0-9._-]+$/.test(seg) && seg !== '.' && seg !== '..')) {
    throw new ConfigError(`${name}: the prefix "${prefix}" may hold only letters, digits, dots, hyphens, underscores and single slashes`);
  }
  const unknown = [...u.searchParams.keys()].filter((k) => !S3_PARAMS.includes(k));
  if (unknown.length) throw new ConfigError(`${name}: unknown parameter ${unknown.join(', ')} (known: ${S3_PARAMS.join(', ')})`);
  const endpoint = u.searchParams.get('endpoint') || undefined;
  if (endpoint) url(endpoint, `${name} endpoint`);
  const pathStyle = u.searchParams.get('path_style');
  return {
    kind: 's3',
    bucket,
    prefix,
    endpoint: endpoint?.replace(/\/+$/, ''),
    region: u.searchParams.get('region') || undefined,
    pathStyle: pathStyle === null ? false : boolean(pathStyle, `${name} path_style`),
  };
};

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

export const SETTINGS = {
  config: setting({ flag: '--config <file>', env: 'RETOUCH_CONFIG', default: undefined, parse: optional(text), roles: BOTH,
    help: 'A YAML or JSON file with engines, which engines serve each model, default limits, and any of these settings by their snake_case name (flags and environment win). Check one with `retouch config check FILE`.' }),
  host: setting({ flag: '--host <host>', env: 'RETOUCH_HOST', default: '127.0.0.1', parse: text, roles: BOTH,
    help: 'Address to listen on (the API, and the metrics port). Use 0.0.0.0 to accept connections from other machines.' }),
  port: setting({ flag: '--port <port>', env: 'RETOUCH_PORT', default: '8000', parse: integer(0, 65535), roles: API,
    help: 'TCP port to listen on (0 picks a free one).' }),
  metricsPort: setting({ flag: '--metrics-port <port>', env: 'RETOUCH_METRICS_PORT', default: undefined, parse: optional(integer(0, 65535)), roles: BOTH,
    help: 'Serve Prometheus metrics at GET /metrics on this port (on --host), never on the public port; off when unset. docs/operations.md lists them.' }),
  dataDir: setting({ flag: '--data-dir <dir>', env: 'RETOUCH_DATA_DIR', default: './.retouch', parse: text, roles: BOTH,
    help: 'Where the SQLite database, the signing secret and the output files live (nothing, with --database-url and s3:// storage).' }),
  databaseUrl: setting({ flag: '--database-url <url>', env: 'RETOUCH_DATABASE_URL', default: undefined, parse: optional(postgresUrl), roles: BOTH,
    help: 'PostgreSQL (postgres://user:password@host:5432/db): requests, the queue, keys and the URL signing secret live there instead of the data dir, so that API nodes and workers can run on several machines. Prefer the variable: flags show in process lists.' }),
  databasePool: setting({ flag: '--database-pool <n>', env: 'RETOUCH_DATABASE_POOL', default: '10', parse: integer(1, 1000), roles: BOTH,
    help: 'Most PostgreSQL connections this process opens for queries (one more listens for notifications); idle ones close after 30 s.' }),
  storage: setting({ flag: '--storage <where>', env: 'RETOUCH_STORAGE', default: 'local', parse: storageLocation, roles: BOTH,
    help: 'Where outputs and uploads live: local (the data dir) or s3://BUCKET[/PREFIX]?endpoint=…&region=…&path_style=true (any S3-compatible bucket; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).' }),
  storageDownloads: setting({ flag: '--storage-downloads <mode>', env: 'RETOUCH_STORAGE_DOWNLOADS', default: 'redirect', parse: oneOf(['redirect', 'stream'] as const), roles: API,
    help: 'With s3:// storage, how an output URL is answered: redirect (302 to a presigned URL of the bucket, valid 5 minutes) or stream (this node relays the bytes).' }),
  publicUrl: setting({ flag: '--public-url <url>', env: 'RETOUCH_PUBLIC_URL', default: undefined, parse: optional(url), roles: BOTH,
    help: 'Base of the URLs handed to clients (status, result, outputs). Default: http://<host>:<port>.' }),
  apiKey: setting({ flag: '--api-key <key>', env: 'RETOUCH_API_KEY', default: undefined, parse: optional(text), roles: API,
    help: 'An extra API key accepted besides the stored ones (for a single-user setup). Prefer the variable: flags show in process lists.' }),
  concurrency: setting({ flag: '--concurrency <n>', env: 'RETOUCH_CONCURRENCY', default: 'auto', roles: WORKER,
    parse: (raw, name) => (raw === 'auto' ? Math.max(1, Math.min(4, os.availableParallelism())) : integer(1, 64)(raw, name)),
    help: 'Engine runs at once in this process; auto is the number of cores, at most 4.' }),
  maxQueue: setting({ flag: '--max-queue <n>', env: 'RETOUCH_MAX_QUEUE', default: '1000', parse: integer(1, 10_000_000), roles: API,
    help: 'Queued requests before submits are refused with 429001 and Retry-After.' }),
  allowPrivateUrls: setting({ flag: '--allow-private-urls', env: 'RETOUCH_ALLOW_PRIVATE_URLS', default: 'false', parse: boolean, roles: WORKER,
    help: 'Let image URLs point at loopback and private addresses (local testing only).' }),
  allowedHosts: setting({ flag: '--allowed-hosts <list>', env: 'RETOUCH_ALLOWED_HOSTS', default: undefined, parse: list, roles: WORKER,
    help: 'Comma-separated host names or patterns (*.example.com); when set, images are fetched only from these.' }),
  fetchConnectTimeout: setting({ flag: '--fetch-connect-timeout <duration>', env: 'RETOUCH_FETCH_CONNECT_TIMEOUT', default: '5s', parse: duration, roles: WORKER,
    help: 'Connect timeout when fetching an image URL.' }),
  fetchFirstByteTimeout: setting({ flag: '--fetch-first-byte-timeout <duration>', env: 'RETOUCH_FETCH_FIRST_BYTE_TIMEOUT', default: '10s', parse: duration, roles: WORKER,
    help: 'Time allowed for the response headers of an image URL.' }),
  fetchTimeout: setting({ flag: '--fetch-timeout <duration>', env: 'RETOUCH_FETCH_TIMEOUT', default: '30s', parse: duration, roles: WORKER,
    help: 'Total deadline for downloading one image.' }),
  corsOrigins: setting({ flag: '--cors-origins <list>', env: 'RETOUCH_CORS_ORIGINS', default: undefined, parse: list, roles: API,
    help: 'Comma-separated origins (https://app.example.com) whose pages may call the API from a browser; none by default.' }),
  bodyLimit: setting({ flag: '--body-limit <size>', env: 'RETOUCH_BODY_LIMIT', default: '64mb', parse: bytes, roles: API,
    help: 'Largest request body (JSON with data: URIs, or an upload).' }),
  lease: setting({ flag: '--lease <duration>', env: 'RETOUCH_LEASE', default: '30s', parse: duration, roles: WORKER,
    help: 'How long a worker holds a request without renewing; a dead worker\'s requests return to the queue after this.' }),
  maxAttempts: setting({ flag: '--max-attempts <n>', env: 'RETOUCH_MAX_ATTEMPTS', default: '3', parse: integer(1, 100), roles: WORKER,
    help: 'Times a request is started before it fails because its workers kept dying.' }),
  retention: setting({ flag: '--retention <duration>', env: 'RETOUCH_RETENTION', default: '7d', parse: duration, roles: BOTH,
    help: 'How long requests, outputs and uploads are kept; afterwards their ids answer 404001.' }),
  usageRetention: setting({ flag: '--usage-retention <duration>', env: 'RETOUCH_USAGE_RETENTION', default: '365d', parse: duration, roles: BOTH,
    help: 'How long the usage ledger keeps what each ended request used (images, megapixels, compute, upstream cost), independently of --retention.' }),
  uploadTtl: setting({ flag: '--upload-ttl <duration>', env: 'RETOUCH_UPLOAD_TTL', default: '24h', parse: duration, roles: BOTH,
    help: 'How long an uploaded file (POST /v1/files) can be used and is kept.' }),
  urlTtl: setting({ flag: '--url-ttl <duration>', env: 'RETOUCH_URL_TTL', default: '7d', parse: duration, roles: BOTH,
    help: 'Lifetime of the signed output URLs.' }),
  shutdownGrace: setting({ flag: '--shutdown-grace <duration>', env: 'RETOUCH_SHUTDOWN_GRACE', default: '30s', parse: duration, roles: WORKER,
    help: 'On SIGTERM/SIGINT, how long running requests may take to finish before they go back to the queue.' }),
  webhookRetryFor: setting({ flag: '--webhook-retry-for <duration>', env: 'RETOUCH_WEBHOOK_RETRY_FOR', default: '24h', parse: duration, roles: WORKER,
    help: 'How long an undelivered webhook is retried before it is given up.' }),
  webhookRetryDelay: setting({ flag: '--webhook-retry-delay <duration>', env: 'RETOUCH_WEBHOOK_RETRY_DELAY', default: '5s', parse: duration, roles: WORKER,
    help: 'Wait before the first webhook retry; each next one waits twice as long, up to an hour.' }),
  webhookTimeout: setting({ flag: '--webhook-timeout <duration>', env: 'RETOUCH_WEBHOOK_TIMEOUT', default: '10s', parse: duration, roles: WORKER,
    help: 'Time a webhook receiver has to answer.' }),
  syncTimeout: setting({ flag: '--sync-timeout <duration>', env: 'RETOUCH_SYNC_TIMEOUT', default: '5m', parse: duration, roles: API,
    help: 'How long a synchronous call of another API\'s surface (OpenAI images.edit, fal.run) waits for its request before answering a timeout.' }),
  logLevel: setting({ flag: '--log-level <level>', env: 'RETOUCH_LOG_LEVEL', default: 'info', roles: BOTH,
    help: 'Log level of the JSON logs on stdout: fatal, error, warn, info, debug, trace or silent.',
    parse: (raw, name) => {
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      if (!levels.includes(raw)) throw new ConfigError(`${name} must be one of ${levels.join(', ')} (got "${raw}")`);
      return raw as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    },
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
type Parsed = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };

export interface Config extends Omit<Parsed, 'publicUrl' | 'dataDir' | 'config'> {
  /** Absolute. */
  dataDir: string;
  /** Always set: derived from host and port when not given. */
  publicUrl: string;
  /** The configuration file read, absolute; undefined without one. */
  configFile: string | undefined;
  /** Engines defined by the file (builtin is always there, whether the file tunes it or not). */
  engines: Record<string, EngineConfig>;
  /** Model id → engine names in the order they are tried; a model not listed uses builtin alone. */
  routes: ReadonlyMap<string, readonly string[]>;
  /** Default per-account limits; absent means unlimited. */
  limits: AccountLimits;
}

/**
 * Resolves every setting: an explicit value (from a flag) wins over the environment, which wins
 * over the default. Throws ConfigError naming the flag and the environment variable.
 */
export function resolveConfig(explicit: Partial<Record<SettingName, string>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fileName = explicit.config ?? env[SETTINGS.config.env];
  const file = fileName ? readFile(fileName, env) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingName, Setting<unknown>][]) {
    const fromFile = file?.settings[key];
    const raw = explicit[key] ?? env[s.env] ?? fromFile ?? s.default;
    const given = explicit[key] ?? env[s.env];
    const name = given === undefined && fromFile !== undefined ? `${snakeCase(key)} in ${fileName}` : `${s.flag.split(' ')[0]} / ${s.env}`;
    out[key] = raw === undefined ? undefined : s.parse(raw, name);
  }
  const { config: _config, ...parsed } = out as Parsed;
  const host = parsed.host === '0.0.0.0' || parsed.host === '::' ? '127.0.0.1' : parsed.host;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  // A data dir written in the file is relative to the file, like every other path in it.
  const dataDirFromFile = explicit.dataDir === undefined && env[SETTINGS.dataDir.env] === undefined && file?.settings.dataDir !== undefined;
  return {
    ...parsed,
    dataDir: path.resolve(dataDirFromFile ? file!.baseDir : '.', parsed.dataDir),
    publicUrl: parsed.publicUrl ?? `http://${hostInUrl}:${parsed.port}`,
    configFile: file?.path,
    engines: file?.engines ?? {},
    routes: file?.routes ?? new Map(),
    limits: file?.limits ?? {},
  };
}

function readFile(name: string, env: NodeJS.ProcessEnv): ConfigFile {
  try {
    return readConfigFile(name, Object.keys(SETTINGS).filter((k) => k !== 'config'), env);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ConfigError(err.message);
    throw err;
  }
}

export function settingsFor(role: Role): [SettingName, Setting<unknown>][] {
  return (Object.entries(SETTINGS) as [SettingName, Setting<unknown>][]).filter(([, s]) => s.roles.includes(role));
}

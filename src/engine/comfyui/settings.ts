/**
 * A comfyui engine's options as the configuration file writes them (snake_case, checked against the
 * schema in definition.ts), read into settings, with the problems the schema cannot see: one of
 * url/urls, URLs that parse, header variables that are set. Light: the configuration check uses it.
 */
import type { OptionProblem } from '../registry.js';
import { parseDuration } from '../../units.js';

export interface ComfySettings {
  urls: string[];
  /** As configured: a path relative to the config file, or a shipped workflow's name. */
  workflow: string;
  /** Sent with every HTTP call and the websocket handshake (a proxy's credentials, for one). */
  headers: Record<string, string>;
  /** Deadline of each HTTP call to ComfyUI. */
  requestTimeoutMs: number;
  /** How often a running prompt's history is read, besides the websocket's events. */
  pollMs: number;
  /** How often each server is checked (answers, node types, model files). */
  probeMs: number;
}

export const DEFAULTS = { requestTimeout: '30s', pollInterval: '1s', probeInterval: '10s' } as const;

export function readSettings(options: Record<string, unknown>, env: NodeJS.ProcessEnv): { settings: ComfySettings; problems: OptionProblem[] } {
  const problems: OptionProblem[] = [];
  const url = options.url as string | undefined;
  const urls = options.urls as string[] | undefined;
  if (url === undefined && urls === undefined) problems.push({ key: 'url', message: 'give url (one ComfyUI server) or urls (a pool of them)' });
  if (url !== undefined && urls !== undefined) problems.push({ key: 'urls', message: 'give url or urls, not both' });
  const list = urls ?? (url === undefined ? [] : [url]);
  list.forEach((u, i) => {
    const key = urls ? `urls[${i}]` : 'url';
    let parsed: URL | undefined;
    try {
      parsed = new URL(u);
    } catch {
      problems.push({ key, message: `"${u}" is not a URL` });
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.push({ key, message: 'expected an http:// or https:// URL' });
  });
  if (new Set(list).size !== list.length) problems.push({ key: 'urls', message: 'a server is listed twice' });

  const headers: Record<string, string> = { ...((options.headers as Record<string, string> | undefined) ?? {}) };
  for (const [header, variable] of Object.entries((options.headers_env as Record<string, string> | undefined) ?? {})) {
    const value = env[variable];
    if (value === undefined || value === '') problems.push({ key: `headers_env.${header}`, message: `the environment variable ${variable} is not set` });
    else headers[header] = value;
  }
  const ms = (key: string, fallback: string) => parseDuration((options[key] as string | number | undefined) ?? fallback) ?? parseDuration(fallback)!;
  return {
    settings: {
      urls: list,
      workflow: String(options.workflow ?? ''),
      headers,
      requestTimeoutMs: Math.max(1_000, ms('request_timeout', DEFAULTS.requestTimeout)),
      pollMs: Math.max(100, ms('poll_interval', DEFAULTS.pollInterval)),
      probeMs: Math.max(1_000, ms('probe_interval', DEFAULTS.probeInterval)),
    },
    problems,
  };
}

/**
 * The page's one way to the server: the SDK for what it covers (submit, upload, stream, result,
 * cancel) and plain fetch for the rest of the public API (catalogue, library, keys, usage). Every
 * answer that says the key is refused (401) ends the session, and the page asks for a key again.
 */
import { AuthenticationError, errorFromResponse, RetouchClient, type ResultResponse } from '@retouch/client';

const KEY_STORAGE = 'retouch.apiKey';

export function storedKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) localStorage.removeItem(KEY_STORAGE);
    else localStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Private browsing without storage: the key lives as long as the page.
  }
}

/** `rt_3fA8…` — enough to recognise a key, not enough to use it. */
export function maskKey(key: string): string {
  return key.length > 8 ? `${key.slice(0, 6)}…` : '…';
}

export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  validations?: { validation_rule: string; validation_value: number | string; validation_error: string }[];
}

export interface ModelInfo {
  id: string;
  title: string;
  summary: string;
  input_schema: JsonSchema;
  /** The engines that run it, in the order they are tried. */
  engines?: { name: string; type: string }[];
}

export interface LibraryItem extends ResultResponse {
  model_id: string;
  prompt: string | null;
  image_count: number;
  thumbnail_url?: string;
}

export interface RequestDetail extends ResultResponse {
  model_id: string;
  input: Record<string, unknown>;
}

export interface KeyInfo {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
  current: boolean;
}

export interface UsageDay {
  day: string;
  requests: number;
  completed: number;
  failed: number;
  cancelled: number;
  images: number;
  output_megapixels: number;
  compute_seconds: number;
  engines: Record<string, number>;
  upstream: Record<string, number>;
}

export interface Usage {
  days: UsageDay[];
  limits: { rpm?: number; concurrent?: number; daily_images?: number };
}

/** The catalogue is public: the form can be drawn before there is a key. */
export async function fetchModels(): Promise<ModelInfo[]> {
  const res = await fetch('/v1/models', { headers: { accept: 'application/json' } });
  if (!res.ok) throw await errorFromResponse(res);
  return ((await res.json()) as { models: ModelInfo[] }).models;
}

export class Session {
  readonly client: RetouchClient;

  constructor(
    readonly key: string,
    private readonly onUnauthorized: (message: string) => void,
  ) {
    this.client = new RetouchClient({ baseUrl: location.origin, apiKey: key });
  }

  /** Runs a call; a refused key ends the session before the error reaches the caller. */
  async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof AuthenticationError) this.onUnauthorized(err.message);
      throw err;
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.guard(async () => {
      const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw await errorFromResponse(res);
      return (await res.json()) as T;
    });
  }

  listRequests(before?: string | null, limit = 12): Promise<{ requests: LibraryItem[]; next_cursor: string | null }> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (before) q.set('before', before);
    return this.json('GET', `/v1/requests?${q}`);
  }

  getRequest(id: string): Promise<RequestDetail> {
    return this.json('GET', `/v1/requests/${encodeURIComponent(id)}`);
  }

  deleteRequest(id: string): Promise<{ request_id: string; deleted: true }> {
    return this.json('DELETE', `/v1/requests/${encodeURIComponent(id)}`);
  }

  listKeys(): Promise<{ keys: KeyInfo[] }> {
    return this.json('GET', '/v1/keys');
  }

  createKey(name: string): Promise<KeyInfo & { key: string }> {
    return this.json('POST', '/v1/keys', name ? { name } : {});
  }

  revokeKey(id: string): Promise<{ id: string; revoked: true }> {
    return this.json('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  }

  usage(days = 30): Promise<Usage> {
    return this.json('GET', `/v1/usage?days=${days}`);
  }
}

/**
 * ComfyUI's HTTP API for one server (shared/protocols/comfyui.md §1–2), with undici's fetch: each
 * call has its own deadline, carries the operator's extra headers (a proxy in front of ComfyUI), and
 * never sends an Origin header (ComfyUI refuses a mismatching one with 403). A server that cannot be
 * reached raises ComfyUnreachableError; an unexpected answer raises ComfyHttpError. Neither message
 * holds the URL: callers say "ComfyUI" or "server 2".
 */
import { FormData, fetch, type Response } from 'undici';

export class ComfyUnreachableError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(what, options);
    this.name = 'ComfyUnreachableError';
  }
}

export class ComfyHttpError extends Error {
  constructor(readonly status: number, readonly route: string, readonly body: string) {
    super(`ComfyUI answered ${status} to ${route}`);
    this.name = 'ComfyHttpError';
  }
}

export interface SavedFile {
  filename: string;
  subfolder: string;
  type: string;
}

/** POST /upload/image's answer: `name` may differ from the file name sent (a clash is renamed). */
export interface UploadedFile {
  name: string;
  subfolder: string;
  type: string;
}

/** GET /history/{id} once the prompt has ended. */
export interface HistoryEntry {
  outputs: Record<string, { images?: SavedFile[] }>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
}

/** POST /prompt's answer: 200 with node_errors (possibly not empty), or 400 with error and node_errors. */
export interface PromptAnswer {
  status: number;
  body: {
    prompt_id?: string;
    number?: number;
    error?: { type?: string; message?: string; details?: string } | string;
    node_errors?: Record<string, NodeError>;
  };
}

export interface NodeError {
  class_type?: string;
  errors?: { type?: string; message?: string; details?: string; extra_info?: { input_name?: string; received_value?: unknown } }[];
}

/** An input spec from /object_info: `["INT", {...}]`, `[[...options], {...}]` or `["COMBO", {options}]`. */
export type InputSpec = [unknown, Record<string, unknown>?];

export interface NodeDefinition {
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec> };
  output?: string[];
}

export interface ClientOptions {
  /** The server's base URL (a path prefix is kept: a proxy may serve ComfyUI under /comfy/). */
  url: string;
  headers: Record<string, string>;
  /** Deadline of each call. */
  timeoutMs: number;
}

/** Largest output image accepted from /view. */
const MAX_VIEW_BYTES = 256 * 1024 * 1024;

export class ComfyClient {
  private readonly base: URL;

  constructor(private readonly options: ClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  }

  /** The websocket address for a client id, with the same path prefix. */
  socketUrl(clientId: string): string {
    const url = new URL(`ws?clientId=${encodeURIComponent(clientId)}`, this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  get headers(): Record<string, string> {
    return this.options.headers;
  }

  async systemStats(signal?: AbortSignal, timeoutMs?: number): Promise<{ system?: { comfyui_version?: string } }> {
    return (await this.json('GET', 'system_stats', undefined, signal, timeoutMs)) as { system?: { comfyui_version?: string } };
  }

  /** One node type's definition; undefined when the server lacks it (ComfyUI answers `{}`). */
  async objectInfo(classType: string, signal?: AbortSignal, timeoutMs?: number): Promise<NodeDefinition | undefined> {
    const body = (await this.json('GET', `object_info/${encodeURIComponent(classType)}`, undefined, signal, timeoutMs)) as Record<string, NodeDefinition>;
    return body[classType];
  }

  /** The files of one models folder; undefined when the server has no such folder (404). */
  async models(folder: string, signal?: AbortSignal, timeoutMs?: number): Promise<string[] | undefined> {
    const res = await this.call('GET', `models/${encodeURIComponent(folder)}`, undefined, signal, timeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return (await this.read(res, `models/${folder}`)) as string[];
  }

  /** POST /upload/image; the answer's name is what LoadImage must be given. */
  async upload(data: Buffer, filename: string, subfolder: string, signal?: AbortSignal): Promise<UploadedFile> {
    const form = new FormData();
    form.append('image', new Blob([data]), filename);
    form.append('type', 'input');
    form.append('subfolder', subfolder);
    return (await this.json('POST', 'upload/image', form, signal)) as UploadedFile;
  }

  async prompt(body: Record<string, unknown>, signal?: AbortSignal): Promise<PromptAnswer> {
    const res = await this.call('POST', 'prompt', JSON.stringify(body), signal);
    const text = await res.text();
    if (res.status !== 200 && res.status !== 400) throw new ComfyHttpError(res.status, 'prompt', text.slice(0, 500));
    try {
      return { status: res.status, body: JSON.parse(text) as PromptAnswer['body'] };
    } catch {
      throw new ComfyHttpError(res.status, 'prompt', text.slice(0, 500));
    }
  }

  /** The prompt's history once it has ended; undefined while it is queued or running (or unknown). */
  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const body = (await this.json('GET', `history/${encodeURIComponent(promptId)}`, undefined, signal)) as Record<string, HistoryEntry>;
    return body[promptId];
  }

  /** Prompt ids running and waiting. */
  async queue(signal?: AbortSignal): Promise<{ running: string[]; pending: string[] }> {
    const body = (await this.json('GET', 'queue', undefined, signal)) as { queue_running?: unknown[][]; queue_pending?: unknown[][] };
    const ids = (items: unknown[][] | undefined) => (items ?? []).map((item) => String(item[1]));
    return { running: ids(body.queue_running), pending: ids(body.queue_pending) };
  }

  /** Removes a prompt that has not started (a running one is not touched). */
  async deleteFromQueue(promptId: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk('POST', 'queue', JSON.stringify({ delete: [promptId] }), signal);
  }

  /** Interrupts the prompt if it is the one running (ComfyUI 0.3.57+); otherwise nothing happens. */
  async interrupt(promptId: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk('POST', 'interrupt', JSON.stringify({ prompt_id: promptId }), signal);
  }

  async view(file: SavedFile, signal?: AbortSignal): Promise<Buffer> {
    const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
    const res = await this.call('GET', `view?${query}`, undefined, signal);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new ComfyHttpError(res.status, 'view', '');
    }
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_VIEW_BYTES) {
      await res.body?.cancel();
      throw new ComfyHttpError(res.status, 'view', `an output of ${length} bytes is larger than ${MAX_VIEW_BYTES}`);
    }
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_VIEW_BYTES) throw new ComfyHttpError(res.status, 'view', `an output of ${data.length} bytes is larger than ${MAX_VIEW_BYTES}`);
    return data;
  }

  private async expectOk(method: string, route: string, body: string, signal?: AbortSignal): Promise<void> {
    const res = await this.call(method, route, body, signal);
    const text = await res.text();
    if (res.status !== 200) throw new ComfyHttpError(res.status, route, text.slice(0, 500));
  }

  private async json(method: string, route: string, body?: string | FormData, signal?: AbortSignal, timeoutMs?: number): Promise<unknown> {
    return this.read(await this.call(method, route, body, signal, timeoutMs), route);
  }

  private async read(res: Response, route: string): Promise<unknown> {
    const text = await res.text();
    if (res.status !== 200) throw new ComfyHttpError(res.status, route.split('?')[0]!, text.slice(0, 500));
    try {
      return JSON.parse(text);
    } catch {
      throw new ComfyHttpError(res.status, route.split('?')[0]!, `not JSON: ${text.slice(0, 200)}`);
    }
  }

  private async call(method: string, route: string, body: string | FormData | undefined, signal?: AbortSignal, timeoutMs = this.options.timeoutMs): Promise<Response> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { ...this.options.headers };
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    try {
      return await fetch(new URL(route, this.base), { method, headers, body, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const what = deadline.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : 'the connection failed';
      throw new ComfyUnreachableError(what, { cause: err });
    }
  }
}

/**
 * A fake ComfyUI for the tests, written from shared/protocols/comfyui.md (server.py, execution.py,
 * main.py of ComfyUI, and what a real 0.8.0 server was observed to send): the HTTP routes (also
 * under /api), their bodies and status codes, the origin check, the websocket with its message
 * order and routing by client_id, a priority queue that runs one prompt at a time, `{}` history
 * until a run ends, upload renaming, delete-from-queue and interrupt at node boundaries, and output
 * caching of identical graphs. Weightless graphs really run (nodes.ts); a test can make nodes slow
 * or fail, take node types or model files away, drop the sockets, or restart the server, losing its
 * queue and history as a real restart does.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Request } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';
import { NODES, nodeInfo, type NodeEnv, type NodeResult, type SavedImage } from './nodes.js';
import { isLink, validatePrompt, type Graph } from './validate.js';

export interface FakeComfyOptions {
  /** 0 (the default) picks a free port; restarts keep the port. */
  port?: number;
  /** Node types this server lacks, as when a custom node is not installed. */
  without?: string[];
  /** Model files it has, per folder (diffusion_models, text_encoders, vae, loras, checkpoints). */
  models?: Record<string, string[]>;
  /** Milliseconds a node takes, by class_type, or '*' for every node. */
  slow?: Record<string, number>;
  /** Node types that raise when they run, with the exception ComfyUI reports (type as full_type_name gives it). */
  failures?: Record<string, { type: string; message: string }>;
  /** Where input/, output/ and temp/ live; a fresh temporary folder by default. */
  dir?: string;
  /** Stands behind a proxy that answers 401 unless this header has this value (HTTP and websocket alike). */
  proxyHeader?: { name: string; value: string };
}

/** [number, prompt_id, prompt, extra_data, outputs_to_execute], as /queue and /history show it. */
type QueueItem = [number, string, Graph, Record<string, unknown>, string[]];

interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, { images: SavedImage[] }>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

export interface FinishedRun {
  promptId: string;
  outcome: 'success' | 'error' | 'interrupted';
  /** Node ids that ran (not cached), in order. */
  ran: string[];
}

/** What one life of the server holds in memory; a restart starts a new one. */
interface Life {
  pending: { item: QueueItem; seq: number }[];
  running: { item: QueueItem; interrupted: boolean; lastNode: string | null } | undefined;
  history: Map<string, HistoryEntry>;
  cache: Map<string, NodeResult>;
  number: number;
  seq: number;
}

const TIPS_OOM = 'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';

export class FakeComfyUI extends EventEmitter {
  readonly env: NodeEnv;
  readonly without: Set<string>;
  slow: Record<string, number>;
  failures: Record<string, { type: string; message: string }>;
  readonly proxyHeader: { name: string; value: string } | undefined;
  /** Every accepted POST /prompt, over all lives. */
  readonly received: { promptId: string; clientId: string | undefined; graph: Graph }[] = [];
  /** Every HTTP request: method, path (without /api) and JSON body when there was one. */
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  readonly finished: FinishedRun[] = [];
  private life: Life = newLife();
  private server: http.Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly connections = new Set<Socket>();
  private port: number;

  constructor(options: FakeComfyOptions = {}) {
    super();
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fake-comfyui-'));
    this.env = {
      inputDir: path.join(dir, 'input'),
      outputDir: path.join(dir, 'output'),
      tempDir: path.join(dir, 'temp'),
      models: options.models ?? {},
    };
    for (const d of [this.env.inputDir, this.env.outputDir, this.env.tempDir]) fs.mkdirSync(d, { recursive: true });
    this.without = new Set(options.without ?? []);
    this.slow = options.slow ?? {};
    this.failures = options.failures ?? {};
    this.proxyHeader = options.proxyHeader;
    this.port = options.port ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server?.listening === true;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    server.on('connection', (c) => {
      this.connections.add(c);
      c.on('close', () => this.connections.delete(c));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops answering at once, as a killed process does: connections reset, the running prompt gone. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.life = newLife();
    for (const ws of this.wss.clients) ws.terminate();
    this.sockets.clear();
    for (const c of this.connections) c.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A restart on the same port: queue, history and cache are lost; files on disk stay. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await sleep(downMs);
    await this.start();
  }

  /** Closes every websocket without touching the queue, as a flaky proxy or network would. */
  dropSockets(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }

  async close(): Promise<void> {
    await this.stop();
    this.wss.close();
  }

  /** Prompt ids running and pending, like GET /queue. */
  queue(): { running: string[]; pending: string[] } {
    return { running: this.life.running ? [this.life.running.item[1]] : [], pending: this.life.pending.map((p) => p.item[1]) };
  }

  history(promptId: string): HistoryEntry | undefined {
    return this.life.history.get(promptId);
  }

  /** Resolves when a prompt starts running (or at once if it has). */
  started(promptId?: string): Promise<string> {
    const running = this.life.running?.item[1];
    if (running && (!promptId || running === promptId)) return Promise.resolve(running);
    return new Promise((resolve) => {
      const on = (id: string) => {
        if (promptId && id !== promptId) return;
        this.off('started', on);
        resolve(id);
      };
      this.on('started', on);
    });
  }

  // ---------------------------------------------------------------------------------- HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    // Every route is also mounted under /api (server.py add_routes).
    const route = url.pathname.startsWith('/api/') ? url.pathname.slice(4) : url.pathname;
    if (!this.proxyLetsIn(req)) return void res.writeHead(401).end();
    if (!originAllowed(req)) return void res.writeHead(403).end();
    const raw = await readBody(req);
    const isJson = raw.length > 0 && !(req.headers['content-type'] ?? '').startsWith('multipart/');
    let body: any;
    if (isJson) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        this.requests.push({ method: req.method ?? 'GET', path: route });
        return void res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('500 Internal Server Error\n\nServer got itself in trouble');
      }
    }
    this.requests.push({ method: req.method ?? 'GET', path: route, ...(isJson && { body }) });
    const json = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    const key = `${req.method} ${route}`;
    try {
      if (key === 'GET /prompt') return json(200, this.queueInfo());
      if (key === 'POST /prompt') return this.postPrompt(body ?? {}, json);
      if (key === 'GET /queue') {
        return json(200, { queue_running: this.life.running ? [this.life.running.item] : [], queue_pending: this.life.pending.map((p) => p.item) });
      }
      if (key === 'POST /queue') {
        if (body?.clear) this.life.pending = [];
        for (const id of Array.isArray(body?.delete) ? body.delete : []) this.life.pending = this.life.pending.filter((p) => p.item[1] !== id);
        this.broadcastStatus();
        return void res.writeHead(200).end();
      }
      if (key === 'POST /interrupt') {
        const running = this.life.running;
        // With a prompt_id, only that prompt is interrupted, and only while it runs (v0.3.57+).
        if (running && (!body?.prompt_id || body.prompt_id === running.item[1])) running.interrupted = true;
        return void res.writeHead(200).end();
      }
      if (key === 'GET /history') {
        const max = url.searchParams.get('max_items');
        const entries = [...this.life.history.entries()];
        return json(200, Object.fromEntries(max === null ? entries : entries.slice(-Number(max))));
      }
      if (req.method === 'GET' && route.startsWith('/history/')) {
        const id = decodeURIComponent(route.slice('/history/'.length));
        const entry = this.life.history.get(id);
        return json(200, entry ? { [id]: entry } : {});
      }
      if (key === 'POST /history') {
        if (body?.clear) this.life.history.clear();
        for (const id of Array.isArray(body?.delete) ? body.delete : []) this.life.history.delete(id);
        return void res.writeHead(200).end();
      }
      if (key === 'GET /view') return this.view(url.searchParams, res);
      if (key === 'POST /upload/image') return await this.upload(req, raw, json, res);
      if (key === 'GET /object_info') {
        return json(200, Object.fromEntries([...NODES].filter(([n]) => !this.without.has(n)).map(([n, c]) => [n, nodeInfo(c, this.env)])));
      }
      if (req.method === 'GET' && route.startsWith('/object_info/')) {
        const name = decodeURIComponent(route.slice('/object_info/'.length));
        const cls = NODES.get(name);
        return json(200, cls && !this.without.has(name) ? { [name]: nodeInfo(cls, this.env) } : {});
      }
      if (key === 'GET /models') return json(200, MODEL_FOLDERS);
      if (req.method === 'GET' && route.startsWith('/models/')) {
        const folder = decodeURIComponent(route.slice('/models/'.length));
        if (!MODEL_FOLDERS.includes(folder)) return void res.writeHead(404).end();
        return json(200, this.env.models[folder] ?? []);
      }
      if (key === 'GET /system_stats') return json(200, systemStats());
      if (key === 'GET /features') return json(200, { supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 });
      if (key === 'POST /free') return void res.writeHead(200).end();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404: Not Found');
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('500 Internal Server Error\n\nServer got itself in trouble');
      this.emit('error-in-handler', err);
    }
  }

  /** server.py post_prompt: number, validation, then the queue. */
  private postPrompt(body: Record<string, any>, json: (status: number, value: unknown) => void): void {
    const life = this.life;
    let number: number;
    if ('number' in body) number = Number(body.number);
    else {
      number = body.front ? -life.number : life.number;
      life.number++;
    }
    if (!('prompt' in body)) {
      return json(400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
    }
    const promptId = String(body.prompt_id ?? crypto.randomUUID());
    const graph = body.prompt as Graph;
    const valid = validatePrompt(graph, this.env, this.without);
    const extra: Record<string, unknown> = { ...(body.extra_data ?? {}) };
    if ('client_id' in body) extra.client_id = body.client_id;
    if (!valid.ok) return json(400, { error: valid.error, node_errors: valid.nodeErrors });
    extra.create_time = Date.now();
    life.pending.push({ item: [number, promptId, graph, extra, valid.outputs], seq: life.seq++ });
    this.received.push({ promptId, clientId: body.client_id, graph });
    this.broadcastStatus();
    json(200, { prompt_id: promptId, number, node_errors: valid.nodeErrors });
    setImmediate(() => this.pump());
  }

  /** server.py view_image. */
  private view(q: URLSearchParams, res: http.ServerResponse): void {
    const requested = q.get('filename');
    if (requested === null) return void res.writeHead(404).end();
    const m = /^(.*) \[(input|output|temp)\]$/.exec(requested);
    const filename = m ? m[1]! : requested;
    if (filename.startsWith('/') || filename.includes('..')) return void res.writeHead(400).end();
    const dirs: Record<string, string> = { input: this.env.inputDir, output: this.env.outputDir, temp: this.env.tempDir };
    let dir = dirs[m ? m[2]! : (q.get('type') ?? 'output')];
    if (!dir) return void res.writeHead(400).end();
    const subfolder = q.get('subfolder');
    if (subfolder !== null) {
      const full = path.resolve(dir, subfolder);
      if (full !== path.resolve(dir) && !full.startsWith(path.resolve(dir) + path.sep)) return void res.writeHead(403).end();
      dir = full;
    }
    const file = path.join(dir, path.basename(filename));
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    const data = fs.readFileSync(file);
    const type = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' }[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': data.length, 'content-disposition': `filename="${path.basename(filename)}"` }).end(data);
  }

  /** server.py image_upload: the same name with the same bytes is reused, other bytes are renamed "name (1).ext". */
  private async upload(req: http.IncomingMessage, raw: Buffer, json: (status: number, value: unknown) => void, res: http.ServerResponse): Promise<void> {
    let form;
    try {
      form = await new Request('http://fake/upload', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: raw }).formData();
    } catch {
      return void res.writeHead(400).end();
    }
    const image = form.get('image');
    if (!image || typeof image === 'string' || !image.name) return void res.writeHead(400).end();
    const type = String(form.get('type') ?? 'input');
    const root = { input: this.env.inputDir, temp: this.env.tempDir, output: this.env.outputDir }[type] ?? this.env.inputDir;
    const subfolder = String(form.get('subfolder') ?? '');
    const folder = path.resolve(root, path.normalize(subfolder));
    let name = image.name;
    let file = path.resolve(folder, name);
    if (!file.startsWith(path.resolve(root) + path.sep)) return void res.writeHead(400).end();
    fs.mkdirSync(folder, { recursive: true });
    const bytes = Buffer.from(await image.arrayBuffer());
    const overwrite = ['true', '1'].includes(String(form.get('overwrite')));
    let duplicate = false;
    if (!overwrite) {
      const { name: stem, ext } = path.parse(image.name);
      for (let i = 1; fs.existsSync(file); i++) {
        if (sha256(fs.readFileSync(file)) === sha256(bytes)) {
          duplicate = true;
          break;
        }
        name = `${stem} (${i})${ext}`;
        file = path.join(folder, name);
      }
    }
    if (!duplicate) fs.writeFileSync(file, bytes);
    json(200, { name, subfolder, type: type in { input: 1, temp: 1, output: 1 } ? type : 'input' });
  }

  // ---------------------------------------------------------------------------------- websocket

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') return void socket.destroy();
    if (!this.proxyLetsIn(req)) return void socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    if (!originAllowed(req)) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Reconnecting with the same clientId replaces the old socket; without one, a random hex sid.
      const sid = url.searchParams.get('clientId') || crypto.randomUUID().replace(/-/g, '');
      this.sockets.set(sid, ws);
      ws.on('close', () => {
        if (this.sockets.get(sid) === ws) this.sockets.delete(sid);
      });
      ws.on('message', (data, binary) => {
        if (binary) return;
        try {
          const message = JSON.parse(String(data));
          if (message?.type === 'feature_flags') this.send('feature_flags', { supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 }, sid);
        } catch {
          // ComfyUI ignores what it cannot read.
        }
      });
      this.send('status', { status: this.queueInfo(), sid }, sid);
      const running = this.life.running;
      // On reconnect, the client whose prompt runs is told the current node (no prompt_id in it).
      if (running && running.item[3].client_id === sid && running.lastNode) this.send('executing', { node: running.lastNode }, sid);
    });
  }

  private proxyLetsIn(req: http.IncomingMessage): boolean {
    return !this.proxyHeader || req.headers[this.proxyHeader.name.toLowerCase()] === this.proxyHeader.value;
  }

  private send(type: string, data: unknown, sid?: string): void {
    const text = JSON.stringify({ type, data });
    if (sid !== undefined) {
      const ws = this.sockets.get(sid);
      if (ws?.readyState === 1) ws.send(text);
      return;
    }
    for (const ws of this.sockets.values()) if (ws.readyState === 1) ws.send(text);
  }

  private sendBinary(eventType: number, payload: Buffer, sid: string | undefined): void {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(eventType, 0);
    const frame = Buffer.concat([head, payload]);
    const targets = sid === undefined ? [...this.sockets.values()] : [this.sockets.get(sid)].filter((w): w is WebSocket => !!w);
    for (const ws of targets) if (ws.readyState === 1) ws.send(frame);
  }

  private queueInfo(): { exec_info: { queue_remaining: number } } {
    return { exec_info: { queue_remaining: this.life.pending.length + (this.life.running ? 1 : 0) } };
  }

  private broadcastStatus(): void {
    this.send('status', { status: this.queueInfo() });
  }

  // ---------------------------------------------------------------------------------- execution

  /** main.py prompt_worker: the lowest number first, one at a time. */
  private pump(): void {
    const life = this.life;
    if (life.running || life.pending.length === 0 || !this.server) return;
    life.pending.sort((a, b) => a.item[0] - b.item[0] || a.seq - b.seq);
    const next = life.pending.shift()!;
    life.running = { item: next.item, interrupted: false, lastNode: null };
    this.broadcastStatus();
    this.emit('started', next.item[1]);
    void this.execute(life, life.running).then(() => {
      if (this.life !== life) return;
      life.running = undefined;
      this.pump();
    });
  }

  private async execute(life: Life, running: NonNullable<Life['running']>): Promise<void> {
    const [, promptId, graph, extra, outputs] = running.item;
    const sid = extra.client_id as string | undefined;
    const alive = () => this.life === life;
    const messages: [string, Record<string, unknown>][] = [];
    /** execution.py add_message: to the prompt's client only; some events are broadcast when it has none. */
    const add = (event: string, data: Record<string, unknown>, broadcastWithoutClient = false) => {
      messages.push([event, data]);
      if (sid !== undefined || broadcastWithoutClient) this.send(event, data, sid);
    };
    const now = () => Date.now();

    add('execution_start', { prompt_id: promptId, timestamp: now() });
    const order = executionOrder(graph, outputs);
    const signatures = new Map<string, string>();
    for (const id of order) signatures.set(id, this.signature(graph, id, signatures));
    // The cache keeps what the previous prompt made; what this prompt does not use is dropped.
    const keep = new Set(signatures.values());
    for (const k of [...life.cache.keys()]) if (!keep.has(k)) life.cache.delete(k);
    const cached = order.filter((id) => life.cache.has(signatures.get(id)!));
    add('execution_cached', { nodes: cached, prompt_id: promptId, timestamp: now() });

    const results = new Map<string, unknown[]>();
    const ui: Record<string, { images: SavedImage[] }> = {};
    for (const id of cached) {
      const hit = life.cache.get(signatures.get(id)!)!;
      results.set(id, hit.outputs);
      if (hit.ui) {
        ui[id] = hit.ui;
        if (sid !== undefined) this.send('executed', { node: id, display_node: id, output: hit.ui, prompt_id: promptId }, sid);
      }
    }

    const states: Record<string, Record<string, unknown>> = {};
    const progressState = () => {
      if (alive()) this.send('progress_state', { prompt_id: promptId, nodes: structuredClone(states) }, sid);
    };
    const ran: string[] = [];
    let outcome: FinishedRun['outcome'] = 'success';
    for (const id of order) {
      if (results.has(id)) continue;
      if (!alive()) return;
      const node = graph[id]!;
      const cls = NODES.get(node.class_type!)!;
      states[id] = { value: 0, max: 1, state: 'running', node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id };
      progressState();
      running.lastNode = id;
      if (sid !== undefined) this.send('executing', { node: id, display_node: id, prompt_id: promptId }, sid);
      // Interrupts are noticed between nodes (before_node_execution), never inside one.
      if (running.interrupted) {
        add('execution_interrupted', { prompt_id: promptId, node_id: id, node_type: cls.name, executed: [...ran].reverse(), timestamp: now() }, true);
        outcome = 'interrupted';
        break;
      }
      const values: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(node.inputs ?? {})) values[name] = isLink(v) ? results.get(String(v[0]))?.[v[1]] : v;
      let result: NodeResult;
      try {
        await sleep(this.slow[cls.name] ?? this.slow['*'] ?? 0);
        if (!alive()) return;
        const failure = this.failures[cls.name];
        if (failure) throw Object.assign(new Error(failure.message), { type: failure.type });
        result = await cls.run(values, {
          env: this.env,
          nodeId: id,
          prompt: graph,
          extraPngInfo: extra.extra_pnginfo as Record<string, unknown> | undefined,
          sendText: (text) => {
            const nodeId = Buffer.from(id);
            const len = Buffer.alloc(4);
            len.writeUInt32BE(nodeId.length, 0);
            this.sendBinary(3, Buffer.concat([len, nodeId, Buffer.from(text)]), sid);
          },
        });
      } catch (err) {
        if (!alive()) return;
        const type = (err as { type?: string }).type ?? 'Exception';
        add('execution_error', {
          prompt_id: promptId,
          node_id: id,
          node_type: cls.name,
          executed: [...ran].reverse(),
          exception_message: `${(err as Error).message}\n${/OutOfMemoryError/.test(type) ? TIPS_OOM : ''}`,
          exception_type: type,
          traceback: ['  File "/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph = await get_output_data(...)\n'],
          current_inputs: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [typeof v === 'object' ? '[tensor]' : String(v)]])),
          current_outputs: [...results.keys()],
          timestamp: now(),
        });
        outcome = 'error';
        break;
      }
      if (!alive()) return;
      results.set(id, result.outputs);
      life.cache.set(signatures.get(id)!, result);
      ran.push(id);
      if (result.ui) {
        ui[id] = result.ui;
        if (sid !== undefined) this.send('executed', { node: id, display_node: id, output: result.ui, prompt_id: promptId }, sid);
      }
      states[id] = { ...states[id], value: 1, state: 'finished' };
      progressState();
    }
    if (!alive()) return;
    if (outcome === 'success') add('execution_success', { prompt_id: promptId, timestamp: now() });
    // task_done: history first, then the queue status, then `executing` with node null.
    life.history.set(promptId, {
      prompt: running.item,
      outputs: outcome === 'success' ? ui : {},
      status: { status_str: outcome === 'success' ? 'success' : 'error', completed: outcome === 'success', messages },
      meta: Object.fromEntries(Object.keys(outcome === 'success' ? ui : {}).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }])),
    });
    running.lastNode = null;
    life.running = undefined;
    this.broadcastStatus();
    if (sid !== undefined) this.send('executing', { node: null, prompt_id: promptId }, sid);
    this.finished.push({ promptId, outcome, ran });
    this.emit('finished', promptId, outcome);
  }

  /** The cache key of a node: its type, its literal inputs, what it links to, and IS_CHANGED. */
  private signature(graph: Graph, id: string, known: Map<string, string>): string {
    const done = known.get(id);
    if (done) return done;
    const node = graph[id]!;
    const cls = NODES.get(node.class_type!)!;
    const inputs = Object.entries(node.inputs ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, isLink(v) ? `${this.signature(graph, String(v[0]), known)}#${v[1]}` : v]);
    const sig = sha256(Buffer.from(JSON.stringify([node.class_type, cls.changed?.(node.inputs ?? {}, this.env) ?? null, inputs])));
    known.set(id, sig);
    return sig;
  }
}

function newLife(): Life {
  return { pending: [], running: undefined, history: new Map(), cache: new Map(), number: 0, seq: 0 };
}

/** Dependencies first, from each output node in turn (the nodes no output needs never run). */
function executionOrder(graph: Graph, outputs: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const v of Object.values(graph[id]?.inputs ?? {})) if (isLink(v)) visit(String(v[0]));
    order.push(id);
  };
  for (const id of outputs) visit(id);
  return order;
}

/**
 * server.py create_origin_only_middleware: a loopback Host with a different Origin is refused with
 * 403, so that a web page cannot queue prompts on a local ComfyUI.
 */
function originAllowed(req: http.IncomingMessage): boolean {
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (!host || !origin) return true;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return true;
  }
  const hostUrl = new URL(`http://${host.toLowerCase()}`);
  const loopback = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(hostUrl.hostname) || hostUrl.hostname.startsWith('127.');
  let hostDomain = host.toLowerCase();
  let originDomain = originUrl.host.toLowerCase();
  if (!originUrl.port) hostDomain = hostUrl.hostname;
  if (!hostUrl.port) originDomain = originUrl.hostname;
  return !(loopback && hostDomain && originDomain && hostDomain !== originDomain);
}

const MODEL_FOLDERS = ['checkpoints', 'configs', 'loras', 'vae', 'text_encoders', 'diffusion_models', 'clip_vision', 'style_models', 'embeddings', 'diffusers', 'vae_approx', 'controlnet', 'gligen', 'upscale_models', 'hypernetworks', 'photomaker', 'classifiers', 'model_patches', 'audio_encoders'];

function systemStats(): Record<string, unknown> {
  return {
    system: {
      os: 'posix',
      ram_total: os.totalmem(),
      ram_free: os.freemem(),
      comfyui_version: '0.8.0',
      required_frontend_version: '1.35.9',
      installed_templates_version: '0.7.65',
      required_templates_version: '0.7.65',
      python_version: '3.12.3 (main, Nov  6 2025, 13:44:16) [GCC 13.3.0]',
      pytorch_version: '2.9.1+cpu',
      embedded_python: false,
      argv: ['main.py', '--cpu'],
    },
    devices: [{ name: 'cpu', type: 'cpu', index: null, vram_total: os.totalmem(), vram_free: os.freemem(), torch_vram_total: os.totalmem(), torch_vram_free: os.freemem() }],
  };
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}


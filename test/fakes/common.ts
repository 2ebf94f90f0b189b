/**
 * What every provider fake shares: an HTTP server on 127.0.0.1, JSON in and out, images "made"
 * at the size the provider would make them, output links that expire like the real ones, a gate
 * that holds jobs while a test kills a worker, and failures queued on cue (a 429, a provider down).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void | Promise<void>;

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function listen(handler: Handler): Promise<Listening> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, Buffer.concat(chunks), res)).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, { detail: `fake failed: ${(err as Error).message}` });
        else res.end();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function json(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Links to "generated" images that stop working after `ttlMs`, like the providers' CDN links. */
export class OutputHost {
  private readonly files = new Map<string, { data: Buffer; until: number }>();
  private n = 0;
  /** Answer for an expired link: Ark and Jimeng's object stores say 403, fal and Replicate 404. */
  constructor(private readonly base: () => string, private readonly expiredStatus = 404) {}
  ttlMs = 3_600_000;
  /** When set, every link answers a redirect deeper into the CDN's storage, without end (a broken CDN). */
  redirectForever = false;
  /** What the next downloads meet, one entry each: an expired link, or a CDN that never answers. */
  script: ('expired' | 'hang')[] = [];
  /** Downloads held open by `hang` right now; the client closing them brings this back down. */
  hanging = 0;

  put(data: Buffer): string {
    const name = `out-${++this.n}-${Math.random().toString(36).slice(2, 8)}.jpg`;
    this.files.set(name, { data, until: Date.now() + this.ttlMs });
    // A signature in the query, as real CDN links carry: retouch must never show it to clients.
    return `${this.base()}/cdn/${name}?X-Signature=secret-token-${this.n}`;
  }

  /** Expires every link now. */
  expireAll(): void {
    for (const f of this.files.values()) f.until = 0;
  }

  /** Serves /cdn/<name>; returns false for other paths. */
  serve(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const m = /^\/cdn\/([\w.-]+)/.exec(req.url ?? '');
    if (!m) return false;
    if (this.redirectForever) {
      const hop = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('hop') ?? 0) + 1;
      res.writeHead(302, { location: `${this.base()}/cdn/${m[1]}?hop=${hop}&bucket=internal-outputs-7` }).end();
      return true;
    }
    const scripted = this.script.shift();
    if (scripted === 'hang') {
      this.hanging++;
      res.on('close', () => this.hanging--);
      return true;
    }
    const file = this.files.get(m[1]!);
    if (!file || file.until <= Date.now() || scripted === 'expired') {
      res.writeHead(this.expiredStatus, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return true;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': file.data.length }).end(file.data);
    return true;
  }
}

/** A flat picture in a colour of its own, at the size a provider would make. */
export async function makeImage(width: number, height: number, n: number): Promise<Buffer> {
  const hue = (n * 67) % 255;
  return sharp({ create: { width, height, channels: 3, background: { r: hue, g: 255 - hue, b: 120 } } }).jpeg({ quality: 70 }).toBuffer();
}

/** How many images a set-making model returns for a prompt: "4 images", "a set of three"; 1 otherwise. */
export function setSize(prompt: string, max: number): number {
  const words: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6 };
  const m = /(?:set of |)(\d+|two|three|four|five|six) (?:images|variations|pictures|versions)|set of (\d+|two|three|four|five|six)/i.exec(prompt);
  const raw = m ? (m[1] ?? m[2])!.toLowerCase() : '1';
  return Math.max(1, Math.min(max, words[raw] ?? Number(raw)));
}

/** Holds jobs (or answers) until released; a test uses it to kill a worker while the provider works. */
export class Gate {
  private waiters: (() => void)[] = [];
  private open = true;
  /** Runs that reached the gate. */
  reached = 0;

  close(): void {
    this.open = false;
  }

  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }

  get isOpen(): boolean {
    return this.open;
  }

  async pass(): Promise<void> {
    this.reached++;
    if (this.open) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** Answers queued by a test, served before normal behaviour: `fake.failures.push({status: 429, …})`. */
export interface CannedFailure {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export async function fetchReference(url: string): Promise<boolean> {
  if (url.startsWith('data:image/')) return /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/=]+$/.test(url);
  if (!/^https?:\/\/127\.0\.0\.1[:/]/.test(url)) return false;
  const res = await fetch(url).catch(() => undefined);
  if (!res?.ok) return false;
  const bytes = Buffer.from(await res.arrayBuffer());
  return bytes.length > 0;
}

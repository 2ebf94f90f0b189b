/**
 * `retouch status|result|cancel|watch ID`, and what `edit` shares with them: following a request
 * with a progress line (Ctrl-C cancels it while it is queued), and downloading its outputs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ConnectionError, type RetouchClient, type ResultResponse, type StatusResponse } from '@retouch/client';
import { ProgressLine } from './progress.js';
import { action, clientFrom, EXIT, exitCodeOf, remoteCommand } from './remote.js';

export interface FollowOptions {
  /** No progress output at all (--json). */
  quiet: boolean;
  poll?: boolean;
}

export type Followed = { result: ResultResponse } | { interrupted: true };

const isLive = () => Boolean(process.stdout.isTTY && process.stderr.isTTY);

/**
 * Follows a request until it ends and returns its result. The first Ctrl-C stops following and
 * cancels the request if it is still queued; a second one exits at once.
 */
export async function followRequest(client: RetouchClient, id: string, options: FollowOptions): Promise<Followed> {
  const line = options.quiet ? undefined : new ProgressLine(process.stderr, isLive(), id.slice(0, 8));
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    line?.note('Interrupted: cancelling the request if it is still queued (Ctrl-C again to leave at once).');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await client.subscribe(id, {
      signal: controller.signal,
      mode: options.poll ? 'poll' : 'stream',
      onQueueUpdate: (u) => line?.update(u),
    });
  } catch (err) {
    if (!controller.signal.aborted) {
      line?.finish('stopped following');
      throw err;
    }
    // The SDK has asked for a cancel; whether it took depends on where the request was.
    const now = await client.status(id).catch(() => undefined);
    if (now?.status !== 'cancelled') {
      line?.finish(`left ${now?.status ?? 'running'} on the server`);
      if (!options.quiet) process.stderr.write(`Follow it again with: retouch watch ${id}\n`);
      return { interrupted: true };
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  const result = await client.result(id);
  line?.finish(summary(result));
  return { result };
}

function summary(r: ResultResponse): string {
  if (r.status === 'completed') {
    const n = r.output?.images.length ?? 0;
    return `completed, ${n} image${n === 1 ? '' : 's'}`;
  }
  if (r.status === 'failed') return `failed: ${r.error?.message ?? 'no reason given'}`;
  return r.status;
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

function extensionOf(contentType: string | null, url: string): string {
  const byType = contentType && EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()];
  if (byType) return byType;
  const m = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname);
  return m ? m[1]!.toLowerCase() : 'bin';
}

/** Writes without replacing anything: `name.jpg`, else `name-2.jpg`, `name-3.jpg`, … */
async function writeNew(dir: string, base: string, ext: string, data: Uint8Array): Promise<string> {
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${base}${n === 1 ? '' : `-${n}`}.${ext}`);
    try {
      await fs.writeFile(file, data, { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Downloads a completed request's outputs into `dir` (signed URLs: no key is sent) and returns their paths. */
export async function downloadOutputs(result: ResultResponse, dir: string): Promise<string[]> {
  const images = result.output?.images ?? [];
  await fs.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [i, url] of images.entries()) {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new ConnectionError(`Could not download ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new Error(`Downloading output ${i + 1} of ${images.length} failed: HTTP ${res.status}`);
    const data = new Uint8Array(await res.arrayBuffer());
    const base = `retouch-${result.request_id.slice(0, 8)}${images.length > 1 ? `-${i + 1}` : ''}`;
    paths.push(await writeNew(dir, base, extensionOf(res.headers.get('content-type'), url), data));
  }
  return paths;
}

/**
 * Prints how a request ended and returns its exit code: the outputs' paths (or URLs when nothing
 * is downloaded), or with `json` the result body alone (with `files` when it downloaded them).
 */
export async function conclude(result: ResultResponse, options: { json?: boolean; outDir?: string }): Promise<number> {
  let files: string[] | undefined;
  if (result.status === 'completed' && options.outDir !== undefined) files = await downloadOutputs(result, options.outDir);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(files ? { ...result, files } : result)}\n`);
  } else if (result.status === 'completed') {
    process.stdout.write((files ?? result.output?.images ?? []).map((f) => `${f}\n`).join(''));
  } else if (result.status === 'failed') {
    process.stderr.write(`retouch: request ${result.request_id} failed: ${result.error?.message ?? 'no reason given'}${result.error ? ` (${result.error.code})` : ''}\n`);
  } else if (result.status === 'cancelled') {
    process.stderr.write(`retouch: request ${result.request_id} was cancelled\n`);
  }
  return exitCodeOf(result.status);
}

function statusLine(s: StatusResponse): string {
  if (s.status === 'in_queue' && s.queue_position !== undefined) return `in_queue (${s.queue_position} ahead)`;
  if (s.status === 'in_progress' && s.progress !== undefined) return `in_progress (${Math.round(s.progress * 100)}%)`;
  return s.status;
}

type Remote = { url?: string; key?: string };

export function registerRequestCommands(program: Command): void {
  remoteCommand(
    program
      .command('status <id>')
      .description("Print a request's status (exits 1 if it failed, 3 if it was cancelled)")
      .option('--json', 'print the status body'),
  ).action(
    action(async (id: string, opts: Remote & { json?: boolean }) => {
      const status = await clientFrom(opts).status(id);
      process.stdout.write(`${opts.json ? JSON.stringify(status) : statusLine(status)}\n`);
      return exitCodeOf(status.status);
    }),
  );

  remoteCommand(
    program
      .command('result <id>')
      .description("Print a request's result body; with -o, download its outputs and print their paths")
      .option('-o, --output <dir>', 'download the outputs into this directory'),
  ).action(
    action(async (id: string, opts: Remote & { output?: string }) => {
      const result = await clientFrom(opts).result(id);
      if (opts.output === undefined || result.status !== 'completed') {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return exitCodeOf(result.status);
      }
      return conclude(result, { outDir: opts.output });
    }),
  );

  remoteCommand(program.command('cancel <id>').description('Cancel a queued request (a running or finished one cannot be: exits 1)')).action(
    action(async (id: string, opts: Remote) => {
      const cancelled = await clientFrom(opts).cancel(id);
      process.stdout.write(`${cancelled.request_id} ${cancelled.status}\n`);
      return EXIT.completed;
    }),
  );

  remoteCommand(
    program
      .command('watch <id>')
      .description('Follow a request until it ends, then print its output URLs (Ctrl-C cancels it while it is queued)')
      .option('-o, --output <dir>', 'download the outputs into this directory and print their paths')
      .option('--json', 'print only the result body')
      .addOption(new Option('--poll', 'poll the status instead of following the event stream')),
  ).action(
    action(async (id: string, opts: Remote & { output?: string; json?: boolean; poll?: boolean }) => {
      const client = clientFrom(opts);
      const followed = await followRequest(client, id, { quiet: Boolean(opts.json), poll: opts.poll });
      if ('interrupted' in followed) return EXIT.interrupted;
      return conclude(followed.result, { json: opts.json, outDir: opts.output });
    }),
  );
}

/**
 * `retouch edit`, `status`, `result`, `cancel` and `watch` as a user runs them: the built CLI in a
 * child process, against a real server on 127.0.0.1 (run `npm run build` first; `npm test` does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatedEngine } from '../helpers/engines.js';
import { BIN, dataUri, PHOTOS, tempDir } from '../helpers/paths.js';
import { startPhotoServer, type PhotoServer } from '../helpers/photo-server.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Spawns the CLI without waiting: the server runs in this process, so a blocking spawn would starve it. */
function start(args: string[], env: Record<string, string>, cwd = tempDir()): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, RETOUCH_URL: '', RETOUCH_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function retouch(args: string[], env: Record<string, string>, cwd?: string) {
  const run = start(args, env, cwd);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const PHOTO = path.join(PHOTOS, 'coffee.png');
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

describe('retouch edit', () => {
  let server: TestServer;
  let photos: PhotoServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startServer();
    photos = await startPhotoServer();
    env = { RETOUCH_URL: server.url, RETOUCH_API_KEY: server.key };
  });
  afterAll(async () => {
    await server.close();
    await photos.close();
  });

  it('sends local files inline as data: URIs to a server without uploads (as the hosted service is)', async () => {
    // A front that answers POST /v1/files with the hosted service's 404 and passes the rest through.
    const front = http.createServer((req, res) => {
      if (req.url?.startsWith('/v1/files')) {
        req.resume();
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 404002, message: 'Not found', detail: [] }));
        return;
      }
      const upstream = http.request(server.url + req.url!, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(front.address() as net.AddressInfo).port}`;
      const cwd = tempDir();
      const r = await retouch(['edit', '-i', PHOTO, '-p', 'make it warmer', '--size', '1024x1024', '--json'], { ...env, RETOUCH_URL: url }, cwd);
      expect(r.code, r.stderr).toBe(0);
      const id = JSON.parse(r.stdout).request_id;
      const input = (await server.runtime.store.inputOf(id)) as { image_urls: string[] };
      expect(input.image_urls[0]).toMatch(/^data:image\/png;base64,iVBOR/);
    } finally {
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
    }
  });

  it('uploads a local file, takes a URL, follows with plain lines, and writes the outputs at the requested size', async () => {
    const cwd = tempDir();
    const r = await retouch(['edit', '-i', PHOTO, '-i', `${photos.url}/horse.png`, '-p', 'make it warmer', '--size', '2560x1440', '--scale', '0.7', '--single', '-o', 'out'], env, cwd);
    expect(r.code, r.stderr).toBe(0);
    const paths = r.stdout.trim().split('\n');
    expect(paths).toHaveLength(1);
    expect(paths[0]).toMatch(/^out\/retouch-[0-9a-f]{8}\.jpg$/);
    expect(await sharp(path.join(cwd, paths[0]!)).metadata()).toMatchObject({ width: 2560, height: 1440, format: 'jpeg' });

    // Not a terminal: plain lines, no carriage returns.
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toContain(`uploading ${PHOTO}`);
    expect(r.stderr).not.toContain('uploading http');
    expect(r.stderr).toMatch(/: queued/);
    expect(r.stderr).toMatch(/: completed, 1 image \[\d+\.\ds\]/);
    // The server got what the flags said: the upload's URL, the URL as given, and the seed's values.
    const id = /request ([0-9a-f-]{36})/.exec(r.stderr)![1]!;
    const { input } = await (await server.api(`/v1/requests/${id}`)).json();
    expect(input).toMatchObject({ 'width×height': '2560x1440(16:9)', scale: 0.7, force_single: true, prompt: 'make it warmer' });
    expect(input.image_urls[0]).toContain('/files/uploads/');
    expect(input.image_urls[1]).toBe(`${photos.url}/horse.png`);
  });

  it('--json prints only the result body (and downloads nothing without -o); with -o it lists the files', async () => {
    const cwd = tempDir();
    const r = await retouch(['edit', '-i', PHOTO, '-p', 'p', '--size', '1024x1024', '--json'], env, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: 'completed', output: { images: [expect.stringContaining('/files/outputs/')] } });
    expect(fs.readdirSync(cwd)).toEqual([]);

    const withDir = await retouch(['edit', '-i', PHOTO, '-p', 'p', '--size', '1024x1024', '--json', '-o', 'edited'], env, cwd);
    const body = JSON.parse(withDir.stdout);
    expect(body.files).toEqual([expect.stringMatching(/^edited\/retouch-.*\.jpg$/)]);
    expect(await sharp(path.join(cwd, body.files[0])).metadata()).toMatchObject({ width: 1024, height: 1024 });
  });

  it('--no-wait prints only the request id; status, result, watch and cancel then work with it', async () => {
    const r = await retouch(['edit', '-i', PHOTO, '-p', 'p', '--size', '1024x1024', '--no-wait'], env);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.stderr).toBe('');

    const watched = await retouch(['watch', id], env);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/outputs\/.+signature=/);

    const cwd = tempDir();
    const [status, statusJson, result, downloaded, cancel] = await Promise.all([
      retouch(['status', id], env),
      retouch(['status', id, '--json'], env),
      retouch(['result', id], env),
      retouch(['result', id, '-o', '.'], env, cwd),
      retouch(['cancel', id], env),
    ]);
    expect(status).toMatchObject({ code: 0, stdout: 'completed\n' });
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ request_id: id, status: 'completed' });
    expect(JSON.parse(result.stdout)).toMatchObject({ request_id: id, status: 'completed' });
    expect(downloaded.stdout.trim()).toMatch(/^retouch-[0-9a-f]{8}\.jpg$/);
    expect(fs.existsSync(path.join(cwd, downloaded.stdout.trim()))).toBe(true);
    // A finished request cannot be cancelled: exit 1, with the server's reason.
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('can no longer be cancelled');
    expect(cancel.stderr).toContain('409001');
  });

  it('exits 1 when the request fails, with its reason', async () => {
    photos.set('wide.png', await sharp({ create: { width: 1300, height: 400, channels: 3, background: '#777' } }).png().toBuffer(), 'image/png');
    const r = await retouch(['edit', '-i', `${photos.url}/wide.png`, '-p', 'p'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The input image aspect ratio must be within [1/3, 3]. (found 1300x400)');
    expect(r.stderr).toContain('(aspect_ratio)');
    expect(r.stdout).toBe('');
  });

  it('exits 2 on usage errors, before sending anything, and on input the server refuses', async () => {
    const [size, noPrompt, missing, scale, noId, tooLong] = await Promise.all([
      retouch(['edit', '-i', PHOTO, '-p', 'p', '--size', '2560x1441'], env),
      retouch(['edit', '-i', PHOTO], env),
      retouch(['edit', '-i', 'nope.jpg', '-p', 'p'], env),
      retouch(['edit', '-i', PHOTO, '-p', 'p', '--scale', 'lots'], env),
      retouch(['status'], env),
      retouch(['edit', '-i', PHOTO, '-p', 'x'.repeat(801)], env),
    ]);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain('--size must be one of 1024x1024, 2048x2048, 2304x1728, 2496x1664, 2560x1440, 3024x1296, 4096x4096, 4694x3520, 4992x3328, 5404x3040, 6198x2656 (got "2560x1441")');
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toContain("required option '-p, --prompt <text>' not specified");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('-i nope.jpg: no such file');
    expect(scale.code).toBe(2);
    expect(scale.stderr).toContain('--scale must be a number from 0 to 1 (got "lots")');
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("missing required argument 'id'");
    // The server's schema check (422001) is a usage error too, in the server's words.
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('prompt must be at most 800 characters (got 801)');
  });

  it('exits 1 on a bad key, with what to do about it', async () => {
    const r = await retouch(['status', 'some-id'], { ...env, RETOUCH_API_KEY: 'rt_wrong' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid or revoked API key.');
    expect(r.stderr).toContain('RETOUCH_API_KEY');
  });

  it('exits 4 when the server cannot be reached; --url and --key override the environment', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));

    const r = await retouch(['edit', '-i', PHOTO, '-p', 'p'], { ...env, RETOUCH_URL: closed });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Could not reach ${closed}: ECONNREFUSED`);

    const flags = await retouch(['status', 'x', '--url', server.url, '--key', server.key], { RETOUCH_URL: closed, RETOUCH_API_KEY: 'rt_wrong' });
    expect(flags.code).toBe(1);
    expect(flags.stderr).toContain('No request with id "x"');
  });

  it('--help documents every exit code and the environment', async () => {
    const help = await retouch(['edit', '--help'], env);
    expect(help.code).toBe(0);
    for (const line of [/^ {2}0 +completed/m, /^ {2}1 +the request failed/m, /^ {2}2 +usage/m, /^ {2}3 +the request was cancelled/m, /^ {2}4 +the server could not be reached/m]) {
      expect(help.stdout).toMatch(line);
    }
    expect(help.stdout).toContain('RETOUCH_URL');
    expect(help.stdout).toContain('RETOUCH_API_KEY');
    const others = await Promise.all(['status', 'result', 'cancel', 'watch'].map((command) => retouch([command, '--help'], env)));
    for (const other of others) expect(other.stdout).toContain('Exit codes:');
  });

  // `script` gives the CLI a terminal; util-linux has it on Debian.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('on a terminal, redraws one live line with a progress bar', async () => {
    const cwd = tempDir();
    const command = `${process.execPath} ${BIN} edit -i ${PHOTO} -p p --size 1024x1024`;
    const run = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => run.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toContain('\r\x1b[2K');
    expect(out).toMatch(/in progress \[[#-]{24}\] +\d+%/);
    expect(out).toMatch(/completed, 1 image/);
    expect(fs.readdirSync(cwd).filter((f) => f.endsWith('.jpg'))).toHaveLength(1);
  });
});

describe('Ctrl-C', () => {
  it('on a queued request cancels it and exits 3; a status of it then exits 3 too', async () => {
    const engine = new GatedEngine();
    const server = await startServer({ engine, settings: { concurrency: '1' } });
    try {
      const env = { RETOUCH_URL: server.url, RETOUCH_API_KEY: server.key };
      // Hold the only worker slot, so the CLI's request waits in the queue.
      await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p', 'width×height': '1024x1024(1:1)' });
      await expect.poll(() => engine.started).toBe(1);

      const run = start(['edit', '-i', PHOTO, '-p', 'p'], env);
      running.push(run.child);
      await expect.poll(() => run.stderr(), { timeout: 15_000 }).toMatch(/: queued/);
      run.child.kill('SIGINT');
      expect(await run.exited, run.stderr()).toBe(3);
      const id = /request ([0-9a-f-]{36})/.exec(run.stderr())![1]!;
      expect(run.stderr()).toContain('was cancelled');
      expect((await (await server.api(`/v1/requests/${id}/status`)).json()).status).toBe('cancelled');
      expect(await retouch(['status', id], env)).toMatchObject({ code: 3, stdout: 'cancelled\n' });

      // `cancel` on another queued request: exit 0.
      const { request_id } = await (await server.submit({ image_urls: [dataUri('chelsea.png')], prompt: 'p' })).json();
      expect(await retouch(['cancel', request_id], env)).toMatchObject({ code: 0, stdout: `${request_id} cancelled\n` });
    } finally {
      engine.release();
      await server.close();
    }
  });
});

// The ComfyUI engine's overhead for `npm run bench`: one request through `retouch serve` and its
// ComfyUI engine, against the same graph submitted to the same (fake) ComfyUI directly by a client
// that does what the engine does (upload the references, queue, wait on the websocket, read the
// history, download the outputs). Both run in turn, several times, in this one command.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import WebSocket from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const WARM_UP = 5;
const KEY = 'rt_bench_comfyui';

/** Starts a child and resolves once a JSON line of its stdout has `field`; `out()` is what it printed since. */
function start(args, field, env = {}) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let found = false;
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out = (out + d).slice(-200_000);
      if (found) return;
      const line = out.split('\n').find((l) => l.includes(`"${field}"`));
      if (!line) return;
      found = true;
      resolve({ child, value: JSON.parse(line)[field], out: () => out });
    });
    child.on('exit', (code) => found || reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
}

/** BENCH_DEBUG=1: the last request's steps, from the server's (debug) log and the fake's. */
function timeline(serve, fake) {
  const lines = serve.out().split('\n').filter((l) => l.startsWith('{') && !l.includes('"request done"'));
  const steps = lines.slice(-6).map((l) => {
    const o = JSON.parse(l);
    return `${o.time.slice(11)}  retouch: ${o.msg}${o.ms === undefined ? '' : ` (${o.ms} ms)`}`;
  });
  const comfy = fake.out().split('\n').filter((l) => /running|finished/.test(l)).slice(-2).map((l) => `${l.slice(11, 24)}  ComfyUI: ${l.slice(25)}`);
  return [...steps, ...comfy].sort().join('\n');
}

/** A client of ComfyUI as the engine is one: a websocket kept open, and the ids of the prompts that ended. */
async function comfyClient(comfy) {
  const clientId = randomUUID().replace(/-/g, '');
  const ws = new WebSocket(`${comfy.replace('http', 'ws')}/ws?clientId=${clientId}`);
  await new Promise((resolve) => ws.once('open', resolve));
  const waiting = new Map();
  ws.on('message', (data, binary) => {
    if (binary) return;
    const m = JSON.parse(String(data));
    if (m.type === 'executing' && m.data.node === null) waiting.get(m.data.prompt_id)?.();
  });
  return { clientId, ended: (id) => new Promise((resolve) => waiting.set(id, resolve)), close: () => ws.close() };
}

/** What a client of ComfyUI does for one edit, with fresh names so that nothing comes from its cache. */
async function direct(comfy, client, graphText, images) {
  const run = randomUUID();
  const names = await Promise.all(
    images.map(async (data, i) => {
      const form = new FormData();
      form.append('image', new Blob([data]), `${run}-${i + 1}.jpg`);
      form.append('subfolder', 'direct');
      const saved = await (await fetch(`${comfy}/upload/image`, { method: 'POST', body: form })).json();
      return `${saved.subfolder}/${saved.name}`;
    }),
  );
  const graph = JSON.parse(graphText.replace('{{image_1}}', names[0]).replace('{{image_2}}', names[1]).replace('"retouch"', `"direct/${run}"`));
  const promptId = randomUUID();
  const ended = client.ended(promptId);
  await fetch(`${comfy}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: graph, client_id: client.clientId, prompt_id: promptId }) });
  await ended;
  const entry = (await (await fetch(`${comfy}/history/${promptId}`)).json())[promptId];
  const files = Object.values(entry.outputs).flatMap((o) => o.images);
  await Promise.all(files.map(async (f) => (await fetch(`${comfy}/view?${new URLSearchParams(f)}`)).arrayBuffer()));
}

/**
 * One request through retouch, as a client that waits for it: `Prefer: wait` holds the submit's
 * answer until the request ends, as the direct client waits on its websocket. With `poll`, the
 * client submits and then polls the result every 20 ms instead (10 ms of latency on average).
 */
async function throughRetouch(url, body, { poll = false } = {}) {
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const check = (r) => {
    if (r.status === 'completed') {
      if (r.engine !== 'gpu') throw new Error(`ran on ${r.engine}: ${JSON.stringify(r.warnings)}`);
      return true;
    }
    if (r.status !== 'in_queue' && r.status !== 'in_progress') throw new Error(JSON.stringify(r));
    return false;
  };
  const submitted = await (
    await fetch(`${url}/v1/models/bytedance/dreamina-4-0/edit`, { method: 'POST', headers: poll ? headers : { ...headers, prefer: 'wait=60' }, body })
  ).json();
  if (!poll) {
    if (!check(submitted)) throw new Error(`not ended after the wait: ${JSON.stringify(submitted)}`);
    return;
  }
  for (;;) {
    await new Promise((res) => setTimeout(res, 20));
    if (check(await (await fetch(`${url}/v1/requests/${submitted.request_id}/result`, { headers })).json())) return;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The environment `npm start` gives the server: its allocator settings (package.json), which keep
 * glibc from handing freed image memory back to the system after every request (docs/operations.md).
 */
function npmStartEnv() {
  const start = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const tunables = /GLIBC_TUNABLES=\$\{GLIBC_TUNABLES:-([^}]+)\}/.exec(start)?.[1];
  if (!tunables) throw new Error(`package.json's start script no longer sets GLIBC_TUNABLES: ${start}`);
  return { GLIBC_TUNABLES: tunables };
}

export async function comfyuiBenchmark() {
  const fake = await start(['--import', 'tsx', path.join(ROOT, 'test/fakes/comfyui/main.ts'), '--port', '0'], 'fake_comfyui');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-bench-comfyui-'));
  const config = path.join(dir, 'retouch.yaml');
  fs.writeFileSync(
    config,
    `engines:\n  gpu:\n    type: comfyui\n    url: ${fake.value}\n    workflow: weightless-blend\nmodels:\n  bytedance/dreamina-4-0/edit:\n    engines: [gpu]\n`,
  );
  // Two servers: as `npm start` runs it, and with glibc's allocator defaults (`retouch serve` run bare).
  const serveWith = (name, env) =>
    start([path.join(ROOT, 'bin/retouch.js'), 'serve', '--port', '0', '--config', config, '--data-dir', path.join(dir, name)], 'public_url', {
      RETOUCH_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'info',
      RETOUCH_API_KEY: KEY,
      GLIBC_TUNABLES: '',
      ...env,
    });
  const started = [fake];
  const npmStart = npmStartEnv();
  try {
    const serve = await serveWith('npm-start', npmStart).then((p) => (started.push(p), p));
    const bare = await serveWith('bare', {}).then((p) => (started.push(p), p));
    const images = await Promise.all(
      ['coffee.png', 'horse.png'].map((n) => sharp(path.join(ROOT, 'test/fixtures/photos', n)).resize(1024, 1024, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer()),
    );
    const body = JSON.stringify({ image_urls: images.map((b) => `data:image/jpeg;base64,${b.toString('base64')}`), prompt: 'make it pop', 'width×height': '1024x1024(1:1)' });
    // The same graph the engine sends: the shipped workflow with the same values.
    const graphText = fs
      .readFileSync(path.join(ROOT, 'workflows/weightless-blend.json'), 'utf8')
      .replace('"{{width}}"', '1024')
      .replace('"{{height}}"', '1024')
      .replace('"{{scale}}"', '0.5')
      .replace('"{{batch_size}}"', '1');
    const times = { direct: [], retouch: [], polled: [], bare: [] };
    const client = await comfyClient(fake.value);
    // Warm-up rounds first: a fresh process's first requests pay for compiling code and for the
    // allocator growing its heap (the first five took 300–500 ms here, the later ones 200–260).
    // The aim is the engine's cost in a server that is running, so both sides are warmed alike.
    for (let i = 0; i < WARM_UP; i++) {
      await direct(fake.value, client, graphText, images);
      await throughRetouch(serve.value, body);
      await throughRetouch(bare.value, body);
    }
    // Then in turn, so that all see the same machine.
    const timed = async (list, run) => {
      const t = performance.now();
      await run();
      list.push(performance.now() - t);
    };
    for (let i = 0; i < RUNS; i++) {
      await timed(times.direct, () => direct(fake.value, client, graphText, images));
      await timed(times.retouch, () => throughRetouch(serve.value, body));
      await timed(times.polled, () => throughRetouch(serve.value, body, { poll: true }));
      await timed(times.bare, () => throughRetouch(bare.value, body));
    }
    client.close();
    if (process.env.BENCH_DEBUG) console.log(timeline(serve, fake));
    // The worker's own time for each request (claimed to stored), from its "request completed" lines.
    const worker = serve
      .out()
      .split('\n')
      .filter((l) => l.includes('"request completed"'))
      .slice(-2 * RUNS)
      .map((l) => JSON.parse(l).ms);
    return {
      direct: median(times.direct),
      retouch: median(times.retouch),
      polled: median(times.polled),
      bare: median(times.bare),
      worker: median(worker),
      tunables: npmStart.GLIBC_TUNABLES,
    };
  } finally {
    for (const p of started) p.child.kill();
  }
}

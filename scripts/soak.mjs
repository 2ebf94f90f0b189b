#!/usr/bin/env node
// npm run soak -- --minutes N [--sample-seconds S] [--clients C] [--max-requests M]
//
// Mixed traffic against a real `retouch serve` on loopback for N minutes: submits with data URIs
// and with uploads, status polls, event streams, cancels, webhooks to a local receiver, malformed
// requests, and submits of a key held to low limits. It prints, at each sample, throughput, errors
// by kind (expected refusals apart from failures), latency percentiles and the server's RSS; then
// it waits for every accepted request to end and checks that none was lost, that every webhook
// arrived, that the usage ledger agrees, and that RSS stayed flat after warm-up. Exit 0 when all
// of that holds. Run after a build (`npm run build`; `npm test` builds).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/retouch.js');
const MODEL_PATH = '/v1/models/bytedance/dreamina-4-0/edit';
const FINAL = new Set(['completed', 'failed', 'cancelled']);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
  return v;
}

const MINUTES = option('minutes', 5);
const SAMPLE_MS = option('sample-seconds', 60) * 1000;
const CLIENTS = option('clients', 4);
const MAX_REQUESTS = option('max-requests', 100_000);
const DRAIN_MS = option('drain-seconds', 180) * 1000;
/** Accepted requests not yet ended before clients only poll: keeps the queue bounded. */
const MAX_PENDING = option('max-pending', 3 * os.availableParallelism());

const photo = (name) => fs.readFileSync(path.join(ROOT, 'test/fixtures/photos', name));
const DATA_URI = `data:image/png;base64,${photo('coffee.png').toString('base64')}`;
const UPLOAD = photo('horse.png');

// ---------------------------------------------------------------------------------------------
// Setup: a data dir, two keys in two accounts (one held to low limits), a webhook receiver, the server.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-soak-'));
const cli = (args) => execFileSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
const main = JSON.parse(cli(['keys', 'create', '--name', 'soak', '--json']));
const limited = JSON.parse(cli(['keys', 'create', '--name', 'soak-limited', '--json']));
cli(['accounts', 'limits', limited.account_id, '--rpm', '6', '--concurrent', '1']);

const hooks = new Map();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    try {
      const msg = JSON.parse(body);
      hooks.set(msg.data.request_id, msg.data.status);
    } catch {
      // Counted as missing at the end.
    }
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--allow-private-urls'], {
  env: { ...process.env, RETOUCH_API_KEY: '' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serverErr = '';
server.stderr.on('data', (d) => (serverErr += d));
// The server's warnings and errors are kept (the rest of its log is only drained), to explain a failure.
const serverWarnings = path.join(dataDir, 'server-warnings.log');
const warningsOut = fs.createWriteStream(serverWarnings);
let partial = '';
server.stdout.on('data', (d) => {
  const lines = (partial + d).split('\n');
  partial = lines.pop();
  for (const l of lines) if (/"level":(4|5|6)\d/.test(l)) warningsOut.write(`${l}\n`);
});
const base = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    // Read until the address is known.
    if (out === null) return;
    out += d;
    const line = out.split('\n').find((l) => l.includes('"public_url"'));
    if (line) {
      out = null;
      resolve(JSON.parse(line).public_url);
    }
  });
  server.on('exit', (code) => reject(new Error(`retouch serve exited ${code}: ${serverErr}`)));
});

// ---------------------------------------------------------------------------------------------
// Bookkeeping.

const accepted = new Map(); // id → { key, webhook, cancelled }
const pending = new Set();
const ended = new Map(); // id → final status
const counts = { ok: {}, refused: {}, failures: {} };
const bump = (group, kind) => (counts[group][kind] = (counts[group][kind] ?? 0) + 1);
let latencies = { submit: [], poll: [] };
const rssSamples = [];
let completedInWindow = 0;

function rssMb() {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1];
    return Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

function percentile(list, p) {
  if (!list.length) return NaN;
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function call(method, url, { key = main.key, json, body, headers = {} } = {}) {
  const h = { authorization: `Bearer ${key}`, ...headers };
  if (json !== undefined) h['content-type'] = 'application/json';
  return fetch(base + url, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : body, signal: AbortSignal.timeout(60_000) });
}

/** A response that was expected to be one of `ok` statuses, or an expected refusal, or a failure. */
async function classify(kind, res, { ok = [200], refusals = [] } = {}) {
  if (ok.includes(res.status)) {
    bump('ok', kind);
    return true;
  }
  if (refusals.includes(res.status)) {
    bump('refused', `${kind} ${res.status}`);
    await res.body?.cancel();
    return false;
  }
  bump('failures', `${kind} HTTP ${res.status}: ${(await res.text()).slice(0, 120)}`);
  return false;
}

function track(id, key, webhook) {
  accepted.set(id, { key, webhook, cancelled: false });
  pending.add(id);
}

// ---------------------------------------------------------------------------------------------
// The actions, by weight.

const body = (extra = {}) => ({ image_urls: [DATA_URI], prompt: 'make it warmer and a bit brighter', 'width×height': '1024x1024(1:1)', ...extra });

const actions = [
  [40, async function submitDataUri() {
    const webhook = Math.random() < 0.3;
    const t = performance.now();
    const res = await call('POST', MODEL_PATH + (webhook ? `?webhook=${encodeURIComponent(hookUrl)}` : ''), { json: body() });
    latencies.submit.push(performance.now() - t);
    if (await classify('submit', res)) track((await res.json()).request_id, main.key, webhook);
  }],
  [15, async function submitUpload() {
    const up = await call('POST', '/v1/files', { body: UPLOAD, headers: { 'content-type': 'image/png' } });
    if (!(await classify('upload', up))) return;
    const { url } = await up.json();
    const res = await call('POST', MODEL_PATH, { json: body({ image_urls: [url], prompt: 'black and white' }) });
    if (await classify('submit', res)) track((await res.json()).request_id, main.key, false);
  }],
  [10, async function submitThenCancel() {
    const res = await call('POST', MODEL_PATH, { json: body({ prompt: 'make it cooler' }) });
    if (!(await classify('submit', res))) return;
    const { request_id: id } = await res.json();
    track(id, main.key, false);
    const cancel = await call('POST', `/v1/requests/${id}/cancel`);
    // 409 when a worker took it first: expected, the request then runs to its end.
    if (await classify('cancel', cancel, { refusals: [409] })) accepted.get(id).cancelled = true;
  }],
  [12, async function malformed() {
    const cases = [
      () => call('POST', MODEL_PATH, { body: '{"prompt": ', headers: { 'content-type': 'application/json' } }),
      () => call('POST', MODEL_PATH, { json: { image_urls: [DATA_URI] } }),
      () => call('POST', MODEL_PATH, { json: body({ 'width×height': '999x999(1:1)' }) }),
      () => call('POST', MODEL_PATH, { json: body({ image_urls: Array(11).fill(DATA_URI) }) }),
      () => call('POST', MODEL_PATH, { json: body({ scale: 7 }) }),
      () => call('GET', '/v1/requests/00000000-0000-4000-8000-000000000000/status'),
      () => call('GET', '/v1/requests/x/status', { key: 'rt_not-a-key' }),
    ];
    const res = await cases[Math.floor(Math.random() * cases.length)]();
    await classify('malformed', res, { ok: [], refusals: [400, 401, 404, 422] });
  }],
  [3, async function submitUnreadableImage() {
    // Well-formed, so accepted; the worker finds that the bytes are no image, and the request fails.
    const res = await call('POST', MODEL_PATH, { json: body({ image_urls: ['data:image/png;base64,AAAA'] }) });
    if (await classify('submit', res)) {
      const { request_id: id } = await res.json();
      track(id, main.key, false);
      accepted.get(id).mustFail = true;
    }
  }],
  [13, async function submitOverLimits() {
    // Two at once: with one request allowed at a time, the second is refused (or the rate is).
    const answers = await Promise.all([0, 1].map(() => call('POST', MODEL_PATH, { key: limited.key, json: body() })));
    for (const res of answers) {
      if (await classify('limited submit', res, { refusals: [429] })) track((await res.json()).request_id, limited.key, false);
    }
  }],
  [10, async function followStream() {
    const id = [...pending][Math.floor(Math.random() * pending.size)];
    if (!id) return;
    const res = await call('GET', `/v1/requests/${id}/status/stream`, { key: accepted.get(id).key });
    if (!(await classify('stream', res))) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (/"status":"(completed|failed|cancelled)"/.test(text)) break;
    }
    await reader.cancel().catch(() => undefined);
  }],
];
const totalWeight = actions.reduce((t, [w]) => t + w, 0);
const pick = () => {
  let r = Math.random() * totalWeight;
  for (const [w, fn] of actions) if ((r -= w) < 0) return fn;
  return actions[0][1];
};

async function poll(id) {
  const t = performance.now();
  const res = await call('GET', `/v1/requests/${id}/status`, { key: accepted.get(id).key });
  latencies.poll.push(performance.now() - t);
  if (!(await classify('poll', res))) return;
  const s = await res.json();
  if (FINAL.has(s.status)) {
    pending.delete(id);
    ended.set(id, s.status);
    if (s.status === 'completed') completedInWindow++;
  }
}

// ---------------------------------------------------------------------------------------------
// Run.

const started = Date.now();
const deadline = started + MINUTES * 60_000;
let submitted = 0;
let stopping = false;

/** fetch says only "fetch failed": the cause says what the connection did (ECONNRESET, other side closed, …). */
function describe(err) {
  const cause = err.cause;
  return cause ? `${err.message} (${cause.code ?? ''}${cause.code && cause.message ? ' ' : ''}${cause.message ?? ''})` : err.message;
}

async function client() {
  while (!stopping && Date.now() < deadline && submitted < MAX_REQUESTS) {
    const action = pending.size >= MAX_PENDING ? actions.find(([, fn]) => fn.name === 'malformed')[1] : pick();
    submitted++;
    try {
      await action();
    } catch (err) {
      bump('failures', `${action.name}: ${describe(err)}`);
    }
    if (pending.size >= MAX_PENDING) await new Promise((r) => setTimeout(r, 50));
  }
}

async function poller(until) {
  while (!stopping && Date.now() < until()) {
    const ids = [...pending];
    if (!ids.length) {
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    for (const id of ids) {
      try {
        await poll(id);
      } catch (err) {
        bump('failures', `poll: ${describe(err)}`);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function sample() {
  const elapsed = (Date.now() - started) / 60_000;
  const rss = rssMb();
  rssSamples.push({ t: Date.now() - started, rss });
  const failures = Object.values(counts.failures).reduce((t, n) => t + n, 0);
  const refused = Object.values(counts.refused).reduce((t, n) => t + n, 0);
  const perMinute = (completedInWindow / SAMPLE_MS) * 60_000;
  const p = (list, q) => (list.length ? percentile(list, q).toFixed(0) : '-');
  console.log(
    `${elapsed.toFixed(1).padStart(5)} min  completed/min ${perMinute.toFixed(1).padStart(6)}  pending ${String(pending.size).padStart(3)}  ` +
      `refused ${refused}  failures ${failures}  submit ms p50/p95/p99 ${p(latencies.submit, 50)}/${p(latencies.submit, 95)}/${p(latencies.submit, 99)}  ` +
      `poll ms ${p(latencies.poll, 50)}/${p(latencies.poll, 95)}/${p(latencies.poll, 99)}  RSS ${rss.toFixed(0)} MB`,
  );
  completedInWindow = 0;
  latencies = { submit: [], poll: [] };
}

console.log(`soak: ${MINUTES} min against ${base}, ${CLIENTS} clients, a sample every ${SAMPLE_MS / 1000} s`);
const sampler = setInterval(sample, SAMPLE_MS);
await Promise.all([...Array.from({ length: CLIENTS }, client), poller(() => deadline)]);
clearInterval(sampler);
if ((Date.now() - started) % SAMPLE_MS > 1000) sample();

// Drain: every accepted request must end.
console.log(`traffic stopped; waiting up to ${DRAIN_MS / 1000} s for ${pending.size} requests to end`);
const drainUntil = Date.now() + DRAIN_MS;
await poller(() => (pending.size ? drainUntil : 0));
// Webhooks go out after the final status; give the dispatcher a moment.
const webhookIds = [...accepted].filter(([, a]) => a.webhook).map(([id]) => id);
for (let i = 0; i < 100 && webhookIds.some((id) => ended.has(id) && !hooks.has(id)); i++) await new Promise((r) => setTimeout(r, 100));

// ---------------------------------------------------------------------------------------------
// Verdict.

const problems = [];
const lost = [...accepted.keys()].filter((id) => !ended.has(id));
if (lost.length) problems.push(`${lost.length} accepted requests did not end: ${lost.slice(0, 5).join(', ')}`);
const byStatus = {};
for (const s of ended.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
const unexpectedFailed = [...ended].filter(([id, s]) => (s === 'failed') !== Boolean(accepted.get(id).mustFail));
if (unexpectedFailed.length) problems.push(`${unexpectedFailed.length} requests ended otherwise than expected: ${unexpectedFailed.slice(0, 3).map(([id, s]) => `${id} ${s}`).join(', ')}`);
const missingHooks = webhookIds.filter((id) => ended.has(id) && hooks.get(id) !== ended.get(id));
if (missingHooks.length) problems.push(`${missingHooks.length} webhooks missing or wrong`);
const failures = Object.entries(counts.failures);
if (failures.length) problems.push(`unexpected answers: ${failures.slice(0, 10).map(([k, n]) => `${n}× ${k}`).join('; ')}`);

// The usage ledger of each account counts what ended, exactly.
for (const key of [main, limited]) {
  const mine = [...accepted].filter(([, a]) => a.key === key.key).map(([id]) => ended.get(id));
  const usage = await (await call('GET', '/v1/usage?days=2', { key: key.key })).json();
  const ledger = usage.days.reduce((t, d) => t + d.requests, 0);
  if (ledger !== mine.length) problems.push(`the usage ledger of ${key.account_id} counts ${ledger} ended requests, the clients saw ${mine.length}`);
}

// Memory: after warm-up (the first quarter, and at least two minutes: caches, the model, JIT), the
// last third of the samples may not sit much above the first third.
const WARM_UP_MS = Math.max(120_000, (MINUTES * 60_000) / 4);
const warm = rssSamples.filter((s) => s.t >= WARM_UP_MS);
let memory = `memory not judged: the run is too short to pass its ${WARM_UP_MS / 60_000}-minute warm-up with 3 samples after it (RSS ${rssSamples.map((s) => s.rss.toFixed(0)).join(', ')} MB)`;
if (warm.length >= 3) {
  const third = Math.max(1, Math.floor(warm.length / 3));
  const mean = (l) => l.reduce((t, s) => t + s.rss, 0) / l.length;
  const first = mean(warm.slice(0, third));
  const last = mean(warm.slice(-third));
  const allowed = Math.max(32, first * 0.1);
  memory = `RSS after warm-up ${first.toFixed(0)} → ${last.toFixed(0)} MB (allowed growth ${allowed.toFixed(0)} MB)`;
  if (last - first > allowed) problems.push(`memory grew: ${memory}`);
}

console.log('\nsummary');
console.log(`  accepted ${accepted.size}, ended ${ended.size} (${Object.entries(byStatus).map(([s, n]) => `${s} ${n}`).join(', ')}), webhooks ${hooks.size}/${webhookIds.length}`);
console.log(`  answers as expected: ${Object.entries(counts.ok).map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`  expected refusals: ${Object.entries(counts.refused).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
console.log(`  ${memory}`);
if (problems.length) console.log(`  the server's warnings and errors: ${serverWarnings}`);
console.log(problems.length ? `FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}` : `OK: nothing lost, no unexpected answer${warm.length >= 3 ? ', memory flat' : ''}`);

stopping = true;
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
receiver.close();
// Kept when something failed, for its server log; a clean run leaves nothing behind.
if (!problems.length) fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(problems.length ? 1 : 0);

/**
 * The official `replicate` npm client, pointed at a real retouch server by its `baseUrl` only: runs
 * with a local file (the files API), with `Prefer: wait` and with polling, a stream, cancellation
 * through an AbortSignal, a failed prediction raised as the client's error; and the predictions in
 * retouch's own library.
 */
import Replicate, { parseProgressFromLogs } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUri, photo } from '../helpers/paths.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { REPLICATE_VERSION } from '../../src/api/surfaces/replicate/schema.js';
import { busyServer, dimensions, download } from './helpers.js';

const MODEL = 'bytedance/seedream-4';

function client(server: TestServer, auth = server.key) {
  return new Replicate({ auth, baseUrl: `${server.url}/replicate/v1` });
}

describe('the replicate client against retouch', () => {
  let server: TestServer;
  let replicate: Replicate;
  beforeAll(async () => {
    server = await startServer();
    replicate = client(server);
  });
  afterAll(async () => server.close());

  it('runs with a local file: uploads it through /files, waits with Prefer: wait, and the output downloads', async () => {
    const seen: any[] = [];
    const output = (await replicate.run(
      MODEL,
      { input: { prompt: 'make it brighter', image_input: [photo('coffee.png')], size: '1K', aspect_ratio: '4:3' } },
      (p) => seen.push(p),
    )) as string[];
    // Answered finished by the create call itself: the client did not have to poll.
    expect(seen[0].status).toBe('succeeded');
    expect(output).toHaveLength(1);
    expect(await dimensions(await download(output[0]!))).toMatchObject({ width: 1152, height: 864 });

    const id = seen[0].id as string;
    const prediction = await replicate.predictions.get(id);
    expect(prediction).toMatchObject({ id, model: MODEL, version: REPLICATE_VERSION, status: 'succeeded', output, error: null });
    expect(prediction.input).toMatchObject({ prompt: 'make it brighter', size: '1K', aspect_ratio: '4:3' });
    // The uploaded file is read from retouch's storage.
    expect((prediction.input as any).image_input[0]).toContain('/files/uploads/');
    expect(prediction.logs).toContain('Applied brightness');
    expect(prediction.metrics?.predict_time).toBeGreaterThan(0);

    // The same request, in retouch's own API and library.
    const native = await (await server.api(`/v1/requests/${id}/result`)).json();
    expect(native).toMatchObject({ status: 'completed', output: { images: output } });
    const library = await (await server.api('/v1/requests')).json();
    expect(library.requests.find((r: any) => r.request_id === id)).toMatchObject({ prompt: 'make it brighter', image_count: 1 });
  });

  it('keeps an uploaded file readable through GET /files/{id}', async () => {
    const file = await replicate.files.create(photo('horse.png'), { purpose: 'test' });
    expect(file).toMatchObject({ content_type: 'image/png', size: photo('horse.png').length, metadata: { purpose: 'test' } });
    expect(file.urls.get).toBe(`${server.url}/replicate/v1/files/${file.id}`);
    const again = await replicate.files.get(file.id);
    expect(again).toMatchObject({ id: file.id, size: file.size, checksums: file.checksums, created_at: file.created_at });
    // Not an image: refused as the model's rules say, and the client raises it.
    await expect(replicate.files.create(Buffer.from('not an image at all'))).rejects.toMatchObject({ response: { status: 422 } });
  });

  it('polls when asked to, reporting starting → … → succeeded', async () => {
    const statuses: string[] = [];
    const output = (await replicate.run(
      MODEL,
      { input: { prompt: 'make it warmer', image_input: [dataUri('coffee.png')], size: '1K' }, wait: { mode: 'poll', interval: 50 } },
      (p) => statuses.push(p.status),
    )) as string[];
    expect(statuses[0]).toBe('starting');
    expect(statuses.at(-1)).toBe('succeeded');
    // match_input_image (the default) at 1K: coffee.png is 3:2.
    expect(await dimensions(await download(output[0]!))).toMatchObject({ width: 1248, height: 832 });
  });

  it('raises a failed prediction as the client does, with the error in Replicate\'s words', async () => {
    const truncated = `data:image/jpeg;base64,${photo('truncated.jpg').toString('base64')}`;
    const run = replicate.run(MODEL, { input: { prompt: 'p', image_input: [truncated] }, wait: { mode: 'poll', interval: 50 } });
    await expect(run).rejects.toThrow(/^Prediction failed: image_input\[0\]: /);
  });

  it('refuses invalid input with 422 and invalid_fields, and a bad key with 401', async () => {
    const long = replicate.predictions.create({ model: MODEL, input: { prompt: 'x'.repeat(801), image_input: [dataUri('horse.png')] } });
    const error = await long.catch((e) => e);
    expect(error.response.status).toBe(422);
    const body = JSON.parse(/: (\{.*\})\.$/s.exec(error.message)![1]!);
    expect(body).toMatchObject({ title: 'Input validation failed', status: 422, invalid_fields: [{ type: 'string_too_long', field: 'input.prompt' }] });
    const noImage = await replicate.predictions.create({ model: MODEL, input: { prompt: 'p' } }).catch((e) => e);
    expect(noImage.message).toContain('input.image_input must list at least one image');

    const stranger = client(server, 'rt_not-a-key');
    await expect(stranger.predictions.list()).rejects.toMatchObject({ response: { status: 401 } });
    // Replicate's older header form works too.
    const res = await fetch(`${server.url}/replicate/v1/predictions`, { headers: { authorization: `Token ${server.key}` } });
    expect(res.status).toBe(200);
  });

  it('reads only the caller\'s own files in image_input', async () => {
    const file = await replicate.files.create(photo('horse.png'));
    const other = client(server, (await server.runtime.keys.create({ name: 'other' })).token);
    const error = await other.predictions.create({ model: MODEL, input: { prompt: 'p', image_input: [file.urls.get] } }).catch((e) => e);
    expect(error.response.status).toBe(422);
    expect(error.message).toContain('there is no file');
    await expect(other.files.get(file.id)).rejects.toMatchObject({ response: { status: 404 } });
    // An id that could name a path is not even looked up.
    expect((await fetch(`${server.url}/replicate/v1/files/..%2Fsecret`, { headers: { authorization: `Bearer ${server.key}` } })).status).toBe(422);
  });

  it('creates by version as well, and refuses a version of another model', async () => {
    const prediction = await replicate.predictions.create({ version: REPLICATE_VERSION, input: { prompt: 'p', image_input: [dataUri('horse.png')], size: '1K' } });
    expect(prediction).toMatchObject({ status: 'starting', model: MODEL });
    expect((await replicate.wait(prediction, { interval: 50 })).status).toBe('succeeded');
    const other = await replicate.predictions.create({ version: 'a'.repeat(64), input: { prompt: 'p', image_input: [dataUri('horse.png')] } }).catch((e) => e);
    expect(other.response.status).toBe(422);
    const otherModel = await replicate.predictions.create({ model: 'black-forest-labs/flux-kontext-pro', input: { prompt: 'p' } }).catch((e) => e);
    expect(otherModel.response.status).toBe(404);
  });

  it('streams logs, outputs and done over urls.stream, which needs no key but its signature', async () => {
    const events: { event: string; data: unknown }[] = [];
    for await (const e of replicate.stream(MODEL, { input: { prompt: 'make it brighter', image_input: [dataUri('horse.png')], size: '1K', aspect_ratio: '1:1' } })) {
      events.push({ event: e.event, data: e.data });
    }
    const outputs = events.filter((e) => e.event === 'output');
    expect(outputs).toHaveLength(1);
    expect(String(outputs[0]!.data)).toContain('/files/outputs/');
    expect(events.some((e) => e.event === 'logs' && String(e.data).startsWith('Generated 1 image'))).toBe(true);
    expect(events.at(-1)).toEqual({ event: 'done', data: '{}' });

    const [latest] = (await replicate.predictions.list()).results;
    const tampered = latest!.urls.stream!.replace(/signature=[^&]+/, 'signature=AAAA');
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('shows no more images than max_images, and says so in the logs', async () => {
    const output = (await replicate.run(MODEL, {
      input: { prompt: 'three variations, brighter', image_input: [dataUri('horse.png')], size: '1K', aspect_ratio: '1:1', sequential_image_generation: 'auto', max_images: 2 },
      wait: { mode: 'poll', interval: 50 },
    })) as string[];
    expect(output).toHaveLength(2);
    const [latest] = (await replicate.predictions.list()).results;
    const prediction = await replicate.predictions.get(latest!.id);
    expect(prediction.logs).toContain('The prompt made 3 images and max_images is 2');
    // retouch's own result keeps all three.
    expect((await (await server.api(`/v1/requests/${latest!.id}/result`)).json()).output.images).toHaveLength(3);
  });
});

describe('the replicate client and a busy server', () => {
  it('gets starting from a Prefer: wait=N that runs out while the prediction processes, then polls it to the end', async () => {
    const { server, release } = await busyServer();
    try {
      const replicate = client(server);
      const started = Date.now();
      const prediction = await replicate.predictions.create({ model: MODEL, input: { prompt: 'p', image_input: [dataUri('horse.png')], size: '1K' }, wait: 1 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      // It is running (retouch says in_progress), but a waited answer that ran out says starting.
      expect(prediction.status).toBe('starting');
      expect((await server.api(`/v1/requests/${prediction.id}/status`).then((r) => r.json())).status).toBe('in_progress');
      const processing = await replicate.predictions.get(prediction.id);
      expect(processing.status).toBe('processing');
      // The progress line is the one the client's own helper reads.
      expect(parseProgressFromLogs(processing)).toMatchObject({ total: 100 });
      // Running: it can no longer be canceled, and the client hears so.
      await expect(replicate.predictions.cancel(prediction.id)).rejects.toMatchObject({ response: { status: 409 } });
      release();
      expect((await replicate.wait(prediction, { interval: 50 })).status).toBe('succeeded');
    } finally {
      release();
      await server.close();
    }
  });

  it('cancels a queued prediction when the AbortSignal of run() fires', async () => {
    const { server, release } = await busyServer();
    try {
      const replicate = client(server);
      // The first prediction holds the only worker; the second waits in the queue.
      await replicate.predictions.create({ model: MODEL, input: { prompt: 'p', image_input: [dataUri('horse.png')], size: '1K' } });
      const controller = new AbortController();
      let id = '';
      const output = await replicate.run(
        MODEL,
        { input: { prompt: 'q', image_input: [dataUri('horse.png')], size: '1K' }, wait: { mode: 'poll', interval: 50 }, signal: controller.signal },
        (p) => {
          id = p.id;
          if (p.status === 'starting') controller.abort();
        },
      );
      expect(output).toBeNull();
      expect((await replicate.predictions.get(id)).status).toBe('canceled');
      expect((await server.api(`/v1/requests/${id}/status`).then((r) => r.json())).status).toBe('cancelled');
    } finally {
      release();
      await server.close();
    }
  });
});

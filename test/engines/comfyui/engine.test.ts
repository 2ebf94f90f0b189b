/**
 * The ComfyUI engine through the real retouch server, against fake ComfyUI servers that speak the
 * real protocol and really run the weightless workflow: outputs at the exact size, progress,
 * cancelling while queued or running, a dropped socket, fallbacks, missing nodes and files, a pool,
 * a lost run, and errors in plain words.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeComfyUI } from '../../fakes/comfyui/server.js';
import { viaComfy, weightless, workflowFile } from '../../helpers/comfyui.js';
import { dataUri } from '../../helpers/paths.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { readEvents } from '../../helpers/sse.js';

const TWO = { image_urls: [dataUri('coffee.png'), dataUri('horse.png')], prompt: 'make it pop', 'width×height': '1024x1024(1:1)' };
/** For requests the built-in engine ends up running: a quick tone edit. */
const ONE = { image_urls: [dataUri('coffee.png')], prompt: 'make it brighter', 'width×height': '1024x1024(1:1)' };

let server: TestServer | undefined;
const fakes: FakeComfyUI[] = [];
async function fake(options: ConstructorParameters<typeof FakeComfyUI>[0] = {}): Promise<FakeComfyUI> {
  const f = await new FakeComfyUI(options).start();
  fakes.push(f);
  return f;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function submit(body: unknown = TWO): Promise<string> {
  const res = await server!.submit(body);
  expect(res.status).toBe(200);
  return (await res.json()).request_id;
}

/** The prompts this retouch server queued (the fake also counts prompts a test sends directly). */
const ours = (f: FakeComfyUI) => f.received.filter((r) => r.clientId !== undefined);

async function readyz(): Promise<any> {
  return (await server!.api('/readyz', { key: null })).json();
}

describe('ComfyUI engine through the server', () => {
  it('runs two references through the graph to exactly the requested size, with the outputs ComfyUI saved', async () => {
    const comfy = await fake();
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin']) });
    const id = await submit({ ...TWO, 'width×height': '2304x1728(4:3)' });
    const result = await server.waitForResult(id);
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(result.warnings).toEqual(['This ComfyUI workflow does not read the prompt.']);

    const [sent] = ours(comfy);
    const { graph } = sent!;
    expect(graph['1']!.inputs).toEqual({ image: `retouch/${id}-1.png` });
    expect(graph['2']!.inputs).toEqual({ image: `retouch/${id}-2.png` });
    expect(graph['4']!.inputs).toMatchObject({ width: 2304, height: 1728 });
    expect(graph['5']!.inputs).toMatchObject({ blend_factor: 0.5 });
    expect(graph['6']!.inputs).toMatchObject({ amount: 1 });
    expect(graph['7']!.inputs).toMatchObject({ filename_prefix: `retouch/${id}` });
    expect(fs.readdirSync(path.join(comfy.env.inputDir, 'retouch')).sort()).toEqual([`${id}-1.png`, `${id}-2.png`]);

    // What retouch serves is the image ComfyUI saved, at the size asked, as JPEG.
    const output = Buffer.from(await (await fetch(result.output.image)).arrayBuffer());
    expect(await sharp(output).metadata()).toMatchObject({ format: 'jpeg', width: 2304, height: 1728 });
    const saved = path.join(comfy.env.outputDir, 'retouch', `${id}_00001_.png`);
    const [a, b] = await Promise.all([output, fs.readFileSync(saved)].map((x) => sharp(x).resize(64, 48).removeAlpha().raw().toBuffer()));
    const diff = a!.reduce((sum, v, i) => sum + Math.abs(v - b![i]!), 0) / a!.length;
    expect(diff).toBeLessThan(3);
    expect(comfy.finished).toEqual([{ promptId: sent!.promptId, outcome: 'success', ran: ['1', '2', '3', '4', '5', '6', '7'] }]);
  });

  it('fetches an output as soon as ComfyUI says it is saved, while the rest of the graph still runs', async () => {
    // A preview after the save, slow: the saved image is announced (executed) long before the end.
    const graph = weightless();
    graph['8'] = { class_type: 'PreviewImage', inputs: { images: ['5', 0] } };
    const comfy = await fake({ slow: { PreviewImage: 800 } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu'], { gpu: { workflow: workflowFile(graph) } }) });
    let viewsBeforeTheEnd = -1;
    comfy.on('finished', () => (viewsBeforeTheEnd = comfy.requests.filter((r) => r.path === '/view').length));
    const id = await submit();
    const result = await server.waitForResult(id);
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(viewsBeforeTheEnd).toBe(1);
    // Only the image the prompt asked for: the saved one (node 7), fetched once.
    expect(comfy.requests.filter((r) => r.path === '/view')).toHaveLength(1);
    const output = Buffer.from(await (await fetch(result.output.image)).arrayBuffer());
    expect(await sharp(output).metadata()).toMatchObject({ format: 'jpeg', width: 1024, height: 1024 });
  });

  it('brings ComfyUI\'s progress to the status and the event stream', async () => {
    const comfy = await fake({ slow: { '*': 250 } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu']) });
    const id = await submit();
    const stream = readEvents(await server.api(`/v1/requests/${id}/status/stream`));
    const polled: number[] = [];
    for (;;) {
      const status = await (await server.api(`/v1/requests/${id}/status`)).json();
      if (status.status === 'in_progress') polled.push(status.progress);
      if (status.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const events = await stream;
    const progress = events.filter((e) => e.event === 'progress' && e.data.status === 'in_progress').map((e) => e.data.progress as number);
    // Node by node: several values between the upload and the end, never going back.
    const midway = progress.filter((p) => p > 0.2 && p < 0.95);
    expect(midway.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(polled.some((p) => p > 0.2 && p < 0.95)).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'completed' } });
  });

  it('deletes its prompt from ComfyUI\'s queue when the request gives up while the prompt waits there', async () => {
    const comfy = await fake({ slow: { EmptyImage: 4_000 } });
    // Someone else's long prompt holds the GPU.
    const blocker = { '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } }, '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } };
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin'], { gpu: { timeoutMs: 1_500 } }) });
    await fetch(`${comfy.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: blocker }) });
    await comfy.started();
    const id = await submit(ONE);
    const result = await server.waitForResult(id);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(result.warnings[0]).toBe('The engine "gpu" could not run this request (it did not finish within its timeout of 1500 ms), so "builtin" did.');
    const mine = ours(comfy)[0]!.promptId;
    expect(comfy.requests).toContainEqual({ method: 'POST', path: '/queue', body: { delete: [mine] } });
    expect(comfy.queue().pending).toEqual([]);
    // It never ran, and it never will.
    await new Promise((r) => comfy.once('finished', r));
    await new Promise((r) => setTimeout(r, 300));
    expect(comfy.finished.map((f) => f.promptId)).not.toContain(mine);
    expect(comfy.history(mine)).toBeUndefined();
  });

  it('interrupts its prompt when the request gives up while it runs, and nothing is left running', async () => {
    const comfy = await fake({ slow: { '*': 400 } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin'], { gpu: { timeoutMs: 1_200 } }) });
    const id = await submit(ONE);
    const result = await server.waitForResult(id);
    expect(result).toMatchObject({ status: 'completed', engine: 'builtin' });
    const mine = ours(comfy)[0]!.promptId;
    expect(comfy.requests).toContainEqual({ method: 'POST', path: '/interrupt', body: { prompt_id: mine } });
    await expect.poll(() => comfy.finished.find((f) => f.promptId === mine)?.outcome, { timeout: 5_000 }).toBe('interrupted');
    expect(comfy.finished.find((f) => f.promptId === mine)!.ran.length).toBeLessThan(7);
    expect(comfy.queue()).toEqual({ running: [], pending: [] });
  });

  it('completes when the websocket drops in the middle of the run', async () => {
    const comfy = await fake({ slow: { '*': 300 } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu']) });
    const id = await submit();
    await comfy.started();
    await new Promise((r) => setTimeout(r, 500));
    comfy.dropSockets();
    const result = await server.waitForResult(id, 20_000);
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(ours(comfy)).toHaveLength(1);
    // The socket came back on its own.
    await expect.poll(async () => (await readyz()).engines.gpu.ready, { timeout: 5_000 }).toBe(true);
  });

  it('falls back to the next engine with a warning while ComfyUI is down, and goes back to ComfyUI when it returns', async () => {
    const comfy = await fake();
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin']) });
    expect(await server.waitForResult(await submit())).toMatchObject({ status: 'completed', engine: 'gpu' });

    await comfy.stop();
    await expect.poll(async () => (await readyz()).engines.gpu, { timeout: 5_000 }).toMatchObject({ ready: false, reason: 'ComfyUI does not answer' });
    const down = await server.waitForResult(await submit(ONE));
    expect(down).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(down.warnings[0]).toBe('The engine "gpu" could not run this request (not ready: ComfyUI does not answer), so "builtin" did.');

    await comfy.start();
    await expect.poll(async () => (await readyz()).engines.gpu.ready, { timeout: 8_000 }).toBe(true);
    expect(await server.waitForResult(await submit())).toMatchObject({ status: 'completed', engine: 'gpu' });
  });

  it('fails with engine_unavailable, saying what each engine said, when every engine is down', async () => {
    const a = await fake();
    const b = await fake();
    await Promise.all([a.stop(), b.stop()]);
    server = await startServer({ configure: viaComfy({ gpu: a, gpu2: b }, ['gpu', 'gpu2']) });
    const result = await server.waitForResult(await submit());
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'engine_unavailable', message: 'No engine could run this request. gpu: not ready: ComfyUI does not answer; gpu2: not ready: ComfyUI does not answer' },
    });
    expect(JSON.stringify(result)).not.toContain('127.0.0.1');
  });

  it('names a node type ComfyUI lacks: in /readyz, and when ComfyUI refuses the prompt for it', async () => {
    const comfy = await fake({ without: ['ImageBlend'] });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu']) });
    const reason = 'ComfyUI lacks the node type ImageBlend (node 5); install the custom node that provides it, or update ComfyUI';
    expect((await readyz()).engines.gpu).toMatchObject({ ready: false, reason });
    const result = await server.waitForResult(await submit());
    expect(result.error).toEqual({ code: 'engine_unavailable', message: `No engine could run this request. gpu: not ready: ${reason}` });
    await server.close();

    // A node that disappears after the last check: ComfyUI's 400 names it.
    const later = await fake();
    server = await startServer({ configure: viaComfy({ gpu: later }, ['gpu'], { gpu: { options: { probe_interval: '10m' } } }) });
    later.without.add('ImageStitch');
    const refused = await server.waitForResult(await submit());
    expect(refused.error.message).toBe(
      'No engine could run this request. gpu: ComfyUI lacks the node type ImageStitch (node 3); install the custom node that provides it, or update ComfyUI',
    );
  });

  it('names a model file ComfyUI lacks, and where it goes', async () => {
    const comfy = await fake({ models: { diffusion_models: ['qwen_image_edit_2509_fp8_e4m3fn.safetensors'], text_encoders: ['qwen_2.5_vl_7b_fp8_scaled.safetensors'], vae: [] } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin'], { gpu: { workflow: 'qwen-image-edit-2509' } }) });
    expect((await readyz()).engines.gpu).toMatchObject({
      ready: false,
      reason: 'ComfyUI lacks the model file qwen_image_vae.safetensors (node 3 (VAELoader)); put it in ComfyUI/models/vae',
    });
  });

  it('sends work to both servers of a pool', async () => {
    const one = await fake({ slow: { '*': 150 } });
    const two = await fake({ slow: { '*': 150 } });
    server = await startServer({ configure: viaComfy({ gpu: [one, two] }, ['gpu']), settings: { concurrency: '4' } });
    const ids = await Promise.all([1, 2, 3, 4].map(() => submit()));
    const results = await Promise.all(ids.map((id) => server!.waitForResult(id, 30_000)));
    expect(results.map((r) => r.engine)).toEqual(['gpu', 'gpu', 'gpu', 'gpu']);
    expect(ours(one).length).toBeGreaterThanOrEqual(1);
    expect(ours(two).length).toBeGreaterThanOrEqual(1);
    expect(ours(one).length + ours(two).length).toBe(4);
  });

  it('runs a request again when ComfyUI restarts during it and loses the run', async () => {
    const comfy = await fake({ slow: { '*': 300 } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu']) });
    const id = await submit();
    await comfy.started();
    await comfy.restart(200);
    const result = await server.waitForResult(id, 30_000);
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    const prompts = ours(comfy).map((r) => r.promptId);
    expect(prompts).toHaveLength(2);
    expect(comfy.finished.map((f) => f.promptId)).toEqual([prompts[1]]);
  });

  it('says ComfyUI ran out of memory, suggesting a smaller size, and names a failing node without its traceback', async () => {
    const comfy = await fake({ failures: { ImageBlend: { type: 'torch.OutOfMemoryError', message: 'Allocation on device ' } } });
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu']) });
    const oom = await server.waitForResult(await submit());
    expect(oom.error).toEqual({
      code: 'engine_unavailable',
      message: 'No engine could run this request. gpu: ComfyUI ran out of GPU memory in node 5 (ImageBlend) at 1024x1024; a smaller size may fit',
    });
    // Out of memory concerns that request: the engine is not cooled down.
    comfy.failures = { ImageScale: { type: 'RuntimeError', message: 'mat1 and mat2 shapes cannot be multiplied (77x768 and 4096x5120)\nsee /opt/ComfyUI/comfy/ops.py or https://example.com/help?token=x' } };
    const failed = await server.waitForResult(await submit());
    expect(failed.error.message).toBe('No engine could run this request. gpu: ComfyUI failed in node 4 (ImageScale): mat1 and mat2 shapes cannot be multiplied (77x768 and 4096x5120)');
    expect(JSON.stringify(failed)).not.toMatch(/File "|execution\.py|example\.com|\/opt\//);
  });

  it('takes out a missing optional reference; a graph that needs one the request lacks lets the next engine run it', async () => {
    const comfy = await fake();
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin']) });
    const one = ONE;
    const single = await server.waitForResult(await submit(one));
    expect(single).toMatchObject({ status: 'completed', engine: 'gpu' });
    const { graph } = ours(comfy)[0]!;
    expect(graph['2']).toBeUndefined();
    expect(graph['3']!.inputs!.image2).toBeUndefined();
    await server.close();

    // ImageBlend's image2 is required: without reference 2 this graph cannot run.
    const strict = weightless();
    strict['5'].inputs.image2 = ['2', 0];
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu', 'builtin'], { gpu: { workflow: workflowFile(strict) } }) });
    const fell = await server.waitForResult(await submit(one));
    expect(fell).toMatchObject({ status: 'completed', engine: 'builtin' });
    expect(fell.warnings[0]).toBe('The engine "gpu" could not run this request (its ComfyUI workflow needs reference image 2 and the request has 1), so "builtin" did.');
    // That was the request's shape, not the engine's health: the next request runs on it at once.
    expect(await server.waitForResult(await submit())).toMatchObject({ status: 'completed', engine: 'gpu' });
  });

  it('maps scale onto a node input\'s range and asks for as many images as the prompt does', async () => {
    const comfy = await fake();
    const graph = weightless();
    graph['5'].inputs.blend_factor = '{{scale:0.2..0.6}}';
    server = await startServer({ configure: viaComfy({ gpu: comfy }, ['gpu'], { gpu: { workflow: workflowFile(graph) } }) });
    const result = await server.waitForResult(await submit({ ...TWO, prompt: 'three variations', scale: 0.25 }));
    expect(result).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(result.output.images).toHaveLength(3);
    const sent = ours(comfy)[0]!.graph;
    expect(sent['5']!.inputs!.blend_factor).toBe(0.3);
    expect(sent['6']!.inputs!.amount).toBe(3);
  });

  it('sends the configured headers to a proxy in front of ComfyUI, on every call and the websocket', async () => {
    const comfy = await fake({ proxyHeader: { name: 'Authorization', value: 'Bearer proxy-token' } });
    server = await startServer({ configure: viaComfy({ gpu: comfy, bare: comfy }, ['gpu'], { gpu: { options: { headers: { Authorization: 'Bearer proxy-token' } } } }) });
    expect((await readyz()).engines.bare).toMatchObject({ ready: false, reason: "ComfyUI answered 401 to system_stats; check the engine's headers" });
    expect(await server.waitForResult(await submit())).toMatchObject({ status: 'completed', engine: 'gpu' });
    expect(server.logs.join('\n')).not.toContain('proxy-token');
  });
});

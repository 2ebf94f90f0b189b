/**
 * The fake ComfyUI against what a real ComfyUI 0.8.0 server was observed to do
 * (shared/protocols/comfyui.md, "Observed"): the same workflows, bodies and message order. The
 * engine's tests are only as good as this fake, so it is held to the protocol here.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeComfyUI } from '../../fakes/comfyui/server.js';
import { photo } from '../../helpers/paths.js';

let fake: FakeComfyUI;
beforeEach(async () => {
  fake = await new FakeComfyUI().start();
});
afterEach(async () => {
  await fake.close();
});

interface Frame {
  type: string;
  data: any;
}

/** A websocket client that records every JSON frame. */
async function connect(clientId: string): Promise<{ frames: Frame[]; binary: Buffer[]; ws: WebSocket; until(pred: (f: Frame) => boolean, ms?: number): Promise<void> }> {
  const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
  const frames: Frame[] = [];
  const binary: Buffer[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) binary.push(data as Buffer);
    else frames.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const until = async (pred: (f: Frame) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!frames.some(pred)) {
      if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { frames, binary, ws, until };
}

async function upload(name: string, data: Buffer, fields: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([data]), name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(`${fake.url}/upload/image`, { method: 'POST', body: form });
}

function post(route: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(fake.url + route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const scaleGraph = (prefix = 'fixture/scale') => ({
  '1': { class_type: 'LoadImage', inputs: { image: 'camera.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'bilinear', width: 320, height: 240, crop: 'center' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
});

/** Nodes that take a while each (the observed "slow" workflow used lanczos scales to 4096²). */
const slowGraph = (nodes = 4) => {
  const g: Record<string, unknown> = { '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 255 } } };
  for (let i = 0; i < nodes; i++) g[String(10 + i)] = { class_type: 'ImageInvert', inputs: { image: [i === 0 ? '1' : String(9 + i), 0] } };
  g['99'] = { class_type: 'SaveImage', inputs: { images: [String(9 + nodes), 0], filename_prefix: 'fixture/slow' } };
  return g;
};

async function history(id: string): Promise<any> {
  return (await fetch(`${fake.url}/history/${id}`)).json();
}

describe('fake ComfyUI, held to the observed protocol', () => {
  it('runs the scale workflow with the observed message order, {} history until the end, and the output through /view', async () => {
    expect(await (await upload('camera.png', photo('astronaut.png'))).json()).toEqual({ name: 'camera.png', subfolder: '', type: 'input' });
    const socket = await connect('c1');
    await socket.until((f) => f.type === 'status');
    expect(socket.frames[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'c1' } });
    fake.slow = { ImageScale: 300 };
    const res = await post('/prompt', { prompt: scaleGraph(), client_id: 'c1', prompt_id: '60d65233-14e1-4756-b6eb-624c29c9eff2' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ prompt_id: '60d65233-14e1-4756-b6eb-624c29c9eff2', number: 0, node_errors: {} });
    const id = '60d65233-14e1-4756-b6eb-624c29c9eff2';
    await socket.until((f) => f.type === 'executing' && f.data.node === '2');
    expect(await history(id)).toEqual({});
    await socket.until((f) => f.type === 'executing' && f.data.node === null);

    const seen = socket.frames.slice(1).map((f) => (f.type === 'executing' ? `executing ${f.data.node}` : f.type));
    expect(seen).toEqual([
      'status', 'status', 'execution_start', 'execution_cached',
      'progress_state', 'executing 1', 'progress_state',
      'progress_state', 'executing 2', 'progress_state',
      'progress_state', 'executing 3', 'executed', 'progress_state',
      'execution_success', 'status', 'executing null',
    ]);
    const last = socket.frames.filter((f) => f.type === 'progress_state').at(-1)!;
    expect(last.data.nodes['1']).toEqual({ value: 1, max: 1, state: 'finished', node_id: '1', prompt_id: id, display_node_id: '1', parent_node_id: null, real_node_id: '1' });
    const executed = socket.frames.find((f) => f.type === 'executed')!;
    expect(executed.data).toEqual({ node: '3', display_node: '3', output: { images: [{ filename: 'scale_00001_.png', subfolder: 'fixture', type: 'output' }] }, prompt_id: id });

    const entry = (await history(id))[id];
    expect(entry.outputs).toEqual({ '3': { images: [{ filename: 'scale_00001_.png', subfolder: 'fixture', type: 'output' }] } });
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true });
    expect(entry.status.messages.map((m: [string]) => m[0])).toEqual(['execution_start', 'execution_cached', 'execution_success']);
    expect(entry.prompt.slice(0, 2)).toEqual([0, id]);
    expect(entry.prompt[3]).toMatchObject({ client_id: 'c1' });
    expect(entry.meta['3']).toEqual({ node_id: '3', display_node: '3', parent_node: null, real_node_id: '3' });

    const view = await fetch(`${fake.url}/view?filename=scale_00001_.png&subfolder=fixture&type=output`);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    expect(view.headers.get('content-disposition')).toBe('filename="scale_00001_.png"');
    const png = Buffer.from(await view.arrayBuffer());
    expect(await sharp(png).metadata()).toMatchObject({ width: 320, height: 240, format: 'png' });
    expect(png.includes(Buffer.from('tEXtprompt'))).toBe(true);
    expect((await fetch(`${fake.url}/view?filename=missing.png`)).status).toBe(404);
    expect((await fetch(`${fake.url}/view?filename=../main.py`)).status).toBe(400);
    // Every route is also under /api.
    expect(await (await fetch(`${fake.url}/api/prompt`)).json()).toEqual({ exec_info: { queue_remaining: 0 } });
    socket.ws.close();
  });

  it('serves the same graph again from its cache: every node cached, the same files, no new file', async () => {
    await upload('camera.png', photo('astronaut.png'));
    const socket = await connect('c1');
    for (const n of [1, 2]) {
      const { prompt_id: id } = await (await post('/prompt', { prompt: scaleGraph(), client_id: 'c1' })).json();
      await socket.until((f) => f.type === 'executing' && f.data.node === null && f.data.prompt_id === id);
      if (n === 2) {
        const frames = socket.frames.filter((f) => f.data.prompt_id === id).map((f) => f.type);
        expect(frames).toEqual(['execution_start', 'execution_cached', 'executed', 'execution_success', 'executing']);
        expect(socket.frames.find((f) => f.type === 'execution_cached' && f.data.prompt_id === id)!.data.nodes).toEqual(['1', '2', '3']);
        expect((await history(id))[id].outputs['3'].images[0].filename).toBe('scale_00001_.png');
      }
    }
    expect(fs.readdirSync(path.join(fake.env.outputDir, 'fixture'))).toEqual(['scale_00001_.png']);
    // A different prefix is a different graph: it runs again (only the nodes whose inputs changed).
    const { prompt_id: third } = await (await post('/prompt', { prompt: scaleGraph('fixture/other'), client_id: 'c1' })).json();
    await socket.until((f) => f.type === 'executing' && f.data.node === null && f.data.prompt_id === third);
    expect(socket.frames.find((f) => f.type === 'execution_cached' && f.data.prompt_id === third)!.data.nodes).toEqual(['1', '2']);
    socket.ws.close();
  });

  it('renames an upload whose name is taken by other bytes, reuses it for the same bytes, and refuses one without a file', async () => {
    expect(await (await upload('camera.png', photo('coffee.png'))).json()).toEqual({ name: 'camera.png', subfolder: '', type: 'input' });
    expect(await (await upload('camera.png', photo('coffee.png'))).json()).toEqual({ name: 'camera.png', subfolder: '', type: 'input' });
    expect(await (await upload('camera.png', photo('horse.png'))).json()).toEqual({ name: 'camera (1).png', subfolder: '', type: 'input' });
    expect(await (await upload('x.png', photo('horse.png'), { subfolder: 'sub/dir' })).json()).toEqual({ name: 'x.png', subfolder: 'sub/dir', type: 'input' });
    const form = new FormData();
    form.append('subfolder', 'x');
    const none = await fetch(`${fake.url}/upload/image`, { method: 'POST', body: form });
    expect(none.status).toBe(400);
    expect(await none.text()).toBe('');
    // LoadImage's options are the files in input/.
    const info = await (await fetch(`${fake.url}/object_info/LoadImage`)).json();
    expect(info.LoadImage.input.required.image[0]).toEqual(['camera (1).png', 'camera.png']);
  });

  it('refuses invalid prompts with the observed bodies, and counts every POST /prompt', async () => {
    await upload('camera.png', photo('astronaut.png'));
    const missingWidth = scaleGraph() as any;
    delete missingWidth['2'].inputs.width;
    let res = await post('/prompt', { prompt: missingWidth });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: {
        '2': {
          errors: [{ type: 'required_input_missing', message: 'Required input is missing', details: 'width', extra_info: { input_name: 'width' } }],
          dependent_outputs: ['3'],
          class_type: 'ImageScale',
        },
      },
    });
    res = await post('/prompt', { prompt: { ...scaleGraph(), '2': { class_type: 'NoSuchNode', inputs: {} } } });
    expect(await res.json()).toEqual({
      error: { type: 'invalid_prompt', message: 'Cannot execute because node NoSuchNode does not exist.', details: "Node ID '#2'", extra_info: {} },
      node_errors: {},
    });
    const badCombo = scaleGraph() as any;
    badCombo['2'].inputs.upscale_method = 'super-resolution';
    const combo = (await (await post('/prompt', { prompt: badCombo })).json()).node_errors['2'].errors[0];
    expect(combo).toMatchObject({
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: "upscale_method: 'super-resolution' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']",
      extra_info: { input_name: 'upscale_method', received_value: 'super-resolution' },
    });
    const tooWide = scaleGraph() as any;
    tooWide['2'].inputs.width = 99999;
    expect((await (await post('/prompt', { prompt: tooWide })).json()).node_errors['2'].errors[0]).toMatchObject({
      type: 'value_bigger_than_max',
      message: 'Value 99999 bigger than max of 16384',
    });
    const noUpload = scaleGraph() as any;
    noUpload['1'].inputs.image = 'missing.png';
    expect((await (await post('/prompt', { prompt: noUpload })).json()).node_errors['1'].errors[0]).toMatchObject({
      type: 'custom_validation_failed',
      details: 'image - Invalid image file: missing.png',
    });
    const noOutput = { '1': scaleGraph()['1'] };
    expect((await (await post('/prompt', { prompt: noOutput })).json()).error).toEqual({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });
    expect((await (await post('/prompt', { client_id: 'x' })).json()).error.type).toBe('no_prompt');
    const notJson = await fetch(`${fake.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(500);
    expect(await notJson.text()).toBe('500 Internal Server Error\n\nServer got itself in trouble');
    // Rejected prompts took numbers too.
    expect((await (await post('/prompt', { prompt: scaleGraph() })).json()).number).toBe(7);
  });

  it('queues one prompt with node_errors on 200 when another output of it validates', async () => {
    await upload('camera.png', photo('astronaut.png'));
    const graph = { ...scaleGraph(), '4': { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'x' } }, '5': { class_type: 'ImageInvert', inputs: {} } };
    const res = await post('/prompt', { prompt: graph });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.node_errors['5']).toMatchObject({ class_type: 'ImageInvert', dependent_outputs: ['4'] });
  });

  it('removes only a pending prompt from the queue: it never runs and its history stays {}', async () => {
    fake.slow = { ImageInvert: 300 };
    const socket = await connect('c1');
    const first = (await (await post('/prompt', { prompt: slowGraph(), client_id: 'c1' })).json()).prompt_id;
    const second = (await (await post('/prompt', { prompt: slowGraph(3), client_id: 'c1' })).json()).prompt_id;
    await fake.started(first);
    const queue = await (await fetch(`${fake.url}/queue`)).json();
    expect(queue.queue_running.map((q: unknown[]) => q[1])).toEqual([first]);
    expect(queue.queue_pending.map((q: unknown[]) => q[1])).toEqual([second]);
    const del = await post('/queue', { delete: [second, first] });
    expect(del.status).toBe(200);
    expect(await del.text()).toBe('');
    await socket.until((f) => f.type === 'executing' && f.data.node === null && f.data.prompt_id === first);
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.frames.some((f) => f.data.prompt_id === second)).toBe(false);
    expect(await history(second)).toEqual({});
    // The running one was not touched by the delete.
    expect((await history(first))[first].status.status_str).toBe('success');
    socket.ws.close();
  });

  it('interrupts only the prompt named, at the next node boundary', async () => {
    fake.slow = { ImageInvert: 400 };
    const socket = await connect('c1');
    const id = (await (await post('/prompt', { prompt: slowGraph(), client_id: 'c1' })).json()).prompt_id;
    await socket.until((f) => f.type === 'executing' && f.data.node === '11');
    expect((await post('/interrupt', { prompt_id: 'someone-else' })).status).toBe(200);
    await socket.until((f) => f.type === 'executing' && f.data.node === '12');
    const at = Date.now();
    const res = await post('/interrupt', { prompt_id: id });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await socket.until((f) => f.type === 'executing' && f.data.node === null);
    // Node 12 ran to its end; the run stopped before node 13.
    expect(Date.now() - at).toBeGreaterThan(250);
    const seen = socket.frames.filter((f) => f.data.prompt_id === id || f.type === 'status').map((f) => (f.type === 'executing' ? `executing ${f.data.node}` : f.type));
    expect(seen.slice(-4)).toEqual(['executing 13', 'execution_interrupted', 'status', 'executing null']);
    const interrupted = socket.frames.find((f) => f.type === 'execution_interrupted')!;
    expect(interrupted.data).toMatchObject({ prompt_id: id, node_id: '13', node_type: 'ImageInvert', executed: ['12', '11', '10', '1'] });
    const entry = (await history(id))[id];
    expect(entry).toMatchObject({ outputs: {}, status: { status_str: 'error', completed: false } });
    expect(entry.status.messages.at(-1)[0]).toBe('execution_interrupted');
    expect(fake.finished.at(-1)).toMatchObject({ promptId: id, outcome: 'interrupted', ran: ['1', '10', '11', '12'] });
    socket.ws.close();
  });

  it('reports a failing node with execution_error and no execution_success', async () => {
    await upload('camera.png', photo('astronaut.png'));
    const socket = await connect('c1');
    const id = (await (await post('/prompt', { prompt: scaleGraph('../../escape'), client_id: 'c1' })).json()).prompt_id;
    await socket.until((f) => f.type === 'executing' && f.data.node === null);
    const types = socket.frames.filter((f) => f.data.prompt_id === id || f.type === 'status').map((f) => f.type);
    expect(types.slice(-3)).toEqual(['execution_error', 'status', 'executing']);
    expect(types).not.toContain('execution_success');
    const error = socket.frames.find((f) => f.type === 'execution_error')!.data;
    expect(error).toMatchObject({ prompt_id: id, node_id: '3', node_type: 'SaveImage', executed: ['2', '1'], exception_type: 'Exception' });
    expect(error.exception_message).toMatch(/^\*\*\*\* ERROR: Saving image outside the output folder is not allowed\.\n full_output_folder: /);
    expect(error.traceback.length).toBeGreaterThan(0);
    socket.ws.close();
  });

  it('sends a prompt\'s events only to its client\'s socket; without a client_id only status and progress_state go out', async () => {
    await upload('camera.png', photo('astronaut.png'));
    const mine = await connect('mine');
    const other = await connect('other');
    const id = (await (await post('/prompt', { prompt: scaleGraph(), client_id: 'mine' })).json()).prompt_id;
    await mine.until((f) => f.type === 'executing' && f.data.node === null);
    await other.until((f) => f.type === 'status' && f.data.status.exec_info.queue_remaining === 0 && other.frames.length > 2);
    expect(other.frames.some((f) => f.data.prompt_id === id)).toBe(false);
    const anonymous = (await (await post('/prompt', { prompt: scaleGraph('fixture/anon') })).json()).prompt_id;
    await other.until((f) => f.type === 'progress_state' && f.data.prompt_id === anonymous);
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(other.frames.filter((f) => f.data.prompt_id === anonymous).map((f) => f.type))).toEqual(new Set(['progress_state']));
    // The binary TEXT frame of GetImageSize goes to the prompt's client, as send_progress_text does.
    const sized = { '1': { class_type: 'EmptyImage', inputs: { width: 40, height: 30, batch_size: 1, color: 0 } }, '2': { class_type: 'GetImageSize', inputs: { image: ['1', 0] } }, '3': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'area', width: ['2', 1], height: ['2', 0], crop: 'disabled' } }, '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } } };
    const sizedId = (await (await post('/prompt', { prompt: sized, client_id: 'mine' })).json()).prompt_id;
    await mine.until((f) => f.type === 'executing' && f.data.node === null && f.data.prompt_id === sizedId);
    const text = mine.binary.find((b) => b.readUInt32BE(0) === 3)!;
    expect(text.subarray(8 + text.readUInt32BE(4)).toString()).toBe('width: 40, height: 30\n batch size: 1');
    expect(other.binary).toEqual([]);
    const preview = (await history(sizedId))[sizedId].outputs['4'].images[0];
    expect(preview).toMatchObject({ subfolder: '', type: 'temp' });
    expect(preview.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    const shown = await fetch(`${fake.url}/view?filename=${preview.filename}&type=temp`);
    expect(await sharp(Buffer.from(await shown.arrayBuffer())).metadata()).toMatchObject({ width: 30, height: 40 });
    mine.ws.close();
    other.ws.close();
  });

  it('refuses a request whose Origin differs from a loopback Host with 403', async () => {
    expect((await post('/prompt', { prompt: {} }, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${fake.url}/queue`, { headers: { origin: fake.url } })).status).toBe(200);
  });

  it('loses its queue and history on a restart, keeping its port', async () => {
    fake.slow = { ImageInvert: 300 };
    const first = (await (await post('/prompt', { prompt: slowGraph() })).json()).prompt_id;
    const second = (await (await post('/prompt', { prompt: slowGraph(2) })).json()).prompt_id;
    await fake.started(first);
    const url = fake.url;
    await fake.restart(100);
    expect(fake.url).toBe(url);
    expect(await (await fetch(`${url}/queue`)).json()).toEqual({ queue_running: [], queue_pending: [] });
    expect(await history(first)).toEqual({});
    expect(await history(second)).toEqual({});
  });
});

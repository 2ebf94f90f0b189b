/**
 * Workflows: reading and checking them, filling the placeholders, taking out missing references,
 * the shipped workflows against ComfyUI's node definitions, and ComfyUI's refusals in plain words.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedOf } from '../../../src/engine/comfyui/engine.js';
import { buildGraph, MissingReferenceError, type GraphValues } from '../../../src/engine/comfyui/graph.js';
import { clean, describeExecutionError, describeRefusal } from '../../../src/engine/comfyui/messages.js';
import { loadWorkflow, parseWorkflow, shippedWorkflows, WorkflowError, type Workflow } from '../../../src/engine/comfyui/workflow.js';
import { NODES } from '../../fakes/comfyui/nodes.js';
import { validatePrompt } from '../../fakes/comfyui/validate.js';
import { ROOT, tempDir } from '../../helpers/paths.js';

function problems(graph: unknown): string[] {
  try {
    parseWorkflow(JSON.stringify(graph), 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return (err as WorkflowError).problems;
  }
  throw new Error('the workflow was accepted');
}

const values = (images: string[]): GraphValues => ({
  prompt: 'put the cat on the sofa',
  width: 2496,
  height: 1664,
  scale: 0.5,
  seed: 123,
  batchSize: 2,
  images,
  filenamePrefix: 'retouch/req-1',
});

/** Optional inputs as ComfyUI's /object_info declares them (the fake's node table is transcribed from ComfyUI). */
const optional = (classType: string) => new Set(Object.keys(NODES.get(classType)?.input({ inputDir: '', outputDir: '', tempDir: '', models: {} }).optional ?? {}));

describe('reading a workflow', () => {
  it('finds the placeholders, the references, the node types, the model files and the SaveImage nodes', () => {
    const wf = loadWorkflow('qwen-image-edit-2509', ROOT);
    expect(wf.images).toEqual([1, 2, 3]);
    expect(wf.saveNodes).toEqual(['43']);
    expect(wf.classTypes).toContain('TextEncodeQwenImageEditPlus');
    expect(wf.models).toEqual([
      { node: '1', classType: 'UNETLoader', input: 'unet_name', file: 'qwen_image_edit_2509_fp8_e4m3fn.safetensors', folder: 'diffusion_models' },
      { node: '2', classType: 'CLIPLoader', input: 'clip_name', file: 'qwen_2.5_vl_7b_fp8_scaled.safetensors', folder: 'text_encoders' },
      { node: '3', classType: 'VAELoader', input: 'vae_name', file: 'qwen_image_vae.safetensors', folder: 'vae' },
    ]);
    expect(wf.slots).toContainEqual({ node: '40', input: 'cfg', name: 'scale', range: [1, 4] });
    expect(wf.uses('prompt') && wf.uses('seed') && wf.uses('batch_size')).toBe(true);
    expect(shippedWorkflows()).toEqual(['flux-kontext-dev', 'qwen-image-edit-2509', 'weightless-blend']);
  });

  it('reads a path relative to the configuration file, and a graph wrapped as {"prompt": …}', () => {
    const dir = tempDir('retouch-wf-');
    fs.mkdirSync(path.join(dir, 'flows'));
    fs.writeFileSync(path.join(dir, 'flows', 'mine.json'), JSON.stringify({ prompt: { '9': { class_type: 'SaveImage', inputs: { images: ['9', 0], filename_prefix: 'x' } } } }));
    expect(loadWorkflow('./flows/mine.json', dir).saveNodes).toEqual(['9']);
    expect(() => loadWorkflow('./flows/qwen-image-edit-2509.json', dir)).toThrow(/no file at .*flows\/qwen-image-edit-2509\.json/);
    expect(() => loadWorkflow('qwen-image-edit-2590', dir)).toThrow('did you mean the shipped workflow "qwen-image-edit-2509"?');
  });

  it('names every problem: UI format, unknown or partial placeholders, ranges, broken links, no output', () => {
    expect(problems({ nodes: [], links: [] })).toEqual(['this is a UI workflow (nodes and links); in ComfyUI, save it with "Export (API)" and use that file']);
    expect(problems({ '1': { inputs: {} } })).toEqual(["node 1 has no class_type: not a graph in ComfyUI's API format (use \"Export (API)\")"]);
    const found = problems({
      '1': { class_type: 'CLIPTextEncode', inputs: { text: '{{promt}}', clip: ['5', 0] } },
      '2': { class_type: 'CLIPTextEncode', inputs: { text: 'A photo of {{prompt}}', clip: ['1', 0] } },
      '3': { class_type: 'KSampler', inputs: { steps: '{{width:1..4}}', seed: '{{image_11}}' } },
    });
    expect(found).toEqual([
      'node 1 input "text": unknown placeholder {{promt}}; did you mean {{prompt}}? (placeholders: {{prompt}}, {{width}}, {{height}}, {{scale}}, {{seed}}, {{batch_size}}, {{image_1}}, {{image_2}}, {{image_3}}, {{image_4}}, {{image_5}}, {{image_6}}, {{image_7}}, {{image_8}}, {{image_9}}, {{image_10}})',
      'node 1 input "clip" links to node 5, which the graph does not have',
      'node 2 input "text": "A photo of {{prompt}}" is not a placeholder; a placeholder is the whole value, like "{{prompt}}"',
      'node 3 input "steps": only {{scale}} takes a range (as in {{scale:1..7}})',
      'node 3 input "seed": unknown placeholder {{image_11}}; did you mean {{image_1}}? (placeholders: {{prompt}}, {{width}}, {{height}}, {{scale}}, {{seed}}, {{batch_size}}, {{image_1}}, {{image_2}}, {{image_3}}, {{image_4}}, {{image_5}}, {{image_6}}, {{image_7}}, {{image_8}}, {{image_9}}, {{image_10}})',
    ]);
    expect(problems({ '1': { class_type: 'LoadImage', inputs: { image: '{{image_1}}' } } })).toEqual(['the graph has no SaveImage node, so it would make no image']);
    expect(problems({})).toEqual(['the graph has no nodes']);
  });
});

describe('one request\'s graph', () => {
  it('fills typed values, maps scale onto a range, and gives every SaveImage the request\'s prefix', () => {
    const wf = loadWorkflow('qwen-image-edit-2509', ROOT);
    const { graph, outputs, executed } = buildGraph(wf, values(['retouch/a.png', 'retouch/b.png', 'retouch/c.png']), optional);
    expect(graph['20']!.inputs).toMatchObject({ prompt: 'put the cat on the sofa', image1: ['13', 0], image2: ['11', 0], image3: ['12', 0] });
    expect(graph['10']!.inputs.image).toBe('retouch/a.png');
    expect(graph['30']!.inputs).toMatchObject({ width: 2496, height: 1664 });
    expect(graph['33']!.inputs.batch_size).toBe(2);
    expect(graph['40']!.inputs).toMatchObject({ seed: 123, cfg: 2.5 });
    expect(graph['43']!.inputs.filename_prefix).toBe('retouch/req-1');
    expect(outputs).toEqual(['43']);
    expect(executed).toHaveLength(Object.keys(graph).length);
    // The workflow itself is untouched.
    expect(wf.graph['40']!.inputs.cfg).toBe('{{scale:1..4}}');
  });

  it('takes out missing references with the links to optional inputs, and refuses when a required input needs one', () => {
    const qwen = buildGraph(loadWorkflow('qwen-image-edit-2509', ROOT), values(['retouch/a.png']), optional).graph;
    expect(qwen['11']).toBeUndefined();
    expect(qwen['12']).toBeUndefined();
    expect(Object.keys(qwen['20']!.inputs).sort()).toEqual(['clip', 'image1', 'prompt', 'vae']);
    // Kontext chains ReferenceLatent: FluxKontextImageScale and VAEEncode of reference 2 need it, and go too.
    const kontext = buildGraph(loadWorkflow('flux-kontext-dev', ROOT), values(['retouch/a.png', 'retouch/b.png']), optional).graph;
    expect(['12', '15', '18'].map((id) => kontext[id])).toEqual([undefined, undefined, undefined]);
    expect(kontext['23']!.inputs).toEqual({ conditioning: ['22', 0] });
    expect(kontext['22']!.inputs.latent).toEqual(['17', 0]);

    const strict = parseWorkflow(
      JSON.stringify({
        '1': { class_type: 'LoadImage', inputs: { image: '{{image_1}}' } },
        '2': { class_type: 'LoadImage', inputs: { image: '{{image_2}}' } },
        '3': { class_type: 'ImageBlend', inputs: { image1: ['1', 0], image2: ['2', 0], blend_factor: 0.5, blend_mode: 'normal' } },
        '4': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'x' } },
      }),
      'strict',
    );
    expect(() => buildGraph(strict, values(['retouch/a.png']), optional)).toThrow(new MissingReferenceError(2, 1));
    // Without ComfyUI's definitions, an input is taken as required.
    expect(() => buildGraph(loadWorkflow('weightless-blend', ROOT), values(['retouch/a.png']), () => undefined)).toThrow(MissingReferenceError);
  });

  it('the shipped workflows pass ComfyUI\'s validation with one, two and three references', () => {
    const models = {
      diffusion_models: ['qwen_image_edit_2509_fp8_e4m3fn.safetensors', 'flux1-dev-kontext_fp8_scaled.safetensors'],
      text_encoders: ['qwen_2.5_vl_7b_fp8_scaled.safetensors', 'clip_l.safetensors', 't5xxl_fp8_e4m3fn_scaled.safetensors'],
      vae: ['qwen_image_vae.safetensors', 'ae.safetensors'],
    };
    const inputDir = tempDir('fake-input-');
    for (const f of ['a.png', 'b.png', 'c.png']) fs.writeFileSync(path.join(inputDir, f), '');
    const env = { inputDir, outputDir: inputDir, tempDir: inputDir, models };
    for (const name of shippedWorkflows()) {
      const wf: Workflow = loadWorkflow(name, ROOT);
      for (const refs of [['a.png'], ['a.png', 'b.png'], ['a.png', 'b.png', 'c.png']]) {
        const { graph } = buildGraph(wf, values(refs), optional);
        const verdict = validatePrompt(structuredClone(graph), env);
        expect(verdict, `${name} with ${refs.length} reference(s)`).toMatchObject({ ok: true, nodeErrors: {} });
      }
    }
  });

  it('derives the seed from the request id: the same on every attempt, exact in JSON', () => {
    expect(seedOf('6f1c1e4e-3a2b-4c5d-8e9f-0a1b2c3d4e5f')).toBe(seedOf('6f1c1e4e-3a2b-4c5d-8e9f-0a1b2c3d4e5f'));
    expect(seedOf('a')).not.toBe(seedOf('b'));
    expect(seedOf('a')).toBeLessThan(2 ** 48);
  });
});

describe('ComfyUI\'s refusals and failures in plain words', () => {
  const graph = parseWorkflow(fs.readFileSync(path.join(ROOT, 'workflows/qwen-image-edit-2509.json'), 'utf8'), 'q').graph;

  it('names the node type, the model file and its folder, or the input refused', () => {
    expect(
      describeRefusal('ComfyUI', { status: 400, body: { error: { type: 'invalid_prompt', message: 'Cannot execute because node TextEncodeQwenImageEditPlus does not exist.', details: "Node ID '#20'" }, node_errors: {} } }, graph),
    ).toBe('ComfyUI lacks the node type TextEncodeQwenImageEditPlus (nodes 20, 21); install the custom node that provides it, or update ComfyUI');
    const notInList = (input: string, value: string, classType: string) => ({
      status: 400,
      body: {
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' },
        node_errors: { '3': { class_type: classType, errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: `${input}: '${value}' not in []`, extra_info: { input_name: input, received_value: value } }] } },
      },
    });
    expect(describeRefusal('ComfyUI server 2', notInList('vae_name', 'qwen_image_vae.safetensors', 'VAELoader'), graph)).toBe(
      'ComfyUI server 2 refused the workflow: ComfyUI server 2 lacks the model file qwen_image_vae.safetensors (node 3 (VAELoader)); put it in ComfyUI/models/vae',
    );
    expect(describeRefusal('ComfyUI', notInList('upscale_method', 'super-resolution', 'ImageScale'), graph)).toBe(
      'ComfyUI refused the workflow: node 3 (ImageScale): upscale_method "super-resolution" is not one of the values it accepts',
    );
  });

  it('never passes on a traceback, a URL or a path of the GPU box', () => {
    expect(clean('Error while deserializing header: see https://hf.co/x?token=abc\n  File "/opt/ComfyUI/comfy/utils.py", line 5')).toBe(
      'Error while deserializing header: see (a URL) File "(a path)", line 5',
    );
    expect(describeExecutionError('ComfyUI', { node_id: '40', node_type: 'KSampler', exception_type: 'RuntimeError', exception_message: 'CUDA error: device-side assert\nat /usr/lib/x.so' }, { width: 1, height: 1 })).toBe(
      'ComfyUI failed in node 40 (KSampler): CUDA error: device-side assert',
    );
  });
});

/**
 * A ComfyUI workflow as the engine runs it: an API-format graph (what "Export (API)" saves) whose
 * string values may be placeholders, read and checked once when the configuration is read.
 *
 * A placeholder is a string value that is exactly `{{name}}`:
 *   {{prompt}}                    the prompt (text)
 *   {{image_1}} … {{image_10}}    the name ComfyUI gave the uploaded reference (for LoadImage.image)
 *   {{width}}, {{height}}         the exact output size (whole numbers)
 *   {{scale}}                     the request's scale, 0..1
 *   {{scale:MIN..MAX}}            the scale mapped linearly onto a node input's own range
 *                                 (0 → MIN, 0.5 → the middle, 1 → MAX), e.g. {{scale:1..7}} for a cfg
 *   {{seed}}                      a whole number derived from the request id
 *   {{batch_size}}                the number of images the prompt asks for
 *
 * Kept light (node:fs and node:path only): the configuration check imports it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest } from '../../config-file/problems.js';

/** A node input: a literal, or a link `[source node id, output index]`. */
export type InputValue = unknown;

export interface ApiNode {
  class_type: string;
  inputs: Record<string, InputValue>;
  _meta?: { title?: string };
}

export type ApiGraph = Record<string, ApiNode>;

export const MAX_IMAGES = 10;
const SCALAR_NAMES = ['prompt', 'width', 'height', 'scale', 'seed', 'batch_size'] as const;
export const PLACEHOLDER_NAMES: readonly string[] = [...SCALAR_NAMES, ...Array.from({ length: MAX_IMAGES }, (_, i) => `image_${i + 1}`)];

/** Where a placeholder sits in the graph. */
export interface Slot {
  node: string;
  input: string;
  name: string;
  /** `{{scale:MIN..MAX}}` */
  range?: [number, number];
}

/** A model file a loader node names, and the models folder it lives in when the loader is a known one. */
export interface ModelFile {
  node: string;
  classType: string;
  input: string;
  file: string;
  folder?: string;
}

export interface Workflow {
  /** For messages: the file as configured. */
  source: string;
  graph: ApiGraph;
  slots: Slot[];
  /** The reference numbers the graph names, ascending (1 for {{image_1}}). */
  images: number[];
  classTypes: string[];
  /** SaveImage nodes: their filename_prefix is set per request. */
  saveNodes: string[];
  models: ModelFile[];
  uses(name: string): boolean;
}

/** The loader inputs of ComfyUI's core nodes that name a model file, and their folder under models/. */
export const MODEL_INPUTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CheckpointLoaderSimple: { ckpt_name: 'checkpoints' },
  UNETLoader: { unet_name: 'diffusion_models' },
  CLIPLoader: { clip_name: 'text_encoders' },
  DualCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders' },
  TripleCLIPLoader: { clip_name1: 'text_encoders', clip_name2: 'text_encoders', clip_name3: 'text_encoders' },
  VAELoader: { vae_name: 'vae' },
  LoraLoader: { lora_name: 'loras' },
  LoraLoaderModelOnly: { lora_name: 'loras' },
  CLIPVisionLoader: { clip_name: 'clip_vision' },
  StyleModelLoader: { style_model_name: 'style_models' },
  ControlNetLoader: { control_net_name: 'controlnet' },
  UpscaleModelLoader: { model_name: 'upscale_models' },
};

/** The workflows that ship in workflows/, by name (the file name without .json). */
export const SHIPPED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../workflows');

export class WorkflowError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'WorkflowError';
  }
}

const PLACEHOLDER = /^\{\{([A-Za-z0-9_]+)(?::(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?))?\}\}$/;

export const isLink = (v: unknown): v is [string, number] =>
  Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && Number.isInteger(v[1]);

/**
 * The file a `workflow` option names: a path relative to the config file's folder, or the name of a
 * shipped workflow (`qwen-image-edit-2509`) when it has no folder and no extension.
 */
export function workflowPath(spec: string, baseDir: string): string {
  if (!spec.includes('/') && !spec.includes('\\') && !spec.endsWith('.json')) return path.join(SHIPPED_DIR, `${spec}.json`);
  return path.resolve(baseDir, spec);
}

export function shippedWorkflows(): string[] {
  try {
    return fs
      .readdirSync(SHIPPED_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** Reads and checks a workflow; throws WorkflowError listing every problem found. */
export function loadWorkflow(spec: string, baseDir: string): Workflow {
  const file = workflowPath(spec, baseDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new WorkflowError([`the file ${file} cannot be read (${code ?? 'error'})`]);
    const shipped = shippedWorkflows();
    const base = path.basename(spec, '.json');
    const near = closest(base, shipped) ?? shipped.find((s) => s.startsWith(base) || base.startsWith(s));
    throw new WorkflowError([
      `no file at ${file}` +
        (near ? `; did you mean the shipped workflow "${near}"?` : ` (shipped workflows, usable by name: ${shipped.join(', ') || 'none'})`),
    ]);
  }
  return parseWorkflow(text, spec);
}

export function parseWorkflow(text: string, source: string): Workflow {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WorkflowError([`not valid JSON (${(err as Error).message})`]);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new WorkflowError(['expected a JSON object of nodes (ComfyUI\'s API format)']);
  const record = doc as Record<string, unknown>;
  if (Array.isArray(record.nodes) && Array.isArray(record.links)) {
    throw new WorkflowError(['this is a UI workflow (nodes and links); in ComfyUI, save it with "Export (API)" and use that file']);
  }
  // Some exports wrap the graph as {"prompt": {...}}.
  const graph = (isNodeMap(record.prompt) ? record.prompt : record) as Record<string, unknown>;
  const problems: string[] = [];
  const slots: Slot[] = [];
  if (Object.keys(graph).length === 0) problems.push('the graph has no nodes');
  for (const [id, node] of Object.entries(graph)) {
    if (typeof node !== 'object' || node === null || typeof (node as ApiNode).class_type !== 'string') {
      problems.push(`node ${id} has no class_type: not a graph in ComfyUI's API format (use "Export (API)")`);
      continue;
    }
    const inputs = (node as ApiNode).inputs;
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      problems.push(`node ${id} (${(node as ApiNode).class_type}) has no inputs object`);
      continue;
    }
    for (const [input, value] of Object.entries(inputs)) {
      if (Array.isArray(value)) {
        if (!isLink(value)) problems.push(`node ${id} input "${input}": a link must be [node id, output index]`);
        else if (!(String(value[0]) in graph)) problems.push(`node ${id} input "${input}" links to node ${value[0]}, which the graph does not have`);
        continue;
      }
      if (typeof value !== 'string' || !value.includes('{{')) continue;
      const at = `node ${id} input "${input}"`;
      const m = PLACEHOLDER.exec(value);
      if (!m) {
        problems.push(`${at}: "${value}" is not a placeholder; a placeholder is the whole value, like "{{prompt}}"`);
        continue;
      }
      const name = m[1]!;
      if (!PLACEHOLDER_NAMES.includes(name)) {
        const near = closest(name, [...PLACEHOLDER_NAMES]);
        problems.push(`${at}: unknown placeholder {{${name}}}${near ? `; did you mean {{${near}}}?` : ''} (placeholders: ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')})`);
        continue;
      }
      if (m[2] !== undefined) {
        if (name !== 'scale') {
          problems.push(`${at}: only {{scale}} takes a range (as in {{scale:1..7}})`);
          continue;
        }
        slots.push({ node: id, input, name, range: [Number(m[2]), Number(m[3])] });
      } else slots.push({ node: id, input, name });
    }
  }
  const nodes = graph as ApiGraph;
  const saveNodes = Object.keys(nodes).filter((id) => nodes[id]?.class_type === 'SaveImage');
  const outputs = Object.keys(nodes).filter((id) => ['SaveImage', 'PreviewImage'].includes(nodes[id]?.class_type ?? ''));
  if (problems.length === 0 && outputs.length === 0) problems.push('the graph has no SaveImage node, so it would make no image');
  if (problems.length) throw new WorkflowError(problems);

  const images = [...new Set(slots.filter((s) => s.name.startsWith('image_')).map((s) => Number(s.name.slice(6))))].sort((a, b) => a - b);
  const models: ModelFile[] = [];
  for (const [id, node] of Object.entries(nodes)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string' || value.startsWith('{{')) continue;
      const folder = MODEL_INPUTS[node.class_type]?.[input];
      if (folder || /\.(safetensors|sft|gguf|ckpt|pt|pth|bin)$/i.test(value)) {
        models.push({ node: id, classType: node.class_type, input, file: value, ...(folder && { folder }) });
      }
    }
  }
  const used = new Set(slots.map((s) => s.name));
  return {
    source,
    graph: nodes,
    slots,
    images,
    classTypes: [...new Set(Object.values(nodes).map((n) => n.class_type))].sort(),
    saveNodes,
    models,
    uses: (name) => used.has(name),
  };
}

function isNodeMap(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const first = Object.values(v)[0];
  return typeof first === 'object' && first !== null && typeof (first as ApiNode).class_type === 'string';
}

/**
 * One request's graph: the workflow with its placeholders filled in, every SaveImage writing under
 * the request's own prefix, and the references the request does not have taken out.
 *
 * A graph may name more references than a request brings (the Qwen workflow takes up to three).
 * The LoadImage of a missing reference is removed, and so is every link to it that goes to an
 * optional input (TextEncodeQwenImageEditPlus.image2, ImageStitch.image2); a node that needs it
 * (a required input) is removed too, and so on downstream. When no output node is left, the graph
 * cannot serve the request.
 */
import { isLink, type ApiGraph, type Workflow } from './workflow.js';

export interface GraphValues {
  prompt: string;
  width: number;
  height: number;
  scale: number;
  seed: number;
  batchSize: number;
  /** What ComfyUI named each uploaded reference (LoadImage's value), in request order. */
  images: string[];
  /** SaveImage's filename_prefix: a folder and a name of the request's own. */
  filenamePrefix: string;
}

/** The inputs a node type declares optional, from ComfyUI's /object_info; undefined when unknown. */
export type OptionalInputs = (classType: string) => ReadonlySet<string> | undefined;

export class MissingReferenceError extends Error {
  constructor(readonly image: number, readonly have: number) {
    super(`the workflow needs reference image ${image} and the request has ${have}`);
    this.name = 'MissingReferenceError';
  }
}

export interface BuiltGraph {
  graph: ApiGraph;
  /** The nodes ComfyUI will execute (those the output nodes depend on), for progress. */
  executed: string[];
  /** The output nodes whose images are the results. */
  outputs: string[];
}

export function buildGraph(workflow: Workflow, values: GraphValues, optionalInputs: OptionalInputs): BuiltGraph {
  const graph = structuredClone(workflow.graph);
  const missing = new Map<string, number>();
  for (const slot of workflow.slots) {
    const inputs = graph[slot.node]!.inputs;
    if (slot.name.startsWith('image_')) {
      const n = Number(slot.name.slice(6));
      if (n <= values.images.length) inputs[slot.input] = values.images[n - 1];
      else missing.set(slot.node, Math.min(n, missing.get(slot.node) ?? n));
      continue;
    }
    inputs[slot.input] = valueOf(slot.name, slot.range, values);
  }
  for (const id of workflow.saveNodes) graph[id]!.inputs.filename_prefix = values.filenamePrefix;

  // Take out what the missing references feed, as far as it must go.
  const removed = new Set(missing.keys());
  let firstMissing = Math.min(...missing.values());
  for (let changed = removed.size > 0; changed; ) {
    changed = false;
    for (const [id, node] of Object.entries(graph)) {
      if (removed.has(id)) continue;
      for (const [input, value] of Object.entries(node.inputs)) {
        if (!isLink(value) || !removed.has(String(value[0]))) continue;
        if (optionalInputs(node.class_type)?.has(input)) delete node.inputs[input];
        else {
          removed.add(id);
          changed = true;
          break;
        }
      }
    }
  }
  for (const id of removed) delete graph[id];
  const outputs = Object.keys(graph)
    .filter((id) => ['SaveImage', 'PreviewImage'].includes(graph[id]!.class_type))
    .sort(byNodeId);
  if (outputs.length === 0) {
    if (!Number.isFinite(firstMissing)) firstMissing = values.images.length + 1;
    throw new MissingReferenceError(firstMissing, values.images.length);
  }
  return { graph, executed: dependencies(graph, outputs), outputs };
}

function valueOf(name: string, range: [number, number] | undefined, v: GraphValues): unknown {
  switch (name) {
    case 'prompt':
      return v.prompt;
    case 'width':
      return v.width;
    case 'height':
      return v.height;
    case 'seed':
      return v.seed;
    case 'batch_size':
      return v.batchSize;
    case 'scale':
      return range ? Math.round((range[0] + (range[1] - range[0]) * v.scale) * 1000) / 1000 : v.scale;
    default:
      throw new Error(`no value for the placeholder {{${name}}}`);
  }
}

/** The nodes the outputs depend on, themselves included. */
function dependencies(graph: ApiGraph, outputs: string[]): string[] {
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id) || !graph[id]) return;
    seen.add(id);
    for (const v of Object.values(graph[id]!.inputs)) if (isLink(v)) visit(String(v[0]));
  };
  outputs.forEach(visit);
  return [...seen];
}

/** Node ids are usually numbers written as text: "2" before "10". */
export function byNodeId(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

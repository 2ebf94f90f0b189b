/**
 * What ComfyUI said, in plain words for the request's warnings and errors: the node and the
 * problem, never a traceback, a URL or a path of the GPU box. `who` names the server ("ComfyUI",
 * or "ComfyUI server 2" in a pool).
 */
import type { NodeError, PromptAnswer } from './client.js';
import { MODEL_INPUTS, type ApiGraph } from './workflow.js';

const MAX_LENGTH = 300;
const MODEL_FILE = /\.(safetensors|sft|gguf|ckpt|pt|pth|bin)$/i;

/** One line, without URLs or file-system paths, cut to a readable length. */
export function clean(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '(a URL)')
    .replace(/(^|[\s"'(=])(\/[\w.@-]+){2,}\/?/g, '$1(a path)')
    .replace(/\*{2,}\s*/g, '')
    .trim();
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}…` : line;
}

function node(id: string, classType: string | undefined): string {
  return classType ? `node ${id} (${classType})` : `node ${id}`;
}

/** A model folder for a loader input, when it is one of ComfyUI's core loaders. */
function folderOf(classType: string | undefined, input: string | undefined): string | undefined {
  return classType && input ? MODEL_INPUTS[classType]?.[input] : undefined;
}

export function missingNodeType(who: string, classType: string, nodeIds: string[]): string {
  return `${who} lacks the node type ${classType} (${nodeIds.length > 1 ? 'nodes' : 'node'} ${nodeIds.join(', ')}); install the custom node that provides it, or update ComfyUI`;
}

export function missingModel(who: string, file: string, nodeId: string, classType: string, folder: string | undefined): string {
  return `${who} lacks the model file ${file} (${node(nodeId, classType)})${folder ? `; put it in ComfyUI/models/${folder}` : ''}`;
}

/**
 * A refused POST /prompt (400, or 200 with node_errors): whose fault, in one sentence. Every case
 * is the workflow's or the server's (a node type or model file it lacks, an input it refuses),
 * never the request's.
 */
export function describeRefusal(who: string, answer: PromptAnswer, graph: ApiGraph): string {
  const { error, node_errors: nodeErrors = {} } = answer.body;
  const err = typeof error === 'string' ? { message: error } : (error ?? {});
  const unknown = /node (\S+) does not exist/.exec(err.message ?? '');
  if (unknown) {
    const ids = Object.keys(graph).filter((id) => graph[id]!.class_type === unknown[1]);
    return missingNodeType(who, unknown[1]!, ids.length ? ids : [/#(\S+?)'/.exec(err.details ?? '')?.[1] ?? '?']);
  }
  const problems = Object.entries(nodeErrors).flatMap(([id, ne]) => nodeProblems(who, id, ne));
  if (problems.length) return `${who} refused the workflow: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`;
  if (err.type === 'prompt_no_outputs') return `${who} refused the workflow: it has no output node`;
  return `${who} refused the workflow: ${clean(err.message ?? 'no reason given')}`;
}

function nodeProblems(who: string, id: string, ne: NodeError): string[] {
  return (ne.errors ?? []).map((e) => {
    const input = e.extra_info?.input_name;
    const value = e.extra_info?.received_value;
    if (e.type === 'value_not_in_list' && typeof value === 'string' && (folderOf(ne.class_type, input) || MODEL_FILE.test(value))) {
      return missingModel(who, value, id, ne.class_type ?? '?', folderOf(ne.class_type, input));
    }
    if (e.type === 'value_not_in_list') return `${node(id, ne.class_type)}: ${input} "${String(value)}" is not one of the values it accepts`;
    if (e.type === 'required_input_missing') return `${node(id, ne.class_type)}: the input ${e.details ?? input} is missing`;
    if (e.type === 'custom_validation_failed' && ne.class_type === 'LoadImage') return `${node(id, ne.class_type)} cannot find the uploaded reference`;
    return `${node(id, ne.class_type)}: ${clean(`${e.message ?? e.type ?? 'invalid'}${e.details ? `: ${e.details}` : ''}`)}`;
  });
}

export interface ExecutionError {
  node_id?: string;
  node_type?: string;
  exception_message?: string;
  exception_type?: string;
}

export function isOutOfMemory(e: ExecutionError): boolean {
  return /OutOfMemory|\bOOM\b/i.test(e.exception_type ?? '') || /out of memory|Allocation on device/i.test(e.exception_message ?? '');
}

/** An execution_error: the node and ComfyUI's exception message (its first line), or the out-of-memory case. */
export function describeExecutionError(who: string, e: ExecutionError, size: { width: number; height: number }): string {
  const where = node(e.node_id ?? '?', e.node_type);
  if (isOutOfMemory(e)) return `${who} ran out of GPU memory in ${where} at ${size.width}x${size.height}; a smaller size may fit`;
  const message = clean((e.exception_message ?? '').split('\n').find((l) => l.trim()) ?? '') || e.exception_type || 'no message';
  return `${who} failed in ${where}: ${message}`;
}

/**
 * execution.py validate_prompt / validate_inputs, with the error bodies a real ComfyUI 0.8.0 answers
 * (shared/protocols/comfyui.md, "Observed"): the graph is checked from its output nodes; an output
 * whose inputs fail is dropped, and only when none is left is the prompt refused with 400.
 */
import { NODES, type InputSpec, type NodeEnv } from './nodes.js';

export type Graph = Record<string, { class_type?: string; inputs?: Record<string, unknown>; _meta?: unknown }>;

export interface PromptError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  [nodeId: string]: { errors: PromptError[]; dependent_outputs: string[]; class_type: string };
}

export type Validation =
  | { ok: true; outputs: string[]; nodeErrors: NodeErrors }
  | { ok: false; error: PromptError; nodeErrors: NodeErrors };

export const isLink = (v: unknown): v is [string, number] => Array.isArray(v) && v.length === 2 && typeof v[1] === 'number';

function fail(type: string, message: string, details = ''): Validation {
  return { ok: false, error: { type, message, details, extra_info: {} }, nodeErrors: {} };
}

/** Python's repr of a list of strings, as the value_not_in_list details show it. */
function pyList(values: readonly unknown[]): string {
  return `[${values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}]`;
}

function comboOptions(spec: InputSpec): readonly unknown[] | undefined {
  if (Array.isArray(spec[0])) return spec[0];
  if (spec[0] === 'COMBO') return (spec[1]?.options as unknown[] | undefined) ?? [];
  return undefined;
}

/** execution.py validate_node_input: equal types, a wildcard, or overlapping comma-separated unions. */
function typesMatch(received: string, wanted: string): boolean {
  if (received === wanted || received === '*' || wanted === '*') return true;
  const a = new Set(received.split(','));
  return wanted.split(',').some((t) => a.has(t));
}

export function validatePrompt(graph: unknown, env: NodeEnv, hidden: ReadonlySet<string> = new Set()): Validation {
  if (typeof graph !== 'object' || graph === null || Array.isArray(graph)) return fail('invalid_prompt', 'Cannot execute because the prompt is not an object.');
  const prompt = graph as Graph;
  const known = (cls: string) => NODES.has(cls) && !hidden.has(cls);
  for (const [id, node] of Object.entries(prompt)) {
    if (typeof node !== 'object' || node === null || typeof node.class_type !== 'string') {
      return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
    }
    if (!known(node.class_type)) return fail('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
  }
  const outputs = Object.keys(prompt).filter((id) => NODES.get(prompt[id]!.class_type!)!.output_node === true);
  if (outputs.length === 0) return fail('prompt_no_outputs', 'Prompt has no outputs');

  const validated = new Map<string, PromptError[]>();
  const validate = (id: string): boolean => {
    const seen = validated.get(id);
    if (seen) return seen.length === 0;
    const errors: PromptError[] = [];
    validated.set(id, errors);
    const node = prompt[id]!;
    const cls = NODES.get(node.class_type!)!;
    const spec = cls.input(env);
    const inputs = (node.inputs ??= {});
    const custom = cls.validate;
    const declared = [
      ...Object.entries(spec.required).map(([name, info]) => ({ name, info, required: true })),
      ...Object.entries(spec.optional ?? {}).map(([name, info]) => ({ name, info, required: false })),
    ];
    let linksValid = true;
    for (const { name, info, required } of declared) {
      if (!(name in inputs)) {
        if (required) errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
        continue;
      }
      const value = inputs[name];
      const type = info[0];
      if (Array.isArray(value)) {
        if (!isLink(value)) {
          errors.push({
            type: 'bad_linked_input',
            message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
            details: name,
            extra_info: { input_name: name, input_config: info, received_value: value },
          });
          continue;
        }
        const source = prompt[String(value[0])];
        if (!source) {
          errors.push({
            type: 'exception_during_inner_validation',
            message: 'Exception when validating inner node',
            details: `'${value[0]}'`,
            extra_info: { input_name: name, input_config: info, exception_message: `'${value[0]}'`, exception_type: 'KeyError', traceback: ['  File "execution.py", in validate_inputs\n'], linked_node: value },
          });
          continue;
        }
        const received = NODES.get(source.class_type!)!.output[value[1]] ?? 'unknown';
        const wanted = typeof type === 'string' ? type : 'COMBO';
        if (!typesMatch(received, wanted)) {
          errors.push({
            type: 'return_type_mismatch',
            message: 'Return type mismatch between linked nodes',
            details: `${name}, received_type(${received}) mismatch input_type(${wanted})`,
            extra_info: { input_name: name, input_config: info, received_type: received, linked_node: value },
          });
          continue;
        }
        // The linked node's own errors are reported under its id.
        if (!validate(String(value[0]))) linksValid = false;
        continue;
      }
      // A literal: converted to the input's type, then checked against min, max and the options.
      const convert = CONVERSIONS[type as string];
      let v = value;
      if (convert) {
        v = convert(value);
        if (typeof v === 'number' && Number.isNaN(v)) {
          errors.push({
            type: 'invalid_input_type',
            message: `Failed to convert an input value to a ${type} value`,
            details: `${name}, ${String(value)}, invalid literal`,
            extra_info: { input_name: name, input_config: info, received_value: value },
          });
          continue;
        }
        inputs[name] = v;
        const limits = info[1] ?? {};
        if (typeof v === 'number' && typeof limits.min === 'number' && v < limits.min) {
          errors.push({ type: 'value_smaller_than_min', message: `Value ${v} smaller than min of ${limits.min}`, details: name, extra_info: { input_name: name, input_config: info, received_value: v } });
          continue;
        }
        if (typeof v === 'number' && typeof limits.max === 'number' && v > limits.max) {
          errors.push({ type: 'value_bigger_than_max', message: `Value ${v} bigger than max of ${limits.max}`, details: name, extra_info: { input_name: name, input_config: info, received_value: v } });
          continue;
        }
      }
      // A node that validates an input itself (LoadImage's image) skips the list check.
      const options = comboOptions(info);
      if (options && !custom?.inputs.includes(name) && !options.includes(v)) {
        const shown = options.length > 20 ? `(list of length ${options.length})` : pyList(options);
        errors.push({
          type: 'value_not_in_list',
          message: 'Value not in list',
          details: `${name}: '${String(v)}' not in ${shown}`,
          extra_info: { input_name: name, input_config: [options.length > 20 ? shown : options, info[1] ?? {}], received_value: v },
        });
      }
    }
    if (custom && errors.length === 0) {
      const verdict = custom.check(inputs, env);
      if (verdict !== true) {
        errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: `${custom.inputs[0]} - ${verdict}`, extra_info: { input_name: custom.inputs[0] } });
      }
    }
    return linksValid && errors.length === 0;
  };

  /** The nodes an output depends on, itself included. */
  const closure = (id: string, into = new Set<string>()): Set<string> => {
    if (into.has(id) || !prompt[id]) return into;
    into.add(id);
    for (const v of Object.values(prompt[id]!.inputs ?? {})) if (isLink(v)) closure(String(v[0]), into);
    return into;
  };

  const good: string[] = [];
  const nodeErrors: NodeErrors = {};
  for (const output of outputs) {
    if (validate(output)) {
      good.push(output);
      continue;
    }
    for (const id of closure(output)) {
      const errors = validated.get(id);
      if (!errors?.length) continue;
      nodeErrors[id] ??= { errors, dependent_outputs: [], class_type: prompt[id]!.class_type! };
      nodeErrors[id].dependent_outputs.push(output);
    }
  }
  if (good.length === 0) {
    return { ok: false, error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} }, nodeErrors };
  }
  return { ok: true, outputs: good, nodeErrors };
}

const CONVERSIONS: Record<string, (x: unknown) => unknown> = {
  INT: (x) => (typeof x === 'boolean' || !Number.isFinite(Number(x)) ? NaN : Math.trunc(Number(x))),
  FLOAT: (x) => (typeof x === 'boolean' ? NaN : Number(x)),
  STRING: (x) => String(x),
  BOOLEAN: (x) => Boolean(x),
};

/**
 * Just enough ONNX (protobuf) surgery to run the ISNet export at an input size other than the 1024²
 * it was traced at. The graph is fully convolutional, but the export froze the spatial sizes: the
 * graph input and outputs declare 1024x1024, every intermediate `value_info` carries a fixed shape,
 * and each of the 39 `Resize` nodes (the decoder's upsampling) gets its target size from a constant:
 * a 4-value int64 initializer in the quantised model, `Concat(Shape(x)[0:2], Constant[h, w])` in the
 * fp16 one. We rewrite exactly those: the input and the one output we read get the new size, the other
 * outputs and all `value_info` go (onnxruntime re-infers the shapes; the side outputs are not read),
 * and each Resize constant is scaled by size/1024. Everything else, the weights included, is copied
 * through byte for byte, so a wrong guess about the graph fails loudly instead of running a different
 * model.
 *
 * A size is refused when a scaled constant would not be a whole number. The smallest constant is 32
 * at 1024, so the size must be a multiple of 32; then every pooled feature map (ceil_mode) is exactly
 * size/2^k and matches the constant it is concatenated with.
 */

/* Field numbers from onnx.proto3. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const ATTR_NAME = 1;
const ATTR_T = 5;
const ATTR_TYPE = 20;
const ATTR_TYPE_TENSOR = 4;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const DATA_TYPE_FLOAT = 1;
const DATA_TYPE_INT64 = 7;
const VALUE_INFO_NAME = 1;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

interface Field {
  no: number;
  wire: number;
  /** Offset of the field's key: bytes [start, end) are the whole field as encoded. */
  start: number;
  /** The payload of a length-delimited field. */
  valueStart: number;
  end: number;
  varint: bigint;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('ONNX model: truncated varint');
    const byte = buf[pos++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7n;
  }
}

function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = readVarint(buf, pos);
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    let valueStart = afterKey;
    let fieldEnd: number;
    let varint = 0n;
    if (wire === WIRE_VARINT) [varint, fieldEnd] = readVarint(buf, afterKey);
    else if (wire === WIRE_LEN) {
      const [len, payload] = readVarint(buf, afterKey);
      valueStart = payload;
      fieldEnd = payload + Number(len);
    } else if (wire === WIRE_I64) fieldEnd = afterKey + 8;
    else if (wire === WIRE_I32) fieldEnd = afterKey + 4;
    else throw new Error(`ONNX model: unsupported protobuf wire type ${wire}`);
    if (fieldEnd > end) throw new Error('ONNX model: field runs past its message');
    yield { no, wire, start: pos, valueStart, end: fieldEnd, varint };
    pos = fieldEnd;
  }
}

const decoder = new TextDecoder();
const text = (buf: Uint8Array, f: Field): string => decoder.decode(buf.subarray(f.valueStart, f.end));

function varintBytes(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

const bytes = (parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const lenField = (no: number, payload: Uint8Array): Buffer =>
  bytes([varintBytes((no << 3) | WIRE_LEN), varintBytes(payload.length), payload]);
const intField = (no: number, value: number | bigint): Buffer => bytes([varintBytes((no << 3) | WIRE_VARINT), varintBytes(value)]);
const textField = (no: number, value: string): Buffer => lenField(no, Buffer.from(value, 'utf8'));

/** ValueInfoProto for a float tensor of fixed shape. */
function floatValueInfo(name: string, dims: number[]): Buffer {
  const shape = bytes(dims.map((d) => lenField(1, intField(1, d)))); // TensorShapeProto.dim { dim_value }
  const tensorType = bytes([intField(1, DATA_TYPE_FLOAT), lenField(2, shape)]); // elem_type, shape
  return bytes([textField(VALUE_INFO_NAME, name), lenField(2, lenField(1, tensorType))]); // type { tensor_type }
}

function int64s(raw: Uint8Array): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 8 <= raw.byteLength; i += 8) out.push(Number(view.getBigInt64(i, true)));
  return out;
}

function int64Raw(values: number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return raw;
}

interface NodeInfo {
  op: string;
  inputs: string[];
  outputs: string[];
}

function readNode(buf: Uint8Array, f: Field): NodeInfo {
  const node: NodeInfo = { op: '', inputs: [], outputs: [] };
  for (const g of fields(buf, f.valueStart, f.end)) {
    if (g.no === NODE_OP_TYPE) node.op = text(buf, g);
    else if (g.no === NODE_INPUT) node.inputs.push(text(buf, g));
    else if (g.no === NODE_OUTPUT) node.outputs.push(text(buf, g));
  }
  return node;
}

/** Name and raw int64 payload of a TensorProto, if it is one. */
function readInt64Tensor(buf: Uint8Array, start: number, end: number): { name: string; dims: number[]; values: number[] } | undefined {
  let name = '';
  let dataType = 0;
  let raw: Uint8Array | undefined;
  const dims: number[] = [];
  for (const g of fields(buf, start, end)) {
    if (g.no === TENSOR_NAME) name = text(buf, g);
    else if (g.no === TENSOR_DATA_TYPE) dataType = Number(g.varint);
    else if (g.no === TENSOR_DIMS && g.wire === WIRE_VARINT) dims.push(Number(g.varint));
    else if (g.no === TENSOR_RAW_DATA) raw = buf.subarray(g.valueStart, g.end);
  }
  if (dataType !== DATA_TYPE_INT64 || !raw) return undefined;
  return { name, dims, values: int64s(raw) };
}

function int64Tensor(name: string, dims: number[], values: number[]): Buffer {
  return bytes([
    ...dims.map((d) => intField(TENSOR_DIMS, d)),
    intField(TENSOR_DATA_TYPE, DATA_TYPE_INT64),
    ...(name ? [textField(TENSOR_NAME, name)] : []),
    lenField(TENSOR_RAW_DATA, int64Raw(values)),
  ]);
}

export interface ResizeOptions {
  /** The side of the square input the graph was exported at (1024 for imgly's ISNet). */
  exportedSize: number;
  /** The new side. */
  size: number;
  inputName: string;
  /** The one output kept; the others are removed from the graph. */
  outputName: string;
}

/**
 * Returns a copy of the ONNX model with its square input resized (see the file comment). Throws if
 * the graph is not shaped the way this expects.
 */
export function resizeSquareInput(model: Uint8Array, { exportedSize, size, inputName, outputName }: ResizeOptions): Buffer {
  const scale = (v: number): number => {
    const scaled = (v * size) / exportedSize;
    if (!Number.isInteger(scaled)) {
      throw new Error(`ISNet input ${size} is not supported: a feature map of ${v} px at ${exportedSize} would be ${scaled} px`);
    }
    return scaled;
  };
  const parts: Uint8Array[] = [];
  let sawGraph = false;
  for (const f of fields(model)) {
    if (f.no !== MODEL_GRAPH) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    sawGraph = true;
    // Pass 1: which tensors hold Resize target sizes (directly, or as the constant half of a Concat).
    const nodes: NodeInfo[] = [];
    for (const g of fields(model, f.valueStart, f.end)) if (g.no === GRAPH_NODE) nodes.push(readNode(model, g));
    const sizeTensors = new Set<string>();
    let resizeCount = 0;
    for (const n of nodes) {
      if (n.op === 'Resize' && n.inputs[3]) {
        sizeTensors.add(n.inputs[3]);
        resizeCount++;
      }
    }
    for (const n of nodes) {
      if (n.op === 'Concat' && n.outputs[0] !== undefined && sizeTensors.has(n.outputs[0]) && n.inputs[1]) sizeTensors.add(n.inputs[1]);
    }
    // Pass 2: copy the graph, rewriting what pass 1 found.
    const graph: Uint8Array[] = [];
    let rewritten = 0;
    let sawInput = false;
    let sawOutput = false;
    for (const g of fields(model, f.valueStart, f.end)) {
      if (g.no === GRAPH_VALUE_INFO) continue;
      if (g.no === GRAPH_INPUT || g.no === GRAPH_OUTPUT) {
        let name = '';
        for (const h of fields(model, g.valueStart, g.end)) if (h.no === VALUE_INFO_NAME) name = text(model, h);
        if (g.no === GRAPH_INPUT && name === inputName) {
          graph.push(lenField(GRAPH_INPUT, floatValueInfo(name, [1, 3, size, size])));
          sawInput = true;
        } else if (g.no === GRAPH_OUTPUT && name === outputName) {
          graph.push(lenField(GRAPH_OUTPUT, floatValueInfo(name, [1, 1, size, size])));
          sawOutput = true;
        } else if (g.no === GRAPH_INPUT) {
          graph.push(model.subarray(g.start, g.end));
        }
        continue;
      }
      if (g.no === GRAPH_INITIALIZER) {
        const t = readInt64Tensor(model, g.valueStart, g.end);
        if (t && sizeTensors.has(t.name)) {
          if (t.values.length !== 4) throw new Error(`ISNet graph: Resize sizes ${t.name} has ${t.values.length} values`);
          const [n = 0, c = 0, h = 0, w = 0] = t.values;
          graph.push(lenField(GRAPH_INITIALIZER, int64Tensor(t.name, t.dims, [n, c, scale(h), scale(w)])));
          rewritten++;
          continue;
        }
      }
      if (g.no === GRAPH_NODE) {
        const n = readNode(model, g);
        if (n.op === 'Constant' && n.outputs[0] !== undefined && sizeTensors.has(n.outputs[0])) {
          graph.push(lenField(GRAPH_NODE, rewriteSizeConstant(model, g, scale)));
          rewritten++;
          continue;
        }
      }
      graph.push(model.subarray(g.start, g.end));
    }
    if (!sawInput || !sawOutput) throw new Error(`ISNet graph: no input "${inputName}" or output "${outputName}"`);
    if (rewritten !== resizeCount) {
      throw new Error(`ISNet graph: rewrote ${rewritten} of ${resizeCount} Resize sizes; the export is not the one this code knows`);
    }
    // The graph's header, then its parts as they are: the 44 MB are copied once, by the final concat.
    const graphLength = graph.reduce((sum, part) => sum + part.length, 0);
    parts.push(varintBytes((MODEL_GRAPH << 3) | WIRE_LEN), varintBytes(graphLength), ...graph);
  }
  if (!sawGraph) throw new Error('ONNX model: no graph');
  return Buffer.concat(parts);
}

/** A `Constant` node whose value is [h, w] (int64): the same node with [h, w] scaled. */
function rewriteSizeConstant(model: Uint8Array, node: Field, scale: (v: number) => number): Buffer {
  const out: Uint8Array[] = [];
  for (const h of fields(model, node.valueStart, node.end)) {
    if (h.no !== NODE_ATTRIBUTE) {
      out.push(model.subarray(h.start, h.end));
      continue;
    }
    let tensor: Field | undefined;
    for (const a of fields(model, h.valueStart, h.end)) if (a.no === ATTR_T) tensor = a;
    const t = tensor && readInt64Tensor(model, tensor.valueStart, tensor.end);
    if (!t || t.values.length !== 2) throw new Error('ISNet graph: a Resize size constant is not two int64 values');
    const attr = bytes([
      textField(ATTR_NAME, 'value'),
      lenField(ATTR_T, int64Tensor('', t.dims, t.values.map(scale))),
      intField(ATTR_TYPE, ATTR_TYPE_TENSOR),
    ]);
    out.push(lenField(NODE_ATTRIBUTE, attr));
  }
  return Buffer.concat(out);
}

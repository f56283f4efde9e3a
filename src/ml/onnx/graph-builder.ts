import { errors } from '../../kernel/errors.ts';
import {
  ATTRIBUTE_TYPES,
  ONNX_TYPES,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxTypeName,
  type OnnxValueInfo,
} from './onnx-types.ts';

const utf8 = new TextEncoder();

/** Attribute values, typed explicitly: an ONNX attribute is an INT or a FLOAT, never "a number". */
export const attr = {
  int: (name: string, i: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPES.int, i }),
  float: (name: string, f: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPES.float, f }),
  string: (name: string, s: string): OnnxAttribute => ({
    name,
    type: ATTRIBUTE_TYPES.string,
    s: utf8.encode(s),
  }),
  ints: (name: string, ints: readonly number[]): OnnxAttribute => ({
    name,
    type: ATTRIBUTE_TYPES.ints,
    ints: [...ints],
  }),
  floats: (name: string, floats: readonly number[]): OnnxAttribute => ({
    name,
    type: ATTRIBUTE_TYPES.floats,
    floats: [...floats],
  }),
  strings: (name: string, strings: readonly string[]): OnnxAttribute => ({
    name,
    type: ATTRIBUTE_TYPES.strings,
    strings: strings.map((s) => utf8.encode(s)),
  }),
  tensor: (name: string, t: OnnxTensor): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPES.tensor, t }),
};

/** A constant tensor. Doubles and int64 go to raw little-endian bytes, strings to string_data. */
export function tensor(
  type: 'double' | 'int64' | 'string' | 'uint8' | 'float',
  dims: readonly number[],
  values: ArrayLike<number> | readonly string[],
  name?: string,
): OnnxTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count)
    throw errors.internal(`tensor ${name ?? ''}: ${values.length} values for dims [${dims}]`);
  const base: OnnxTensor = { dims: [...dims], data_type: ONNX_TYPES[type], ...(name ? { name } : {}) };
  if (type === 'string')
    return { ...base, string_data: (values as readonly string[]).map((s) => utf8.encode(s)) };
  const nums = values as ArrayLike<number>;
  let raw: Uint8Array;
  if (type === 'double') raw = new Uint8Array(Float64Array.from(nums).buffer);
  else if (type === 'float') raw = new Uint8Array(Float32Array.from(nums).buffer);
  else if (type === 'uint8') raw = Uint8Array.from(nums);
  else raw = new Uint8Array(BigInt64Array.from(Array.from(nums, (n) => BigInt(n))).buffer);
  return { ...base, raw_data: raw };
}

/** A graph input or output: a tensor of `type` with `shape` (a string is a symbolic dimension). */
export function valueInfo(
  name: string,
  type: OnnxTypeName,
  shape: readonly (number | string)[],
): OnnxValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: ONNX_TYPES[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** The operator sets Cairn's graphs use: ONNX 21 and ONNX-ML 5 (TreeEnsemble with doubles). */
export const CAIRN_OPSETS = [
  { domain: '', version: 21 },
  { domain: 'ai.onnx.ml', version: 5 },
] as const;
/** IR version 10 goes with opset 21. */
export const CAIRN_IR_VERSION = 10;

/**
 * Builds a graph node by node; every intermediate value gets a fresh name from `fresh()`.
 *
 * @example
 * const g = new GraphBuilder('logistic');
 * g.input('age', 'double', ['N']);
 * const z = g.node('Mul', ['age', g.constant('double', [], [0.5])]);
 * g.node('Sigmoid', [z], {}, ['probability']);
 */
export class GraphBuilder {
  readonly #name: string;
  readonly #nodes: OnnxNode[] = [];
  readonly #initializers: OnnxTensor[] = [];
  readonly #inputs: OnnxValueInfo[] = [];
  readonly #outputs: OnnxValueInfo[] = [];
  #counter = 0;
  readonly #reserved: ReadonlySet<string>;

  /** `reserved`: names already taken (by a graph this one's nodes join), never handed out. */
  constructor(name: string, reserved: ReadonlySet<string> = new Set()) {
    this.#name = name;
    this.#reserved = reserved;
  }

  fresh(hint: string): string {
    for (;;) {
      const name = `${hint}__${this.#counter++}`;
      if (!this.#reserved.has(name)) return name;
    }
  }

  input(name: string, type: OnnxTypeName, shape: readonly (number | string)[]): string {
    this.#inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: OnnxTypeName, shape: readonly (number | string)[]): void {
    this.#outputs.push(valueInfo(name, type, shape));
  }

  /** An initializer holding `values`; returns its name. */
  constant(
    type: 'double' | 'int64' | 'string' | 'uint8' | 'float',
    dims: readonly number[],
    values: ArrayLike<number> | readonly string[],
    hint = 'const',
  ): string {
    const name = this.fresh(hint);
    this.#initializers.push(tensor(type, dims, values, name));
    return name;
  }

  /** Adds a node; returns the name of its first output (fresh names unless `outputs` is given). */
  node(
    op: string,
    inputs: readonly string[],
    options: { attrs?: OnnxAttribute[]; domain?: string; outputs?: readonly string[]; count?: number } = {},
  ): string {
    const outputs = options.outputs ?? Array.from({ length: options.count ?? 1 }, () => this.fresh(op));
    this.#nodes.push({
      op_type: op,
      input: [...inputs],
      output: [...outputs],
      name: this.fresh(`${op}_node`),
      ...(options.domain ? { domain: options.domain } : {}),
      ...(options.attrs ? { attribute: options.attrs } : {}),
    });
    return outputs[0] as string;
  }

  /** Adds a node with several outputs and returns all their names. */
  nodeOutputs(op: string, inputs: readonly string[], count: number, attrs?: OnnxAttribute[]): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(op));
    this.node(op, inputs, { outputs, ...(attrs ? { attrs } : {}) });
    return outputs;
  }

  graph(): OnnxGraph {
    return {
      name: this.#name,
      node: this.#nodes,
      initializer: this.#initializers,
      input: this.#inputs,
      output: this.#outputs,
    };
  }

  model(metadata: Record<string, string> = {}, producerVersion = ''): OnnxModel {
    return {
      ir_version: CAIRN_IR_VERSION,
      opset_import: CAIRN_OPSETS.map((o) => ({ ...o })),
      producer_name: 'cairn',
      producer_version: producerVersion,
      graph: this.graph(),
      metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }
}

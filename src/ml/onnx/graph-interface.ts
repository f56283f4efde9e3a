import { ONNX_TYPES, type OnnxGraph, type OnnxType, type OnnxValueInfo } from './onnx-types.ts';

const TYPE_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(ONNX_TYPES).map(([k, v]) => [v, k])),
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  10: 'float16',
  12: 'uint32',
  13: 'uint64',
};

/** A graph input or output as a model importer sees it. */
export interface GraphValue {
  name: string;
  /** tensor, or sequence / map (ZipMap's output) / other. */
  kind: 'tensor' | 'sequence' | 'map' | 'other';
  /** Tensors: the element type (float, double, int64, string, …). */
  elem?: string;
  /** Tensors: each dimension's size, or undefined when symbolic or unknown. */
  dims?: (number | undefined)[];
  /** Tensors with a known rank. */
  rank?: number;
}

export function elemTypeName(code: number | undefined): string | undefined {
  return code === undefined ? undefined : (TYPE_NAMES[code] ?? `type ${code}`);
}

function describe(v: OnnxValueInfo): GraphValue {
  const t: OnnxType | undefined = v.type;
  if (t?.tensor_type) {
    const dims = t.tensor_type.shape?.dim;
    const elem = elemTypeName(t.tensor_type.elem_type);
    return {
      name: v.name,
      kind: 'tensor',
      ...(elem ? { elem } : {}),
      ...(dims
        ? {
            dims: dims.map((d) =>
              typeof d.dim_value === 'number' && d.dim_value > 0 ? d.dim_value : undefined,
            ),
            rank: dims.length,
          }
        : {}),
    };
  }
  if (t?.sequence_type) return { name: v.name, kind: 'sequence' };
  if (t?.map_type) return { name: v.name, kind: 'map' };
  return { name: v.name, kind: 'other' };
}

/** The graph's real inputs (initializers listed as inputs by old IR versions left out) and outputs. */
export function graphInterface(graph: OnnxGraph): { inputs: GraphValue[]; outputs: GraphValue[] } {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name)).map(describe),
    outputs: (graph.output ?? []).map(describe),
  };
}

/** Tensors with one value per row: rank 1, or rank 2 with a second dimension of 1. */
export function isColumnShaped(v: GraphValue): boolean {
  if (v.kind !== 'tensor') return false;
  if (v.rank === undefined) return true;
  return v.rank === 1 || (v.rank === 2 && (v.dims?.[1] === 1 || v.dims?.[1] === undefined));
}

export const NUMERIC_ELEMS = new Set([
  'float',
  'double',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
]);

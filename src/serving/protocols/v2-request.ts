import { errors } from '../../kernel/errors.ts';
import { type Column, numberColumn, stringColumn, type Table } from '../../ml/table/table.ts';
import type { InputColumn, InputSchema } from '../runtime/input-schema.ts';
import { columnFrom, missingColumn, numberAt } from './column-values.ts';
import type { InferenceInput } from './inference-input.ts';
import { parseJson } from './lenient-json.ts';

/**
 * The Open Inference Protocol (KServe V2) inference request, REST form: `inputs` with name,
 * shape, datatype and data (flat or nested, row-major), optional `outputs`, `parameters` and `id`;
 * and Triton's binary tensor data extension (a JSON header of `Inference-Header-Content-Length`
 * bytes followed by the tensors' bytes, little-endian, BYTES elements prefixed by a 4-byte length).
 */

export const V2_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

/** Datatypes a number column accepts (converted to double). */
const NUMERIC: ReadonlySet<string> = new Set([
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
]);

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: V2Datatype;
  /** JSON data, flat or nested; undefined when the tensor came as binary. */
  data?: unknown[];
  binary?: Uint8Array;
}

export interface V2RequestedOutput {
  name: string;
  binary: boolean;
}

export interface V2InferRequest {
  id?: string;
  parameters: Record<string, unknown>;
  inputs: V2Tensor[];
  /** The outputs asked for, in order; undefined for all of them. */
  outputs?: V2RequestedOutput[];
  /** Whether outputs not listed in `outputs` come back as binary (`binary_data_output`). */
  binaryOutput: boolean;
}

function bad(message: string, details?: Record<string, unknown>): never {
  throw errors.invalid(message, details ? { details } : undefined);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parameters(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) bad(`${where} must be an object of name: value pairs`);
  return value;
}

/**
 * Parses the request body. With `headerLength` (the Inference-Header-Content-Length header) the
 * body is a JSON header followed by binary tensor data.
 */
export function parseV2Request(body: Buffer, headerLength?: number): V2InferRequest {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.length)
      bad(`Inference-Header-Content-Length ${headerLength} does not fit the body of ${body.length} bytes`);
    jsonEnd = headerLength;
  }
  const doc = parseJson(body.toString('utf8', 0, jsonEnd));
  if (!isObject(doc)) bad('the inference request must be a JSON object with "inputs"');
  const request: V2InferRequest = {
    parameters: parameters(doc.parameters, 'parameters'),
    inputs: [],
    binaryOutput: false,
  };
  if (doc.id !== undefined) {
    if (typeof doc.id !== 'string') bad('"id" must be a string');
    request.id = doc.id;
  }
  request.binaryOutput = request.parameters.binary_data_output === true;
  if (!Array.isArray(doc.inputs) || doc.inputs.length === 0)
    bad('the inference request has no "inputs": give one tensor per input column');
  let offset = jsonEnd;
  for (const raw of doc.inputs) {
    const tensor = parseTensor(raw);
    const size = parameters(
      (raw as Record<string, unknown>).parameters,
      `input ${tensor.name}: parameters`,
    ).binary_data_size;
    if (size !== undefined) {
      if (headerLength === undefined)
        bad(`input ${tensor.name}: binary_data_size needs the Inference-Header-Content-Length header`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || offset + size > body.length)
        bad(`input ${tensor.name}: binary_data_size ${JSON.stringify(size)} runs past the end of the body`);
      tensor.binary = body.subarray(offset, offset + size);
      offset += size;
    } else if (!Array.isArray((raw as Record<string, unknown>).data))
      bad(`input ${tensor.name}: "data" must be an array`, { input: tensor.name });
    else tensor.data = (raw as Record<string, unknown>).data as unknown[];
    request.inputs.push(tensor);
  }
  if (doc.outputs !== undefined) {
    if (!Array.isArray(doc.outputs)) bad('"outputs" must be a list of {"name": …}');
    request.outputs = doc.outputs.map((o) => {
      if (!isObject(o) || typeof o.name !== 'string')
        bad('each of "outputs" must be an object with a "name"');
      const p = parameters(o.parameters, `output ${o.name}: parameters`);
      return {
        name: o.name,
        binary: p.binary_data === undefined ? request.binaryOutput : p.binary_data === true,
      };
    });
  }
  return request;
}

function parseTensor(raw: unknown): V2Tensor {
  if (!isObject(raw) || typeof raw.name !== 'string')
    bad('each of "inputs" must be an object with "name", "shape", "datatype" and "data"');
  const name = raw.name;
  const shape = raw.shape;
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  )
    bad(`input ${name}: "shape" must be a list of whole numbers ≥ 0`, { input: name });
  if (typeof raw.datatype !== 'string' || !(V2_DATATYPES as readonly string[]).includes(raw.datatype))
    bad(
      `input ${name}: "datatype" ${JSON.stringify(raw.datatype)} is not one of ${V2_DATATYPES.join(', ')}`,
      {
        input: name,
      },
    );
  return { name, shape: shape as number[], datatype: raw.datatype as V2Datatype };
}

/** The number of rows a 1-D column tensor holds: shape [N] or [N, 1]. */
function rowsOf(t: V2Tensor): number {
  const [n, width] = t.shape;
  if (n === undefined || t.shape.length > 2 || (t.shape.length === 2 && width !== 1))
    bad(
      `input ${t.name}: shape [${t.shape.join(', ')}] does not fit: the model takes one column per input, shape [N] or [N, 1]`,
      { input: t.name },
    );
  return n;
}

/** Nested data flattened to row-major order, checked against the element count. */
function flatData(t: V2Tensor, count: number): ArrayLike<unknown> {
  const data = t.data as unknown[];
  let flat: unknown[] = data;
  if (data.length > 0 && Array.isArray(data[0])) {
    flat = [];
    const visit = (v: unknown) => {
      if (Array.isArray(v)) for (const x of v) visit(x);
      else flat.push(v);
    };
    visit(data);
  }
  if (flat.length !== count)
    bad(
      `input ${t.name}: shape [${t.shape.join(', ')}] holds ${count} values, but "data" has ${flat.length}`,
      { input: t.name },
    );
  return flat;
}

const WIDTH: Record<string, number> = {
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

function binaryNumbers(t: V2Tensor, count: number, column: InputColumn): Float64Array {
  const bytes = t.binary as Uint8Array;
  const width = WIDTH[t.datatype] as number;
  if (bytes.byteLength !== count * width)
    bad(
      `input ${t.name}: ${bytes.byteLength} bytes of binary data, but shape [${t.shape.join(', ')}] of ${t.datatype} needs ${count * width}`,
      { input: t.name },
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    let v: number;
    switch (t.datatype) {
      case 'FP64':
        v = view.getFloat64(at, true);
        break;
      case 'FP32':
        v = view.getFloat32(at, true);
        break;
      case 'INT64':
        v = Number(view.getBigInt64(at, true));
        break;
      case 'UINT64':
        v = Number(view.getBigUint64(at, true));
        break;
      case 'INT32':
        v = view.getInt32(at, true);
        break;
      case 'UINT32':
        v = view.getUint32(at, true);
        break;
      case 'INT16':
        v = view.getInt16(at, true);
        break;
      case 'UINT16':
        v = view.getUint16(at, true);
        break;
      case 'INT8':
        v = view.getInt8(at);
        break;
      default:
        v = view.getUint8(at);
    }
    out[i] = numberAt(v, column, i);
  }
  return out;
}

function binaryTexts(t: V2Tensor, count: number): string[] {
  const bytes = t.binary as Uint8Array;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength)
      bad(`input ${t.name}: the binary data ends after ${i} of ${count} BYTES elements`, { input: t.name });
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.byteLength)
      bad(`input ${t.name}: BYTES element ${i + 1} runs past the end of its binary data`, { input: t.name });
    try {
      out[i] = decoder.decode(bytes.subarray(at, at + length));
    } catch {
      bad(`input ${t.name}: BYTES element ${i + 1} is not UTF-8 text`, { input: t.name });
    }
    at += length;
  }
  if (at !== bytes.byteLength)
    bad(`input ${t.name}: ${bytes.byteLength - at} bytes of binary data left after ${count} BYTES elements`, {
      input: t.name,
    });
  return out;
}

function columnOf(t: V2Tensor, rows: number, column: InputColumn): Column {
  if (column.type === 'double') {
    if (!NUMERIC.has(t.datatype))
      bad(`input ${t.name}: datatype ${t.datatype} does not fit: the model takes numbers (FP64) here`, {
        input: t.name,
        column: t.name,
      });
    if (t.binary) return numberColumn(column.name, binaryNumbers(t, rows, column));
    return columnFrom(flatData(t, rows), column);
  }
  if (t.datatype !== 'BYTES')
    bad(`input ${t.name}: datatype ${t.datatype} does not fit: the model takes text (BYTES) here`, {
      input: t.name,
      column: t.name,
    });
  if (t.binary) return stringColumn(column.name, binaryTexts(t, rows));
  return columnFrom(flatData(t, rows), column);
}

/** A V2 request's inputs, matched to a model's columns by name. */
export class V2Input implements InferenceInput {
  readonly request: V2InferRequest;

  constructor(request: V2InferRequest) {
    this.request = request;
  }

  toTable(schema: InputSchema): Table {
    const { inputs } = this.request;
    const slots = new Array<V2Tensor | undefined>(schema.columns.length);
    for (const t of inputs) {
      const column = schema.column(t.name);
      if (!column) bad(`the model has no input ${t.name}: it takes ${schema.describe()}`, { input: t.name });
      if (slots[column.index]) bad(`input ${t.name} is given twice`, { input: t.name });
      slots[column.index] = t;
    }
    let rows = -1;
    let first = '';
    const columns = new Array<Column>(slots.length);
    for (const column of schema.columns) {
      const t = slots[column.index];
      if (!t) throw missingColumn(schema, column);
      const n = rowsOf(t);
      columns[column.index] = columnOf(t, n, column);
      if (rows < 0) {
        rows = n;
        first = t.name;
      } else if (n !== rows)
        bad(`input ${t.name} has ${n} rows where ${first} has ${rows}: every input needs one value per row`, {
          input: t.name,
        });
    }
    for (const o of this.request.outputs ?? [])
      if (!schema.outputs.some((s) => s.name === o.name))
        bad(`the model has no output ${o.name}: it gives ${schema.outputs.map((s) => s.name).join(', ')}`, {
          output: o.name,
        });
    return { rows: Math.max(rows, 0), columns };
  }
}

import type { SignatureOutput } from '../../ml/package/package-types.ts';
import { findColumn, type Table } from '../../ml/table/table.ts';
import type { V2InferRequest } from './v2-request.ts';

/** The V2 datatype of a signature type. */
export function v2Datatype(type: SignatureOutput['type'] | 'double' | 'string'): 'FP64' | 'BYTES' | 'INT64' {
  return type === 'double' ? 'FP64' : type === 'string' ? 'BYTES' : 'INT64';
}

/** A response body: JSON alone, or (binary tensor data extension) JSON followed by tensor bytes. */
export interface V2ResponseBody {
  body: string | Buffer;
  /** Set when binary data follows the JSON: the Inference-Header-Content-Length header. */
  headerLength?: number;
}

/** A JSON array of numbers; NaN (a missing value) as null. */
export function numbersJson(values: ArrayLike<number>): string {
  const n = values.length;
  if (n === 0) return '[]';
  let out = '[';
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    out += (i === 0 ? '' : ',') + (Number.isFinite(v) ? String(v) : 'null');
  }
  return `${out}]`;
}

function binaryOf(type: SignatureOutput['type'], values: ArrayLike<unknown>): Buffer {
  const n = values.length;
  if (type === 'string') {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const text = Buffer.from(String(values[i] ?? ''), 'utf8');
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32LE(text.length, 0);
      parts.push(length, text);
    }
    return Buffer.concat(parts);
  }
  const out = Buffer.allocUnsafe(n * 8);
  for (let i = 0; i < n; i++)
    if (type === 'long') out.writeBigInt64LE(BigInt(Math.trunc(values[i] as number)), i * 8);
    else out.writeDoubleLE(values[i] as number, i * 8);
  return out;
}

/**
 * The inference response for `outputs` (columns named like the signature's outputs): the
 * outputs the request asked for (all when it named none), each a 1-D tensor [rows].
 */
export function encodeV2Response(
  model: { name: string; version: string },
  request: V2InferRequest,
  signature: readonly SignatureOutput[],
  outputs: Table,
): V2ResponseBody {
  const wanted = request.outputs ?? signature.map((o) => ({ name: o.name, binary: request.binaryOutput }));
  let json = `{"model_name":${JSON.stringify(model.name)},"model_version":${JSON.stringify(model.version)}`;
  if (request.id !== undefined) json += `,"id":${JSON.stringify(request.id)}`;
  json += ',"outputs":[';
  const binary: Buffer[] = [];
  for (let k = 0; k < wanted.length; k++) {
    const w = wanted[k] as { name: string; binary: boolean };
    const spec = signature.find((o) => o.name === w.name) as SignatureOutput;
    const column = findColumn(outputs, w.name);
    const values = (column?.values ?? []) as ArrayLike<unknown>;
    json += `${k === 0 ? '' : ','}{"name":${JSON.stringify(w.name)},"datatype":"${v2Datatype(spec.type)}","shape":[${outputs.rows}]`;
    if (w.binary) {
      const bytes = binaryOf(spec.type, values);
      binary.push(bytes);
      json += `,"parameters":{"binary_data_size":${bytes.length}}}`;
    } else if (column?.kind === 'number') json += `,"data":${numbersJson(column.values)}}`;
    else json += `,"data":${JSON.stringify(values)}}`;
  }
  json += ']}';
  if (binary.length === 0) return { body: json };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...binary]), headerLength: header.length };
}

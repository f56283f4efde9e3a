import type { Column, Table } from '../../ml/table/table.ts';

/**
 * One answered request, as the prediction log keeps it: one line per row in a segment file.
 * docs/serving.md ("Prediction log") describes the format monitoring reads.
 */
export interface PredictionEntry {
  /** Milliseconds since the epoch, when the answer was ready. */
  ts: number;
  request_id: string;
  endpoint: string;
  variant: string;
  /** True for a shadow's answer (never returned to the caller). */
  shadow: boolean;
  model: string;
  model_version: string;
  package_hash: string;
  /** The request's time from arrival to the model's answer, in milliseconds. */
  latency_ms: number;
  inputs: Table;
  outputs: Table;
}

function valueJson(c: Column, i: number): string {
  if (c.kind === 'number') {
    const v = c.values[i] as number;
    return Number.isFinite(v) ? String(v) : 'null';
  }
  const v = c.values[i];
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}

function objectJson(table: Table, keys: readonly string[], i: number): string {
  let out = '{';
  for (let k = 0; k < keys.length; k++)
    out += `${k === 0 ? '' : ','}${keys[k]}:${valueJson(table.columns[k] as Column, i)}`;
  return `${out}}`;
}

/** Hands each row of the entry to `line` as one JSON line (ending in a newline). */
export function entryLines(e: PredictionEntry, line: (text: string) => void): void {
  const head = `{"ts":${JSON.stringify(new Date(e.ts).toISOString())},"request_id":${JSON.stringify(e.request_id)},"row":`;
  const tail =
    `,"endpoint":${JSON.stringify(e.endpoint)},"variant":${JSON.stringify(e.variant)},"shadow":${e.shadow}` +
    `,"model":${JSON.stringify(e.model)},"model_version":${JSON.stringify(e.model_version)}` +
    `,"package_hash":${JSON.stringify(e.package_hash)},"latency_ms":${Math.round(e.latency_ms * 1000) / 1000},"inputs":`;
  const inputKeys = e.inputs.columns.map((c) => JSON.stringify(c.name));
  const outputKeys = e.outputs.columns.map((c) => JSON.stringify(c.name));
  const rows = Math.min(e.inputs.rows, e.outputs.rows);
  for (let i = 0; i < rows; i++)
    line(
      `${head}${i}${tail}${objectJson(e.inputs, inputKeys, i)},"outputs":${objectJson(e.outputs, outputKeys, i)}}\n`,
    );
}

/** A growing byte buffer that lines are written into as UTF-8, without one large string. */
export class LineBuffer {
  #bytes = Buffer.allocUnsafe(1 << 16);
  #length = 0;

  readonly append = (text: string): void => {
    const room = this.#length + text.length * 3;
    if (room > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(room, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
    }
    this.#length += this.#bytes.write(text, this.#length, 'utf8');
  };

  get bytes(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }
}

/**
 * Table summaries and their JSON form. A reference summary is computed once per model version and
 * stored as JSON; numeric samples travel as base64 of their little-endian float64 bytes, so a
 * stored summary reproduces every bit of the one computed.
 */
import { errors } from '../../kernel/errors.ts';
import type { ColumnTable } from '../columns.ts';
import type { Empirical } from '../stats/empirical.ts';
import {
  type ColumnSummary,
  type NumericSummary,
  type SummaryOptions,
  summarizeColumn,
} from './column-summary.ts';

export const SUMMARY_FORMAT_VERSION = 1;

export interface TableSummary {
  version: typeof SUMMARY_FORMAT_VERSION;
  rows: number;
  columns: ColumnSummary[];
}

/** Checks `maxSamplePoints`: a whole number of at least 2, or Infinity. */
export function validateSummaryOptions(options: SummaryOptions): void {
  const m = options.maxSamplePoints;
  if (m !== undefined && !(m === Number.POSITIVE_INFINITY || (Number.isInteger(m) && m >= 2)))
    throw errors.invalid(`maxSamplePoints must be a whole number of at least 2 or Infinity, got ${m}`);
}

/**
 * Summarizes every column of a table: counts, missing values, quantiles, a histogram and a
 * (bounded) sample per numeric column; category counts per categorical column.
 */
export function summarizeTable(table: ColumnTable, options: SummaryOptions = {}): TableSummary {
  validateSummaryOptions(options);
  return {
    version: SUMMARY_FORMAT_VERSION,
    rows: table.rows,
    columns: table.columns.map((c) => summarizeColumn(c, options)),
  };
}

function toBase64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i] as number, true);
  return Buffer.from(bytes).toString('base64');
}

function fromBase64(text: string, where: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0)
    throw new Error(`${where}: ${bytes.length} bytes is not a whole number of doubles`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** JSON has no NaN: missing statistics are written as null. */
function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function unnum(x: unknown, where: string): number {
  if (x === null) return Number.NaN;
  if (typeof x !== 'number') throw new Error(`${where} is not a number`);
  return x;
}

/** The summary as JSON text. */
export function serializeSummary(summary: TableSummary): string {
  return JSON.stringify({
    version: summary.version,
    rows: summary.rows,
    columns: summary.columns.map((c) =>
      c.kind === 'categorical'
        ? c
        : {
            ...c,
            min: num(c.min),
            max: num(c.max),
            mean: num(c.mean),
            std: num(c.std),
            quantiles: c.quantiles.map(num),
            sample: {
              values: toBase64(c.sample.values),
              counts: toBase64(c.sample.counts),
              total: c.sample.total,
            },
          },
    ),
  });
}

function parseNumeric(c: Record<string, unknown>, where: string): NumericSummary {
  const sample = c.sample as { values?: unknown; counts?: unknown; total?: unknown } | undefined;
  if (
    !sample ||
    typeof sample.values !== 'string' ||
    typeof sample.counts !== 'string' ||
    typeof sample.total !== 'number'
  )
    throw new Error(`${where}.sample is not a stored sample`);
  const dist: Empirical = {
    values: fromBase64(sample.values, `${where}.sample.values`),
    counts: fromBase64(sample.counts, `${where}.sample.counts`),
    total: sample.total,
  };
  if (dist.values.length !== dist.counts.length)
    throw new Error(`${where}.sample has ${dist.values.length} values but ${dist.counts.length} counts`);
  const histogram = c.histogram as { edges: number[]; counts: number[] };
  if (!histogram || !Array.isArray(histogram.edges) || !Array.isArray(histogram.counts))
    throw new Error(`${where}.histogram is missing`);
  if (!Array.isArray(c.quantiles)) throw new Error(`${where}.quantiles is missing`);
  return {
    name: String(c.name),
    kind: 'numeric',
    integer: c.integer === true,
    rows: unnum(c.rows, `${where}.rows`),
    missing: unnum(c.missing, `${where}.missing`),
    count: unnum(c.count, `${where}.count`),
    distinct: unnum(c.distinct, `${where}.distinct`),
    min: unnum(c.min, `${where}.min`),
    max: unnum(c.max, `${where}.max`),
    mean: unnum(c.mean, `${where}.mean`),
    std: unnum(c.std, `${where}.std`),
    quantiles: c.quantiles.map((q, i) => unnum(q, `${where}.quantiles[${i}]`)),
    histogram: { edges: histogram.edges, counts: histogram.counts },
    sample: dist,
    exact: c.exact === true,
  };
}

/**
 * Reads a summary written by `serializeSummary`. Anything else — another format version, a
 * truncated or edited document — is rejected with INVALID_ARGUMENT naming what is wrong.
 */
export function parseSummary(text: string): TableSummary {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (doc.version !== SUMMARY_FORMAT_VERSION)
      throw new Error(`format version ${JSON.stringify(doc.version)} is not ${SUMMARY_FORMAT_VERSION}`);
    if (!Array.isArray(doc.columns)) throw new Error('columns is missing');
    const columns = doc.columns.map((raw, i): ColumnSummary => {
      const c = raw as Record<string, unknown>;
      const where = `columns[${i}]`;
      if (c.kind === 'numeric') return parseNumeric(c, where);
      if (c.kind !== 'categorical') throw new Error(`${where}.kind is ${JSON.stringify(c.kind)}`);
      if (!Array.isArray(c.categories) || !Array.isArray(c.counts) || c.categories.length !== c.counts.length)
        throw new Error(`${where} needs categories and counts of equal length`);
      return {
        name: String(c.name),
        kind: 'categorical',
        rows: unnum(c.rows, `${where}.rows`),
        missing: unnum(c.missing, `${where}.missing`),
        count: unnum(c.count, `${where}.count`),
        categories: c.categories.map(String),
        counts: c.counts.map((n, k) => unnum(n, `${where}.counts[${k}]`)),
      };
    });
    return { version: SUMMARY_FORMAT_VERSION, rows: unnum(doc.rows, 'rows'), columns };
  } catch (err) {
    throw errors.invalid(`not a stored drift summary: ${(err as Error).message}`, {
      cause: err,
      hint: 'compute the reference summary again with summarizeTable and store serializeSummary(...)',
    });
  }
}

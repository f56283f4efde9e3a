import { errors } from '../../kernel/errors.ts';
import { type Column, numberColumn, stringColumn, type Table } from '../../ml/table/table.ts';
import type { InputColumn, InputSchema } from '../runtime/input-schema.ts';
import {
  checkRecords,
  columnFrom,
  columnFromRecords,
  missing,
  missingColumn,
  tableFor,
} from './column-values.ts';
import { parseCsv } from './csv.ts';
import type { InferenceInput } from './inference-input.ts';

/**
 * MLflow's scoring protocol (`POST /invocations`, mlflow/pyfunc/scoring_server): a JSON object
 * with exactly one of `dataframe_split`, `dataframe_records`, `instances` or `inputs` (and
 * optionally `params`, which ONNX models take none of), or a `text/csv` body with a header row.
 */

export const MLFLOW_INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

const FORMAT_HINT = `The input must be a JSON dictionary with exactly one of the input fields {${MLFLOW_INPUT_FIELDS.map((f) => `'${f}'`).join(', ')}}`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rows as records: `[{"age": 39, "sex": "Male"}, …]`. */
class RecordsInput implements InferenceInput {
  readonly #records: readonly unknown[];
  constructor(records: readonly unknown[], what: string) {
    checkRecords(records, what);
    this.#records = records;
  }
  toTable(schema: InputSchema): Table {
    const records = this.#records;
    const first = records[0] as Record<string, unknown> | undefined;
    const columns = schema.columns.map((c) => {
      if (first !== undefined && !(c.name in first) && !records.some((r) => c.name in (r as object)))
        throw missingColumn(schema, c);
      return columnFromRecords(records, c);
    });
    return { rows: records.length, columns };
  }
}

/** Columns as lists: `{"age": [39, 50], "sex": ["Male", "Female"]}` (a scalar is one row). */
class ColumnsInput implements InferenceInput {
  readonly #columns: Record<string, unknown>;
  constructor(columns: Record<string, unknown>) {
    this.#columns = columns;
  }
  toTable(schema: InputSchema): Table {
    let rows = -1;
    const columns = schema.columns.map((c) => {
      if (!(c.name in this.#columns)) throw missingColumn(schema, c);
      const raw = this.#columns[c.name];
      const values = Array.isArray(raw) ? raw : [raw];
      if (rows < 0) rows = values.length;
      return columnFrom(values, c);
    });
    return tableFor(Math.max(rows, 0), columns);
  }
}

/** pandas' split orientation: `{"columns": [...], "data": [[...], ...], "index"?: [...]}`. */
class SplitInput implements InferenceInput {
  readonly #names: readonly string[];
  readonly #data: readonly unknown[][];
  constructor(split: Record<string, unknown>) {
    const extra = Object.keys(split).filter((k) => k !== 'columns' && k !== 'data' && k !== 'index');
    if (!Array.isArray(split.data) || extra.length > 0)
      throw errors.invalid(
        `Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {${Object.keys(
          split,
        )
          .map((k) => `'${k}'`)
          .join(', ')}}.`,
      );
    if (!Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string'))
      throw errors.invalid('dataframe_split needs "columns": the column name of each value in a row');
    const width = split.columns.length;
    split.data.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== width)
        throw errors.invalid(
          `dataframe_split: row ${i + 1} has ${Array.isArray(row) ? row.length : 'no list of'} values for ${width} columns`,
        );
    });
    this.#names = split.columns as string[];
    this.#data = split.data as unknown[][];
  }
  toTable(schema: InputSchema): Table {
    const data = this.#data;
    const columns = schema.columns.map((c) => {
      const j = this.#names.indexOf(c.name);
      if (j < 0) throw missingColumn(schema, c);
      const values = new Array<unknown>(data.length);
      for (let i = 0; i < data.length; i++) values[i] = (data[i] as unknown[])[j];
      return columnFrom(values, c);
    });
    return { rows: data.length, columns };
  }
}

/** The input of a parsed MLflow JSON body. */
export function mlflowJsonInput(doc: unknown): InferenceInput {
  if (Array.isArray(doc)) throw errors.invalid(`${FORMAT_HINT}. Received a list.`);
  if (!isObject(doc)) throw errors.invalid(`${FORMAT_HINT}.`);
  const fields = Object.keys(doc).filter((k) => (MLFLOW_INPUT_FIELDS as readonly string[]).includes(k));
  const unknown = Object.keys(doc).filter((k) => k !== 'params' && !fields.includes(k));
  if (fields.length !== 1 || unknown.length > 0)
    throw errors.invalid(
      `${FORMAT_HINT}. Received dictionary with input fields: [${Object.keys(doc)
        .map((k) => `'${k}'`)
        .join(', ')}]`,
    );
  if (doc.params !== undefined && !isObject(doc.params)) throw errors.invalid('"params" must be an object');
  const field = fields[0] as (typeof MLFLOW_INPUT_FIELDS)[number];
  const value = doc[field];
  switch (field) {
    case 'dataframe_split':
      if (!isObject(value))
        throw errors.invalid(
          `Dataframe split format must be a dictionary. Got ${Array.isArray(value) ? 'list' : typeof value}.`,
        );
      return new SplitInput(value);
    case 'dataframe_records':
      if (!Array.isArray(value))
        throw errors.invalid(
          `Dataframe records format must be a list of records. Got ${isObject(value) ? 'dictionary' : typeof value}.`,
        );
      return new RecordsInput(value, 'dataframe_records');
    default:
      if (isObject(value)) return new ColumnsInput(value);
      if (Array.isArray(value) && value.every(isObject)) return new RecordsInput(value, field);
      throw errors.invalid(
        `"${field}" must be records ([{"column": value, …}]) or columns ({"column": [values]}) for a model that takes named columns`,
      );
  }
}

/** A `text/csv` body: a header row naming the columns, then one row per line. */
export class CsvInput implements InferenceInput {
  readonly #header: readonly string[];
  readonly #rows: readonly string[][];
  constructor(text: string) {
    const rows = parseCsv(text);
    const header = rows.shift();
    if (!header)
      throw errors.invalid('the CSV body is empty: send a header row naming the columns, then rows');
    this.#header = header.map((h) => h.trim());
    rows.forEach((r, i) => {
      if (r.length !== header.length)
        throw errors.invalid(
          `the CSV body's row ${i + 1} has ${r.length} fields where the header has ${header.length}`,
        );
    });
    this.#rows = rows;
  }
  toTable(schema: InputSchema): Table {
    const rows = this.#rows;
    const columns = schema.columns.map((c): Column => {
      const j = this.#header.indexOf(c.name);
      if (j < 0) throw missingColumn(schema, c);
      return c.type === 'double' ? csvNumbers(rows, j, c) : csvTexts(rows, j, c);
    });
    return { rows: rows.length, columns };
  }
}

const NA = new Set(['', 'nan', 'NaN', 'NA', 'N/A', 'null', 'NULL']);

function csvNumbers(rows: readonly string[][], j: number, c: InputColumn): Column {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const text = (rows[i] as string[])[j] as string;
    const trimmed = text.trim();
    if (NA.has(trimmed)) {
      if (!c.allowMissing) throw missing(c, i);
      out[i] = Number.NaN;
      continue;
    }
    const v = Number(trimmed);
    if (Number.isNaN(v) || !Number.isFinite(v))
      throw errors.invalid(
        `column ${c.name}: row ${i + 1} holds ${JSON.stringify(text)} where the model takes a number`,
        { details: { column: c.name, row: i + 1 } },
      );
    out[i] = v;
  }
  return numberColumn(c.name, out);
}

function csvTexts(rows: readonly string[][], j: number, c: InputColumn): Column {
  const out = new Array<string | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const text = (rows[i] as string[])[j] as string;
    if (text === '') {
      if (!c.allowMissing) throw missing(c, i);
      out[i] = null;
    } else out[i] = text;
  }
  return stringColumn(c.name, out);
}

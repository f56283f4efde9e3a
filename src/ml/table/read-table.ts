import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ProfileFormat, profileFormatOf } from '../../data/profile/data-profile.ts';
import { errors, fromSystemError, isCairnError } from '../../kernel/errors.ts';
import { type Column, type ColumnKind, numberColumn, stringColumn, type Table } from './table.ts';

/** A column of the file as DuckDB typed it, and how Cairn reads it. */
export interface SourceColumn {
  name: string;
  /** DuckDB's type: BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, … */
  type: string;
  /** number, string, or undefined for a type a model cannot take (dates, lists, …). */
  kind: ColumnKind | undefined;
  /**
   * Text columns only: the first value that is not a number and its 1-based data row, when most
   * values (90% or more) are numbers — a numeric column with stray text in it.
   */
  strayText?: { value: string; row: number; numeric: number; nonNull: number };
}

export interface ReadTableOptions {
  /** Read only these columns (in this order); a name the file lacks is an error naming it. */
  columns?: readonly string[];
  /** Text that marks a missing value in CSV files (e.g. `?`, `NA`), besides the empty field. */
  naValues?: readonly string[];
}

export interface TableFile {
  path: string;
  format: ProfileFormat;
  table: Table;
  /** Every column of the file, read or not. */
  source: SourceColumn[];
}

/** The part of a DuckDB connection this module uses. */
interface DuckSession {
  run(sql: string, values?: Record<string, string>): Promise<AsyncIterable<DuckChunk>>;
  runAndReadAll(
    sql: string,
    values?: Record<string, string>,
  ): Promise<{ getRows(): readonly (readonly unknown[])[] }>;
}

interface DuckChunk {
  rowCount: number;
  getColumnVector(i: number): { getItem(i: number): unknown };
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const STRAY_TEXT_SHARE = 0.9;

function kindOf(type: string): ColumnKind | undefined {
  if (NUMERIC.test(type)) return 'number';
  if (type === 'VARCHAR' || type === 'BOOLEAN') return 'string';
  return undefined;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Reads a CSV, TSV or Parquet file into typed columns with DuckDB: numbers as Float64Array (NaN
 * where missing), text and booleans as strings (null where missing). DuckDB detects the CSV
 * dialect, header and types.
 *
 * @example
 * const { table, source } = await readTable('data/train.csv', { naValues: ['?'] });
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<TableFile> {
  const format = profileFormatOf(path);
  if (!format)
    throw errors.invalid(`cannot read ${path}: unknown file type`, {
      hint: 'use a .csv, .tsv or .parquet file (optionally .csv.gz)',
    });
  const absolute = resolve(path);
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw errors.invalid(`cannot read ${path}: it is not a file`);
    if (info.size === 0)
      throw errors.invalid(`${path} is empty`, { hint: 'give a file with a header and rows' });
  } catch (err) {
    throw fromSystemError(err, path);
  }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    temp_directory: join(tmpdir(), `cairn-duckdb-${process.pid}-${randomUUID()}`),
  });
  try {
    const connection = await instance.connect();
    try {
      return await readWith(connection as unknown as DuckSession, path, absolute, format, options);
    } catch (err) {
      throw fromDuckError(err, path, format);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function readWith(
  db: DuckSession,
  path: string,
  absolute: string,
  format: ProfileFormat,
  options: ReadTableOptions,
): Promise<TableFile> {
  await loadTable(db, absolute, format, options.naValues ?? []);
  const described = (await db.runAndReadAll('DESCRIBE loaded')).getRows();
  const source: SourceColumn[] = described.map((row) => {
    const type = String(row[1]);
    return { name: String(row[0]), type, kind: kindOf(type) };
  });
  const [counted] = (await db.runAndReadAll('SELECT count(*) FROM loaded')).getRows();
  const rows = Number(counted?.[0] ?? 0);
  if (rows === 0)
    throw errors.invalid(`${path} has no rows`, { hint: 'give a file with a header and at least one row' });
  await findStrayText(db, source);

  const wanted = options.columns ?? source.filter((c) => c.kind !== undefined).map((c) => c.name);
  const picked = wanted.map((name) => {
    const col = source.find((c) => c.name === name);
    if (!col)
      throw errors.invalid(`${path} has no column ${JSON.stringify(name)}`, {
        details: { path, column: name },
        hint: `its columns are ${source.map((c) => c.name).join(', ')}`,
      });
    if (!col.kind)
      throw errors.invalid(`column ${name} of ${path} is ${col.type}, which a model cannot take`, {
        details: { path, column: name, type: col.type },
        hint: 'convert it to numbers or text first',
      });
    return col;
  });
  const table = picked.length === 0 ? { rows, columns: [] } : await fetchColumns(db, picked, rows);
  return { path, format, table, source };
}

async function loadTable(
  db: DuckSession,
  path: string,
  format: ProfileFormat,
  naValues: readonly string[],
): Promise<void> {
  const params: Record<string, string> = { path: path.replace(/[*?[]/g, (c) => `[${c}]`) };
  if (format === 'parquet') {
    await db.run('CREATE TABLE loaded AS SELECT * FROM read_parquet($path)', params);
    return;
  }
  // Text stays text: DuckDB would otherwise turn yes/no into BOOLEAN (read back as true/false)
  // and dates into DATE; a model sees numbers and categories only.
  const options = ['$path', "auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR']"];
  if (format === 'tsv') options.push("delim = '\\t'");
  if (path.toLowerCase().endsWith('.gz')) options.push("compression = 'gzip'");
  if (naValues.length > 0) {
    naValues.forEach((v, i) => {
      params[`na${i}`] = v;
    });
    options.push(`nullstr = [${["''", ...naValues.map((_, i) => `$na${i}`)].join(', ')}]`);
  }
  await db.run(`CREATE TABLE loaded AS SELECT * FROM read_csv(${options.join(', ')})`, params);
}

/** Marks text columns that hold numbers except for a few values (see SourceColumn.strayText). */
async function findStrayText(db: DuckSession, source: SourceColumn[]): Promise<void> {
  const text = source.filter((c) => c.type === 'VARCHAR');
  if (text.length === 0) return;
  const parts = text.flatMap((c) => {
    const q = quoteIdent(c.name);
    const bad = `${q} IS NOT NULL AND TRY_CAST(${q} AS DOUBLE) IS NULL`;
    return [
      `count(${q})`,
      `count(TRY_CAST(${q} AS DOUBLE))`,
      `arg_min(${q}, rowid) FILTER (WHERE ${bad})`,
      `min(rowid) FILTER (WHERE ${bad})`,
    ];
  });
  const [row] = (await db.runAndReadAll(`SELECT ${parts.join(', ')} FROM loaded`)).getRows();
  text.forEach((c, i) => {
    const nonNull = Number(row?.[4 * i]);
    const numeric = Number(row?.[4 * i + 1]);
    const value = row?.[4 * i + 2];
    if (
      nonNull > 0 &&
      numeric < nonNull &&
      numeric >= STRAY_TEXT_SHARE * nonNull &&
      typeof value === 'string'
    )
      c.strayText = { value, row: Number(row?.[4 * i + 3]) + 1, numeric, nonNull };
  });
}

async function fetchColumns(db: DuckSession, picked: SourceColumn[], rows: number): Promise<Table> {
  const select = picked.map((c) =>
    c.kind === 'number' ? `CAST(${quoteIdent(c.name)} AS DOUBLE)` : `CAST(${quoteIdent(c.name)} AS VARCHAR)`,
  );
  const numbers = picked.map((c) => (c.kind === 'number' ? new Float64Array(rows) : undefined));
  const strings = picked.map((c) => (c.kind === 'string' ? new Array<string | null>(rows) : undefined));
  let at = 0;
  for await (const chunk of await db.run(`SELECT ${select.join(', ')} FROM loaded ORDER BY rowid`)) {
    const n = chunk.rowCount;
    for (let j = 0; j < picked.length; j++) {
      const vector = chunk.getColumnVector(j);
      const num = numbers[j];
      if (num) {
        for (let i = 0; i < n; i++) {
          const v = vector.getItem(i);
          num[at + i] = v === null ? Number.NaN : (v as number);
        }
      } else {
        const str = strings[j] as (string | null)[];
        for (let i = 0; i < n; i++) str[at + i] = vector.getItem(i) as string | null;
      }
    }
    at += n;
  }
  const columns = picked.map(
    (c, j): Column =>
      c.kind === 'number'
        ? numberColumn(c.name, numbers[j] as Float64Array)
        : stringColumn(c.name, strings[j] as (string | null)[]),
  );
  return { rows, columns };
}

/** A DuckDB failure as one line naming the file (and the column and value, for a bad number). */
function fromDuckError(err: unknown, path: string, format: ProfileFormat): unknown {
  if (!(err instanceof Error) || isCairnError(err)) return err;
  const message = err.message;
  const conversion =
    /CSV Error on Line: (\d+)[\s\S]*?converting column "([^"]+)"\. Could not convert string "([^"]*)" to '([^']+)'/.exec(
      message,
    );
  if (conversion)
    return errors.invalid(
      `${path} line ${conversion[1]}: column ${conversion[2]} holds ${JSON.stringify(conversion[3])}, which is not a number like the rest of the column`,
      {
        cause: err,
        details: { path, column: conversion[2], line: Number(conversion[1]), value: conversion[3] },
        hint: `fix the value, or pass it as a missing-value marker (--na ${JSON.stringify(conversion[3])})`,
      },
    );
  const first = (message.split(/\n\s*\nLINE \d+:/)[0] ?? message).trim().split('\n')[0] ?? message;
  return errors.invalid(`cannot read ${path} as ${format.toUpperCase()}: ${first}`, {
    cause: err,
    details: { path, format },
    hint:
      format === 'parquet'
        ? 'check that the file is a complete Parquet file'
        : 'check that the file is CSV text with a header and the same number of fields on each line',
  });
}

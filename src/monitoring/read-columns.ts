/**
 * Reads columns of a CSV, TSV or Parquet file (or any DuckDB query) into typed arrays. DuckDB
 * parses the file and detects types; numbers arrive as doubles, and categories are
 * dictionary-encoded inside DuckDB (an ENUM per column) so only small integers cross into
 * JavaScript, never one string per row.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ProfileFormat, profileFormatOf } from '../data/profile/data-profile.ts';
import { errors, fromSystemError, isCairnError } from '../kernel/errors.ts';
import type { Column, ColumnKind, ColumnTable } from './columns.ts';

export interface ReadColumnsOptions {
  /** Columns to read, in this order (default: every numeric, text and boolean column). */
  columns?: readonly string[];
  /** Read a column as this kind instead of the one its type suggests (e.g. integer codes as categories). */
  kinds?: Readonly<Record<string, ColumnKind>>;
  /** The file's format (default: from its extension). */
  format?: ProfileFormat;
}

/** The part of a DuckDB connection this module uses. */
export interface DuckConnection {
  run(sql: string, values?: Record<string, string | number>): Promise<unknown>;
  runAndReadAll(
    sql: string,
    values?: Record<string, string | number>,
  ): Promise<{ getRows(): readonly (readonly unknown[])[] }>;
  stream(
    sql: string,
    values?: Record<string, string | number>,
  ): Promise<{
    fetchChunk(): Promise<{
      rowCount: number;
      getColumnVector(index: number): { getItem(row: number): unknown };
    } | null>;
  }>;
}

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

function kindOfType(type: string): ColumnKind | undefined {
  if (INTEGER_TYPES.has(type) || type === 'FLOAT' || type === 'DOUBLE' || type.startsWith('DECIMAL'))
    return 'numeric';
  if (type === 'VARCHAR' || type === 'BOOLEAN' || type.startsWith('ENUM')) return 'categorical';
  return undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface Planned {
  name: string;
  kind: ColumnKind;
  integer: boolean;
}

/**
 * Reads the result of `SELECT … FROM source` into columns: `source` is SQL that can follow FROM
 * (a table name, `read_parquet($path)`, a subquery). Categories are encoded in DuckDB; rows with a
 * NULL become NaN or code −1.
 *
 * @example
 * const table = await queryColumns(connection, "read_parquet('log/*.parquet')", { columns: ['age', 'city'] });
 */
export async function queryColumns(
  db: DuckConnection,
  source: string,
  options: Omit<ReadColumnsOptions, 'format'> & {
    params?: Record<string, string | number>;
    where?: string;
  } = {},
): Promise<ColumnTable> {
  const params = options.params ?? {};
  const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`, params)).getRows();
  const types = new Map(described.map((r) => [String(r[0]), String(r[1])]));
  const names = options.columns ?? described.map((r) => String(r[0]));
  const planned: Planned[] = [];
  for (const name of names) {
    const type = types.get(name);
    if (type === undefined)
      throw errors.invalid(`column ${name} is not in the data`, {
        hint: `the columns are ${[...types.keys()].join(', ')}`,
        details: { column: name },
      });
    const forced = options.kinds?.[name];
    const kind = forced ?? kindOfType(type);
    if (kind === undefined) {
      if (options.columns)
        throw errors.invalid(`column ${name} has type ${type}, which drift statistics do not read`, {
          hint: 'leave it out, or read it as categorical with kinds: { [name]: "categorical" }',
          details: { column: name, type },
        });
      continue;
    }
    if (kind === 'numeric' && kindOfType(type) !== 'numeric')
      throw errors.invalid(`column ${name} has type ${type} and cannot be read as numeric`, {
        details: { column: name, type },
      });
    planned.push({ name, kind, integer: kind === 'numeric' && INTEGER_TYPES.has(type) });
  }
  const where = options.where ? ` WHERE ${options.where}` : '';
  // One ENUM type per categorical column, holding its distinct values; enum_code() turns each
  // value into its index, so the main query returns only numbers.
  const dictionaries: string[][] = [];
  const selects: string[] = [];
  const enums: string[] = [];
  const chunks: (Float64Array | Int32Array)[][] = planned.map(() => []);
  let rows = 0;
  try {
    for (const [i, col] of planned.entries()) {
      const q = quoteIdent(col.name);
      if (col.kind === 'numeric') {
        selects.push(`CAST(${q} AS DOUBLE)`);
        continue;
      }
      const enumName = `cairn_categories_${randomUUID().replaceAll('-', '')}_${i}`;
      await db.run(
        `CREATE TYPE ${enumName} AS ENUM (SELECT DISTINCT CAST(${q} AS VARCHAR) AS v FROM ${source}${where}${where ? ' AND' : ' WHERE'} ${q} IS NOT NULL ORDER BY v)`,
        params,
      );
      enums.push(enumName);
      const dictionary = (await db.runAndReadAll(`SELECT unnest(enum_range(NULL::${enumName}))`))
        .getRows()
        .map((r) => String(r[0]));
      dictionaries[i] = dictionary;
      selects.push(`coalesce(CAST(enum_code(CAST(CAST(${q} AS VARCHAR) AS ${enumName})) AS INTEGER), -1)`);
    }
    if (planned.length > 0) {
      const result = await db.stream(`SELECT ${selects.join(', ')} FROM ${source}${where}`, params);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        planned.forEach((col, c) => {
          const vector = chunk.getColumnVector(c);
          if (col.kind === 'numeric') {
            const out = new Float64Array(n);
            for (let r = 0; r < n; r++) {
              const v = vector.getItem(r);
              out[r] = v === null ? Number.NaN : (v as number);
            }
            (chunks[c] as Float64Array[]).push(out);
          } else {
            const out = new Int32Array(n);
            for (let r = 0; r < n; r++) out[r] = vector.getItem(r) as number;
            (chunks[c] as Int32Array[]).push(out);
          }
        });
        rows += n;
      }
    } else {
      const [count] = (await db.runAndReadAll(`SELECT count(*) FROM ${source}${where}`, params)).getRows();
      rows = Number(count?.[0] ?? 0);
    }
  } finally {
    for (const name of enums) await db.run(`DROP TYPE ${name}`);
  }
  const columns: Column[] = planned.map((col, c) => {
    if (col.kind === 'numeric') {
      const values = concat(chunks[c] as Float64Array[], new Float64Array(rows));
      return { name: col.name, kind: 'numeric', values, ...(col.integer ? { integer: true } : {}) };
    }
    const codes = concat(chunks[c] as Int32Array[], new Int32Array(rows));
    return { name: col.name, kind: 'categorical', codes, dictionary: dictionaries[c] as string[] };
  });
  return { rows, columns };
}

function concat<T extends Float64Array | Int32Array>(parts: T[], out: T): T {
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * DuckDB expands `*`, `?` and `[` in file names even when the name exists as written; a bracket
 * class matching one literal character makes the pattern match exactly the file named.
 */
function globLiteral(path: string): string {
  return path.replace(/[*?[]/g, (c) => `[${c}]`);
}

/**
 * Reads columns of a CSV, TSV or Parquet file into typed arrays (see `queryColumns`).
 *
 * @example
 * const reference = await readColumns('data/train.parquet', { columns: ['age', 'income', 'city'] });
 */
export async function readColumns(path: string, options: ReadColumnsOptions = {}): Promise<ColumnTable> {
  const format = options.format ?? profileFormatOf(path);
  if (!format)
    throw errors.invalid(`cannot tell the format of ${path} from its name`, {
      hint: 'name it .csv, .tsv or .parquet, or pass format',
    });
  const absolute = resolve(path);
  try {
    if (!(await stat(absolute)).isFile()) throw errors.invalid(`cannot read ${path}: it is not a file`);
  } catch (err) {
    throw fromSystemError(err, path);
  }
  // Loaded here: the native module costs ~0.2 s and most commands never read columns.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    temp_directory: join(tmpdir(), `cairn-duckdb-${process.pid}-${randomUUID()}`),
  });
  try {
    const connection = await instance.connect();
    try {
      const params = { path: globLiteral(absolute) };
      let source = 'read_parquet($path)';
      if (format !== 'parquet') {
        const csvOptions = ['$path'];
        if (format === 'tsv') csvOptions.push("delim = '\\t'");
        if (absolute.toLowerCase().endsWith('.gz')) csvOptions.push("compression = 'gzip'");
        // Loaded once into a table: every query would otherwise sniff and parse the file again.
        await connection.run(
          `CREATE TEMP TABLE cairn_source AS SELECT * FROM read_csv(${csvOptions.join(', ')})`,
          params,
        );
        source = 'cairn_source';
      }
      return await queryColumns(connection as unknown as DuckConnection, source, {
        ...options,
        params: format === 'parquet' ? params : {},
      });
    } catch (err) {
      throw fromDuckError(err, path, format);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

function fromDuckError(err: unknown, path: string, format: ProfileFormat): unknown {
  if (!(err instanceof Error) || isCairnError(err)) return err;
  const reason = (err.message.split(/\n\s*\nLINE \d+:/)[0] ?? err.message).trim();
  const firstLine = reason.split('\n')[0] ?? reason;
  return errors.invalid(`cannot read ${path} as ${format.toUpperCase()}: ${firstLine}`, {
    cause: err,
    details: { path, format, reason },
    hint:
      format === 'parquet'
        ? 'check that the file is a complete Parquet file (not truncated or another format)'
        : `check that the file is ${format.toUpperCase()} text with one record per line and the same number of fields in each`,
  });
}

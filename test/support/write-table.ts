import { writeFile } from 'node:fs/promises';

export type SqlType = 'DOUBLE' | 'BIGINT' | 'VARCHAR';

/** A table to write: one array per column (null for a missing value) and its SQL type. */
export interface TableData {
  columns: Record<string, readonly (number | string | null)[]>;
  types: Record<string, SqlType>;
}

function field(v: number | string | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  return /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Writes `data` as CSV with a header (numbers in shortest round-trip form). */
export async function writeCsv(path: string, data: TableData): Promise<void> {
  const names = Object.keys(data.columns);
  const rows = (data.columns[names[0] as string] ?? []).length;
  const lines = [names.join(',')];
  for (let r = 0; r < rows; r++)
    lines.push(names.map((n) => field((data.columns[n] as (number | string | null)[])[r] ?? null)).join(','));
  await writeFile(path, `${lines.join('\n')}\n`);
}

/** Writes `data` as Parquet with exactly the given column types, through DuckDB. */
export async function writeParquet(path: string, data: TableData): Promise<void> {
  const csv = `${path}.csv`;
  await writeCsv(csv, data);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const types = Object.entries(data.types)
      .map(([n, t]) => `'${n.replaceAll("'", "''")}': '${t}'`)
      .join(', ');
    await connection.run(
      `COPY (SELECT * FROM read_csv('${csv.replaceAll("'", "''")}', header = true, columns = {${types}})) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
    );
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

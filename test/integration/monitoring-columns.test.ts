/**
 * Columns read from CSV and Parquet through DuckDB into typed arrays, and column-parallel drift
 * on worker threads giving exactly the single-thread answer.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ColumnTable } from '../../src/monitoring/columns.ts';
import { detectDrift } from '../../src/monitoring/drift/detect-drift.ts';
import { DriftPool } from '../../src/monitoring/drift/drift-pool.ts';
import { summarizeTable } from '../../src/monitoring/drift/table-summary.ts';
import { queryColumns, readColumns } from '../../src/monitoring/read-columns.ts';
import { seeded } from '../support/random.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { type TableData, writeCsv, writeParquet } from '../support/write-table.ts';

function data(seed: number, rows: number, shift: number): TableData {
  const r = seeded(seed);
  const col = <T>(f: () => T) => Array.from({ length: rows }, f);
  return {
    types: { id: 'BIGINT', amount: 'DOUBLE', city: 'VARCHAR', code: 'BIGINT', note: 'VARCHAR' },
    columns: {
      id: col(() => Math.floor(r.next() * 1e6)),
      amount: col(() => (r.next() < 0.05 ? null : 100 * (r.normal() + shift))),
      city: col(() =>
        r.next() < 0.02
          ? null
          : r.pick(['Oslo', 'Lima', 'Zürich, CH', 'Pune'], shift > 0 ? [3, 1, 1, 1] : [1, 1, 1, 1]),
      ),
      code: col(() => r.pick([10, 20, 30])),
      note: col(() => null),
    },
  };
}

function plain(table: ColumnTable) {
  return table.columns.map((c) =>
    c.kind === 'numeric'
      ? { name: c.name, integer: c.integer ?? false, values: Array.from(c.values) }
      : { name: c.name, values: Array.from(c.codes, (k) => (k < 0 ? null : c.dictionary[k])) },
  );
}

describe('readColumns', () => {
  let dir: string;
  const source = data(1, 500, 0);
  before(async () => {
    dir = await tempDir();
    await writeCsv(join(dir, 'table.csv'), source);
    await writeParquet(join(dir, 'table.parquet'), source);
  });

  it('reads CSV and Parquet into the same typed columns, nulls as NaN and −1', async () => {
    const csv = await readColumns(join(dir, 'table.csv'));
    const parquet = await readColumns(join(dir, 'table.parquet'));
    assert.equal(csv.rows, 500);
    assert.deepEqual(plain(csv), plain(parquet));
    const [id, amount, city, code, note] = parquet.columns;
    assert.ok(id?.kind === 'numeric' && id.integer === true && amount?.kind === 'numeric' && !amount.integer);
    assert.deepEqual(
      Array.from(amount.values, (v) => (Number.isNaN(v) ? null : v)),
      source.columns.amount,
    );
    assert.ok(city?.kind === 'categorical');
    assert.deepEqual(
      Array.from(city.codes, (k) => (k < 0 ? null : city.dictionary[k])),
      source.columns.city,
    );
    assert.deepEqual([...city.dictionary].sort(), ['Lima', 'Oslo', 'Pune', 'Zürich, CH']);
    assert.ok(code?.kind === 'numeric');
    assert.ok(
      note?.kind === 'categorical' && note.dictionary.length === 0 && note.codes.every((k) => k === -1),
    );
  });

  it('reads chosen columns, in order, with a kind forced, and filters rows in a query', async () => {
    const t = await readColumns(join(dir, 'table.parquet'), {
      columns: ['code', 'amount'],
      kinds: { code: 'categorical' },
    });
    assert.deepEqual(
      t.columns.map((c) => [c.name, c.kind]),
      [
        ['code', 'categorical'],
        ['amount', 'numeric'],
      ],
    );
    assert.ok(t.columns[0]?.kind === 'categorical');
    assert.deepEqual([...t.columns[0].dictionary].sort(), ['10', '20', '30']);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const connection = await instance.connect();
      const filtered = await queryColumns(connection, 'read_parquet($path)', {
        params: { path: join(dir, 'table.parquet') },
        columns: ['city'],
        where: 'code = 20',
      });
      assert.equal(filtered.rows, source.columns.code?.filter((c) => c === 20).length);
      // The dictionary types made for the query are dropped afterwards.
      const types = (
        await connection.runAndReadAll(
          "SELECT count(*) FROM duckdb_types() WHERE type_name LIKE 'cairn_categories%'",
        )
      ).getRows();
      assert.equal(Number(types[0]?.[0]), 0);
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
  });

  it('names the column, the file or the type that is wrong', async () => {
    await assert.rejects(readColumns(join(dir, 'table.parquet'), { columns: ['nope'] }), {
      code: 'INVALID_ARGUMENT',
      message: /column nope is not in the data/,
    });
    await assert.rejects(
      readColumns(join(dir, 'table.parquet'), { columns: ['city'], kinds: { city: 'numeric' } }),
      {
        code: 'INVALID_ARGUMENT',
        message: /column city has type VARCHAR and cannot be read as numeric/,
      },
    );
    await writeFile(join(dir, 'bad.parquet'), 'this is not parquet at all, not even close');
    await assert.rejects(readColumns(join(dir, 'bad.parquet')), {
      code: 'INVALID_ARGUMENT',
      message: /cannot read .*bad\.parquet as PARQUET/,
    });
    await assert.rejects(readColumns(join(dir, 'missing.csv')), { code: 'NOT_FOUND' });
    await assert.rejects(readColumns(join(dir, 'table.txt')), {
      code: 'INVALID_ARGUMENT',
      message: /cannot tell the format/,
    });
  });
});

describe('DriftPool', () => {
  const pool = new DriftPool({ jobs: 2, inlineBelow: 0 });
  after(() => pool.close());

  it('gives the single-thread summaries and report, from raw columns or summaries', async () => {
    const dir = await tempDir();
    await writeParquet(join(dir, 'ref.parquet'), data(2, 3000, 0));
    await writeParquet(join(dir, 'cur.parquet'), data(3, 2000, 0.4));
    const reference = await readColumns(join(dir, 'ref.parquet'));
    const current = await readColumns(join(dir, 'cur.parquet'));
    const summary = await pool.summarize(reference);
    assert.deepEqual(summary, summarizeTable(reference));
    const expected = detectDrift(
      summary,
      summarizeTable(current, { maxSamplePoints: Number.POSITIVE_INFINITY }),
      { predictionColumn: 'amount' },
    );
    assert.deepEqual(await pool.detectDrift(summary, current, { predictionColumn: 'amount' }), expected);
    assert.equal(expected.prediction?.drifted, true);
    assert.ok(expected.columns.some((c) => c.column === 'city' && c.drifted));
  });

  it('passes a column error from a worker through as a CairnError, and refuses work once closed', async () => {
    const reference = summarizeTable({
      rows: 2,
      columns: [{ name: 'x', kind: 'numeric', values: Float64Array.from([1, 2]) }],
    });
    const current: ColumnTable = {
      rows: 2,
      columns: [{ name: 'x', kind: 'categorical', codes: Int32Array.from([0, 0]), dictionary: ['a'] }],
    };
    await assert.rejects(pool.detectDrift(reference, current), {
      code: 'INVALID_ARGUMENT',
      message: /column x is numeric in the reference but categorical in the current data/,
    });
    const closed = new DriftPool({ jobs: 2 });
    await closed.close();
    await assert.rejects(closed.summarize({ rows: 0, columns: [] }), { code: 'FAILED_PRECONDITION' });
  });
});

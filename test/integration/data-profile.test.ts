import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type ColumnProfile,
  type DataProfile,
  profileFormatOf,
  profileTable,
} from '../../src/data/profile/data-profile.ts';
import { PROFILE_MIGRATIONS, ProfileStore } from '../../src/data/profile/profile-store.ts';
import { sha256 } from '../../src/kernel/hashing.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { adultDataGate, pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const adult = adultDataGate();
const ADULT = adult.value ?? '';
const adultSkip = adult.skip;
const PANDAS_SCRIPT = resolve(import.meta.dirname, '../python/profile_reference.py');

function column(profile: DataProfile, name: string): ColumnProfile {
  const found = profile.columns.find((c) => c.name === name);
  assert.ok(found, `column ${name} in ${profile.columns.map((c) => c.name).join(', ')}`);
  return found;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sampleStd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

function assertClose(actual: unknown, expected: unknown, where: string, rel = 1e-9): void {
  if (expected === null || expected === undefined) {
    assert.equal(actual, undefined, `${where}: expected no value, got ${actual}`);
    return;
  }
  assert.equal(typeof actual, 'number', `${where}: expected ${expected}, got ${actual}`);
  const a = actual as number;
  const e = expected as number;
  assert.ok(Math.abs(a - e) <= rel * Math.max(Math.abs(a), Math.abs(e)), `${where}: ${a} vs ${e}`);
}

async function writeParquet(path: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    await connection.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

describe('profileFormatOf', () => {
  it('knows CSV, TSV and Parquet by extension, in any case', () => {
    assert.equal(profileFormatOf('data/train.csv'), 'csv');
    assert.equal(profileFormatOf('data/TRAIN.CSV.GZ'), 'csv');
    assert.equal(profileFormatOf('a.tsv'), 'tsv');
    assert.equal(profileFormatOf('a.Parquet'), 'parquet');
    assert.equal(profileFormatOf('a.pq'), 'parquet');
    assert.equal(profileFormatOf('model.onnx'), undefined);
    assert.equal(profileFormatOf('adult.data'), undefined);
  });
});

describe('profileTable', () => {
  const SMALL_CSV = [
    'id,score,name,day,ratio,once',
    '1,10,alice,2024-01-03,0.5,7',
    '2,,bob,2024-02-29,,',
    '3,30,alice,,1.5,',
    '4,40,,2023-12-31,2.5,',
    '5,10,carol,2024-01-03,,',
    '',
  ].join('\n');

  it('profiles a CSV with a header: counts, ranges, moments and top values', async () => {
    const dir = await tempDir();
    const path = join(dir, 'small.csv');
    await writeFile(path, SMALL_CSV);
    const before = Date.now();
    const p = await profileTable(path, 'csv');
    assert.equal(p.format, 'csv');
    assert.equal(p.rows, 5);
    assert.ok(Date.parse(p.profiledAt) >= before - 1000);
    assert.deepEqual(
      p.columns.map((c) => [c.name, c.type]),
      [
        ['id', 'BIGINT'],
        ['score', 'BIGINT'],
        ['name', 'VARCHAR'],
        ['day', 'DATE'],
        ['ratio', 'DOUBLE'],
        ['once', 'BIGINT'],
      ],
    );
    const score = column(p, 'score');
    assert.deepEqual([score.nulls, score.distinct, score.min, score.max], [1, 3, 10, 40]);
    assertClose(score.mean, mean([10, 30, 40, 10]), 'score mean');
    assertClose(score.std, sampleStd([10, 30, 40, 10]), 'score std');
    assert.equal(score.top, undefined);

    assert.deepEqual(column(p, 'name'), {
      name: 'name',
      type: 'VARCHAR',
      nulls: 1,
      distinct: 3,
      min: 'alice',
      max: 'carol',
      top: [
        { value: 'alice', count: 2 },
        { value: 'bob', count: 1 },
        { value: 'carol', count: 1 },
      ],
    });
    assert.deepEqual(column(p, 'day'), {
      name: 'day',
      type: 'DATE',
      nulls: 1,
      distinct: 3,
      min: '2023-12-31',
      max: '2024-02-29',
    });
    const ratio = column(p, 'ratio');
    assert.deepEqual([ratio.nulls, ratio.distinct, ratio.min, ratio.max], [2, 3, 0.5, 2.5]);
    assertClose(ratio.std, sampleStd([0.5, 1.5, 2.5]), 'ratio std');
    const once = column(p, 'once');
    assert.deepEqual([once.nulls, once.distinct, once.mean, once.std], [4, 1, 7, undefined]);
  });

  it('keeps topN values per text column', async () => {
    const dir = await tempDir();
    const path = join(dir, 'small.csv');
    await writeFile(path, SMALL_CSV);
    const p = await profileTable(path, 'csv', { topN: 1 });
    assert.deepEqual(column(p, 'name').top, [{ value: 'alice', count: 2 }]);
    await assert.rejects(profileTable(path, 'csv', { topN: -1 }), { code: 'INVALID_ARGUMENT' });
  });

  it('reads gzip-compressed CSV and TSV', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'small.csv'), SMALL_CSV);
    await writeFile(join(dir, 'SMALL.CSV.GZ'), gzipSync(SMALL_CSV));
    await writeFile(join(dir, 'small.tsv'), SMALL_CSV.replaceAll(',', '\t'));
    const plain = await profileTable(join(dir, 'small.csv'), 'csv');
    const strip = (p: DataProfile) => ({ ...p, profiledAt: '' });
    assert.deepEqual(strip(await profileTable(join(dir, 'SMALL.CSV.GZ'), 'csv')), strip(plain));
    assert.deepEqual(strip(await profileTable(join(dir, 'small.tsv'), 'tsv')), {
      ...strip(plain),
      format: 'tsv',
    });
  });

  it('reads exactly the file named, even with quotes and glob characters in its path', async () => {
    const dir = join(await tempDir(), `it's "odd" [1]`);
    await mkdir(dir);
    await writeFile(join(dir, 'a?.csv'), 'x\n1\n');
    // A glob would also match these.
    await writeFile(join(dir, 'ab.csv'), 'x\n2\n3\n');
    await mkdir(join(dir, '..', 'it\'s "odd" 1'));
    await writeFile(join(dir, '..', 'it\'s "odd" 1', 'a?.csv'), 'x\n4\n');
    const p = await profileTable(join(dir, 'a?.csv'), 'csv');
    assert.equal(p.rows, 1);
    assert.equal(column(p, 'x').max, 1);
  });

  it('profiles Parquet with DECIMAL, DATE and TIMESTAMP columns', async () => {
    const dir = await tempDir();
    const path = join(dir, 'table.parquet');
    const n = 1000;
    await writeParquet(
      path,
      `SELECT range AS id,
              CASE WHEN range % 10 = 0 THEN NULL ELSE range / 2 END AS half,
              CASE WHEN range % 7 = 0 THEN NULL ELSE 'k' || (range % 4) END AS key,
              CAST(range / 4 AS DECIMAL(12, 2)) AS amount,
              DATE '2024-01-01' + CAST(range AS INTEGER) AS day,
              TIMESTAMP '2024-01-01 00:00:00' + to_minutes(range) AS at
       FROM range(${n})`,
    );
    const p = await profileTable(path, 'parquet');
    assert.equal(p.rows, n);
    assert.deepEqual(
      p.columns.map((c) => c.type),
      ['BIGINT', 'DOUBLE', 'VARCHAR', 'DECIMAL(12,2)', 'DATE', 'TIMESTAMP'],
    );
    const ids = Array.from({ length: n }, (_, i) => i);
    const halves = ids.filter((i) => i % 10 !== 0).map((i) => i / 2);
    const half = column(p, 'half');
    assert.deepEqual(
      [half.nulls, half.distinct, half.min, half.max],
      [n - halves.length, halves.length, 0.5, 499.5],
    );
    assertClose(half.mean, mean(halves), 'half mean');
    assertClose(half.std, sampleStd(halves), 'half std');
    const amount = column(p, 'amount');
    assert.deepEqual([amount.min, amount.max], [0, 249.75]);
    assertClose(amount.mean, mean(ids.map((i) => i / 4)), 'amount mean');

    const counts = new Map<string, number>();
    for (const i of ids) if (i % 7 !== 0) counts.set(`k${i % 4}`, (counts.get(`k${i % 4}`) ?? 0) + 1);
    const expectedTop = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([value, count]) => ({ value, count }));
    assert.deepEqual(column(p, 'key').top, expectedTop);
    assert.equal(column(p, 'key').nulls, ids.filter((i) => i % 7 === 0).length);

    assert.deepEqual([column(p, 'day').min, column(p, 'day').max], ['2024-01-01', '2026-09-26']);
    assert.deepEqual(
      [column(p, 'at').min, column(p, 'at').max],
      ['2024-01-01T00:00:00.000000', '2024-01-01T16:39:00.000000'],
    );
  });

  it('profiles the UCI Adult file (no header, ", " separators)', { skip: adultSkip }, async () => {
    const p = await profileTable(ADULT, 'csv');
    assert.equal(p.rows, 32561);
    assert.equal(p.columns.length, 15);
    assert.deepEqual(
      p.columns.filter((c) => c.type === 'BIGINT').map((c) => c.name),
      ['column00', 'column02', 'column04', 'column10', 'column11', 'column12'],
    );
    for (const c of p.columns) assert.equal(c.nulls, 0, c.name);
  });

  it('rejects a file DuckDB cannot parse with INVALID_ARGUMENT naming the file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'garbage.parquet');
    await writeFile(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    await assert.rejects(profileTable(path, 'parquet'), (err: Record<string, unknown>) => {
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(String(err.message), /garbage\.parquet/);
      assert.match(String(err.message), /Parquet|magic/i);
      assert.ok(err.hint);
      return true;
    });
  });

  it('reports a missing file as NOT_FOUND', async () => {
    const dir = await tempDir();
    await assert.rejects(profileTable(join(dir, 'nope.csv'), 'csv'), { code: 'NOT_FOUND' });
  });
});

describe('ProfileStore on SQLite', () => {
  it('stores profiles by digest and replaces them on put', async () => {
    const uri = `sqlite://${join(await tempDir(), 'meta.db')}`;
    const digest = sha256('some,csv\n1,2\n');
    const first: DataProfile = {
      format: 'csv',
      rows: 1,
      columns: [{ name: 'some', type: 'BIGINT', nulls: 0, distinct: 1, min: 1, max: 1, mean: 1 }],
      profiledAt: '2025-01-01T00:00:00.000Z',
    };
    const second: DataProfile = {
      ...first,
      columns: [
        {
          name: 'some',
          type: 'VARCHAR',
          nulls: 0,
          distinct: 1,
          min: 'é',
          max: 'é',
          top: [{ value: 'é', count: 1 }],
        },
      ],
    };
    const store = await openMetadataStore(uri, PROFILE_MIGRATIONS);
    try {
      const profiles = new ProfileStore(store);
      assert.equal(await profiles.get(digest), undefined);
      await profiles.put(digest, first);
      assert.deepEqual(await profiles.get(digest), first);
      await profiles.put(digest, second);
      assert.deepEqual(await profiles.get(digest), second);
      const rows = await store.all<{ format: string; rows: number }>(
        'SELECT format, rows FROM data_profiles',
      );
      assert.deepEqual(
        rows.map((r) => [r.format, Number(r.rows)]),
        [['csv', 1]],
      );
    } finally {
      await store.close();
    }
    const reopened = await openMetadataStore(uri, PROFILE_MIGRATIONS);
    try {
      assert.deepEqual(await new ProfileStore(reopened).get(digest), second);
    } finally {
      await reopened.close();
    }
  });
});

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PandasColumn {
  name: string;
  numeric: boolean;
  nulls: number;
  nunique: number;
  min: number | string | null;
  max: number | string | null;
  mean?: number | null;
  std?: number | null;
  top?: [string, number][];
}

function pandasProfile(
  python: string,
  path: string,
  args: string[] = [],
): { rows: number; columns: PandasColumn[] } {
  const out = execFileSync(python, [PANDAS_SCRIPT, path, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DOUBLE|FLOAT|DECIMAL)/;

function assertMatchesPandas(ours: DataProfile, ref: { rows: number; columns: PandasColumn[] }): void {
  assert.equal(ours.rows, ref.rows);
  assert.equal(ours.columns.length, ref.columns.length);
  ours.columns.forEach((c, i) => {
    const r = ref.columns[i] as PandasColumn;
    const where = `column ${c.name} (${c.type})`;
    assert.equal(NUMERIC.test(c.type), r.numeric, `${where}: numeric on one side only`);
    assert.equal(c.nulls, r.nulls, `${where} nulls`);
    assert.equal(c.distinct, r.nunique, `${where} distinct`);
    if (r.numeric) {
      for (const stat of ['min', 'max', 'mean', 'std'] as const)
        assertClose(c[stat], r[stat], `${where} ${stat}`);
    } else {
      assert.equal(c.min, r.min ?? undefined, `${where} min`);
      assert.equal(c.max, r.max ?? undefined, `${where} max`);
      assert.deepEqual(
        c.top,
        r.top?.map(([value, count]) => ({ value, count })),
        `${where} top`,
      );
    }
  });
}

const python = pythonGate();

describe('profileTable against pandas', { skip: python.skip }, () => {
  it('matches pandas on random numbers with nulls and strings', async () => {
    const next = random(20240611);
    const cities = ['Oslo', 'Lima', 'Zürich', 'Ames, IA', 'Pune', 'Kyiv', 'Accra', 'Quito'];
    const lines = ['id,qty,price,noise,city,word'];
    for (let i = 0; i < 4000; i++) {
      const qty = next() < 0.1 ? '' : String(Math.floor(next() * 1000));
      const price = next() < 0.05 ? '' : String((next() - 0.3) * 1e4);
      const noise = next() < 0.02 ? '' : String(Math.log(next() + 1e-12) * 1e-6);
      // Squaring skews the frequencies so the top values are distinct by count, mostly.
      const city = next() < 0.03 ? '' : (cities[Math.floor(next() ** 2 * cities.length)] as string);
      const word = Array.from({ length: 2 }, () => String.fromCharCode(97 + Math.floor(next() * 8))).join('');
      lines.push([i, qty, price, noise, city.includes(',') ? `"${city}"` : city, word].join(','));
    }
    const path = join(await tempDir(), 'random.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const ours = await profileTable(path, 'csv');
    assert.deepEqual(
      ours.columns.map((c) => c.type),
      ['BIGINT', 'BIGINT', 'DOUBLE', 'DOUBLE', 'VARCHAR', 'VARCHAR'],
    );
    assertMatchesPandas(ours, pandasProfile(python.value as string, path));
  });

  // DuckDB reads adult.data with "," as the separator and keeps the space after it, and `?` (a
  // missing value in this data set) is an ordinary string to it. pandas is configured the same way
  // (plain ",", only empty fields missing) rather than with skipinitialspace / na_values='?', so
  // every column, text included, can be compared value for value.
  it('matches pandas on UCI Adult', { skip: adultSkip }, async () => {
    const ours = await profileTable(ADULT, 'csv');
    assertMatchesPandas(ours, pandasProfile(python.value as string, ADULT, ['--no-header']));
  });
});

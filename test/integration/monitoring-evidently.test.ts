/**
 * Cairn's drift verdicts against Evidently's own DataDriftPreset on the same Parquet files: the
 * test chosen per column, its threshold, its score (to 1e-9) and its verdict, and the number and
 * share of drifted columns. All scenarios go to one Python process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { type DriftOptions, detectDrift } from '../../src/monitoring/drift/detect-drift.ts';
import type { DriftMethodName } from '../../src/monitoring/drift/drift-methods.ts';
import { summarizeTable } from '../../src/monitoring/drift/table-summary.ts';
import { readColumns } from '../../src/monitoring/read-columns.ts';
import { seeded } from '../support/random.ts';
import { evidentlyGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { type TableData, writeParquet } from '../support/write-table.ts';

const SCRIPT = resolve(import.meta.dirname, '../python/evidently_drift.py');
const gate = evidentlyGate();

/** Evidently's display names of its tests. */
const DISPLAY: Record<string, DriftMethodName> = {
  'K-S p_value': 'ks',
  'chi-square p_value': 'chisquare',
  'Z-test p_value': 'z',
  'Wasserstein distance (normed)': 'wasserstein',
  'Jensen-Shannon distance': 'jensenshannon',
  PSI: 'psi',
  'Kullback-Leibler divergence': 'kl_div',
  'Hellinger distance': 'hellinger',
};

interface Scenario {
  name: string;
  reference: TableData;
  current: TableData;
  preset?: Record<string, unknown>;
  options?: DriftOptions;
}

interface EvidentlyResult {
  columns: Record<string, { method: string; threshold: number; score: number | null; drifted: boolean }>;
  count: number;
  share: number;
}

/** Columns of a frame; `shift` plants drift in the columns whose names end in `_drift`. */
function frame(seed: number, rows: number, shift: number, missing = 0): TableData {
  const r = seeded(seed);
  const maybe = <T>(v: T): T | null => (missing > 0 && r.next() < missing ? null : v);
  const col = <T>(f: () => T) => Array.from({ length: rows }, f);
  return {
    types: {
      n_norm: 'DOUBLE',
      n_drift: 'DOUBLE',
      n_int: 'BIGINT',
      n_int_missing: 'BIGINT',
      n_disc: 'DOUBLE',
      n_few: 'BIGINT',
      n_two: 'BIGINT',
      c_multi: 'VARCHAR',
      c_drift: 'VARCHAR',
      c_two: 'VARCHAR',
      c_missing: 'VARCHAR',
    },
    columns: {
      n_norm: col(() => r.normal() * 3 + 10),
      n_drift: col(() => r.normal() + shift),
      n_int: col(() => Math.floor(r.next() * 61)),
      n_int_missing: col(() => maybe(Math.floor(r.next() * 200) - 50)),
      n_disc: col(() => Math.round(r.normal() * 4) / 2),
      n_few: col(() => r.pick([0, 1, 2, 3], shift > 0 ? [1, 1, 1, 2] : [1, 1, 1, 1])),
      n_two: col(() => (r.bernoulli(0.3) ? 1 : 0)),
      c_multi: col(() => r.pick(['a', 'b', 'c', 'd', 'e', 'f'])),
      c_drift: col(() => r.pick(['north', 'south', 'east', 'west'], shift > 0 ? [4, 2, 2, 1] : [3, 3, 2, 2])),
      c_two: col(() => r.pick(['no', 'yes'], [7, 3])),
      c_missing: col(() => maybe(r.pick(['x', 'y', 'z', shift > 0 && r.next() < 0.02 ? 'new' : 'x']))),
    },
  };
}

const NUMERIC = ['n_norm', 'n_drift', 'n_int', 'n_int_missing', 'n_disc', 'n_few', 'n_two'];
const CATEGORICAL = ['c_multi', 'c_drift', 'c_two', 'c_missing'];

const SCENARIOS: Scenario[] = [
  // Reference ≤ 1,000 rows: KS (exact), chi-square and z-tests with p-values.
  { name: 'small', reference: frame(1, 800, 0, 0.05), current: frame(2, 600, 0.35, 0.1) },
  { name: 'small-no-drift', reference: frame(3, 1000, 0), current: frame(4, 900, 0) },
  // KS with a current window above 10,000 rows: the asymptotic distribution.
  { name: 'small-vs-large', reference: frame(5, 700, 0), current: frame(6, 12_000, 0.08) },
  // Reference > 1,000 rows: normed Wasserstein and Jensen–Shannon distances.
  { name: 'large', reference: frame(7, 5000, 0, 0.02), current: frame(8, 3000, 0.3, 0.04) },
  {
    name: 'overrides',
    reference: frame(9, 3000, 0, 0.03),
    current: frame(10, 2500, 0.2, 0.03),
    preset: {
      num_method: 'jensenshannon',
      cat_method: 'psi',
      per_column_method: {
        n_norm: 'psi',
        n_int: 'hellinger',
        n_int_missing: 'kl_div',
        n_disc: 'ks',
        c_multi: 'hellinger',
        c_two: 'kl_div',
        n_two: 'hellinger',
      },
      per_column_threshold: { n_norm: 0.05, c_drift: 0.01 },
      num_threshold: 0.08,
      drift_share: 0.3,
    },
    options: {
      numericMethod: 'jensenshannon',
      categoricalMethod: 'psi',
      perColumn: {
        n_norm: { method: 'psi', threshold: 0.05 },
        n_int: { method: 'hellinger' },
        n_int_missing: { method: 'kl_div' },
        n_disc: { method: 'ks' },
        c_multi: { method: 'hellinger' },
        c_two: { method: 'kl_div' },
        n_two: { method: 'hellinger' },
        c_drift: { threshold: 0.01 },
      },
      numericThreshold: 0.08,
      driftShare: 0.3,
    },
  },
  {
    name: 'all-one-test',
    reference: frame(11, 1500, 0),
    current: frame(12, 1400, 0.1),
    preset: { method: 'hellinger', threshold: 0.05 },
    options: { method: 'hellinger', threshold: 0.05 },
  },
  {
    name: 'chisquare-and-z-on-large',
    reference: frame(13, 2000, 0),
    current: frame(14, 1800, 0.25),
    preset: { cat_method: 'chisquare', per_column_method: { c_two: 'z' } },
    options: { categoricalMethod: 'chisquare', perColumn: { c_two: { method: 'z' } } },
  },
];

function assertClose(actual: number, expected: number | null, where: string): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${where}: expected NaN, got ${actual}`);
    return;
  }
  const tolerance = Math.max(1e-9 * Math.abs(expected), 1e-15);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: Cairn ${actual}, Evidently ${expected}`);
}

describe('drift verdicts against Evidently DataDriftPreset', { skip: gate.skip }, () => {
  let dir: string;
  let evidently: Record<string, EvidentlyResult>;

  before(async () => {
    dir = await tempDir();
    const input = [];
    for (const s of SCENARIOS) {
      const reference = join(dir, `${s.name}-reference.parquet`);
      const current = join(dir, `${s.name}-current.parquet`);
      await writeParquet(reference, s.reference);
      await writeParquet(current, s.current);
      input.push({
        name: s.name,
        reference,
        current,
        numerical: NUMERIC,
        categorical: CATEGORICAL,
        preset: s.preset ?? {},
      });
    }
    const inputPath = join(dir, 'scenarios.json');
    await writeFile(inputPath, JSON.stringify(input));
    evidently = JSON.parse(
      execFileSync(gate.value as string, [SCRIPT, inputPath], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    ) as Record<string, EvidentlyResult>;
  });

  for (const s of SCENARIOS)
    it(`matches Evidently per column and for the data set: ${s.name}`, async () => {
      const kinds = Object.fromEntries(CATEGORICAL.map((c) => [c, 'categorical' as const]));
      const reference = await readColumns(join(dir, `${s.name}-reference.parquet`), { kinds });
      const current = await readColumns(join(dir, `${s.name}-current.parquet`), { kinds });
      const report = detectDrift(
        summarizeTable(reference),
        summarizeTable(current, { maxSamplePoints: Infinity }),
        s.options,
      );
      const theirs = evidently[s.name] as EvidentlyResult;
      assert.deepEqual(report.columns.map((c) => c.column).sort(), Object.keys(theirs.columns).sort());
      for (const ours of report.columns) {
        const their = theirs.columns[ours.column];
        assert.ok(their, ours.column);
        const where = `${s.name}/${ours.column}`;
        assert.equal(ours.method, DISPLAY[their.method] ?? their.method, `${where}: test`);
        assert.equal(ours.threshold, their.threshold, `${where}: threshold`);
        assertClose(ours.score, their.score, `${where}: ${ours.method} score`);
        assert.equal(ours.drifted, their.drifted, `${where}: verdict at score ${ours.score}`);
        assert.equal(ours.exact, true, where);
      }
      assert.equal(report.driftedColumns, theirs.count, `${s.name}: drifted columns`);
      assertClose(report.share, theirs.share, `${s.name}: share`);
      assert.equal(report.datasetDrift, theirs.share >= (s.options?.driftShare ?? 0.5));
    });

  it('covers every test, both verdicts and both data-set outcomes', () => {
    const all = Object.values(evidently).flatMap((r) => Object.values(r.columns));
    assert.deepEqual(new Set(all.map((c) => DISPLAY[c.method] ?? c.method)), new Set(Object.values(DISPLAY)));
    assert.ok(all.some((c) => c.drifted) && all.some((c) => !c.drifted));
    const shares = SCENARIOS.map(
      (s) => (evidently[s.name] as EvidentlyResult).share >= (s.options?.driftShare ?? 0.5),
    );
    assert.ok(shares.includes(true) && shares.includes(false), `data-set drift per scenario: ${shares}`);
  });
});

/**
 * Drift detection as a user of the monitoring layer sees it: planted drift is found, data with no
 * drift raises false alarms at about alpha, a stored reference summary answers exactly like the
 * raw reference, and bad input is refused with one clear message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ColumnTable, categoricalColumn, numericColumn } from '../../src/monitoring/columns.ts';
import { summarizeColumn } from '../../src/monitoring/drift/column-summary.ts';
import { compareColumn, detectDrift } from '../../src/monitoring/drift/detect-drift.ts';
import { parseSummary, serializeSummary, summarizeTable } from '../../src/monitoring/drift/table-summary.ts';
import { wassersteinDistance } from '../../src/monitoring/stats/distances.ts';
import { compress, compressionBounds, empiricalOf } from '../../src/monitoring/stats/empirical.ts';
import { ksStatistic } from '../../src/monitoring/stats/ks-two-sample.ts';
import { type Random, seeded } from '../support/random.ts';

const ALPHA = 0.05;

function table(r: Random, rows: number, shift: number): ColumnTable {
  const num = (f: () => number) => Array.from({ length: rows }, f);
  return {
    rows,
    columns: [
      numericColumn(
        'income',
        num(() => 50 + 10 * (r.normal() + shift)),
      ),
      numericColumn(
        'age',
        num(() => Math.floor(18 + r.next() * 60 + shift * 8)),
        { integer: true },
      ),
      numericColumn(
        'children',
        num(() => r.pick([0, 1, 2, 3], shift > 0 ? [1, 1, 2, 2] : [3, 3, 2, 1])),
      ),
      categoricalColumn(
        'city',
        num(() => 0).map(() =>
          r.pick(['Oslo', 'Lima', 'Pune', 'Kyiv', 'Accra'], shift > 0 ? [4, 1, 1, 1, 1] : [1, 1, 1, 1, 1]),
        ),
      ),
      categoricalColumn(
        'member',
        num(() => 0).map(() => (r.bernoulli(shift > 0 ? 0.5 : 0.3) ? 'yes' : 'no')),
      ),
    ],
  };
}

function band(p: number, n: number): [number, number] {
  const sd = Math.sqrt((p * (1 - p)) / n);
  return [p - 3 * sd, p + 3 * sd];
}

describe('drift detection', () => {
  // Evidently's chi-square takes the reference shares as exact, so it is calibrated when the window
  // is small next to the reference (its statistic grows by about 1 + window/reference otherwise).
  it('raises false alarms at about alpha per p-value test when nothing drifted (small reference)', () => {
    const seeds = 300;
    const alarms: Record<string, number> = {};
    const methods = new Set<string>();
    for (let s = 0; s < seeds; s++) {
      const r = seeded(100 + s);
      const report = detectDrift(summarizeTable(table(r, 1000, 0)), summarizeTable(table(r, 50, 0)));
      for (const c of report.columns) {
        methods.add(`${c.column}:${c.method}`);
        alarms[c.column] = (alarms[c.column] ?? 0) + (c.drifted ? 1 : 0);
      }
    }
    assert.deepEqual([...methods].sort(), [
      'age:ks',
      'children:chisquare',
      'city:chisquare',
      'income:ks',
      'member:z',
    ]);
    const [, high] = band(ALPHA, seeds);
    for (const [column, count] of Object.entries(alarms)) {
      // KS on ties (age) is conservative, so only the upper side binds for it.
      const low = column === 'age' ? 0 : band(ALPHA, seeds)[0];
      assert.ok(
        count / seeds >= low && count / seeds <= high,
        `${column}: false-alarm rate ${count / seeds}`,
      );
    }
  });

  it('raises no false alarms with distance tests on a large reference, and finds planted drift', () => {
    let falseAlarms = 0;
    let datasetAlarms = 0;
    let found = 0;
    const seeds = 30;
    for (let s = 0; s < seeds; s++) {
      const r = seeded(700 + s);
      const reference = summarizeTable(table(r, 4000, 0));
      const calm = detectDrift(reference, summarizeTable(table(r, 3000, 0)));
      falseAlarms += calm.driftedColumns;
      datasetAlarms += calm.datasetDrift ? 1 : 0;
      const drifted = detectDrift(reference, summarizeTable(table(r, 3000, 0.5)));
      assert.deepEqual(
        drifted.columns.map((c) => c.method),
        ['wasserstein', 'wasserstein', 'jensenshannon', 'jensenshannon', 'jensenshannon'],
      );
      if (drifted.datasetDrift && drifted.columns.every((c) => c.drifted)) found++;
    }
    assert.equal(falseAlarms, 0);
    assert.equal(datasetAlarms, 0);
    assert.equal(found, seeds);
  });

  it('reports missing, new-category and out-of-range rates, and prediction drift apart', () => {
    const reference: ColumnTable = {
      rows: 4,
      columns: [
        numericColumn('x', [1, 2, 3, null]),
        categoricalColumn('c', ['a', 'b', null, 'a']),
        numericColumn('score', [0.1, 0.2, 0.3, 0.4]),
      ],
    };
    const current: ColumnTable = {
      rows: 5,
      columns: [
        numericColumn('x', [0, 2, 5, Number.POSITIVE_INFINITY, null]),
        categoricalColumn('c', ['a', 'z', 'z', null, null]),
        numericColumn('score', [0.9, 0.8, 0.7, 0.9, 0.95]),
      ],
    };
    const report = detectDrift(summarizeTable(reference), summarizeTable(current), {
      predictionColumn: 'score',
    });
    const x = report.columns.find((c) => c.column === 'x');
    assert.deepEqual(x?.quality, {
      referenceMissingRate: 0.25,
      currentMissingRate: 0.4,
      outOfRangeRate: 2 / 3,
    });
    const c = report.columns.find((c) => c.column === 'c');
    assert.deepEqual(c?.quality, {
      referenceMissingRate: 0.25,
      currentMissingRate: 0.4,
      newCategoryRate: 2 / 3,
    });
    assert.equal(report.prediction?.column, 'score');
    assert.equal(report.prediction?.drifted, true);
    assert.equal(report.testedColumns, 2);
  });

  it('skips a column without values instead of failing, and leaves it out of the share', () => {
    const reference = summarizeTable({
      rows: 3,
      columns: [numericColumn('x', [1, 2, 3]), numericColumn('y', [1, 2, 3])],
    });
    const current = summarizeTable({
      rows: 2,
      columns: [numericColumn('x', [null, null]), numericColumn('y', [7, 8])],
    });
    const report = detectDrift(reference, current);
    assert.equal(report.columns[0]?.skipped, 'the current data has no values');
    assert.ok(Number.isNaN(report.columns[0]?.score));
    assert.equal(report.testedColumns, 1);
    assert.equal(report.share, 1);
  });

  it('refuses bad input with one message naming the column or setting', () => {
    const reference = summarizeTable({
      rows: 2,
      columns: [numericColumn('x', [1, 2]), categoricalColumn('c', ['a', 'b'])],
    });
    const current = summarizeTable({ rows: 2, columns: [numericColumn('x', [1, 2])] });
    assert.throws(() => detectDrift(reference, current), {
      code: 'INVALID_ARGUMENT',
      message: /column c of the reference is missing from the current data/,
    });
    const both = summarizeTable({
      rows: 2,
      columns: [numericColumn('x', [1, 2]), categoricalColumn('c', ['a', 'b'])],
    });
    assert.throws(() => detectDrift(reference, both, { perColumn: { x: { method: 'bogus' as 'ks' } } }), {
      code: 'INVALID_ARGUMENT',
      message: /perColumn\.x\.method: unknown drift test "bogus"/,
    });
    assert.throws(() => detectDrift(reference, both, { perColumn: { c: { method: 'ks' } } }), {
      code: 'INVALID_ARGUMENT',
      message: /drift test ks does not apply to categorical column c/,
    });
    assert.throws(() => detectDrift(reference, both, { driftShare: -1 }), {
      code: 'INVALID_ARGUMENT',
      message: /driftShare/,
    });
    const swapped = summarizeTable({
      rows: 2,
      columns: [categoricalColumn('x', ['1', '2']), categoricalColumn('c', ['a', 'b'])],
    });
    assert.throws(() => detectDrift(reference, swapped), {
      code: 'INVALID_ARGUMENT',
      message: /column x is numeric in the reference but categorical/,
    });
    assert.throws(() => summarizeTable({ rows: 0, columns: [] }, { maxSamplePoints: 1 }), {
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('stored reference summaries', () => {
  it('survive JSON bit for bit and give the same drift report as the raw reference', () => {
    const r = seeded(42);
    const reference = summarizeTable(table(r, 3000, 0));
    const current = summarizeTable(table(r, 2000, 0.2), { maxSamplePoints: Infinity });
    const stored = parseSummary(serializeSummary(reference));
    assert.deepEqual(stored, reference);
    for (const method of ['wasserstein', 'jensenshannon', 'psi', 'kl_div', 'hellinger'] as const)
      assert.deepEqual(
        detectDrift(stored, current, { numericMethod: method }),
        detectDrift(reference, current, { numericMethod: method }),
      );
    const small = summarizeTable(table(r, 500, 0));
    assert.deepEqual(
      detectDrift(parseSummary(serializeSummary(small)), current),
      detectDrift(small, current),
    );
  });

  it('keep exact samples up to the bound and blocks of nearby values above it, within the documented error', () => {
    const r = seeded(7);
    const values = Float64Array.from({ length: 50_000 }, () => r.normal());
    const column = numericColumn('v', values);
    const bounded = summarizeColumn(column, { maxSamplePoints: 1000 });
    const full = summarizeColumn(column, { maxSamplePoints: Infinity });
    assert.ok(bounded.kind === 'numeric' && full.kind === 'numeric');
    assert.equal(bounded.exact, false);
    assert.equal(full.exact, true);
    assert.ok(bounded.sample.values.length <= 1000);
    assert.equal(bounded.sample.total, 50_000);
    const bounds = compressionBounds(1000);
    // Moments, quantiles and histograms come from all values, not from the bounded sample.
    assert.deepEqual(
      [bounded.mean, bounded.std, bounded.quantiles, bounded.histogram],
      [full.mean, full.std, full.quantiles, full.histogram],
    );
    const range = full.max - full.min;
    assert.ok(wassersteinDistance(bounded.sample, full.sample) <= bounds.wasserstein * range);
    assert.ok(ksStatistic(bounded.sample, full.sample) < bounds.cdf);
    const current = summarizeColumn(
      numericColumn(
        'v',
        Float64Array.from({ length: 5000 }, () => r.normal() + 0.05),
      ),
      { maxSamplePoints: Infinity },
    );
    const approx = compareColumn(bounded, current);
    const exact = compareColumn(full, current);
    assert.equal(approx.method, 'wasserstein');
    assert.equal(approx.exact, false);
    assert.ok(
      Math.abs(approx.score - exact.score) <= range / 1000 / full.std,
      `${approx.score} vs ${exact.score}`,
    );
    const small = compress(empiricalOf(Float64Array.from([3, 1, 2, 2])), 10);
    assert.deepEqual(
      [Array.from(small.values), Array.from(small.counts)],
      [
        [1, 2, 3],
        [1, 2, 1],
      ],
    );
  });

  it('refuses a document that is not a stored summary', () => {
    assert.throws(() => parseSummary('{"version": 2, "columns": []}'), {
      code: 'INVALID_ARGUMENT',
      message: /format version 2/,
    });
    assert.throws(
      () => parseSummary('{"version": 1, "rows": 1, "columns": [{"kind": "numeric", "name": "x"}]}'),
      {
        code: 'INVALID_ARGUMENT',
        message: /columns\[0\]\.sample/,
      },
    );
    assert.throws(() => parseSummary('not json'), { code: 'INVALID_ARGUMENT' });
  });
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Metric, MetricWithRunId } from '../../../src/tracking/tracking-types.ts';
import { rejectsWith, type TrackingContext } from './support.ts';

/**
 * What MLflow's SQL store returns for a sampled history (sqlalchemy_store.py,
 * _sample_rows_with_window_functions), written from its definition: NTILE(k) over the values
 * ordered by step, timestamp, value splits n values into k buckets whose first n mod k hold one
 * value more; the first value of each bucket is kept, then the last value is appended, or
 * replaces the last sample when there are already k.
 */
function expectedSample(values: readonly Metric[], k: number): Metric[] {
  const sorted = [...values].sort(
    (a, b) => a.step - b.step || a.timestamp - b.timestamp || a.value - b.value,
  );
  const n = sorted.length;
  if (n === 0) return [];
  const buckets = Math.min(k, n);
  const size = Math.floor(n / buckets);
  const larger = n % buckets;
  const picked: Metric[] = [];
  for (let b = 0; b < buckets; b++) picked.push(sorted[b * size + Math.min(b, larger)] as Metric);
  const last = sorted[n - 1] as Metric;
  if (picked.at(-1) !== last) {
    if (picked.length >= k) picked[picked.length - 1] = last;
    else picked.push(last);
  }
  return picked;
}

const shape = (ms: readonly (Metric | MetricWithRunId)[]) =>
  ms.map((m) => [m.step, m.timestamp, m.value] as const);

export function historyCases(ctx: TrackingContext): void {
  const newRuns = async (label: string, count: number) => {
    const experimentId = await ctx.store.createExperiment(ctx.name(label));
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push((await ctx.store.createRun({ experiment_id: experimentId })).info.run_id);
    return ids;
  };
  /** A history with repeated steps and timestamps out of order, as real training loops log. */
  const history = (n: number, seed: number): Metric[] =>
    Array.from({ length: n }, (_, i) => ({
      key: 'loss',
      value: Math.round(((seed * 7919 + i * 104729) % 1000) / 10) / 10,
      timestamp: 1_000_000 + ((i * 11 + seed) % n) * 10,
      step: Math.floor(i / 3),
    }));

  it('reads the histories of several runs at once, by run id then time, capped in all', async () => {
    const [a, b] = (await newRuns('bulk', 2)) as [string, string];
    await ctx.store.logBatch(a, { metrics: history(7, 1) });
    await ctx.store.logBatch(b, {
      metrics: [...history(5, 2), { key: 'acc', value: 1, timestamp: 1, step: 0 }],
    });
    const all = await ctx.store.getMetricHistoryBulk([b, a, 'no-such-run'], 'loss');
    const byRun = (id: string, values: Metric[]) =>
      [...values]
        .sort((x, y) => x.timestamp - y.timestamp || x.step - y.step || x.value - y.value)
        .map((m) => [id, m.timestamp, m.step, m.value]);
    const expected = [...byRun(a, history(7, 1)), ...byRun(b, history(5, 2))].sort((x, y) =>
      String(x[0]) < String(y[0]) ? -1 : String(x[0]) > String(y[0]) ? 1 : 0,
    );
    assert.deepEqual(
      all.map((m) => [m.run_id, m.timestamp, m.step, m.value]),
      expected,
    );
    assert.ok(all.every((m) => m.key === 'loss'));
    assert.deepEqual(
      (await ctx.store.getMetricHistoryBulk([a, b], 'loss', 4)).map((m) => [m.run_id, m.timestamp]),
      expected.slice(0, 4).map((e) => [e[0], e[1]]),
    );
    await rejectsWith(ctx.store.getMetricHistoryBulk([], 'loss'), 'INVALID_ARGUMENT', /at least one run_id/);
    await rejectsWith(
      ctx.store.getMetricHistoryBulk(
        Array.from({ length: 101 }, (_, i) => `r${i}`),
        'loss',
      ),
      'INVALID_ARGUMENT',
      /more than 100 run_ids\. Received 101/,
    );
  });

  it('samples each run evenly for charts, keeping its last value, as MLflow does', async () => {
    const [a, b, empty] = (await newRuns('sample', 3)) as [string, string, string];
    const valuesA = history(37, 3);
    const valuesB = history(4, 4);
    await ctx.store.logBatch(a, { metrics: valuesA });
    await ctx.store.logBatch(b, { metrics: valuesB });
    const sample = await ctx.store.getMetricHistoryBulkInterval([b, a, empty], 'loss', { max_results: 10 });
    assert.deepEqual(
      sample.map((m) => m.run_id),
      [...Array(4).fill(b), ...Array(10).fill(a)],
      'runs in the order asked; a run with fewer values than asked gives them all',
    );
    assert.deepEqual(shape(sample.filter((m) => m.run_id === a)), shape(expectedSample(valuesA, 10)));
    assert.deepEqual(shape(sample.filter((m) => m.run_id === b)), shape(expectedSample(valuesB, 10)));
    assert.deepEqual(
      shape(await ctx.store.getMetricHistoryBulkInterval([a], 'loss', { max_results: 1 })),
      shape(expectedSample(valuesA, 1)),
      'one value: the last',
    );
    const inRange = valuesA.filter((m) => m.step >= 2 && m.step <= 8);
    assert.deepEqual(
      shape(
        await ctx.store.getMetricHistoryBulkInterval([a], 'loss', {
          max_results: 6,
          start_step: 2,
          end_step: 8,
        }),
      ),
      shape(expectedSample(inRange, 6)),
    );
    assert.equal(
      (await ctx.store.getMetricHistoryBulkInterval([a], 'loss')).length,
      37,
      'by default up to 2,500 values per run',
    );
  });

  it("refuses sampled reads outside MLflow's limits", async () => {
    const [a] = (await newRuns('sample-limits', 1)) as [string];
    await rejectsWith(ctx.store.getMetricHistoryBulkInterval([], 'loss'), 'INVALID_ARGUMENT', /'run_ids'/);
    await rejectsWith(
      ctx.store.getMetricHistoryBulkInterval(
        Array.from({ length: 101 }, () => a),
        'loss',
      ),
      'INVALID_ARGUMENT',
      /at most 100 run_ids\. Received 101 run_ids/,
    );
    for (const max_results of [0, 2501])
      await rejectsWith(
        ctx.store.getMetricHistoryBulkInterval([a], 'loss', { max_results }),
        'INVALID_ARGUMENT',
        /max_results must be between 1 and 2500/,
      );
    await rejectsWith(
      ctx.store.getMetricHistoryBulkInterval([a], 'loss', { start_step: 1 }),
      'INVALID_ARGUMENT',
      /both must be specified/,
    );
    await rejectsWith(
      ctx.store.getMetricHistoryBulkInterval([a], 'loss', { start_step: 5, end_step: 1 }),
      'INVALID_ARGUMENT',
      /start_step=5 and end_step=1/,
    );
  });
}

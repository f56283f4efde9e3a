import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import type { Metric } from '../../src/tracking/tracking-types.ts';
import type { MetricSeriesSet, TrackingViews } from '../../src/tracking/tracking-views.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate, pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const T0 = 1_700_000_000_000;
const SPIKE_STEP = 12_345;

/** A long history with what charts must not lose: a spike, NaN, ±Infinity, several values at one step. */
function history(): Metric[] {
  const points: Metric[] = [];
  for (let step = 0; step < 20_000; step++) {
    let value = Math.sin(step / 300) + ((step * 7919) % 101) / 1000;
    if (step === SPIKE_STEP) value = 1000;
    if (step % 997 === 0) value = Number.NaN;
    if (step === 4242) value = Number.POSITIVE_INFINITY;
    if (step === 4243) value = Number.NEGATIVE_INFINITY;
    points.push({ key: 'loss', value, step, timestamp: T0 + step * 10 });
  }
  // Two more values at step 500, logged later; and a run of NaN filling a whole bucket.
  points.push({ key: 'loss', value: -3, step: 500, timestamp: T0 + 500 * 10 + 1 });
  points.push({ key: 'loss', value: 7, step: 500, timestamp: T0 + 500 * 10 + 2 });
  return points;
}

const pythonValue = (v: number): number | string =>
  Number.isNaN(v)
    ? 'NaN'
    : v === Number.POSITIVE_INFINITY
      ? 'Infinity'
      : v === Number.NEGATIVE_INFINITY
        ? '-Infinity'
        : v;

interface Case {
  label: string;
  runs: string[];
  x: 'step' | 'timestamp';
  buckets: number;
  from?: number;
  to?: number;
}

function backends(): { name: string; skip: string | false; open: () => Promise<MetadataStore> }[] {
  const pg = pgGate();
  return [
    {
      name: 'SQLite',
      skip: false,
      open: async () => openMetadataStore(`sqlite://${join(await tempDir('cairn-views-'), 'cairn.db')}`),
    },
    {
      name: 'PostgreSQL',
      skip: pg.skip,
      open: async () => openMetadataStore(await freshDatabase(pg.value as string, 'cairn_views')),
    },
  ];
}

const python = pythonGate();

for (const backend of backends())
  describe(`tracking views on ${backend.name}`, { skip: backend.skip }, () => {
    let metadata: MetadataStore;
    let store: SqlTrackingStore;
    let views: TrackingViews;
    const runs: Record<string, string> = {};
    const points: Record<string, Metric[]> = {};
    let experiment = '';

    before(async () => {
      metadata = await backend.open();
      store = new SqlTrackingStore(metadata, { defaultArtifactRoot: 'mlflow-artifacts:' });
      views = store.views;
      experiment = await store.createExperiment('views');
      for (const name of ['long', 'short', 'other'])
        runs[name] = (
          await store.createRun({ experiment_id: experiment, run_name: name, start_time: T0 })
        ).info.run_id;
      points.long = history();
      points.short = Array.from({ length: 5000 }, (_, i) => ({
        key: 'loss',
        value: (5000 + i) / 1000,
        step: 5000 + i,
        timestamp: T0 + 100_000 + i * 10,
      }));
      points.other = [{ key: 'acc', value: 0.5, step: 0, timestamp: T0 }];
      for (const name of ['long', 'short', 'other'] as const) {
        const list = points[name] as Metric[];
        for (let i = 0; i < list.length; i += 1000)
          await store.logBatch(runs[name] as string, { metrics: list.slice(i, i + 1000) });
      }
      // Thirty runs for the runs table: params, metrics and tags that filters and sorts can use.
      for (let i = 0; i < 30; i++) {
        const run = await store.createRun({
          experiment_id: experiment,
          run_name: `grid-${i}`,
          start_time: T0 + i,
        });
        await store.logBatch(run.info.run_id, {
          params: [
            { key: 'lr', value: String([0.1, 0.01, 0.001][i % 3]) },
            { key: 'depth', value: String(i % 5) },
          ],
          metrics: [
            { key: 'auc', value: 0.5 + i / 100, step: 0, timestamp: T0 },
            { key: 'rmse', value: 30 - i, step: 0, timestamp: T0 },
          ],
          tags: [{ key: 'team', value: i % 2 === 0 ? 'red' : 'blue' }],
        });
      }
    });
    after(async () => metadata?.close());

    it('keeps a spike that one bucket of 67 steps holds, and puts every point in exactly one bucket', async () => {
      const set = await views.metricSeries({ runIds: [runs.long as string], key: 'loss', buckets: 300 });
      assert.deepEqual([set.from, set.to, set.width], [0, 19_999, 67]);
      const [series] = set.series;
      assert.ok(series);
      assert.equal(series.x.length, 299);
      const spikeBucket = series.x.indexOf(Math.floor(SPIKE_STEP / 67) * 67);
      assert.equal(series.max[spikeBucket], 1000);
      assert.equal(
        series.count.reduce((a, b) => a + b, 0),
        points.long?.length,
      );
      assert.equal(Math.max(...series.max.filter((v) => !Number.isNaN(v))), Number.POSITIVE_INFINITY);
    });

    it('lines the runs up on one range and one bucket width; a run without the metric has no buckets', async () => {
      const set = await views.metricSeries({
        runIds: [runs.long as string, runs.short as string, runs.other as string],
        key: 'loss',
        buckets: 100,
      });
      assert.deepEqual([set.from, set.to, set.width], [0, 19_999, 200]);
      const [long, short, other] = set.series;
      assert.equal(long?.x[25], 5000);
      assert.equal(short?.x[0], 5000, "the short run's first bucket is the long run's 26th");
      assert.deepEqual(other?.x, []);
      const none = await views.metricSeries({ runIds: [runs.other as string], key: 'loss', buckets: 10 });
      assert.deepEqual([none.from, none.to, none.series[0]?.x], [null, null, []]);
    });

    it('refuses requests it cannot answer sensibly, naming the limit', async () => {
      await assert.rejects(
        views.metricSeries({ runIds: [runs.long as string], key: 'loss', buckets: 0 }),
        /invalid buckets 0: give 1 to 4000/,
      );
      await assert.rejects(
        views.metricSeries({ runIds: [], key: 'loss', buckets: 10 }),
        /give 1 to 100 run ids/,
      );
      await assert.rejects(
        views.metricSeries({ runIds: [runs.long as string], key: 'loss', buckets: 10, from: 9, to: 3 }),
        /from 9 is after to 3/,
      );
    });

    it('matches pandas: first, last, min, max and count per bucket, by step and by time, windows included', {
      skip: python.skip,
    }, async () => {
      const cases: Case[] = [
        { label: 'two runs by step', runs: ['long', 'short'], x: 'step', buckets: 300 },
        { label: 'a zoomed window', runs: ['long'], x: 'step', buckets: 50, from: 12_000, to: 12_999 },
        { label: 'by time', runs: ['long', 'short'], x: 'timestamp', buckets: 200 },
        { label: 'one point per bucket', runs: ['long'], x: 'step', buckets: 1000, from: 480, to: 520 },
        { label: 'one bucket (the summary)', runs: ['long'], x: 'step', buckets: 1 },
      ];
      const ours: MetricSeriesSet[] = [];
      for (const c of cases)
        ours.push(
          await views.metricSeries({
            runIds: c.runs.map((r) => runs[r] as string),
            key: 'loss',
            buckets: c.buckets,
            x: c.x,
            from: c.from,
            to: c.to,
          }),
        );
      const input = {
        cases: cases.map((c, i) => ({
          x: c.x,
          from: ours[i]?.from,
          to: ours[i]?.to,
          width: ours[i]?.width,
          points: c.runs.flatMap((r) =>
            (points[r] as Metric[]).map((p) => [runs[r], p.step, p.timestamp, pythonValue(p.value)]),
          ),
        })),
      };
      const file = join(await tempDir('cairn-buckets-'), 'cases.json');
      await writeFile(file, JSON.stringify(input));
      const script = new URL('../python/metric_buckets_reference.py', import.meta.url).pathname;
      const r = spawnSync(python.value as string, [script, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, r.stderr);
      const reference = JSON.parse(r.stdout) as Record<string, (number | string)[][]>[];
      for (const [i, c] of cases.entries()) {
        const set = ours[i] as MetricSeriesSet;
        for (const series of set.series) {
          const expected = reference[i]?.[series.run_id] ?? [];
          const actual = series.x.map((x, j) => [
            x,
            pythonValue(series.first[j] as number),
            pythonValue(series.last[j] as number),
            pythonValue(series.min[j] as number),
            pythonValue(series.max[j] as number),
            series.count[j],
          ]);
          assert.deepEqual(actual, expected, `${c.label}, run ${series.run_id}`);
        }
      }
      // One bucket over the whole range is the run page's summary: min, max, count and last value.
      const summary = (await views.metricSummaries(runs.long as string)).find((m) => m.key === 'loss');
      assert.ok(summary);
      const [, , last, min, max, count] = reference[4]?.[runs.long as string]?.[0] ?? [];
      assert.deepEqual(
        [pythonValue(summary.last), pythonValue(summary.min), pythonValue(summary.max), summary.count],
        [last, min, max, count],
      );
      assert.equal(summary.step, 19_999);
    });

    it('answers a window of the runs table as runs/search orders and filters it, with the total and chosen columns', async () => {
      const filter = "params.lr = '0.01' and metrics.auc > 0.55";
      const orderBy = ['metrics.rmse ASC'];
      const all = await store.searchRuns({ experiment_ids: [experiment], filter, order_by: orderBy });
      const page = await views.runTable({
        experimentIds: [experiment],
        filter,
        orderBy,
        offset: 2,
        limit: 3,
        columns: ['params.lr', 'metrics.rmse', 'tags.team'],
      });
      assert.equal(page.total, all.items.length);
      assert.ok(page.total >= 5);
      assert.deepEqual(
        page.runs.map((r) => r.run_id),
        all.items.slice(2, 5).map((r) => r.info.run_id),
      );
      const [first] = page.runs;
      const reference = all.items[2];
      assert.deepEqual(first?.params, { lr: '0.01' });
      assert.deepEqual(Object.keys(first?.metrics ?? {}), ['rmse']);
      assert.equal(first?.metrics.rmse, reference?.data.metrics.find((m) => m.key === 'rmse')?.value);
      assert.deepEqual(Object.keys(first?.tags ?? {}), ['team']);
      const kinds = await views.runTable({
        experimentIds: [experiment],
        filter,
        orderBy,
        offset: 2,
        limit: 1,
        columns: ['params.*', 'metrics.rmse'],
      });
      assert.deepEqual(kinds.runs[0]?.params, {
        depth: reference?.data.params.find((p) => p.key === 'depth')?.value,
        lr: '0.01',
      });
      assert.deepEqual(kinds.runs[0]?.tags, {});
      const everything = await views.runTable({ experimentIds: [experiment], offset: 0, limit: 1 });
      assert.equal(everything.total, 33);
      assert.ok('mlflow.runName' in (everything.runs[0]?.tags ?? {}), 'without columns: every tag');
      await assert.rejects(
        views.runTable({ experimentIds: [experiment], offset: 0, limit: 5000 }),
        /invalid limit 5000: give 1 to 1000/,
      );
      await assert.rejects(
        views.runTable({ experimentIds: [experiment], offset: 0, limit: 5, columns: ['lr'] }),
        /invalid column "lr": use params.<key>, metrics.<key> or tags.<key> \(<kind>.\* for every key\)/,
      );
    });

    it('lists the keys the runs use, for the column picker', async () => {
      const columns = await views.runColumns([experiment]);
      assert.deepEqual(columns.params, ['depth', 'lr']);
      assert.deepEqual(columns.metrics, ['acc', 'auc', 'loss', 'rmse']);
      assert.ok(columns.tags.includes('team') && columns.tags.includes('mlflow.runName'));
    });
  });

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Metric } from '../../../src/tracking/tracking-types.ts';
import {
  allPages,
  incompressible,
  metricsOf,
  paramsOf,
  rejectsWith,
  type TrackingContext,
  tagsOf,
} from './support.ts';

export function loggingCases(ctx: TrackingContext): void {
  const newRun = async (label: string) => {
    const experimentId = await ctx.store.createExperiment(ctx.name(label));
    return (await ctx.store.createRun({ experiment_id: experimentId })).info.run_id;
  };

  it('keeps params write-once: the same value again is fine, another value is refused', async () => {
    const id = await newRun('params');
    await ctx.store.logParam(id, 'lr', '0.1');
    await ctx.store.logParam(id, 'lr', '0.1');
    await rejectsWith(ctx.store.logParam(id, 'lr', '0.2'), 'INVALID_ARGUMENT', /lr.*0\.1.*0\.2/s);
    await rejectsWith(
      ctx.store.logBatch(id, { params: [{ key: 'lr', value: '0.3' }] }),
      'INVALID_ARGUMENT',
      /lr/,
    );
    assert.deepEqual(paramsOf(await ctx.store.getRun(id)), { lr: '0.1' });
  });

  it('keeps every metric value with its step and timestamp, in step order', async () => {
    const id = await newRun('history');
    const logged: Metric[] = [
      { key: 'loss', value: 0.9, timestamp: 3000, step: 2 },
      { key: 'loss', value: 1.5, timestamp: 1000, step: 0 },
      { key: 'loss', value: 1.2, timestamp: 2000, step: 1 },
      { key: 'loss', value: 1.1, timestamp: 2500, step: 1 },
    ];
    for (const m of logged) await ctx.store.logMetric(id, m);
    await ctx.store.logMetric(id, logged[0] as Metric);
    const history = (await ctx.store.getMetricHistory(id, 'loss')).items;
    assert.deepEqual(
      history.map((m) => [m.step, m.timestamp, m.value]),
      [
        [0, 1000, 1.5],
        [1, 2000, 1.2],
        [1, 2500, 1.1],
        [2, 3000, 0.9],
      ],
      'ordered by step then timestamp; an identical value logged twice is kept once',
    );
    assert.ok(history.every((m) => m.key === 'loss'));
    assert.deepEqual((await ctx.store.getMetricHistory(id, 'absent')).items, []);
  });

  it('shows the latest value of a metric: highest step, then latest timestamp, then largest value', async () => {
    const id = await newRun('latest');
    const log = (key: string, value: number, timestamp: number, step: number) =>
      ctx.store.logMetric(id, { key, value, timestamp, step });
    await log('a', 1, 100, 5);
    await log('a', 2, 900, 4);
    await log('b', 1, 100, 3);
    await log('b', 2, 200, 3);
    await log('b', 3, 150, 3);
    await log('c', 7, 100, 1);
    await log('c', 4, 100, 1);
    await ctx.store.logBatch(id, {
      metrics: [
        { key: 'd', value: 1, timestamp: 10, step: 9 },
        { key: 'd', value: 5, timestamp: 10, step: 1 },
      ],
    });
    const latest = (await ctx.store.getRun(id)).data.metrics.find((m) => m.key === 'a');
    assert.deepEqual(latest, { key: 'a', value: 1, timestamp: 100, step: 5 });
    assert.deepEqual(metricsOf(await ctx.store.getRun(id)), { a: 1, b: 2, c: 7, d: 1 });
  });

  it('round-trips NaN and ±Infinity in history and latest values', async () => {
    const id = await newRun('nan');
    await ctx.store.logBatch(id, {
      metrics: [
        { key: 'nan', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 1, step: 0 },
        { key: 'max', value: Number.MAX_VALUE, timestamp: 1, step: 0 },
      ],
    });
    const latest = metricsOf(await ctx.store.getRun(id));
    assert.ok(Number.isNaN(latest.nan), 'NaN stays NaN');
    assert.equal(latest.inf, Number.POSITIVE_INFINITY);
    assert.equal(latest.ninf, Number.NEGATIVE_INFINITY);
    assert.equal(latest.max, Number.MAX_VALUE);
    assert.ok(Number.isNaN((await ctx.store.getMetricHistory(id, 'nan')).items[0]?.value));
    assert.equal((await ctx.store.getMetricHistory(id, 'ninf')).items[0]?.value, Number.NEGATIVE_INFINITY);
  });

  it('pages through a metric history exactly once', async () => {
    const id = await newRun('paged');
    const metrics = Array.from({ length: 25 }, (_, i) => ({
      key: 'acc',
      value: i / 100,
      timestamp: 1000 + i,
      step: i,
    }));
    await ctx.store.logBatch(id, { metrics });
    const paged = await allPages((token) =>
      ctx.store.getMetricHistory(id, 'acc', { max_results: 10, ...(token ? { page_token: token } : {}) }),
    );
    assert.equal(paged.pages, 3);
    assert.deepEqual(
      paged.items.map((m) => m.step),
      metrics.map((m) => m.step),
    );
  });

  it('overwrites and deletes tags', async () => {
    const id = await newRun('tags');
    await ctx.store.setTag(id, { key: 'note', value: 'first' });
    await ctx.store.setTag(id, { key: 'note', value: 'second' });
    assert.equal(tagsOf(await ctx.store.getRun(id)).note, 'second');
    await ctx.store.deleteTag(id, 'note');
    assert.equal(tagsOf(await ctx.store.getRun(id)).note, undefined);
    await rejectsWith(ctx.store.deleteTag(id, 'note'), 'NOT_FOUND');
  });

  it('logs a batch of params, metrics and tags', async () => {
    const id = await newRun('batch');
    const params = Array.from({ length: 20 }, (_, i) => ({ key: `p${i}`, value: `v${i}` }));
    const metrics = Array.from({ length: 200 }, (_, i) => ({
      key: `m${i % 10}`,
      value: i,
      timestamp: 1000 + i,
      step: i,
    }));
    await ctx.store.logBatch(id, {
      params,
      metrics,
      tags: [
        { key: 'x', value: '1' },
        { key: 'x', value: '2' },
      ],
    });
    const run = await ctx.store.getRun(id);
    assert.deepEqual(paramsOf(run), Object.fromEntries(params.map((p) => [p.key, p.value])));
    assert.equal(run.data.metrics.length, 10);
    assert.equal(metricsOf(run).m3, 193);
    assert.equal(tagsOf(run).x, '2', 'the last of repeated tags wins');
    assert.equal((await ctx.store.getMetricHistory(id, 'm0')).items.length, 20);
  });

  it("enforces MLflow's batch limits and writes nothing from an invalid batch", async () => {
    const id = await newRun('limits');
    const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 1, step: 0 });
    const invalid = async (batch: Parameters<typeof ctx.store.logBatch>[1], message?: RegExp) =>
      rejectsWith(ctx.store.logBatch(id, batch), 'INVALID_ARGUMENT', message);
    await invalid({ metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }, /1000/);
    await invalid({ params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }, /100/);
    await invalid({ tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) }, /100/);
    await invalid(
      {
        metrics: Array.from({ length: 950 }, (_, i) => metric(i)),
        params: Array.from({ length: 60 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
      },
      /1000/,
    );
    await invalid({ params: [{ key: 'k'.repeat(251), value: 'v' }] }, /250/);
    await invalid({ params: [{ key: 'long', value: 'v'.repeat(6001) }] }, /6000/);
    await invalid({ tags: [{ key: 'long', value: 'v'.repeat(8001) }] }, /8000/);
    await invalid({ metrics: [{ key: 'bad!name', value: 1, timestamp: 1, step: 0 }] });
    await invalid({ metrics: [{ key: '../up', value: 1, timestamp: 1, step: 0 }] });
    await invalid({ metrics: [{ key: 'neg', value: 1, timestamp: -1, step: 0 }] });
    await invalid({
      params: [
        { key: 'same', value: 'a' },
        { key: 'same', value: 'b' },
      ],
    });
    await ctx.store.logParam(id, 'fixed', 'old');
    await invalid({
      metrics: [metric(1)],
      params: [
        { key: 'fresh', value: 'x' },
        { key: 'fixed', value: 'new' },
      ],
      tags: [{ key: 'written', value: 'no' }],
    });
    const run = await ctx.store.getRun(id);
    assert.deepEqual(run.data.metrics, [], 'no metric of a failed batch is kept');
    assert.deepEqual(paramsOf(run), { fixed: 'old' }, 'no param of a failed batch is kept');
    assert.equal(tagsOf(run).written, undefined, 'no tag of a failed batch is kept');
    // The longest values MLflow allows are kept whole (and do not break an index).
    const longValue = incompressible(6000, 7);
    await ctx.store.logBatch(id, {
      params: Array.from({ length: 100 }, (_, i) => ({
        key: `ok${i}`,
        value: i === 0 ? longValue : `v${i}`,
      })),
      tags: [{ key: 'note', value: incompressible(8000, 8) }],
    });
    const kept = await ctx.store.getRun(id);
    assert.equal(paramsOf(kept).ok0, longValue);
    assert.equal(tagsOf(kept).note, incompressible(8000, 8));
    const found = await ctx.store.searchRuns({
      experiment_ids: [kept.info.experiment_id],
      filter: `params.ok0 = '${longValue.replaceAll("'", "''")}'`,
    });
    assert.deepEqual(
      found.items.map((r) => r.info.run_id),
      [id],
    );
  });

  it('logs dataset inputs once per run, with their context tag', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('inputs'));
    const [a, b] = await Promise.all([
      ctx.store.createRun({ experiment_id: experimentId }),
      ctx.store.createRun({ experiment_id: experimentId }),
    ]);
    const train = {
      name: 'adult',
      digest: 'abc123',
      source_type: 'local',
      source: '/data/adult.csv',
      schema: '{"x":1}',
    };
    const context = (value: string) => [{ key: 'mlflow.data.context', value }];
    await ctx.store.logInputs(a.info.run_id, [{ tags: context('train'), dataset: train }]);
    await ctx.store.logInputs(a.info.run_id, [
      { tags: context('train'), dataset: train },
      {
        tags: context('eval'),
        dataset: { name: 'adult', digest: 'def456', source_type: 'local', source: '/data/adult.csv' },
      },
    ]);
    await ctx.store.logInputs(b.info.run_id, [{ tags: context('eval'), dataset: train }]);
    const inputs = (await ctx.store.getRun(a.info.run_id)).inputs.dataset_inputs;
    assert.deepEqual(
      inputs.map((i) => [i.dataset.digest, i.tags]),
      [
        ['abc123', context('train')],
        ['def456', context('eval')],
      ],
    );
    assert.deepEqual(inputs[0]?.dataset, train);
    const other = (await ctx.store.getRun(b.info.run_id)).inputs.dataset_inputs;
    assert.deepEqual(
      other.map((i) => [i.dataset.name, i.dataset.digest, i.tags]),
      [['adult', 'abc123', context('eval')]],
    );
    await rejectsWith(
      ctx.store.logInputs(a.info.run_id, [{ tags: [], dataset: { ...train, digest: 'd'.repeat(37) } }]),
      'INVALID_ARGUMENT',
    );
  });

  it('lands every one of 50 concurrent batches', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('concurrent'));
    const shared = (await ctx.store.createRun({ experiment_id: experimentId })).info.run_id;
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => ctx.store.createRun({ experiment_id: experimentId })),
    );
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ctx.store.logBatch(i % 2 === 0 ? shared : (runs[i % 5]?.info.run_id as string), {
          params: [{ key: `p${i}`, value: String(i) }],
          metrics: [
            { key: 'shared', value: i, timestamp: 1000 + i, step: i },
            { key: `m${i}`, value: i, timestamp: 1, step: 0 },
          ],
          tags: [{ key: 'last', value: String(i) }],
        }),
      ),
    );
    const run = await ctx.store.getRun(shared);
    assert.equal(Object.keys(paramsOf(run)).length, 25);
    assert.equal(metricsOf(run).shared, 48, 'the latest value is that of the highest step');
    assert.equal((await ctx.store.getMetricHistory(shared, 'shared')).items.length, 25);
    const others = await Promise.all(runs.map((r) => ctx.store.getRun(r.info.run_id)));
    assert.equal(
      others.reduce((n, r) => n + Object.keys(paramsOf(r)).length, 0),
      25,
    );
  });
}

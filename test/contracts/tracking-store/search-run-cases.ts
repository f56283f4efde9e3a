import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { Metric, Run, RunStatus, SearchRunsOptions } from '../../../src/tracking/tracking-types.ts';
import { allPages, rejectsWith, type TrackingContext } from './support.ts';

interface Spec {
  name: string;
  status: RunStatus;
  user: string;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  dataset?: { digest: string; context: string };
  deleted?: boolean;
}

const SPECS: Spec[] = [
  {
    name: 'alpha',
    status: 'FINISHED',
    user: 'ada',
    metrics: { acc: 0.91, loss: 0.2 },
    params: { model: 'gbdt', depth: '3' },
    tags: { team: 'Red' },
    dataset: { digest: 'd1', context: 'train' },
  },
  {
    name: 'beta',
    status: 'FINISHED',
    user: 'bob',
    metrics: { acc: 0.85 },
    params: { model: 'GBDT-v2' },
    tags: { team: 'blue' },
    dataset: { digest: 'd2', context: 'eval' },
  },
  { name: 'gamma', status: 'FAILED', user: 'ada', metrics: { acc: 0.5 }, params: { model: 'logreg' } },
  { name: 'delta', status: 'RUNNING', user: 'cy', metrics: { acc: Number.NaN }, params: { model: 'logreg' } },
  { name: 'epsilon', status: 'KILLED', user: 'bob', metrics: { loss: 0.7 }, params: { model: 'ridge' } },
  { name: 'zeta', status: 'FINISHED', user: 'ada', metrics: { acc: 0.85 }, params: { model: 'gbdt' } },
  {
    name: 'eta',
    status: 'FINISHED',
    user: 'ada',
    metrics: { acc: 0.99 },
    params: { model: 'gbdt' },
    deleted: true,
  },
];
const PLAIN = ['p1', 'p2', 'p3', 'p4', 'p5'];

export function searchRunCases(ctx: TrackingContext): void {
  let experiment = '';
  let other = '';
  const base = 1_700_000_000_000;
  const byName = new Map<string, Run>();

  before(async () => {
    experiment = await ctx.store.createExperiment(ctx.name('search'));
    other = await ctx.store.createExperiment(ctx.name('search-other'));
    for (const [i, spec] of SPECS.entries()) {
      const run = await ctx.store.createRun({
        experiment_id: experiment,
        run_name: spec.name,
        user_id: spec.user,
        start_time: base + i * 1000,
      });
      const id = run.info.run_id;
      const metrics: Metric[] = Object.entries(spec.metrics ?? {}).map(([key, value]) => ({
        key,
        value,
        timestamp: base,
        step: 0,
      }));
      await ctx.store.logBatch(id, {
        metrics,
        params: Object.entries(spec.params ?? {}).map(([key, value]) => ({ key, value })),
        tags: Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value })),
      });
      if (spec.dataset)
        await ctx.store.logInputs(id, [
          {
            tags: [{ key: 'mlflow.data.context', value: spec.dataset.context }],
            dataset: {
              name: 'adult',
              digest: spec.dataset.digest,
              source_type: 'local',
              source: '/data/adult.csv',
            },
          },
        ]);
      if (spec.status !== 'RUNNING')
        await ctx.store.updateRun(id, { status: spec.status, end_time: base + i * 1000 + 500 });
      if (spec.deleted) await ctx.store.deleteRun(id);
    }
    // Plain runs share one start time: run_id breaks the tie.
    for (const name of PLAIN)
      await ctx.store.createRun({ experiment_id: experiment, run_name: name, start_time: base + 10_000 });
    const inOther = await ctx.store.createRun({
      experiment_id: other,
      run_name: 'elsewhere',
      start_time: base,
    });
    await ctx.store.logParam(inOther.info.run_id, 'model', 'gbdt');
    for (const run of (
      await ctx.store.searchRuns({ experiment_ids: [experiment, other], run_view_type: 'ALL' })
    ).items)
      byName.set(run.info.run_name, run);
  });

  const search = (options: Omit<SearchRunsOptions, 'experiment_ids'> & { experiment_ids?: string[] }) =>
    ctx.store.searchRuns({ experiment_ids: [experiment], ...options });
  const names = async (filter: string, options: Partial<Omit<SearchRunsOptions, 'filter'>> = {}) =>
    (await search({ filter, ...options })).items.map((r) => r.info.run_name).sort();
  const ordered = async (order_by: string[], filter?: string) =>
    (await search({ order_by, ...(filter ? { filter } : {}) })).items.map((r) => r.info.run_name);
  const idOf = (name: string) => byName.get(name)?.info.run_id as string;

  it('filters on metrics with numeric comparisons', async () => {
    assert.deepEqual(await names('metrics.acc > 0.8'), ['alpha', 'beta', 'zeta']);
    assert.deepEqual(await names('metrics.acc = 0.85'), ['beta', 'zeta']);
    assert.deepEqual(await names('metrics.acc >= 0.5 and metrics.acc < 0.86'), ['beta', 'gamma', 'zeta']);
    assert.deepEqual(await names('metric.loss <= 0.2'), ['alpha']);
    assert.deepEqual(await names('metrics.acc != 0.85 and metrics.acc > 0.1'), ['alpha', 'gamma']);
  });

  it('filters on params and tags: =, !=, case-sensitive LIKE, ILIKE, IN, NOT IN', async () => {
    assert.deepEqual(await names("params.model = 'gbdt'"), ['alpha', 'zeta']);
    assert.deepEqual(await names("params.model != 'gbdt'"), ['beta', 'delta', 'epsilon', 'gamma']);
    assert.deepEqual(await names("params.model LIKE 'gbdt%'"), ['alpha', 'zeta']);
    assert.deepEqual(await names("params.model LIKE 'GBDT%'"), ['beta']);
    assert.deepEqual(await names("params.model ILIKE 'gbdt%'"), ['alpha', 'beta', 'zeta']);
    assert.deepEqual(await names("params.model LIKE 'l_greg'"), ['delta', 'gamma']);
    assert.deepEqual(await names("params.model IN ('ridge', 'logreg')"), ['delta', 'epsilon', 'gamma']);
    assert.deepEqual(await names("params.model NOT IN ('gbdt', 'logreg')"), ['beta', 'epsilon']);
    assert.deepEqual(await names("tags.team = 'Red'"), ['alpha']);
    assert.deepEqual(await names("tags.team = 'red'"), [], '= is case-sensitive');
    assert.deepEqual(await names("tags.team LIKE 'r%'"), [], 'LIKE is case-sensitive');
    assert.deepEqual(await names("tags.team ILIKE 'R%'"), ['alpha']);
    assert.deepEqual(await names("tags.`mlflow.runName` = 'beta'"), ['beta']);
    assert.deepEqual(await names('tags."mlflow.runName" LIKE \'g%\''), ['gamma']);
    assert.deepEqual(await names("params.depth = '3' and tags.team != 'blue'"), ['alpha']);
  });

  it('filters on run attributes', async () => {
    assert.deepEqual(await names("attributes.status = 'FINISHED'"), ['alpha', 'beta', 'zeta']);
    assert.deepEqual(await names("attributes.status IN ('FAILED', 'KILLED')"), ['epsilon', 'gamma']);
    assert.deepEqual(await names("attributes.run_name = 'delta'"), ['delta']);
    assert.deepEqual(await names("run_name LIKE 'e%'"), ['epsilon']);
    assert.deepEqual(await names("attributes.user_id = 'ada'"), ['alpha', 'gamma', 'zeta']);
    assert.deepEqual(await names(`attributes.run_id IN ('${idOf('beta')}', '${idOf('gamma')}')`), [
      'beta',
      'gamma',
    ]);
    assert.deepEqual(await names(`attributes.run_id = '${idOf('alpha')}'`), ['alpha']);
    assert.deepEqual(await names(`attributes.artifact_uri LIKE '%${idOf('zeta')}%'`), ['zeta']);
    assert.deepEqual(
      await names(`attributes.start_time >= ${base + 4000} and attributes.start_time < ${base + 10_000}`),
      ['epsilon', 'zeta'],
    );
    assert.deepEqual(await names(`attributes.created < ${base + 2000}`), ['alpha', 'beta']);
    assert.deepEqual(await names(`attributes.end_time > ${base + 4000}`), ['epsilon', 'zeta']);
  });

  it('filters on datasets by name, digest and context', async () => {
    assert.deepEqual(await names("datasets.name = 'adult'"), ['alpha', 'beta']);
    assert.deepEqual(await names("datasets.digest IN ('d2', 'd9')"), ['beta']);
    assert.deepEqual(await names("datasets.context = 'train'"), ['alpha']);
    assert.deepEqual(await names("datasets.context = 'train' and metrics.acc > 0.95"), []);
  });

  it('searches the given experiments and lifecycle stages', async () => {
    const model = "params.model = 'gbdt'";
    assert.deepEqual(await names(model, { experiment_ids: [experiment, other] }), [
      'alpha',
      'elsewhere',
      'zeta',
    ]);
    assert.deepEqual(await names(model, { run_view_type: 'DELETED_ONLY' }), ['eta']);
    assert.deepEqual(await names(model, { run_view_type: 'ALL' }), ['alpha', 'eta', 'zeta']);
    assert.deepEqual((await ctx.store.searchRuns({ experiment_ids: ['987654321'] })).items, []);
  });

  it('returns whole runs: latest metrics, params, tags and inputs', async () => {
    const [found] = (await search({ filter: "attributes.run_name = 'alpha'" })).items;
    assert.deepEqual(found, await ctx.store.getRun(idOf('alpha')));
    assert.equal(found?.data.params.length, 2);
    assert.equal(found?.inputs.dataset_inputs[0]?.dataset.digest, 'd1');
  });

  it('orders by a metric with NaN after numbers and runs lacking it last, either way', async () => {
    const plainByStart = PLAIN.map((n) => ({ n, id: idOf(n) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => r.n);
    assert.deepEqual(await ordered(['metrics.acc DESC']), [
      'alpha',
      'zeta',
      'beta',
      'gamma',
      'delta',
      ...plainByStart,
      'epsilon',
    ]);
    assert.deepEqual(await ordered(['metrics.acc ASC']), [
      'gamma',
      'zeta',
      'beta',
      'alpha',
      'delta',
      ...plainByStart,
      'epsilon',
    ]);
    assert.deepEqual(await ordered(['metrics.acc DESC', 'attributes.start_time ASC'], 'metrics.acc = 0.85'), [
      'beta',
      'zeta',
    ]);
  });

  it('orders by params, tags and attributes; by default newest first, then by run id', async () => {
    assert.deepEqual((await ordered(['params.model ASC'])).slice(0, 6), [
      'beta',
      'zeta',
      'alpha',
      'delta',
      'gamma',
      'epsilon',
    ]);
    assert.deepEqual((await ordered(['tags.team DESC'])).slice(0, 2), ['beta', 'alpha']);
    assert.deepEqual((await ordered(['attributes.start_time'])).slice(0, 3), ['alpha', 'beta', 'gamma']);
    assert.deepEqual((await ordered(['attributes.run_name DESC'])).slice(0, 2), ['zeta', 'p5']);
    const plainById = PLAIN.map((n) => ({ n, id: idOf(n) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => r.n);
    assert.deepEqual(await ordered([]), [...plainById, 'zeta', 'epsilon', 'delta', 'gamma', 'beta', 'alpha']);
  });

  it('pages through results so that every run comes exactly once', async () => {
    const all = await ordered(['metrics.acc DESC']);
    const paged = await allPages((token) =>
      search({ order_by: ['metrics.acc DESC'], max_results: 4, ...(token ? { page_token: token } : {}) }),
    );
    assert.equal(paged.pages, 3);
    assert.deepEqual(
      paged.items.map((r) => r.info.run_name),
      all,
    );
    assert.equal((await search({ max_results: 50_000 })).items.length, all.length);
    await rejectsWith(search({ max_results: 50_001 }), 'INVALID_ARGUMENT', /50000/);
    await rejectsWith(search({ max_results: 0 }), 'INVALID_ARGUMENT');
    await rejectsWith(search({ page_token: 'bm90IGpzb24=' }), 'INVALID_ARGUMENT');
  });

  it('rejects invalid filters and orderings with INVALID_ARGUMENT', async () => {
    for (const filter of [
      "metrics.acc = 'high'",
      "params.model > 'a'",
      'params.model = 3',
      "metrics.acc LIKE '0.%'",
      "attributes.start_time = 'yesterday'",
      "attributes.colour = 'red'",
      "things.x = 'y'",
      "datasets.size = 'big'",
      "params.a = 'b' OR params.c = 'd'",
      "params.a = 'unterminated",
      'metrics.acc >',
    ])
      await rejectsWith(search({ filter }), 'INVALID_ARGUMENT');
    for (const order of [
      ['metrics.acc SIDEWAYS'],
      ['datasets.name'],
      ['attributes.colour'],
      ['metrics.acc', 'metrics.acc DESC'],
    ])
      await rejectsWith(search({ order_by: order }), 'INVALID_ARGUMENT');
  });
}

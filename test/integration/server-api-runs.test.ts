import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoInternals } from '../support/auth-matrix.ts';
import { get, json, post, startTestServer, type TestServer, variants } from './server-harness.ts';

type Json = Record<string, unknown>;

for (const variant of variants())
  describe(`MLflow runs API (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let experimentId = '';
    before(async () => {
      server = await startTestServer(variant);
      experimentId = json(await post(server.app, '/experiments/create', { name: 'runs' }))
        .experiment_id as string;
    });
    after(async () => {
      await server?.close();
    });

    const createRun = async (body: Json = {}) => {
      const res = await post(server.app, '/runs/create', { experiment_id: experimentId, ...body });
      assert.equal(res.statusCode, 200, res.body);
      return json(res).run as { info: Json; data: Json; inputs: Json };
    };

    it('creates a run with run_id and run_uuid, int64 times as numbers, no end_time and no outputs', async () => {
      const run = await createRun({
        start_time: 1_700_000_000_123,
        user_id: 'ada',
        tags: [{ key: 't', value: 'v' }],
      });
      const { info } = run;
      assert.equal(info.run_id, info.run_uuid);
      assert.equal(info.start_time, 1_700_000_000_123);
      assert.equal('end_time' in info, false);
      assert.equal(info.status, 'RUNNING');
      assert.equal(info.user_id, 'ada');
      assert.equal(info.artifact_uri, `mlflow-artifacts:/${experimentId}/${info.run_id}/artifacts`);
      assert.deepEqual(Object.keys(run).sort(), ['data', 'info', 'inputs']);
      assert.deepEqual(run.inputs, {});
      const got = json(await get(server.app, '/runs/get', { run_id: info.run_id as string })).run as Json;
      assert.deepEqual(
        Object.keys(got).sort(),
        ['data', 'info', 'inputs', 'outputs'],
        'reads carry outputs, as MLflow 3',
      );
      const byUuid = json(await get(server.app, '/runs/get', { run_uuid: info.run_id as string }))
        .run as Json;
      assert.deepEqual(byUuid, got, 'run_uuid stands in for run_id');
    });

    it('logs metrics with NaN and ±Infinity as MLflow writes them, params, tags and batches', async () => {
      const id = (await createRun()).info.run_id as string;
      const ok = async (path: string, body: Json) => {
        const res = await post(server.app, path, { run_id: id, ...body });
        assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
        assert.deepEqual(json(res), {});
      };
      await ok('/runs/log-metric', { key: 'acc', value: 0.5, timestamp: 10, step: 1 });
      await ok('/runs/log-metric', { key: 'acc', value: '0.75', timestamp: '20', step: '2' });
      await ok('/runs/log-metric', { key: 'nan', value: 'NaN', timestamp: 10 });
      await ok('/runs/log-metric', { key: 'inf', value: 'Infinity', timestamp: 10 });
      await ok('/runs/log-metric', { key: 'ninf', value: '-Infinity', timestamp: 10 });
      await ok('/runs/log-parameter', { key: 'lr', value: '0.1' });
      await ok('/runs/set-tag', { key: 'note', value: 'x' });
      await ok('/runs/log-batch', {
        metrics: [{ key: 'loss', value: 1.5, timestamp: 5, step: 0 }],
        params: [{ key: 'depth', value: '3' }],
        tags: [{ key: 'note', value: 'y' }],
      });
      const run = json(await get(server.app, '/runs/get', { run_id: id })).run as { data: Json };
      const metrics = Object.fromEntries((run.data.metrics as Json[]).map((m) => [m.key, m]));
      assert.deepEqual(metrics.acc, { key: 'acc', value: 0.75, timestamp: 20, step: 2 });
      assert.equal(metrics.nan?.value, 'NaN');
      assert.equal(metrics.inf?.value, 'Infinity');
      assert.equal(metrics.ninf?.value, '-Infinity');
      assert.deepEqual(metrics.nan?.step, 0, 'step defaults to 0 and is written');
      assert.deepEqual(run.data.params, [
        { key: 'depth', value: '3' },
        { key: 'lr', value: '0.1' },
      ]);
      assert.ok((run.data.tags as Json[]).some((t) => t.key === 'note' && t.value === 'y'));
      const history = json(await get(server.app, '/metrics/get-history', { run_id: id, metric_key: 'acc' }));
      assert.deepEqual(history, {
        metrics: [
          { key: 'acc', value: 0.5, timestamp: 10, step: 1 },
          { key: 'acc', value: 0.75, timestamp: 20, step: 2 },
        ],
      });
      const paged = json(
        await get(server.app, '/metrics/get-history', { run_id: id, metric_key: 'acc', max_results: '1' }),
      );
      assert.equal((paged.metrics as Json[]).length, 1);
      assert.equal(typeof paged.next_page_token, 'string');
      assert.deepEqual(
        json(await get(server.app, '/metrics/get-history', { run_id: id, metric_key: 'none' })),
        {},
      );
    });

    it('answers MLflow errors for bad logging requests', async () => {
      const id = (await createRun()).info.run_id as string;
      await post(server.app, '/runs/log-parameter', { run_id: id, key: 'p', value: '1' });
      const cases: [string, Json, number, string, RegExp][] = [
        [
          '/runs/log-metric',
          { run_id: id, key: 'm', timestamp: 1 },
          400,
          'INVALID_PARAMETER_VALUE',
          /required parameter 'value'/,
        ],
        [
          '/runs/log-metric',
          { run_id: id, key: 'm', value: 1 },
          400,
          'INVALID_PARAMETER_VALUE',
          /'timestamp'/,
        ],
        [
          '/runs/log-metric',
          { run_id: id, key: 'm', value: 'high', timestamp: 1 },
          400,
          'INVALID_PARAMETER_VALUE',
          /'value'/,
        ],
        [
          '/runs/log-metric',
          { key: 'm', value: 1, timestamp: 1 },
          400,
          'INVALID_PARAMETER_VALUE',
          /required parameter 'run_id'/,
        ],
        [
          '/runs/log-parameter',
          { run_id: id, key: 'p', value: '2' },
          400,
          'INVALID_PARAMETER_VALUE',
          /Changing param values is not allowed/,
        ],
        [
          '/runs/log-batch',
          { run_id: id, metrics: [{ key: 'b', value: 1 }] },
          400,
          'INVALID_PARAMETER_VALUE',
          /'metrics\[0\]\.timestamp'/,
        ],
        [
          '/runs/delete-tag',
          { run_id: id, key: 'nope' },
          404,
          'RESOURCE_DOES_NOT_EXIST',
          /No tag with name: nope/,
        ],
        ['/runs/update', { run_id: id, status: 'DONE' }, 400, 'INVALID_PARAMETER_VALUE', /'status'/],
        [
          '/runs/log-metric',
          { run_id: '0123456789abcdef0123456789abcdef', key: 'm', value: 1, timestamp: 1 },
          404,
          'RESOURCE_DOES_NOT_EXIST',
          /not found/,
        ],
      ];
      for (const [path, body, status, code, message] of cases) {
        const res = await post(server.app, path, body);
        assert.equal(res.statusCode, status, `${path} ${JSON.stringify(body)}: ${res.body}`);
        assert.equal(json(res).error_code, code);
        assert.match(json(res).message as string, message);
        assertNoInternals(res.body, path);
      }
      await post(server.app, '/runs/delete', { run_id: id });
      const deleted = await post(server.app, '/runs/set-tag', { run_id: id, key: 'k', value: 'v' });
      assert.equal(deleted.statusCode, 400);
      assert.match(json(deleted).message as string, /must be in the 'active' state/);
    });

    it('updates status (by name or number) and end time, deletes and restores', async () => {
      const id = (await createRun()).info.run_id as string;
      const updated = json(
        await post(server.app, '/runs/update', { run_uuid: id, status: 3, end_time: 5000 }),
      );
      const info = updated.run_info as Json;
      assert.equal(info.status, 'FINISHED');
      assert.equal(info.end_time, 5000);
      assert.equal(info.run_id, id);
      await post(server.app, '/runs/delete', { run_id: id });
      let got = json(await get(server.app, '/runs/get', { run_id: id })).run as { info: Json };
      assert.equal(got.info.lifecycle_stage, 'deleted');
      await post(server.app, '/runs/restore', { run_id: id });
      got = json(await get(server.app, '/runs/get', { run_id: id })).run as { info: Json };
      assert.equal(got.info.lifecycle_stage, 'active');
    });

    it('searches runs with filters, ordering, view types and page tokens', async () => {
      const exp = json(await post(server.app, '/experiments/create', { name: 'search-runs' }))
        .experiment_id as string;
      const ids: string[] = [];
      for (const [i, acc] of [0.9, 0.7, 0.8].entries()) {
        const run = json(await post(server.app, '/runs/create', { experiment_id: exp, run_name: `r${i}` }))
          .run as {
          info: Json;
        };
        ids.push(run.info.run_id as string);
        await post(server.app, '/runs/log-metric', {
          run_id: run.info.run_id,
          key: 'acc',
          value: acc,
          timestamp: 1,
        });
      }
      await post(server.app, '/runs/delete', { run_id: ids[2] });
      const names = (body: Json) => ((body.runs ?? []) as { info: Json }[]).map((r) => r.info.run_name);
      const search = async (body: Json) =>
        json(await post(server.app, '/runs/search', { experiment_ids: [exp], ...body }));
      assert.deepEqual(names(await search({ filter: 'metrics.acc > 0.75', order_by: ['metrics.acc ASC'] })), [
        'r0',
      ]);
      assert.deepEqual(names(await search({ order_by: ['metrics.acc DESC'], run_view_type: 'ALL' })), [
        'r0',
        'r2',
        'r1',
      ]);
      assert.deepEqual(names(await search({ run_view_type: 2 })), ['r2']);
      const first = await search({ order_by: ['attributes.run_name'], max_results: 1 });
      assert.deepEqual(names(first), ['r0']);
      const second = await search({
        order_by: ['attributes.run_name'],
        max_results: 1,
        page_token: first.next_page_token,
      });
      assert.deepEqual(names(second), ['r1']);
      assert.equal('next_page_token' in second, false);
      assert.deepEqual(await search({ filter: "params.x = 'none'" }), {});
      const tooMany = await post(server.app, '/runs/search', { experiment_ids: [exp], max_results: 50_001 });
      assert.equal(tooMany.statusCode, 400);
      assert.match(json(tooMany).message as string, /50000/);
      const badFilter = await post(server.app, '/runs/search', {
        experiment_ids: [exp],
        filter: 'metrics.acc >>> 1',
      });
      assert.equal(json(badFilter).error_code, 'INVALID_PARAMETER_VALUE');
    });

    it('logs dataset inputs and shows them on the run', async () => {
      const id = (await createRun()).info.run_id as string;
      const dataset = { name: 'adult', digest: 'abc', source_type: 'local', source: '{"uri": "/d.csv"}' };
      const res = await post(server.app, '/runs/log-inputs', {
        run_id: id,
        datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }],
      });
      assert.equal(res.statusCode, 200, res.body);
      const run = json(await get(server.app, '/runs/get', { run_id: id })).run as { inputs: Json };
      assert.deepEqual(run.inputs, {
        dataset_inputs: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }],
      });
      const missing = await post(server.app, '/runs/log-inputs', {
        run_id: id,
        datasets: [{ dataset: { name: 'x' } }],
      });
      assert.equal(missing.statusCode, 400);
      assert.match(json(missing).message as string, /required parameter 'datasets\[0\]\.dataset\.digest'/);
    });
  });

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  fails,
  get,
  json,
  ok,
  post,
  send as sendTo,
  startTestServer,
  type TestServer,
  variants,
} from './server-harness.ts';

type Json = Record<string, unknown>;
type Model = { info: Json & { model_id: string; tags?: { key: string; value: string }[] }; data: Json };

/** MLflow 3's logged-model endpoints and runs/outputs, which `log_model` calls, on each metadata backend. */
for (const variant of variants().filter((v) => v.artifacts === 'fs'))
  describe(`MLflow logged-models API (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let experimentId = '';
    let runId = '';
    before(async () => {
      server = await startTestServer(variant);
      experimentId = json(await post(server.app, '/experiments/create', { name: 'lm' }))
        .experiment_id as string;
      runId = (
        (json(await post(server.app, '/runs/create', { experiment_id: experimentId })).run as Json)
          .info as Json
      ).run_id as string;
      await post(server.app, '/registered-models/create', { name: 'lm-reg' });
    });
    after(async () => {
      await server?.close();
    });

    const send = (method: 'PATCH' | 'DELETE', path: string, body?: Json) =>
      sendTo(server.app, method, path, body);
    const createModel = async (body: Json = {}) =>
      ok(await post(server.app, '/logged-models', { experiment_id: experimentId, ...body })).model as Model;

    it('creates a pending model under the experiment, as log_model does', async () => {
      const m = await createModel({
        name: 'model',
        source_run_id: runId,
        tags: [{ key: 'mlflow.user', value: 'ana' }],
      });
      assert.match(m.info.model_id, /^m-[0-9a-f]{32}$/);
      assert.deepEqual(
        [m.info.experiment_id, m.info.name, m.info.status, m.info.source_run_id, m.info.model_type],
        [experimentId, 'model', 'LOGGED_MODEL_PENDING', runId, ''],
      );
      assert.equal(
        m.info.artifact_uri,
        `mlflow-artifacts:/${experimentId}/models/${m.info.model_id}/artifacts`,
      );
      assert.equal(m.info.creation_timestamp_ms, m.info.last_updated_timestamp_ms);
      assert.deepEqual(m.info.tags, [{ key: 'mlflow.user', value: 'ana' }]);
      assert.deepEqual(m.data, {});
      const unnamed = await createModel();
      assert.match(unnamed.info.name as string, /^[a-z]+-[a-z]+-\d+$/);
      fails(
        await post(server.app, '/logged-models', { experiment_id: '999' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(await post(server.app, '/logged-models', {}), 400, 'INVALID_PARAMETER_VALUE', /experiment_id/);
      fails(
        await post(server.app, '/logged-models', { experiment_id: experimentId, name: 'a/b' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid model name/,
      );
    });

    it('gets, finalizes (by name or number), tags and deletes a model', async () => {
      const { info } = await createModel({ name: 'life', params: [{ key: 'C', value: '1.0' }] });
      const id = info.model_id;
      const got = ok(await get(server.app, `/logged-models/${id}`)).model as Model;
      assert.deepEqual(got.data, { params: [{ key: 'C', value: '1.0' }] });
      const ready = ok(
        await send('PATCH', `/logged-models/${id}`, { model_id: id, status: 'LOGGED_MODEL_READY' }),
      ).model as Model;
      assert.equal(ready.info.status, 'LOGGED_MODEL_READY');
      const failed = ok(await send('PATCH', `/logged-models/${id}`, { status: 3 })).model as Model;
      assert.equal(failed.info.status, 'LOGGED_MODEL_UPLOAD_FAILED');
      fails(await send('PATCH', `/logged-models/${id}`, { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
      assert.deepEqual(
        ok(
          await send('PATCH', `/logged-models/${id}/tags`, {
            tags: [
              { key: 'a', value: '1' },
              { key: 'a', value: '2' },
            ],
          }),
        ),
        {},
      );
      assert.deepEqual((ok(await get(server.app, `/logged-models/${id}`)).model as Model).info.tags, [
        { key: 'a', value: '2' },
      ]);
      assert.deepEqual(ok(await send('DELETE', `/logged-models/${id}/tags/a`)), {});
      fails(
        await send('DELETE', `/logged-models/${id}/tags/a`),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /No tag with key/,
      );
      ok(
        await post(server.app, `/logged-models/${id}/params`, {
          params: [
            { key: 'C', value: '1.0' },
            { key: 'penalty', value: 'l2' },
          ],
        }),
      );
      fails(
        await post(server.app, `/logged-models/${id}/params`, { params: [{ key: 'C', value: '2.0' }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Changing param values/,
      );
      assert.deepEqual(ok(await send('DELETE', `/logged-models/${id}`)), {});
      fails(await get(server.app, `/logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/);
      assert.equal(
        (ok(await get(server.app, `/logged-models/${id}`, { allow_deleted: 'true' })).model as Model).info
          .model_id,
        id,
      );
      fails(
        await get(server.app, '/logged-models/m-00000000000000000000000000000000'),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(await get(server.app, '/logged-models/not-an-id'), 404, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('searches by attributes, tags and params, newest first, with paging', async () => {
      const other = json(await post(server.app, '/experiments/create', { name: 'lm-search' }))
        .experiment_id as string;
      const made: string[] = [];
      for (const [name, kind] of [
        ['s-one', 'a'],
        ['s-two', 'b'],
        ['s-three', 'a'],
      ]) {
        const m = ok(
          await post(server.app, '/logged-models', {
            experiment_id: other,
            name,
            tags: [{ key: 'kind', value: kind }],
            params: [{ key: 'p', value: name }],
          }),
        ).model as Model;
        made.push(m.info.model_id);
        await new Promise((r) => setTimeout(r, 3));
      }
      await send('PATCH', `/logged-models/${made[0]}`, { status: 'LOGGED_MODEL_READY' });
      const names = async (body: Json) =>
        (
          (ok(await post(server.app, '/logged-models/search', { experiment_ids: [other], ...body })).models as
            | Model[]
            | undefined) ?? []
        ).map((m) => m.info.name);
      assert.deepEqual(await names({}), ['s-three', 's-two', 's-one']);
      assert.deepEqual(await names({ filter: "tags.kind = 'a'" }), ['s-three', 's-one']);
      assert.deepEqual(await names({ filter: "status = 'LOGGED_MODEL_READY'" }), ['s-one']);
      assert.deepEqual(await names({ filter: "params.p LIKE 's-t%' AND name != 's-two'" }), ['s-three']);
      assert.deepEqual(await names({ order_by: [{ field_name: 'name', ascending: true }] }), [
        's-one',
        's-three',
        's-two',
      ]);
      const first = ok(
        await post(server.app, '/logged-models/search', { experiment_ids: [other], max_results: 2 }),
      );
      assert.equal((first.models as Model[]).length, 2);
      const rest = ok(
        await post(server.app, '/logged-models/search', {
          experiment_ids: [other],
          max_results: 2,
          page_token: first.next_page_token,
        }),
      );
      assert.deepEqual(
        (rest.models as Model[]).map((m) => m.info.name),
        ['s-one'],
      );
      assert.deepEqual(await names({ filter: 'metrics.acc > 1' }), [], 'no model has that metric');
      fails(
        await post(server.app, '/logged-models/search', {
          experiment_ids: [other],
          filter: "datasets.name = 'x'",
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid entity type/,
      );
      fails(
        await post(server.app, '/logged-models/search', {
          experiment_ids: [other],
          order_by: [{ field_name: 'params.p' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Only metrics are supported/,
      );
      fails(
        await post(server.app, '/logged-models/search', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        /experiment_ids/,
      );
    });

    it('attaches metrics logged with a model_id to the model, NaN included, and searches and orders by them', async () => {
      const exp = json(await post(server.app, '/experiments/create', { name: 'lm-metrics' }))
        .experiment_id as string;
      const run = (
        (json(await post(server.app, '/runs/create', { experiment_id: exp })).run as Json).info as Json
      ).run_id as string;
      const model = async (name: string) =>
        (ok(await post(server.app, '/logged-models', { experiment_id: exp, name })).model as Model).info
          .model_id;
      const [a, b, c] = [await model('a'), await model('b'), await model('c')];
      const metric = (model_id: string, value: number | string, timestamp: number, extra: Json = {}) => ({
        key: 'acc',
        value,
        timestamp,
        step: 0,
        model_id,
        ...extra,
      });
      ok(
        await post(server.app, '/runs/log-metric', {
          run_id: run,
          ...metric(a, 0.9, 1, { dataset_name: 'eval', dataset_digest: 'd1' }),
        }),
      );
      ok(
        await post(server.app, '/runs/log-batch', {
          run_id: run,
          metrics: [metric(b, 'NaN', 2), metric(c, 0.5, 3), metric(c, 0.5, 3)],
        }),
      );
      const metricsOf = async (id: string) =>
        (ok(await get(server.app, `/logged-models/${id}`)).model as Model).data.metrics;
      assert.deepEqual(await metricsOf(a), [
        {
          key: 'acc',
          value: 0.9,
          timestamp: 1,
          step: 0,
          dataset_name: 'eval',
          dataset_digest: 'd1',
          model_id: a,
          run_id: run,
        },
      ]);
      assert.deepEqual(await metricsOf(b), [
        { key: 'acc', value: 'NaN', timestamp: 2, step: 0, model_id: b, run_id: run },
      ]);
      assert.equal(((await metricsOf(c)) as unknown[]).length, 1, 'the same value logged twice is kept once');
      const history = ok(await get(server.app, '/metrics/get-history', { run_id: run, metric_key: 'acc' }));
      assert.equal((history.metrics as unknown[]).length, 3, "every value is in the run's history too");

      const names = async (body: Json) =>
        (
          (ok(await post(server.app, '/logged-models/search', { experiment_ids: [exp], ...body })).models ??
            []) as Model[]
        ).map((m) => m.info.name);
      assert.deepEqual(await names({ filter: 'metrics.acc > 0.6' }), ['a']);
      assert.deepEqual(
        await names({ filter: 'metrics.acc != 0.5', order_by: [{ field_name: 'name' }] }),
        ['a', 'b'],
        'NaN differs from every number',
      );
      assert.deepEqual(await names({ datasets: [{ dataset_name: 'eval' }] }), ['a']);
      assert.deepEqual(await names({ order_by: [{ field_name: 'metrics.acc', ascending: true }] }), [
        'c',
        'a',
        'b',
      ]);
      assert.deepEqual(await names({ order_by: [{ field_name: 'metrics.acc', ascending: false }] }), [
        'a',
        'c',
        'b',
      ]);
      fails(
        await post(server.app, '/logged-models/search', {
          experiment_ids: [exp],
          datasets: [{ dataset_digest: 'd1' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /`dataset_name` in the `datasets` clause must be specified/,
      );

      const unknown = 'm-0123456789abcdef0123456789abcdef';
      fails(
        await post(server.app, '/runs/log-batch', {
          run_id: run,
          metrics: [{ key: 'lost', value: 1, timestamp: 9 }, metric(unknown, 1, 9)],
        }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /Logged model with ID/,
      );
      assert.deepEqual(
        ok(await get(server.app, '/metrics/get-history', { run_id: run, metric_key: 'lost' })),
        {},
        'nothing of the batch was written',
      );

      ok(
        await post(server.app, '/runs/log-inputs', {
          run_id: run,
          models: [{ model_id: b }, { model_id: a }, { model_id: b }],
        }),
      );
      const inputs = ((ok(await get(server.app, '/runs/get', { run_id: run })).run as Json).inputs as Json)
        .model_inputs;
      assert.deepEqual(inputs, [{ model_id: b }, { model_id: a }]);
      fails(
        await post(server.app, '/runs/log-inputs', { run_id: run, models: [{}] }),
        400,
        'INVALID_PARAMETER_VALUE',
        /models\[0\]\.model_id/,
      );
      await post(server.app, '/runs/delete', { run_id: run });
      fails(
        await post(server.app, '/runs/log-metric', { run_id: run, ...metric(a, 1, 10) }),
        400,
        'INVALID_STATE',
      );
    });

    it('records run outputs, and registers models:/m-… with the run filled in and the model told', async () => {
      const m = await createModel({ name: 'reg', source_run_id: runId });
      const id = m.info.model_id;
      assert.deepEqual(
        ok(await post(server.app, '/runs/outputs', { run_id: runId, models: [{ model_id: id, step: 0 }] })),
        {},
      );
      fails(
        await post(server.app, '/runs/outputs', { run_id: 'nope', models: [{ model_id: id, step: 0 }] }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await post(server.app, '/runs/outputs', {
          run_id: runId,
          models: [{ model_id: 'm-0123456789abcdef0123456789abcdef', step: 0 }],
        }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      await send('PATCH', `/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' });
      const v = ok(
        await post(server.app, '/model-versions/create', {
          name: 'lm-reg',
          source: `models:/${id}`,
          model_id: id,
        }),
      ).model_version as Json;
      assert.deepEqual([v.source, v.run_id], [`models:/${id}`, runId]);
      const tags = (ok(await get(server.app, `/logged-models/${id}`)).model as Model).info.tags ?? [];
      assert.deepEqual(
        tags.find((t) => t.key === 'mlflow.modelVersions')?.value,
        '[{"name": "lm-reg", "version": 1}]',
      );
      assert.deepEqual(
        ok(await get(server.app, '/model-versions/get-download-uri', { name: 'lm-reg', version: '1' })),
        {
          artifact_uri: m.info.artifact_uri,
        },
      );
      fails(
        await post(server.app, '/model-versions/create', { name: 'lm-reg', source: `models:/${id}` }),
        400,
        'INVALID_PARAMETER_VALUE',
        /model_id request parameter/,
      );
      fails(
        await post(server.app, '/model-versions/create', {
          name: 'lm-reg',
          source: 'models:/m-0123456789abcdef0123456789abcdef',
          model_id: 'm-0123456789abcdef0123456789abcdef',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      fails(
        await post(server.app, '/model-versions/create', {
          name: 'lm-reg',
          source: `${m.info.artifact_uri}/x`,
          model_id: 'm-0123456789abcdef0123456789abcdef',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /model_id request parameter must identify/,
      );
      const inside = ok(
        await post(server.app, '/model-versions/create', {
          name: 'lm-reg',
          source: `${m.info.artifact_uri}`,
          model_id: id,
        }),
      ).model_version as Json;
      assert.equal(inside.run_id, runId);
    });

    it('lists a logged model artifacts through the artifact store', async () => {
      const m = await createModel({ name: 'files' });
      const base = (m.info.artifact_uri as string).replace(
        'mlflow-artifacts:/',
        '/api/2.0/mlflow-artifacts/artifacts/',
      );
      for (const [path, body] of [
        ['MLmodel', 'flavors: {}'],
        ['data/model.pkl', 'bytes'],
      ])
        assert.equal(
          (await server.app.inject({ method: 'PUT', url: `${base}/${path}`, payload: body })).statusCode,
          200,
        );
      const top = ok(await get(server.app, `/logged-models/${m.info.model_id}/artifacts/directories`));
      assert.equal(top.root_uri, m.info.artifact_uri);
      assert.deepEqual(top.files, [
        { path: 'MLmodel', is_dir: false, file_size: 11 },
        { path: 'data', is_dir: true },
      ]);
      const sub = ok(
        await get(server.app, `/logged-models/${m.info.model_id}/artifacts/directories`, {
          artifact_directory_path: 'data',
        }),
      );
      assert.deepEqual(sub.files, [{ path: 'data/model.pkl', is_dir: false, file_size: 5 }]);
    });
  });

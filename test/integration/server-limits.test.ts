import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoInternals } from '../support/auth-matrix.ts';
import { json, post, startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

describe('cairn server limits and error bodies', () => {
  let server: TestServer;
  let runId = '';
  before(async () => {
    server = await startTestServer(variants()[0] as Variant);
    const run = json(await post(server.app, '/runs/create', { experiment_id: '0' })).run as {
      info: { run_id: string };
    };
    runId = run.info.run_id;
  });
  after(async () => {
    await server?.close();
  });

  it("refuses a log-batch request over MLflow's 1 MB with MLflow's message, writing nothing", async () => {
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(6000) }));
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 'y'.repeat(5000) }));
    const body = { run_id: runId, params, tags };
    assert.ok(JSON.stringify(body).length > 1_000_000);
    const res = await post(server.app, '/runs/log-batch', body);
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(
      json(res).message as string,
      /^Batched logging API requests must be at most 1000000 bytes, got a request of size \d+\.$/,
    );
    const run = json(await server.app.inject({ url: `/api/2.0/mlflow/runs/get?run_id=${runId}` })).run as {
      data: { params?: unknown[] };
    };
    assert.equal(run.data.params, undefined);
    const fine = await post(server.app, '/runs/log-batch', { run_id: runId, params: params.slice(0, 50) });
    assert.equal(fine.statusCode, 200, 'a batch under 1 MB is logged');
  });

  it('answers 413 RESOURCE_EXHAUSTED to a JSON body over the server-wide limit', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(17 * 1024 * 1024) });
    for (const url of ['/api/2.0/mlflow/experiments/create', '/api/2.0/mlflow/runs/log-batch']) {
      const res = await server.app.inject({
        method: 'POST',
        url,
        payload: huge,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.statusCode, 413, url);
      assert.equal(json(res).error_code, 'RESOURCE_EXHAUSTED');
    }
  });

  it('answers malformed requests with MLflow errors that show no internals', async () => {
    const bad: [string, string, string | undefined, string][] = [
      ['POST', '/api/2.0/mlflow/experiments/create', '{"name": ', 'application/json'],
      ['POST', '/api/2.0/mlflow/experiments/create', 'name=x', 'application/x-www-form-urlencoded'],
      [
        'POST',
        '/api/2.0/mlflow/runs/search',
        '{"experiment_ids": ["0"], "filter": "params.a = \'b\' OR 1=1"}',
        'application/json',
      ],
      [
        'POST',
        '/api/2.0/mlflow/runs/search',
        '{"experiment_ids": ["0"], "order_by": ["metrics.x; DROP TABLE runs"]}',
        'application/json',
      ],
      [
        'POST',
        '/api/2.0/mlflow/runs/search',
        '{"experiment_ids": ["0"], "page_token": "eyJvZmZzZXQiOiAtMX0="}',
        'application/json',
      ],
      ['POST', '/api/2.0/mlflow/runs/search', '{"experiment_ids": ["x\'--"]}', 'application/json'],
      ['GET', '/api/2.0/mlflow/runs/get?run_id=%27%20OR%201%3D1--', undefined, ''],
      ['POST', '/api/2.0/mlflow/experiments/create', `{"name": "${'n'.repeat(600)}"}`, 'application/json'],
      [
        'POST',
        '/api/2.0/mlflow/runs/log-metric',
        `{"run_id": "${runId}", "key": "../x", "value": 1, "timestamp": 1}`,
        'application/json',
      ],
      ['GET', '/api/2.0/mlflow/metrics/get-history?run_id=r&metric_key=m&max_results=-1', undefined, ''],
    ];
    for (const [method, url, payload, type] of bad) {
      const res = await server.app.inject({
        method: method as 'GET' | 'POST',
        url,
        ...(payload !== undefined ? { payload, headers: { 'content-type': type } } : {}),
      });
      assert.ok(
        res.statusCode >= 400 && res.statusCode < 500,
        `${method} ${url}: ${res.statusCode} ${res.body}`,
      );
      const body = json(res);
      assert.equal(typeof body.error_code, 'string', res.body);
      assert.equal(typeof body.message, 'string');
      assertNoInternals(res.body, `${method} ${url}`);
    }
  });

  it('turns an unexpected failure into a bare 500 and logs it', async () => {
    const deps = server.backends.deps;
    const { tracking, log } = deps;
    const original = tracking.getExperiment;
    const logged: unknown[] = [];
    tracking.getExperiment = async () => {
      throw new Error('SELECT * FROM tracking_experiments failed at /srv/src/x.ts:1:2');
    };
    deps.log = { ...log, error: (obj: unknown) => void logged.push(obj) };
    try {
      const res = await server.app.inject({ url: '/api/2.0/mlflow/experiments/get?experiment_id=0' });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(json(res), { error_code: 'INTERNAL_ERROR', message: 'internal server error' });
      assert.match(
        String((logged[0] as { err?: Error })?.err?.message),
        /SELECT/,
        'the cause goes to the log',
      );
    } finally {
      tracking.getExperiment = original;
      deps.log = log;
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, ok, post, startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

/** The /api/v1 reads the web UI is built on, over HTTP against the real server. */
describe('the web UI read API', () => {
  let server: TestServer;
  let experiment = '';
  let runId = '';

  before(async () => {
    server = await startTestServer(variants()[0] as Variant);
    experiment = ok(await post(server.app, '/experiments/create', { name: 'ui-api' }))
      .experiment_id as string;
    const run = ok(await post(server.app, '/runs/create', { experiment_id: experiment, run_name: 'r1' }));
    runId = (run.run as { info: { run_id: string } }).info.run_id;
    const metrics = Array.from({ length: 1000 }, (_, step) => ({
      key: 'loss',
      value: step === 10 ? 'NaN' : step === 20 ? 'Infinity' : 1 / (step + 1),
      step,
      timestamp: 1_700_000_000_000 + step,
    }));
    ok(await post(server.app, '/runs/log-batch', { run_id: runId, metrics }));
    ok(
      await post(server.app, '/runs/log-batch', {
        run_id: runId,
        params: [{ key: 'lr', value: '0.1' }],
        tags: [{ key: 'team', value: 'red' }],
      }),
    );
    const upload = await server.app.inject({
      method: 'PUT',
      url: `/api/2.0/mlflow-artifacts/artifacts/${experiment}/${runId}/artifacts/report/notes.txt`,
      payload: 'hello, artifacts',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(upload.statusCode, 200, upload.body);
  });
  after(async () => server?.close());

  it('answers bucketed series with non-finite values as MLflow writes them', async () => {
    const res = await get(
      server.app,
      '/metrics/series',
      { run_id: runId, key: 'loss', buckets: '100' },
      '/api/v1',
    );
    const body = ok(res) as {
      width: number;
      series: { x: number[]; min: unknown[]; max: unknown[]; first: unknown[] }[];
    };
    assert.equal(body.width, 10);
    const [s] = body.series;
    assert.equal(s?.x.length, 100);
    assert.equal(s?.first[1], 'NaN', 'the first value of bucket 10–19 is NaN');
    assert.equal(s?.max[2], 'Infinity');
    assert.equal(s?.min[0], 1 / 10);
    const bad = await get(
      server.app,
      '/metrics/series',
      { run_id: runId, key: 'loss', buckets: '0' },
      '/api/v1',
    );
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'INVALID_ARGUMENT');
  });

  it('answers a window of the runs table with chosen columns, and the columns there are', async () => {
    const page = ok(
      await post(
        server.app,
        '/runs/search',
        {
          experiment_ids: [experiment],
          filter: "params.lr = '0.1'",
          columns: ['metrics.loss', 'tags.team'],
          limit: 10,
        },
        '/api/v1',
      ),
    ) as {
      total: number;
      runs: { run_id: string; metrics: Record<string, unknown>; params: object; tags: object }[];
    };
    assert.equal(page.total, 1);
    assert.equal(page.runs[0]?.run_id, runId);
    assert.deepEqual(page.runs[0]?.metrics, { loss: 1 / 1000 });
    assert.deepEqual(page.runs[0]?.params, {});
    assert.deepEqual(page.runs[0]?.tags, { team: 'red' });
    const columns = ok(await get(server.app, '/runs/columns', { experiment_id: experiment }, '/api/v1'));
    assert.deepEqual(columns.params, ['lr']);
    assert.deepEqual(columns.metrics, ['loss']);
    const wrong = await post(
      server.app,
      '/runs/search',
      { experiment_ids: [experiment], filter: 'metrics.loss >' },
      '/api/v1',
    );
    assert.equal(wrong.statusCode, 400);
  });

  it("summarises a run's metrics over their whole history", async () => {
    const body = ok(await get(server.app, `/runs/${runId}/metrics`, {}, '/api/v1')) as {
      metrics: { key: string; min: unknown; max: unknown; count: number; last: unknown }[];
    };
    assert.deepEqual(body.metrics, [
      {
        key: 'loss',
        last: 1 / 1000,
        step: 999,
        timestamp: 1_700_000_000_999,
        min: 1 / 1000,
        max: 'Infinity',
        count: 1000,
      },
    ]);
    const missing = await get(server.app, '/runs/0123456789abcdef0123456789abcdef/metrics', {}, '/api/v1');
    assert.equal(missing.statusCode, 404);
  });

  it('downloads one artifact of a run by its path, as an attachment never sniffed', async () => {
    const res = await get(server.app, `/runs/${runId}/artifact`, { path: 'report/notes.txt' }, '/api/v1');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'hello, artifacts');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename=notes\.txt$/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    for (const path of ['../../etc/passwd', 'report/%2e%2e/x'])
      assert.equal(
        (await get(server.app, `/runs/${runId}/artifact`, { path }, '/api/v1')).statusCode,
        400,
        path,
      );
    assert.equal(
      (await get(server.app, `/runs/${runId}/artifact`, { path: 'nope.txt' }, '/api/v1')).statusCode,
      404,
    );
  });
});

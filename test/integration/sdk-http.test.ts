import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tracking } from '../../src/sdk/tracking.ts';
import { cairnJson } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { get, startTestServer, type TestServer, variants } from './server-harness.ts';

for (const variant of variants())
  describe(`Tracking SDK through cairn server (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let uri = '';
    before(async () => {
      server = await startTestServer(variant);
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const address = server.app.server.address() as { port: number };
      uri = `http://127.0.0.1:${address.port}`;
    });
    after(async () => server.close());

    it('logs params, a metric history, artifacts and inputs over HTTP, and the CLI reads them back', async () => {
      const dir = await tempDir('cairn-sdk-http-');
      const tracking = await Tracking.connect({ uri, env: {}, cwd: dir, flushIntervalMs: 50 });
      const run = await tracking.startRun({
        experiment: 'over-http',
        runName: 'remote-run',
        tags: { via: 'http' },
      });
      assert.match(run.artifact_uri, /^mlflow-artifacts:/);
      await tracking.logParams({ lr: 0.01, layers: [64, 32] });
      for (let step = 0; step < 5000; step++) tracking.logMetric('loss', 1 / (step + 1), { step });
      await mkdir(join(dir, 'model'), { recursive: true });
      await writeFile(join(dir, 'model', 'model.onnx'), 'onnx bytes');
      await writeFile(join(dir, 'model', 'MLmodel'), 'flavors: {}\n');
      assert.equal(await tracking.logArtifact(join(dir, 'model')), 'model');
      assert.equal(
        await tracking.logArtifact(join(dir, 'model', 'MLmodel'), 'extra/copy'),
        'extra/copy/MLmodel',
      );
      await tracking.logInput({
        name: 'train.csv',
        digest: `sha256:${'c'.repeat(64)}`,
        source: 'data/train.csv',
      });
      await tracking.close();

      const stored = await server.backends.deps.tracking.getRun(run.run_id);
      assert.equal(stored.info.status, 'FINISHED');
      assert.deepEqual(
        stored.data.params.map((p) => [p.key, p.value]),
        [
          ['layers', '[64,32]'],
          ['lr', '0.01'],
        ],
      );
      const history = await server.backends.deps.tracking.getMetricHistory(run.run_id, 'loss');
      assert.equal(history.items.length, 5000);
      assert.equal(stored.inputs.dataset_inputs[0]?.dataset.digest, 'c'.repeat(36));
      const path = run.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
      for (const [file, body] of [
        ['model/model.onnx', 'onnx bytes'],
        ['extra/copy/MLmodel', 'flavors: {}\n'],
      ] as const) {
        const res = await get(server.app, `/artifacts/${path}/${file}`, {}, '/api/2.0/mlflow-artifacts');
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.body, body);
      }

      const env = { CAIRN_TRACKING_URI: uri };
      const listed = await cairnJson<{ runs: { run_id: string; metrics: Record<string, number> }[] }>(
        ['exp', 'list', '--remote', '--experiment', 'over-http'],
        { cwd: dir, env },
      );
      assert.deepEqual(
        listed.runs.map((r) => [r.run_id, r.metrics.loss]),
        [[run.run_id, 1 / 5000]],
      );
      const shown = await cairnJson<{ metric_history: { key: string; points: number }[] }>(
        ['exp', 'show', 'remote-run', '--tracking-uri', uri],
        { cwd: dir },
      );
      assert.deepEqual(
        shown.metric_history.map((m) => [m.key, m.points]),
        [['loss', 5000]],
      );
    });
  });

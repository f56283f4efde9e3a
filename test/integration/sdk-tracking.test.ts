import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../../src/kernel/errors.ts';
import { Tracking } from '../../src/sdk/tracking.ts';
import { resolveTrackingTarget } from '../../src/sdk/tracking-uri.ts';
import type { LogBatch, Metric } from '../../src/tracking/tracking-types.ts';
import { initWorkspace } from '../../src/workspace/init-workspace.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const dir = await tempDir('cairn-sdk-');
const uri = `sqlite://${join(dir, 'tracking.db')}`;
const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const opened: Tracking[] = [];

/** A client on the test database that ignores the developer's own tracking settings. */
async function connect(
  options: { flushIntervalMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Tracking> {
  const t = await Tracking.connect({ uri, env: options.env ?? {}, cwd: dir, ...options });
  opened.push(t);
  return t;
}

after(async () => {
  for (const t of opened) await t.close().catch(() => undefined);
});

async function history(t: Tracking, runId: string, key: string): Promise<Metric[]> {
  return (await t.store.getMetricHistory(runId, key)).items;
}

describe('Tracking SDK on the SQL store', () => {
  it('delivers 10,000 points logged in a loop, complete and in step order, in batches of at most 1,000', async () => {
    const t = await connect({ flushIntervalMs: 60_000 });
    const batches: number[] = [];
    const logBatch = t.store.logBatch.bind(t.store);
    t.store.logBatch = async (runId: string, batch: LogBatch) => {
      batches.push(batch.metrics?.length ?? 0);
      return logBatch(runId, batch);
    };
    const run = await t.startRun({ experiment: 'sdk-batching', runName: 'ten-thousand' });
    for (let step = 0; step < 10_000; step++) t.logMetric('loss', 1 / (step + 1), { step });
    await t.flush();
    assert.equal(t.pendingMetrics, 0);
    const points = await history(t, run.run_id, 'loss');
    assert.equal(points.length, 10_000);
    assert.deepEqual(
      points.map((m) => m.step),
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    assert.ok(points.every((m) => m.value === 1 / (m.step + 1)));
    assert.ok(Math.max(...batches) <= 1000 && batches.length >= 10, `batches: ${batches.join(',')}`);
    await t.endRun();
  });

  it('flushes on endRun and records the end: status, end time, latest value', async () => {
    const t = await connect({ flushIntervalMs: 60_000 });
    const run = await t.startRun({ experiment: 'sdk-end', tags: { team: 'risk' } });
    await t.logParams({ lr: 0.01, layers: [64, 32], model: 'gbdt' });
    for (let step = 0; step < 2500; step++)
      t.logMetrics({ auc: step / 2500, 'val.loss': 1 - step / 2500 }, { step });
    assert.ok(t.pendingMetrics > 0, 'points wait in the queue');
    await t.endRun();
    assert.equal(t.activeRun(), undefined);
    const stored = await t.store.getRun(run.run_id);
    assert.equal(stored.info.status, 'FINISHED');
    assert.ok(stored.info.end_time && stored.info.end_time >= stored.info.start_time);
    assert.equal((await history(t, run.run_id, 'val.loss')).length, 2500);
    const params = Object.fromEntries(stored.data.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { layers: '[64,32]', lr: '0.01', model: 'gbdt' });
    const tags = Object.fromEntries(stored.data.tags.map((p) => [p.key, p.value]));
    assert.equal(tags.team, 'risk');
    assert.equal(tags['mlflow.source.type'], 'LOCAL');
    assert.equal(stored.data.metrics.find((m) => m.key === 'auc')?.step, 2499);
  });

  it('throws invalid input at the call, and a background failure on the next call, without losing points', async () => {
    const t = await connect({ flushIntervalMs: 20 });
    const run = await t.startRun({ experiment: 'sdk-errors' });
    assert.throws(() => t.logMetric('bad/../key', 1), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => t.logMetric('loss', 1, { step: 1.5 }), { code: 'INVALID_ARGUMENT' });
    const logBatch = t.store.logBatch;
    let failures = 0;
    t.store.logBatch = async () => {
      failures++;
      throw new CairnError('UNAVAILABLE', 'database is locked');
    };
    for (let step = 0; step < 10; step++) t.logMetric('loss', step, { step });
    const deadline = Date.now() + 5000;
    while (failures === 0) {
      assert.ok(Date.now() < deadline, 'the timer flushed');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 5));
    t.store.logBatch = logBatch;
    assert.throws(
      () => t.logMetric('loss', 10, { step: 10 }),
      (err: CairnError) => {
        assert.equal(err.code, 'UNAVAILABLE');
        assert.match(err.message, /could not be written to run .*: database is locked; they are kept/);
        return true;
      },
    );
    t.logMetric('loss', 10, { step: 10 });
    await t.flush();
    assert.deepEqual(
      (await history(t, run.run_id, 'loss')).map((m) => m.step),
      Array.from({ length: 11 }, (_, i) => i),
      'the points of the failed flush were sent again',
    );

    await t.store.deleteRun(run.run_id);
    t.logMetric('loss', 11, { step: 11 });
    await assert.rejects(t.flush(), (err: CairnError) => {
      assert.equal(err.code, 'FAILED_PRECONDITION');
      assert.match(err.message, /1 metric point\(s\) could not be written .*; they were dropped/);
      return true;
    });
    await t.flush();
  });

  it('flushes at process exit (beforeExit) and ends the run, when the script never calls flush or endRun', async () => {
    const script = join(dir, 'no-flush.ts');
    await writeFile(
      script,
      `import { Tracking } from ${JSON.stringify(ENTRY)};
const t = await Tracking.connect({ uri: ${JSON.stringify(uri)}, env: {} });
const run = await t.startRun({ experiment: 'sdk-exit' });
for (let step = 0; step < 3000; step++) t.logMetric('loss', step, { step });
console.log(run.run_id);
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, stderr);
    const t = await connect();
    const runId = stdout.trim();
    assert.equal((await history(t, runId, 'loss')).length, 3000);
    assert.equal((await t.store.getRun(runId)).info.status, 'FINISHED');
  });

  it('fromEnv joins the run named by CAIRN_RUN_ID: startRun returns it and endRun leaves it running', async () => {
    const owner = await connect();
    const pipelineRun = await owner.startRun({ experiment: 'sdk-join' });
    const t = await Tracking.fromEnv({
      env: { CAIRN_TRACKING_URI: uri, CAIRN_RUN_ID: pipelineRun.run_id },
      cwd: dir,
    });
    opened.push(t);
    assert.equal(t.activeRun()?.run_id, pipelineRun.run_id);
    const started = await t.startRun({ experiment: 'ignored', tags: { stage: 'train' } });
    assert.equal(started.run_id, pipelineRun.run_id);
    for (let step = 0; step < 5; step++) t.logMetric('acc', step / 5, { step });
    await t.endRun();
    const stored = await owner.store.getRun(pipelineRun.run_id);
    assert.equal(stored.info.status, 'RUNNING', 'the pipeline ends its own run');
    assert.equal((await history(owner, pipelineRun.run_id, 'acc')).length, 5);
    assert.equal(stored.data.tags.find((x) => x.key === 'stage')?.value, 'train');
    await owner.endRun();

    await assert.rejects(
      Tracking.fromEnv({ env: { CAIRN_TRACKING_URI: uri, CAIRN_RUN_ID: 'f'.repeat(32) }, cwd: dir }),
      (err: CairnError) => err.code === 'NOT_FOUND' && /from CAIRN_RUN_ID/.test(err.message),
    );
  });

  it('copies artifacts into a local artifact root and records dataset inputs', async () => {
    const t = await connect();
    const run = await t.startRun({ experiment: 'sdk-artifacts' });
    await mkdir(join(dir, 'model'), { recursive: true });
    await writeFile(join(dir, 'model', 'model.onnx'), 'onnx bytes');
    await writeFile(join(dir, 'model', 'MLmodel'), 'flavors: {}');
    assert.equal(await t.logArtifact(join(dir, 'model', 'model.onnx'), 'export'), 'export/model.onnx');
    assert.equal(await t.logArtifact(join(dir, 'model')), 'model');
    const root = fileURLToPath(run.artifact_uri);
    assert.equal(readFileSync(join(root, 'export', 'model.onnx'), 'utf8'), 'onnx bytes');
    assert.equal(readFileSync(join(root, 'model', 'MLmodel'), 'utf8'), 'flavors: {}');
    await assert.rejects(t.logArtifact(join(dir, 'model', 'model.onnx'), '../outside'), {
      code: 'INVALID_ARGUMENT',
    });
    assert.ok(!existsSync(join(root, '..', 'outside')));
    await t.logInput({
      name: 'train.csv',
      digest: `sha256:${'ab'.repeat(32)}`,
      source: 'data/train.csv',
      context: 'training',
    });
    const [input] = (await t.store.getRun(run.run_id)).inputs.dataset_inputs;
    assert.equal(input?.dataset.digest, 'ab'.repeat(18));
    assert.deepEqual(input?.tags, [{ key: 'mlflow.data.context', value: 'training' }]);
    await t.endRun('FAILED');
    assert.equal((await t.store.getRun(run.run_id)).info.status, 'FAILED');
  });

  it('resolves the store: option, then CAIRN_TRACKING_URI, then MLFLOW_TRACKING_URI, then the workspace', async () => {
    const ws = join(dir, 'ws');
    await mkdir(join(ws, 'src'), { recursive: true });
    await initWorkspace(ws);
    const env = { CAIRN_TRACKING_URI: 'sqlite:///a.db', MLFLOW_TRACKING_URI: 'http://b:5000' };
    assert.equal(
      (await resolveTrackingTarget({ uri: 'sqlite:///o.db', env, cwd: ws })).uri,
      'sqlite:///o.db',
    );
    assert.equal((await resolveTrackingTarget({ env, cwd: ws })).source, 'CAIRN_TRACKING_URI');
    const mlflow = await resolveTrackingTarget({
      env: { MLFLOW_TRACKING_URI: 'http://b:5000', MLFLOW_TRACKING_TOKEN: 't' },
      cwd: ws,
    });
    assert.deepEqual([mlflow.uri, mlflow.token], ['http://b:5000', 't']);
    const local = await resolveTrackingTarget({ env: {}, cwd: join(ws, 'src') });
    assert.equal(local.source, 'workspace');
    assert.equal(local.uri, `sqlite://${join(ws, '.cairn', 'cairn.db')}`);
    assert.equal(local.defaultArtifactRoot, `file://${join(ws, '.cairn', 'artifacts')}`);
    await assert.rejects(resolveTrackingTarget({ env: {}, cwd: '/' }), { code: 'FAILED_PRECONDITION' });

    const t = await Tracking.connect({ env: {}, cwd: join(ws, 'src') });
    opened.push(t);
    const run = await t.startRun();
    const experiment = await t.store.getExperiment(run.experiment_id);
    assert.equal(
      experiment.name,
      'ws',
      'the default experiment is named after the workspace, as cairn run does',
    );
    await t.close();
    assert.throws(() => t.logMetric('x', 1), { code: 'FAILED_PRECONDITION' });
  });
});

const pg = pgGate();
describe('Tracking SDK on PostgreSQL', { skip: pg.skip }, () => {
  it('delivers a 10,000-point history and ends the run', async () => {
    const t = await Tracking.connect({
      uri: await freshDatabase(pg.value as string, 'cairn_sdk'),
      env: {},
      cwd: dir,
      flushIntervalMs: 60_000,
    });
    opened.push(t);
    const run = await t.startRun({ experiment: 'sdk-pg' });
    for (let step = 0; step < 10_000; step++)
      t.logMetrics({ loss: 1 / (step + 1), acc: step / 10_000 }, { step });
    await t.endRun();
    const points = await history(t, run.run_id, 'acc');
    assert.deepEqual(
      points.map((m) => m.step),
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    assert.equal((await t.store.getRun(run.run_id)).info.status, 'FINISHED');
  });
});

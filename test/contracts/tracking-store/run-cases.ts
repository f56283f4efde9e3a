import assert from 'node:assert/strict';
import { it } from 'node:test';
import { rejectsWith, type TrackingContext, tagsOf } from './support.ts';

export function runCases(ctx: TrackingContext): void {
  it('creates a run with MLflow-shaped id, generated name, tags and artifact URI', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('runs'));
    const experiment = await ctx.store.getExperiment(experimentId);
    const before = Date.now();
    const run = await ctx.store.createRun({ experiment_id: experimentId, user_id: 'ada' });
    const { info } = run;
    assert.match(info.run_id, /^[0-9a-f]{32}$/);
    assert.equal(info.run_uuid, info.run_id);
    assert.match(info.run_name, /^[a-z]+-[a-z]+-\d{1,3}$/);
    assert.equal(info.experiment_id, experimentId);
    assert.equal(info.user_id, 'ada');
    assert.equal(info.status, 'RUNNING');
    assert.equal(info.lifecycle_stage, 'active');
    assert.equal(info.end_time, undefined);
    assert.ok(info.start_time >= before && info.start_time <= Date.now());
    assert.equal(info.artifact_uri, `${experiment.artifact_location}/${info.run_id}/artifacts`);
    assert.equal(tagsOf(run)['mlflow.runName'], info.run_name);
    assert.equal(tagsOf(run)['mlflow.user'], 'ada');
    assert.deepEqual(await ctx.store.getRun(info.run_id), run);
  });

  it('names a run from run_name or the mlflow.runName tag, refusing two different names', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('names'));
    const named = await ctx.store.createRun({
      experiment_id: experimentId,
      run_name: 'baseline',
      start_time: 1000,
    });
    assert.equal(named.info.run_name, 'baseline');
    assert.equal(named.info.start_time, 1000);
    assert.equal(tagsOf(await ctx.store.getRun(named.info.run_id))['mlflow.runName'], 'baseline');
    const tagged = await ctx.store.createRun({
      experiment_id: experimentId,
      tags: [
        { key: 'mlflow.runName', value: 'from-tag' },
        { key: 'stage', value: 'dev' },
      ],
    });
    assert.equal((await ctx.store.getRun(tagged.info.run_id)).info.run_name, 'from-tag');
    assert.equal(tagsOf(tagged).stage, 'dev');
    await rejectsWith(
      ctx.store.createRun({
        experiment_id: experimentId,
        run_name: 'one',
        tags: [{ key: 'mlflow.runName', value: 'two' }],
      }),
      'INVALID_ARGUMENT',
    );
  });

  it('answers NOT_FOUND for unknown runs and experiments', async () => {
    await rejectsWith(ctx.store.createRun({ experiment_id: '987654321' }), 'NOT_FOUND');
    const missing = '0123456789abcdef0123456789abcdef';
    await rejectsWith(ctx.store.getRun(missing), 'NOT_FOUND', new RegExp(missing));
    await rejectsWith(ctx.store.updateRun(missing, { status: 'FINISHED' }), 'NOT_FOUND');
    await rejectsWith(ctx.store.deleteRun(missing), 'NOT_FOUND');
    await rejectsWith(
      ctx.store.logMetric(missing, { key: 'm', value: 1, timestamp: 1, step: 0 }),
      'NOT_FOUND',
    );
    await rejectsWith(ctx.store.logBatch(missing, { params: [{ key: 'p', value: 'v' }] }), 'NOT_FOUND');
    await rejectsWith(ctx.store.getMetricHistory(missing, 'm'), 'NOT_FOUND');
  });

  it('updates status, end time and name; the mlflow.runName tag follows and leads', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('update'));
    const { info } = await ctx.store.createRun({ experiment_id: experimentId });
    const end = info.start_time + 5000;
    const updated = await ctx.store.updateRun(info.run_id, {
      status: 'FINISHED',
      end_time: end,
      run_name: 'renamed',
    });
    assert.equal(updated.status, 'FINISHED');
    assert.equal(updated.end_time, end);
    assert.equal(updated.run_name, 'renamed');
    let run = await ctx.store.getRun(info.run_id);
    assert.deepEqual(run.info, updated);
    assert.equal(tagsOf(run)['mlflow.runName'], 'renamed');
    await ctx.store.setTag(info.run_id, { key: 'mlflow.runName', value: 'by-tag' });
    run = await ctx.store.getRun(info.run_id);
    assert.equal(run.info.run_name, 'by-tag');
    assert.equal(run.info.status, 'FINISHED', 'a rename keeps the status');
    const failed = await ctx.store.updateRun(info.run_id, { status: 'FAILED' });
    assert.equal(failed.end_time, end, 'an update without end_time keeps it');
    assert.equal(failed.run_name, 'by-tag');
    await rejectsWith(ctx.store.updateRun(info.run_id, { status: 'DONE' as 'FINISHED' }), 'INVALID_ARGUMENT');
  });

  it('deletes a run softly: it is still readable, refuses writes, and can be restored', async () => {
    const experimentId = await ctx.store.createExperiment(ctx.name('delrun'));
    const { info } = await ctx.store.createRun({ experiment_id: experimentId });
    const id = info.run_id;
    await ctx.store.deleteRun(id);
    assert.equal((await ctx.store.getRun(id)).info.lifecycle_stage, 'deleted');
    const metric = { key: 'm', value: 1, timestamp: 1, step: 0 };
    await rejectsWith(ctx.store.logMetric(id, metric), 'FAILED_PRECONDITION', new RegExp(id));
    await rejectsWith(ctx.store.logParam(id, 'p', 'v'), 'FAILED_PRECONDITION');
    await rejectsWith(ctx.store.setTag(id, { key: 't', value: 'v' }), 'FAILED_PRECONDITION');
    await rejectsWith(ctx.store.logBatch(id, { metrics: [metric] }), 'FAILED_PRECONDITION');
    await rejectsWith(ctx.store.updateRun(id, { status: 'FINISHED' }), 'FAILED_PRECONDITION');
    const dataset = { name: 'd', digest: 'x', source_type: 'local', source: '/d' };
    await rejectsWith(ctx.store.logInputs(id, [{ tags: [], dataset }]), 'FAILED_PRECONDITION');
    assert.deepEqual((await ctx.store.getRun(id)).data.metrics, [], 'nothing was written');
    await ctx.store.restoreRun(id);
    assert.equal((await ctx.store.getRun(id)).info.lifecycle_stage, 'active');
    await ctx.store.logMetric(id, metric);
    assert.equal((await ctx.store.getRun(id)).data.metrics.length, 1);
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffParams } from '../../src/pipeline/inspect/params-diff.ts';
import { flattenMetrics } from '../../src/pipeline/inspect/stage-metrics.ts';
import type { LockFile, Pipeline, StageDefinition } from '../../src/pipeline/pipeline-types.ts';
import type { Run } from '../../src/tracking/tracking-types.ts';
import { diffRuns } from '../../src/tracking/views/run-diff.ts';
import {
  chooseColumns,
  orderByClause,
  type RunSummary,
  stageOutcomes,
  summarizeRun,
} from '../../src/tracking/views/run-summary.ts';

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: {
      run_id: id,
      run_uuid: id,
      run_name: `run-${id}`,
      experiment_id: '1',
      user_id: 'u',
      status: 'FINISHED',
      start_time: 1000,
      end_time: 3500,
      artifact_uri: 'file:///a',
      lifecycle_stage: 'active',
    },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 1 })),
      tags: [],
    },
    inputs: { dataset_inputs: [] },
  };
}

const summaries = (runs: Run[]): RunSummary[] => runs.map((r) => summarizeRun(r));

describe('run listing columns', () => {
  const runs = summaries([
    run('a', { lr: '0.1', seed: '1', model: 'gbdt' }, { auc: 0.8, loss: 0.3, f1: 0.5, acc: 0.7, z: 1 }),
    run('b', { lr: '0.2', seed: '1', model: 'gbdt' }, { auc: 0.9, loss: 0.2, f1: 0.6, acc: 0.8 }),
    run('c', { lr: '0.3', seed: '1', model: 'rf', depth: '6' }, { auc: 0.7, loss: 0.4 }),
  ]);

  it('shows the metrics most runs have and the params that tell runs apart', () => {
    assert.deepEqual(chooseColumns(runs, {}), {
      metrics: ['auc', 'loss', 'acc', 'f1'],
      params: ['lr', 'model', 'depth'],
    });
  });

  it('puts what the sort and the filter name first', () => {
    const columns = chooseColumns(runs, {
      orderBy: [orderByClause('-metrics.z')],
      filter: "params.seed = '1' and metrics.f1 > 0",
    });
    assert.deepEqual(columns.metrics, ['z', 'f1', 'auc', 'loss']);
    assert.deepEqual(columns.params, ['seed', 'lr', 'model']);
  });

  it('shows every column with all', () => {
    const columns = chooseColumns(runs, { all: true });
    assert.equal(columns.metrics.length, 5);
    assert.deepEqual(columns.params, ['lr', 'model', 'seed', 'depth']);
  });

  it('reads --sort as ascending, or descending with - or desc', () => {
    assert.equal(orderByClause('metrics.auc'), 'metrics.auc');
    assert.equal(orderByClause('-metrics.auc'), 'metrics.auc DESC');
    assert.equal(orderByClause('metrics.auc desc'), 'metrics.auc desc');
    assert.throws(() => orderByClause('-'), { code: 'INVALID_ARGUMENT' });
  });

  it('summarises a run with its duration, and reads stage outcomes from its tags', () => {
    assert.equal(runs[0]?.duration_ms, 2500);
    assert.deepEqual(
      stageOutcomes({
        'cairn.stage.train.status': 'done',
        'cairn.stage.train.duration_ms': '812',
        'cairn.stage.evaluate_gbdt-1.status': 'skipped',
        'cairn.output.x': 'sha256:…',
      }),
      [
        { name: 'evaluate_gbdt-1', status: 'skipped' },
        { name: 'train', status: 'done', duration_ms: 812 },
      ],
    );
  });
});

describe('diffRuns', () => {
  it('marks params changed, added or removed and gives metric deltas and % change', () => {
    const diff = diffRuns(
      run('a', { lr: '0.1', model: 'gbdt', old: 'x' }, { auc: 0.8, loss: 0, nan: Number.NaN, gone: 1 }),
      run('b', { lr: '0.2', model: 'gbdt', new: 'y' }, { auc: 0.9, loss: 0.5, nan: 1 }),
    );
    assert.deepEqual(diff.params, [
      { key: 'lr', a: '0.1', b: '0.2', change: 'changed' },
      { key: 'model', a: 'gbdt', b: 'gbdt', change: 'same' },
      { key: 'new', b: 'y', change: 'added' },
      { key: 'old', a: 'x', change: 'removed' },
    ]);
    const m = Object.fromEntries(diff.metrics.map((x) => [x.key, x]));
    assert.ok(Math.abs((m.auc?.delta ?? 0) - 0.1) < 1e-12);
    assert.ok(Math.abs((m.auc?.pct_change ?? 0) - 12.5) < 1e-9);
    assert.deepEqual(m.loss, { key: 'loss', a: 0, b: 0.5, delta: 0.5 }, 'no % change from 0');
    assert.equal(m.nan?.delta, undefined, 'no delta from NaN');
    assert.deepEqual(m.gone, { key: 'gone', a: 1 });
  });
});

describe('params diff against cairn.lock', () => {
  const stage = (name: string, keys: string[]): StageDefinition => ({
    name,
    cmd: ['x'],
    wdir: '.',
    deps: [],
    params: [{ file: 'params.yaml', keys }],
    outs: [],
    metrics: [],
    plots: [],
    env: {},
    source: { file: 'cairn.yaml', line: 1 },
  });
  const pipeline: Pipeline = {
    stages: [stage('prepare', ['seed']), stage('train', ['train', 'seed']), stage('eval', ['seed'])],
    upstream: new Map(),
    params: new Map([['params.yaml', { seed: 2, train: { lr: 0.01, layers: [64, 32], opt: 'adam' } }]]),
  };
  const lock: LockFile = {
    schema: 1,
    stages: {
      prepare: { cmd: ['x'], deps: [], outs: [], params: { 'params.yaml': { seed: 1 } } },
      train: {
        cmd: ['x'],
        deps: [],
        outs: [],
        params: { 'params.yaml': { seed: 1, train: { lr: 0.1, layers: [64, 32], dropout: 0.5 } } },
      },
    },
  };

  it('lists changed keys once with every stage that holds the old value, subtrees key by key', () => {
    assert.deepEqual(diffParams(pipeline, lock), {
      params: [
        { file: 'params.yaml', key: 'seed', old: 1, new: 2, stages: ['prepare', 'train'] },
        { file: 'params.yaml', key: 'train.dropout', old: 0.5, stages: ['train'] },
        { file: 'params.yaml', key: 'train.lr', old: 0.1, new: 0.01, stages: ['train'] },
        { file: 'params.yaml', key: 'train.opt', new: 'adam', stages: ['train'] },
      ],
      never_run: ['eval'],
    });
    const all = diffParams(pipeline, lock, { all: true });
    assert.ok(all.params.some((p) => p.key === 'train.layers' && p.stages[0] === 'train'));
  });
});

describe('metrics files', () => {
  it('keeps the numbers, nested keys joined with dots', () => {
    assert.deepEqual(
      flattenMetrics({ acc: 0.9, loss: { train: 0.1, val: 0.2 }, note: 'x', list: [1], ok: true }),
      {
        acc: 0.9,
        'loss.train': 0.1,
        'loss.val': 0.2,
      },
    );
  });
});

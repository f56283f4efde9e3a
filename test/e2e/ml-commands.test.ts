/**
 * Models through the CLI as a user drives them: `cairn train` as a pipeline stage logging to the
 * run of `cairn run`, `cairn models register` of the package (reusing that run) and of a package
 * trained on its own (logged to a new run), `cairn model inspect` of a directory and of a
 * registered version, and a failed registration leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256 } from '../../src/kernel/hashing.ts';
import { readLockFile } from '../../src/pipeline/lock/lock-file.ts';
import { CAIRN_BIN, cairn, cairnJson, git, newWorkspace } from '../support/cli.ts';
import { syntheticCsv } from '../support/ml-data.ts';

interface RunSummary {
  run_id: string;
  status: string;
}

interface Inspected {
  package_hash: string;
  version?: { name: string; version: string };
  cairn: {
    model_kind: string;
    metrics: Record<string, number>;
    lineage: {
      run_id?: string;
      stage?: string;
      git_commit?: string;
      datasets: { name: string; digest: string }[];
    };
  };
}

interface Version {
  name: string;
  version: string;
  source: string;
  run_id: string;
  tags: { key: string; value: string }[];
}

const tag = (v: Version, key: string) => v.tags.find((t) => t.key === key)?.value;

describe('cairn train, models register and model inspect', () => {
  it('trains in a pipeline stage, registers from that run, and inspects the version', async () => {
    const ws = await newWorkspace();
    mkdirSync(join(ws, 'data'));
    copyFileSync(await syntheticCsv({ rows: 1500, seed: 21 }), join(ws, 'data/train.csv'));
    writeFileSync(
      join(ws, 'cairn.yaml'),
      [
        'vars:',
        `  - node: ${JSON.stringify(process.execPath)}`,
        `    cairn: ${JSON.stringify(CAIRN_BIN)}`,
        'stages:',
        '  train:',
        `    cmd: \${node} \${cairn} train --data data/train.csv --target y --task classification --model gbdt --param learning_rate=0.2 --out models/m --metrics metrics/train.json`,
        '    deps:',
        '      - data/train.csv',
        '    outs:',
        '      - models/m',
        '    metrics:',
        '      - metrics/train.json',
        '',
      ].join('\n'),
    );
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'pipeline']);
    const head = git(ws, ['rev-parse', 'HEAD']).trim();

    const run = await cairnJson<RunSummary>(['run'], { cwd: ws });
    assert.equal(run.status, 'FINISHED');
    const local = await cairnJson<Inspected>(['model', 'inspect', 'models/m'], { cwd: ws });
    assert.equal(local.cairn.model_kind, 'gbdt');
    assert.deepEqual(
      {
        run: local.cairn.lineage.run_id,
        stage: local.cairn.lineage.stage,
        commit: local.cairn.lineage.git_commit,
      },
      { run: run.run_id, stage: 'train', commit: head },
    );
    assert.deepEqual(local.cairn.lineage.datasets[0], {
      name: 'data/train.csv',
      digest: sha256(readFileSync(join(ws, 'data/train.csv'))),
      rows: 1500,
      context: 'training',
    });
    assert.deepEqual(JSON.parse(readFileSync(join(ws, 'metrics/train.json'), 'utf8')), local.cairn.metrics);
    const locked = (await readLockFile(ws)).stages.train?.outs.find((o) => o.path === 'models/m');
    assert.equal(
      local.package_hash,
      locked?.hash,
      'the package hash is the hash cairn run recorded for the stage output',
    );

    // The run holds the params, the metrics and the package.
    const runs = async () =>
      (
        await cairnJson<{
          runs: { run_id: string; params: Record<string, string>; metrics: Record<string, number> }[];
        }>(['exp', 'list'], { cwd: ws })
      ).runs;
    const recorded = (await runs()).find((r) => r.run_id === run.run_id);
    const params = recorded?.params ?? {};
    const metrics = recorded?.metrics ?? {};
    assert.equal(params.model, 'gbdt');
    assert.equal(params.learning_rate, '0.2');
    assert.equal(metrics.roc_auc, local.cairn.metrics.roc_auc);
    assert.ok('valid_loss' in metrics, 'the validation loss per iteration is logged');

    const v1 = await cairnJson<Version>(['models', 'register', 'models/m', '--name', 'm'], { cwd: ws });
    assert.equal(v1.version, '1');
    assert.equal(v1.source, `runs:/${run.run_id}/model`, 'the training run already holds these files');
    assert.equal(v1.run_id, run.run_id);
    assert.equal(tag(v1, 'cairn.package_hash'), local.package_hash);
    assert.equal(tag(v1, 'cairn.lineage.git_commit'), head);

    const remote = await cairnJson<Inspected>(['model', 'inspect', 'models:/m/1'], { cwd: ws });
    assert.deepEqual(remote.cairn, local.cairn);
    assert.equal(remote.package_hash, local.package_hash);
    assert.deepEqual(remote.version && [remote.version.name, remote.version.version], ['m', '1']);

    // A package trained on its own is logged to a new run that carries its lineage.
    const solo = await cairn(
      [
        'train',
        '--data',
        'data/train.csv',
        '--target',
        'y',
        '--task',
        'classification',
        '--out',
        'models/solo',
      ],
      { cwd: ws },
    );
    assert.equal(solo.code, 0, solo.stderr);
    const v2 = await cairnJson<Version>(['models', 'register', 'models/solo', '--name', 'm'], { cwd: ws });
    assert.equal(v2.version, '2');
    assert.notEqual(v2.run_id, run.run_id);
    assert.equal(v2.source, `runs:/${v2.run_id}/model`);
    const soloHash = (await cairnJson<Inspected>(['model', 'inspect', 'models/solo'], { cwd: ws }))
      .package_hash;
    assert.equal(tag(v2, 'cairn.package_hash'), soloHash);
    assert.match(tag(v2, 'cairn.lineage.datasets') ?? '', /data\/train\.csv/);
    const v3 = await cairnJson<Version>(
      ['models', 'register', `runs:/${v2.run_id}/model`, '--name', 'm-copy'],
      { cwd: ws },
    );
    assert.equal(tag(v3, 'cairn.package_hash'), soloHash);

    // A damaged package registers nothing: no model, no version, no run left behind.
    mkdirSync(join(ws, 'models/bad'));
    for (const f of readdirSync(join(ws, 'models/solo')))
      copyFileSync(join(ws, 'models/solo', f), join(ws, 'models/bad', f));
    await truncate(join(ws, 'models/bad/model.onnx'), 50);
    const runsBefore = (await runs()).length;
    const bad = await cairn(['models', 'register', 'models/bad', '--name', 'bad'], { cwd: ws });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*model\.onnx does not match the hash recorded in MLmodel.*\n$/);
    const names = (await cairnJson<{ name: string }[]>(['models', 'list'], { cwd: ws })).map((m) => m.name);
    assert.deepEqual(names.sort(), ['m', 'm-copy']);
    assert.equal((await runs()).length, runsBefore);

    const missing = await cairn(['model', 'inspect', 'models:/m@champion'], { cwd: ws });
    assert.equal(missing.code, 2, 'MLflow answers an unknown alias as an invalid parameter');
    assert.match(missing.stderr, /^error: Registered model alias champion not found\.\n$/);
  });
});

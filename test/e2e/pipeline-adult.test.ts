/**
 * A real pipeline on real data: the UCI Adult census set, cleaned and split by a Node stage,
 * modelled by scikit-learn's LogisticRegression, evaluated, tracked, pushed and restored in a
 * second clone from the run cache. The fixture project is test/fixtures/adult-pipeline/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readLockFile } from '../../src/pipeline/lock/lock-file.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import type { Run } from '../../src/tracking/tracking-types.ts';
import { cairn, cairnJson, git, newWorkspace } from '../support/cli.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const ADULT = fileURLToPath(new URL('../../../shared/data/uci-adult/adult.data', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/adult-pipeline/', import.meta.url));

interface Summary {
  run_id: string;
  status: string;
  stages: { name: string; status: string; reasons: string[] }[];
}

/** The shared data set is not part of the repository: without it the suite skips (or fails in CI). */
function dataGate(): string | false {
  if (existsSync(ADULT)) return false;
  const line = `skipped UCI Adult pipeline tests: ${ADULT} is missing (the shared test data, see DESIGN.md "Testing")`;
  if (process.env.CAIRN_TEST_REQUIRE_ALL === '1')
    throw new Error(`${line}, but CAIRN_TEST_REQUIRE_ALL=1: the suite cannot run`);
  process.stderr.write(`${line}\n`);
  return line;
}

/**
 * A git workspace holding the fixture project with its interpreters pinned to this Node and the
 * given Python, and the raw data tracked with `cairn add`.
 */
async function adultWorkspace(
  python: string,
): Promise<{ ws: string; marker: string; env: NodeJS.ProcessEnv }> {
  const ws = await newWorkspace();
  for (const file of readdirSync(FIXTURE)) copyFileSync(join(FIXTURE, file), join(ws, file));
  const yaml = readFileSync(join(ws, 'cairn.yaml'), 'utf8')
    .replace('node: node', `node: ${JSON.stringify(process.execPath)}`)
    .replace('python: python3', `python: ${JSON.stringify(python)}`);
  writeFileSync(join(ws, 'cairn.yaml'), yaml);
  mkdirSync(join(ws, 'data'));
  copyFileSync(ADULT, join(ws, 'data/adult.csv'));
  const marker = join(await tempDir('cairn-adult-marker-'), 'ran.txt');
  const env = { ADULT_MARKER: marker };
  const added = await cairn(['add', 'data/adult.csv'], { cwd: ws });
  assert.equal(added.code, 0, added.stderr);
  return { ws, marker, env };
}

/** The stages that ran, in order: each stage's command appends its name to the marker file. */
function ran(marker: string): string[] {
  return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];
}

const statuses = (s: Summary) => s.stages.map((st) => [st.name, st.status]);

function setParam(ws: string, from: string, to: string): void {
  const path = join(ws, 'params.yaml');
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), `params.yaml has ${from}`);
  writeFileSync(path, text.replace(from, to));
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

async function trackedRun(ws: string, runId: string): Promise<Run> {
  const db = await openMetadataStore(`sqlite://${join(ws, '.cairn', 'cairn.db')}`);
  try {
    return await new SqlTrackingStore(db, { defaultArtifactRoot: 'file:///unused' }).getRun(runId);
  } finally {
    await db.close();
  }
}

const dataSkip = dataGate();

describe('UCI Adult pipeline: the Node stage', { skip: dataSkip }, () => {
  it('cleans the raw file and splits it by the seed in params.yaml, the same way every time', async () => {
    const { ws, marker, env } = await adultWorkspace('python3');
    const first = await cairnJson<Summary>(['run', 'prepare'], { cwd: ws, env });
    assert.deepEqual(statuses(first), [['prepare', 'done']]);

    // What the cleaning must give, worked out here from the raw file.
    const clean = readFileSync(ADULT, 'utf8')
      .split('\n')
      .map((l) => l.split(', '))
      .filter((f) => f.length === 15 && !f.includes('?'))
      .map((f) => f.join(','));
    const rows = (name: string) =>
      readFileSync(join(ws, 'data/prepared', name), 'utf8')
        .trimEnd()
        .split('\n');
    const train = rows('train.csv');
    const test = rows('test.csv');
    assert.equal(train[0], test[0]);
    assert.match(train[0] ?? '', /^age,workclass,.*,native_country,income$/);
    assert.equal(test.length - 1, Math.round(clean.length * 0.25), 'test_size 0.25 of the clean rows');
    assert.deepEqual(
      [...train.slice(1), ...test.slice(1)].sort(),
      [...clean].sort(),
      'every clean row, once',
    );
    assert.ok(clean.length < 32_561, 'rows with missing values were dropped');

    const lockedSplit = async () => (await readLockFile(ws)).stages.prepare?.outs[0]?.hash;
    const split = await lockedSplit();
    const forced = await cairnJson<Summary>(['run', 'prepare', '--force'], { cwd: ws, env });
    assert.deepEqual(statuses(forced), [['prepare', 'done']]);
    assert.equal(await lockedSplit(), split, 'the same seed gives the same split');

    setParam(ws, 'seed: 7', 'seed: 8');
    const reseeded = await cairnJson<Summary>(['run', 'prepare'], { cwd: ws, env });
    assert.deepEqual(reseeded.stages[0]?.reasons, ['cmd changed', 'param prepare.seed 7 → 8']);
    assert.notEqual(await lockedSplit(), split, 'another seed, another split');
    assert.equal(rows('test.csv').length, test.length);

    setParam(ws, 'seed: 8', 'seed: 7');
    const back = await cairnJson<Summary>(['run', 'prepare'], { cwd: ws, env });
    assert.deepEqual(statuses(back), [['prepare', 'restored']]);
    assert.equal(await lockedSplit(), split);
    assert.deepEqual(rows('test.csv'), test);
    assert.deepEqual(ran(marker), ['prepare', 'prepare', 'prepare'], 'the way back came from the run cache');
  });
});

const python = pythonGate();

describe('UCI Adult pipeline: Node, scikit-learn, tracking and the run cache', {
  skip: dataSkip || python.skip,
}, () => {
  it('trains a logistic regression at the known accuracy, reruns only what a param change affects, and restores a clone without Python', async () => {
    const { ws, marker, env } = await adultWorkspace(python.value as string);
    const first = await cairnJson<Summary>(['run'], { cwd: ws, env });
    assert.equal(first.status, 'FINISHED');
    assert.deepEqual(statuses(first), [
      ['prepare', 'done'],
      ['train', 'done'],
      ['evaluate', 'done'],
    ]);
    assert.deepEqual(ran(marker), ['prepare', 'train', 'evaluate']);

    // scikit-learn's own numbers, against the published reference for this model on this data.
    const scores = readJson<{ accuracy: number; roc_auc: number }>(join(ws, 'metrics/train.json'));
    assert.ok(Math.abs(scores.accuracy - 0.85) <= 0.02, `accuracy ${scores.accuracy} ≈ 0.85`);
    assert.ok(Math.abs(scores.roc_auc - 0.9) <= 0.02, `ROC AUC ${scores.roc_auc} ≈ 0.90`);
    const evaluation = readJson<{ eval: Record<string, number> }>(join(ws, 'metrics/eval.json')).eval;
    assert.ok((evaluation.f1 ?? 0) > 0.5 && (evaluation.f1 ?? 1) < 1, `F1 ${evaluation.f1}`);
    const roc = readJson<{ roc: { fpr: number; tpr: number }[] }>(join(ws, 'plots/roc.json')).roc;
    assert.ok(roc.length > 10);
    assert.deepEqual([roc[0]?.fpr, roc[0]?.tpr], [0, 0]);

    const lock = await readLockFile(ws);
    assert.deepEqual(Object.keys(lock.stages).sort(), ['evaluate', 'prepare', 'train']);
    const digest = /^sha256:[0-9a-f]{64}$/;
    for (const [name, entry] of Object.entries(lock.stages)) {
      assert.ok(entry.deps.length >= 2 && entry.outs.length >= 1, name);
      for (const p of [...entry.deps, ...entry.outs]) assert.match(p.hash, digest, `${name}: ${p.path}`);
    }
    const adultHash = /hash: (sha256:[0-9a-f]+)/.exec(
      readFileSync(join(ws, 'data/adult.csv.cairn'), 'utf8'),
    )?.[1];
    assert.equal(lock.stages.prepare?.deps.find((d) => d.path === 'data/adult.csv')?.hash, adultHash);
    assert.deepEqual(lock.stages.train?.params, { 'params.yaml': { 'train.C': 1, 'train.max_iter': 1000 } });
    const modelHash = lock.stages.train?.outs.find((o) => o.path === 'models/model.pkl')?.hash;
    assert.equal(lock.stages.evaluate?.deps.find((d) => d.path === 'models/model.pkl')?.hash, modelHash);

    const run = await trackedRun(ws, first.run_id);
    assert.equal(run.info.status, 'FINISHED');
    assert.deepEqual(Object.fromEntries(run.data.params.map((p) => [p.key, p.value])), {
      'evaluate.threshold': '0.5',
      'prepare.seed': '7',
      'prepare.test_size': '0.25',
      'train.C': '1',
      'train.max_iter': '1000',
    });
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    assert.deepEqual(metrics, {
      accuracy: scores.accuracy,
      roc_auc: scores.roc_auc,
      'eval.precision': evaluation.precision,
      'eval.recall': evaluation.recall,
      'eval.f1': evaluation.f1,
    });
    const tag = (key: string) => run.data.tags.find((t) => t.key === key)?.value;
    for (const stage of ['prepare', 'train', 'evaluate']) {
      assert.equal(tag(`cairn.stage.${stage}.status`), 'done', stage);
      assert.match(tag(`cairn.stage.${stage}.duration_ms`) ?? '', /^\d+$/, stage);
    }
    assert.equal(tag('cairn.output.models/model.pkl'), modelHash);
    const input = (name: string) => run.inputs.dataset_inputs.find((d) => d.dataset.name === name);
    const raw = input('data/adult.csv');
    assert.equal(raw?.tags.find((t) => t.key === 'cairn.hash')?.value, adultHash);
    assert.equal(raw?.tags.find((t) => t.key === 'mlflow.data.context')?.value, 'prepare');
    assert.equal(raw?.dataset.digest, adultHash?.slice('sha256:'.length, 'sha256:'.length + 36));
    assert.equal(input('models/model.pkl')?.tags.find((t) => t.key === 'cairn.hash')?.value, modelHash);
    assert.ok(input('data/prepared'), 'the prepared split is an input of train');
    assert.equal(input('train.py'), undefined, 'code is identified by the git commit, not as data');

    const again = await cairnJson<Summary>(['run'], { cwd: ws, env });
    assert.deepEqual(
      again.stages.map((s) => s.status),
      ['skipped', 'skipped', 'skipped'],
    );

    const dry = await cairn(['run', '--dry-run', '--set', 'evaluate.threshold=0.4'], { cwd: ws, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^prepare: up to date\ntrain: up to date\nevaluate: cmd changed\n/);
    assert.match(dry.stdout, /^1 of 3 stages would run$/m);

    setParam(ws, 'C: 1.0', 'C: 0.01');
    const retrained = await cairnJson<Summary>(['run'], { cwd: ws, env });
    assert.deepEqual(statuses(retrained), [
      ['prepare', 'skipped'],
      ['train', 'done'],
      ['evaluate', 'done'],
    ]);
    assert.deepEqual(retrained.stages[1]?.reasons, ['cmd changed', 'param train.C 1 → 0.01']);
    assert.deepEqual(retrained.stages[2]?.reasons, ['dep models/model.pkl changed']);
    const weaker = readJson<{ accuracy: number }>(join(ws, 'metrics/train.json'));
    assert.notEqual(weaker.accuracy, scores.accuracy);
    const retrainedRun = await trackedRun(ws, retrained.run_id);
    assert.equal(retrainedRun.data.params.find((p) => p.key === 'train.C')?.value, '0.01');
    assert.equal(retrainedRun.data.metrics.find((m) => m.key === 'accuracy')?.value, weaker.accuracy);

    setParam(ws, 'C: 0.01', 'C: 1.0');
    const back = await cairnJson<Summary>(['run'], { cwd: ws, env });
    assert.deepEqual(statuses(back), [
      ['prepare', 'skipped'],
      ['train', 'restored'],
      ['evaluate', 'restored'],
    ]);
    assert.deepEqual(readJson(join(ws, 'metrics/train.json')), scores);
    assert.deepEqual(ran(marker), ['prepare', 'train', 'evaluate', 'train', 'evaluate']);

    const remote = join(await tempDir('cairn-adult-remote-'), 'store');
    assert.equal((await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws })).code, 0);
    const pushed = await cairnJson<{ run_cache: { transferred: number } }>(['push'], { cwd: ws });
    assert.equal(pushed.run_cache.transferred, 5, 'prepare, and train and evaluate at both values of C');
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'adult pipeline']);

    const clone = join(await tempDir('cairn-adult-clone-'), 'b');
    git(ws, ['clone', '-q', ws, clone]);
    const pulled = await cairn(['pull', 'data/adult.csv'], { cwd: clone });
    assert.equal(pulled.code, 0, pulled.stderr);
    const restored = await cairnJson<Summary>(['run'], { cwd: clone, env });
    assert.deepEqual(statuses(restored), [
      ['prepare', 'restored'],
      ['train', 'restored'],
      // Its only output, metrics/eval.json, is committed to git: the clone has it already.
      ['evaluate', 'skipped'],
    ]);
    assert.equal(ran(marker).length, 5, 'no stage ran in the clone: Python was never started');
    for (const f of [
      'models/model.pkl',
      'data/prepared/train.csv',
      'data/prepared/test.csv',
      'metrics/eval.json',
    ])
      assert.ok(readFileSync(join(clone, f)).equals(readFileSync(join(ws, f))), f);
    assert.equal(git(clone, ['status', '--porcelain']), '', 'the clone matches the commit');
  });
});

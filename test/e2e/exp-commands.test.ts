import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';

const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Training code as a user writes it: the SDK joins the pipeline's run and logs a history per epoch. */
const TRAIN = `import { writeFileSync } from 'node:fs';
import { Tracking } from ${JSON.stringify(ENTRY)};
const [lr, model] = [Number(process.argv[2]), process.argv[3]];
const tracking = await Tracking.fromEnv();
await tracking.startRun({ tags: { 'trained.by': 'sdk' } });
await tracking.logParams({ 'sdk.stage': process.env.CAIRN_STAGE });
for (let epoch = 0; epoch < 20; epoch++)
  tracking.logMetrics({ auc: 0.5 + epoch * lr, loss: 1 / (epoch + 1) }, { step: epoch });
writeFileSync('metrics.json', JSON.stringify({ acc: model === 'rf' ? 0.81 : 0.78, eval: { f1: 0.6, note: 'x' } }));
await tracking.endRun();
`;

const PARAMS = 'train:\n  lr: 0.01\n  model: gbdt\n  seed: 7\n';

interface Summary {
  run_id: string;
  status: string;
}
interface Listed {
  runs: {
    run_id: string;
    run_name: string;
    metrics: Record<string, number>;
    params: Record<string, string>;
  }[];
  more: boolean;
}

describe('cairn exp, metrics and params', () => {
  let ws = '';
  let first = '';
  let second = '';

  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, {
      'train.ts': TRAIN,
      'params.yaml': PARAMS,
      'cairn.yaml': `stages:
  train:
    cmd: ${process.execPath} train.ts \${train.lr} \${train.model}
    deps: [train.ts]
    params: [train]
    metrics: [metrics.json]
`,
    });
    first = (await cairnJson<Summary>(['run'], { cwd: ws })).run_id;
    const run = await cairnJson<Summary>(['run', '--set', 'train.lr=0.02', '--set', 'train.model=rf'], {
      cwd: ws,
    });
    assert.equal(run.status, 'FINISHED');
    second = run.run_id;
  });

  it('lists runs with what the stage logged through the SDK in the pipeline run itself', async () => {
    const listed = await cairnJson<Listed>(['exp', 'list'], { cwd: ws });
    assert.deepEqual(
      listed.runs.map((r) => r.run_id),
      [second, first],
      'newest first; no extra run from the SDK',
    );
    const latest = listed.runs[0];
    assert.equal(latest?.params['train.lr'], '0.02');
    assert.equal(latest?.params['sdk.stage'], 'train');
    assert.equal(latest?.metrics.acc, 0.81, 'metrics files recorded by cairn run');
    assert.ok(Math.abs((latest?.metrics.auc ?? 0) - (0.5 + 19 * 0.02)) < 1e-9, 'latest SDK value (step 19)');

    const human = await cairn(['exp', 'list'], { cwd: ws });
    assert.equal(human.code, 0, human.stderr);
    const [header, row] = human.stdout.split('\n');
    assert.match(header ?? '', /^run\s+name\s+status\s+started\s+took\s+/);
    for (const column of ['acc', 'auc', 'loss', 'train.lr', 'train.model'])
      assert.ok(header?.split(/\s+/).includes(column), `column ${column} in ${header}`);
    assert.ok(!header?.split(/\s+/).includes('train.seed'), 'a param equal in every run is left out');
    assert.match(row ?? '', new RegExp(`^${second.slice(0, 8)}\\s+\\S+\\s+FINISHED\\s`));
    assert.match(human.stdout, /^2 runs$/m);
  });

  it('filters with the MLflow grammar and sorts either way', async () => {
    const ids = async (args: string[]) =>
      (await cairnJson<Listed>(['exp', 'list', ...args], { cwd: ws })).runs.map((r) => r.run_id);
    assert.deepEqual(await ids(['--filter', "metrics.auc > 0.8 and params.train.model = 'rf'"]), [second]);
    assert.deepEqual(await ids(['--filter', "params.train.model = 'gbdt'"]), [first]);
    assert.deepEqual(await ids(['--filter', 'metrics.auc > 5']), []);
    assert.deepEqual(await ids(['--sort', 'metrics.acc']), [first, second]);
    assert.deepEqual(await ids(['--sort', '-metrics.acc']), [second, first]);
    assert.deepEqual(await ids(['--sort', 'metrics.acc desc']), [second, first]);
    assert.deepEqual(await ids(['--limit', '1']), [second]);
    const bad = await cairn(['exp', 'list', '--filter', 'metrics.auc >> 1'], { cwd: ws });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: invalid filter "metrics.auc >> 1" at position \d+/m);
  });

  it('shows one run by id prefix or name: params, metric histories, stages, tags', async () => {
    const shown = await cairnJson<{
      run_id: string;
      metric_history: { key: string; points: number; step: number; steps: number }[];
      stages: { name: string; status: string }[];
      user_tags: Record<string, string>;
    }>(['exp', 'show', second.slice(0, 6)], { cwd: ws });
    assert.equal(shown.run_id, second);
    const auc = shown.metric_history.find((m) => m.key === 'auc');
    assert.deepEqual([auc?.points, auc?.steps, auc?.step], [20, 20, 19]);
    assert.deepEqual(
      shown.stages.map((s) => [s.name, s.status]),
      [['train', 'done']],
    );
    assert.deepEqual(shown.user_tags, { 'trained.by': 'sdk' });

    const listed = await cairnJson<Listed>(['exp', 'list'], { cwd: ws });
    const name = listed.runs.find((r) => r.run_id === first)?.run_name as string;
    const human = await cairn(['exp', 'show', name], { cwd: ws });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^run\\s+${first}\\s+\\(${name}\\)$`, 'm'));
    assert.match(human.stdout, /^\s+train\.lr\s+0\.01$/m);
    assert.match(human.stdout, /^\s+auc\s+0\.69\s+19\s+20\s+0\.5\s+0\.69$/m);
    assert.match(human.stdout, /^\s+train\s+done\s+\S+/m);
    assert.match(human.stdout, /^\s+trained\.by\s+sdk$/m);
    assert.doesNotMatch(human.stdout, /cairn\.stage\.train\.status/, 'system tags only with --all');
    const all = await cairn(['exp', 'show', name, '--all'], { cwd: ws });
    assert.match(all.stdout, /^\s+cairn\.stage\.train\.status\s+done$/m);

    const missing = await cairn(['exp', 'show', 'no-such-run'], { cwd: ws });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: no run matches "no-such-run"/m);
  });

  it('diffs two runs: changed params and metric deltas with % change', async () => {
    const diff = await cairnJson<{
      params: { key: string; a?: string; b?: string; change: string }[];
      metrics: { key: string; a?: number; b?: number; delta?: number; pct_change?: number }[];
    }>(['exp', 'diff', first, second], { cwd: ws });
    const param = (k: string) => diff.params.find((p) => p.key === k);
    assert.deepEqual(param('train.lr'), { key: 'train.lr', a: '0.01', b: '0.02', change: 'changed' });
    assert.equal(param('train.seed')?.change, 'same');
    const acc = diff.metrics.find((m) => m.key === 'acc');
    assert.ok(Math.abs((acc?.delta ?? 0) - 0.03) < 1e-9);
    assert.ok(Math.abs((acc?.pct_change ?? 0) - (0.03 / 0.78) * 100) < 1e-9);

    const human = await cairn(['exp', 'diff'], { cwd: ws });
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      new RegExp(`^comparing ${first.slice(0, 8)} .* -> ${second.slice(0, 8)} `, 'm'),
    );
    assert.match(human.stdout, /^train\.model\s+gbdt\s+rf\s+changed$/m);
    assert.match(human.stdout, /^acc\s+0\.78\s+0\.81\s+\+0\.03\s+\+3\.85%$/m);
    assert.match(human.stdout, /^2 params the same in both runs \(--all lists them\)$/m);
  });

  it('shows the metrics files and the params that differ from cairn.lock', async () => {
    const metrics = await cairnJson<{
      files: { path: string; stage: string; metrics: Record<string, number> }[];
    }>(['metrics', 'show'], { cwd: ws });
    assert.deepEqual(metrics.files, [
      { path: 'metrics.json', stage: 'train', metrics: { acc: 0.81, 'eval.f1': 0.6 } },
    ]);
    const human = await cairn(['metrics', 'show'], { cwd: ws });
    assert.match(human.stdout, /^metrics\.json\s+eval\.f1\s+0\.6$/m);

    const clean = await cairnJson<{ params: unknown[] }>(['params', 'diff'], { cwd: ws });
    assert.equal(clean.params.length, 2, 'the lock holds the --set values of the last run');
    await writeFile(join(ws, 'params.yaml'), 'train:\n  lr: 0.02\n  model: rf\n  seed: 8\n');
    const diff = await cairnJson<{
      params: { file: string; key: string; old: unknown; new: unknown; stages: string[] }[];
    }>(['params', 'diff'], { cwd: ws });
    assert.deepEqual(diff.params, [
      { file: 'params.yaml', key: 'train.seed', old: 7, new: 8, stages: ['train'] },
    ]);
    const text = await cairn(['params', 'diff', '--all'], { cwd: ws });
    assert.match(text.stdout, /^file\s+param\s+old\s+new\s+stages$/m);
    assert.match(text.stdout, /^params\.yaml\s+train\.seed\s+7\s+8\s+train$/m);
    assert.match(text.stdout, /^params\.yaml\s+train\.lr\s+0\.02\s+0\.02\s+train$/m);
  });

  it('reads another store through --tracking-uri, and explains --remote without a server', async () => {
    const listed = await cairnJson<Listed>(
      ['exp', 'list', '--tracking-uri', `sqlite://${join(ws, '.cairn', 'cairn.db')}`],
      { cwd: '/' },
    );
    assert.equal(listed.runs.length, 2);
    const remote = await cairn(['exp', 'list', '--remote'], { cwd: ws });
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /--remote: no tracking server is set — set CAIRN_TRACKING_URI/);
  });
});

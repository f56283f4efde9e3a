import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import type { Run } from '../../src/tracking/tracking-types.ts';
import { cairn, cairnJson, git, newWorkspace, startCairn, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

interface Summary {
  run_id: string;
  status: string;
  stages: { name: string; status: string; reasons: string[]; duration_ms: number }[];
}

const PARAMS = 'prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n';

/** A two-stage pipeline whose commands append to `marker` (outside the workspace) when they run. */
function pipelineYaml(marker: string): string {
  return `stages:
  prepare:
    cmd: echo prepare >> ${marker} && mkdir -p data/prepared && cp data/raw.csv data/prepared/rows.csv && echo seed \${prepare.seed} > data/prepared/seed.txt
    deps: [data/raw.csv]
    params: [prepare.seed]
    outs: [data/prepared]
  train:
    cmd:
      - echo train >> ${marker}
      - echo "training with lr \${train.lr}"
      - mkdir -p models && cat data/prepared/rows.csv > models/model.bin
      - 'echo "{\\"acc\\": 0.75, \\"loss\\": {\\"train\\": 0.5}, \\"note\\": \\"x\\"}" > metrics.json'
    deps: [data/prepared, train.sh]
    params: [train.lr]
    outs: [models/model.bin]
    metrics: [metrics.json]
`;
}

async function project(): Promise<{ ws: string; marker: string }> {
  const ws = await newWorkspace();
  const marker = join(await tempDir('cairn-marker-'), 'ran.txt');
  await writeFiles(ws, {
    'data/raw.csv': 'id,v\n1,2\n3,4\n',
    'params.yaml': PARAMS,
    'train.sh': '# the training code\n',
    'cairn.yaml': pipelineYaml(marker),
  });
  return { ws, marker };
}

function marks(marker: string): string[] {
  return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];
}

async function trackedRun(ws: string, runId: string): Promise<Run> {
  const db = await openMetadataStore(`sqlite://${join(ws, '.cairn', 'cairn.db')}`);
  try {
    return await new SqlTrackingStore(db, { defaultArtifactRoot: 'file:///unused' }).getRun(runId);
  } finally {
    await db.close();
  }
}

const tag = (run: Run, key: string) => run.data.tags.find((t) => t.key === key)?.value;

describe('cairn run', () => {
  it('runs, skips when nothing changed, explains a dry run, and honours --set without touching params.yaml', async () => {
    const { ws, marker } = await project();
    const first = await cairn(['run'], { cwd: ws });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^\[prepare\] running: no entry in cairn\.lock \(never run\)$/m);
    assert.match(first.stdout, /^\[train\] training with lr 0\.1$/m);
    assert.match(first.stdout, /^\[train\] done in /m);
    assert.deepEqual(marks(marker), ['prepare', 'train']);
    const lock = readFileSync(join(ws, 'cairn.lock'), 'utf8');
    assert.match(lock, /train\.lr: 0\.1/);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'pipeline and its lock']);

    const again = await cairnJson<Summary>(['run'], { cwd: ws });
    assert.deepEqual(
      again.stages.map((s) => s.status),
      ['skipped', 'skipped'],
    );

    await writeFile(join(ws, 'params.yaml'), PARAMS.replace('seed: 1', 'seed: 2'));
    const dry = await cairn(['run', '--dry-run', '--set', 'train.lr=0.01'], { cwd: ws });
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      [
        'prepare: cmd changed',
        'prepare: param prepare.seed 1 → 2',
        'train: cmd changed',
        'train: param train.lr 0.1 → 0.01',
        'train: upstream prepare will run',
        '2 of 2 stages would run',
        '',
      ].join('\n'),
    );
    assert.equal(readFileSync(join(ws, 'cairn.lock'), 'utf8'), lock, 'a dry run changes nothing');
    assert.deepEqual(marks(marker), ['prepare', 'train']);

    await writeFile(join(ws, 'params.yaml'), PARAMS);
    const set = await cairnJson<Summary>(['run', '--set', 'train.lr=0.01', '--experiment', 'tuning'], {
      cwd: ws,
    });
    assert.equal(set.status, 'FINISHED');
    assert.deepEqual(set.stages[1]?.reasons, ['cmd changed', 'param train.lr 0.1 → 0.01']);
    assert.equal(readFileSync(join(ws, 'params.yaml'), 'utf8'), PARAMS, 'params.yaml untouched');
    assert.match(readFileSync(join(ws, 'cairn.lock'), 'utf8'), /train\.lr: 0\.01/);

    const run = await trackedRun(ws, set.run_id);
    assert.equal(run.info.status, 'FINISHED');
    assert.ok(run.info.end_time);
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { 'prepare.seed': '1', 'train.lr': '0.01' });
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, [m.value, m.step]]));
    assert.deepEqual(metrics, { acc: [0.75, 0], 'loss.train': [0.5, 0] }, 'numbers only, nested keys dotted');
    assert.equal(tag(run, 'mlflow.source.git.commit'), git(ws, ['rev-parse', 'HEAD']).trim());
    assert.equal(tag(run, 'mlflow.source.git.branch'), 'main');
    assert.equal(tag(run, 'cairn.git.dirty'), 'false', 'nothing git tracks had changed when the run started');
    assert.equal(tag(run, 'cairn.command'), 'cairn run --set train.lr=0.01 --experiment tuning --json');
    assert.equal(tag(run, 'mlflow.runName'), run.info.run_name);
    assert.equal(tag(run, 'cairn.stage.prepare.status'), 'skipped');
    assert.equal(tag(run, 'cairn.stage.train.status'), 'done');
    assert.match(tag(run, 'cairn.stage.train.duration_ms') ?? '', /^\d+$/);
    assert.match(tag(run, 'cairn.output.models/model.bin') ?? '', /^sha256:[0-9a-f]{64}$/);
    for (const key of ['mlflow.user', 'cairn.host', 'cairn.version']) assert.ok(tag(run, key), key);
    assert.deepEqual(
      run.inputs.dataset_inputs.map((d) => [d.dataset.name, d.dataset.source_type]).sort(),
      [
        ['data/prepared', 'cairn'],
        ['data/raw.csv', 'cairn'],
      ],
      'train.sh is code, not a dataset',
    );
    const artifacts = new URL(`${run.info.artifact_uri}/logs/train.log`);
    assert.match(readFileSync(artifacts, 'utf8'), /training with lr 0\.01/);
  });

  it('exits 1 on a failed stage, showing its last stderr lines, and records the run as FAILED', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'in.txt': 'x',
      'cairn.yaml': `stages:
  ok:
    cmd: cp in.txt ok.txt
    deps: [in.txt]
    outs: [ok.txt]
  bad:
    cmd: 'echo "loading" && echo "ValueError: lr must be positive" >&2 && exit 2'
    deps: [ok.txt]
    outs: [bad.txt]
  after:
    cmd: cp bad.txt after.txt
    deps: [bad.txt]
    outs: [after.txt]
`,
    });
    const r = await cairn(['run', '--json'], { cwd: ws });
    assert.equal(r.code, 1);
    const summary = JSON.parse(r.stdout) as Summary;
    assert.deepEqual(
      summary.stages.map((s) => [s.name, s.status]),
      [
        ['ok', 'done'],
        ['bad', 'failed'],
        ['after', 'not-run'],
      ],
    );
    assert.match(r.stderr, /^\[bad\] failed in .*: command exited with code 2$/m);
    assert.match(r.stderr, /^error: stage bad failed: command exited with code 2$/m);
    assert.match(r.stderr, /^ {2}bad \| ValueError: lr must be positive$/m);
    const log = /full log: (.+)$/m.exec(r.stderr)?.[1] as string;
    assert.match(readFileSync(join(ws, log), 'utf8'), /loading\nValueError/);
    assert.match(readFileSync(join(ws, 'cairn.lock'), 'utf8'), /ok:/);
    assert.doesNotMatch(readFileSync(join(ws, 'cairn.lock'), 'utf8'), /bad:/);
    assert.equal((await trackedRun(ws, summary.run_id)).info.status, 'FAILED');

    const unknown = await cairn(['run', 'trian'], { cwd: ws });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no stage named "trian"/);
  });

  it('stops every stage process and its children on SIGTERM, leaving the lock as it was', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'in.txt': 'x',
      'cairn.yaml': `stages:
  quick:
    cmd: cp in.txt quick.txt
    deps: [in.txt]
    outs: [quick.txt]
  slow:
    cmd: echo $$ > sh.pid; sleep 60 & echo $! > child.pid; wait
    deps: [quick.txt]
    outs: [never.txt]
`,
    });
    assert.equal((await cairn(['run', 'quick'], { cwd: ws })).code, 0);
    const lock = readFileSync(join(ws, 'cairn.lock'), 'utf8');
    const child = startCairn(['run', '--json'], { cwd: ws });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const pids = ['sh.pid', 'child.pid'].map((f) => join(ws, f));
    const deadline = Date.now() + 20_000;
    while (!pids.every((p) => existsSync(p) && statSync(p).size > 0)) {
      assert.ok(Date.now() < deadline, 'the stage started');
      await new Promise((r) => setTimeout(r, 25));
    }
    const [sh, sleeper] = pids.map((p) => Number(readFileSync(p, 'utf8'))) as [number, number];
    assert.ok(alive(sh) && alive(sleeper));
    child.kill('SIGTERM');
    assert.equal(await exited, 1);
    assert.equal(alive(sh), false, 'the stage shell is gone');
    assert.equal(alive(sleeper), false, 'its child is gone');
    assert.equal(readFileSync(join(ws, 'cairn.lock'), 'utf8'), lock);
    assert.equal(existsSync(join(ws, '.cairn', 'lock')), false, 'workspace lock released');
    const summary = JSON.parse(stdout) as Summary;
    assert.equal(summary.status, 'KILLED');
    assert.deepEqual(
      summary.stages.map((s) => s.status),
      ['skipped', 'killed'],
    );
    assert.equal((await trackedRun(ws, summary.run_id)).info.status, 'KILLED');
  });

  it('refuses a second run while one holds the workspace, or waits for it with --wait', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'in.txt': 'x',
      'cairn.yaml': `stages:
  slow:
    cmd: touch started && sleep 2 && cp in.txt out.txt
    deps: [in.txt]
    outs: [out.txt]
`,
    });
    const first = startCairn(['run'], { cwd: ws });
    let firstDone = false;
    const firstExit = new Promise<number>((resolve) =>
      first.on('close', (code) => {
        firstDone = true;
        resolve(code ?? -1);
      }),
    );
    while (!existsSync(join(ws, 'started'))) await new Promise((r) => setTimeout(r, 25));
    const busy = await cairn(['run'], { cwd: ws });
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /the workspace is busy: cairn run \(pid \d+/);
    assert.equal(firstDone, false, 'failed at once, while the first run was still going');

    const waited = await cairnJson<Summary>(['run', '--wait'], { cwd: ws });
    assert.equal(firstDone, true, '--wait returned only after the first run');
    assert.equal(await firstExit, 0);
    assert.deepEqual(
      waited.stages.map((s) => s.status),
      ['skipped'],
    );
  });

  it('shares the run cache through a remote: a second clone restores every stage without running it', async () => {
    const { ws, marker } = await project();
    const remote = join(await tempDir('cairn-remote-'), 'store');
    assert.equal((await cairn(['add', 'data/raw.csv'], { cwd: ws })).code, 0);
    assert.equal(
      (await cairn(['remote', 'add', 'origin', `file://${remote}`, '--default'], { cwd: ws })).code,
      0,
    );
    const ran = await cairnJson<Summary>(['run'], { cwd: ws });
    assert.deepEqual(
      ran.stages.map((s) => s.status),
      ['done', 'done'],
    );

    const status = await cairnJson<{ paths?: { path: string }[] } & Record<string, unknown>>(
      ['status', '--no-remote'],
      {
        cwd: ws,
      },
    );
    for (const path of ['data/prepared', 'models/model.bin', 'data/raw.csv'])
      assert.ok(JSON.stringify(status).includes(`"${path}"`), `status lists ${path}`);
    assert.ok(!JSON.stringify(status).includes('"metrics.json"'), 'metrics (cache: false) are left to git');
    const pushed = await cairnJson<{ transferred: number; run_cache: { transferred: number } }>(['push'], {
      cwd: ws,
    });
    // rows.csv and model.bin are copies of raw.csv: one object serves all three.
    assert.equal(pushed.transferred, 3, 'raw.csv, seed.txt and the manifest of data/prepared');
    assert.equal(pushed.run_cache.transferred, 2);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'run']);

    const clone = join(await tempDir('cairn-clone-'), 'b');
    git(ws, ['clone', '-q', ws, clone]);
    assert.equal((await cairn(['pull', 'data/raw.csv'], { cwd: clone })).code, 0);
    const restored = await cairnJson<Summary>(['run'], { cwd: clone });
    assert.deepEqual(
      restored.stages.map((s) => [s.status, s.reasons.at(-1)]),
      [
        ['restored', 'restored from run cache'],
        ['restored', 'restored from run cache'],
      ],
    );
    assert.deepEqual(marks(marker), ['prepare', 'train'], 'no command ran in the clone');
    for (const f of ['models/model.bin', 'data/prepared/rows.csv', 'data/prepared/seed.txt', 'metrics.json'])
      assert.equal(readFileSync(join(clone, f), 'utf8'), readFileSync(join(ws, f), 'utf8'), f);
    assert.equal(git(clone, ['status', '--porcelain', 'cairn.lock']), '', 'the lock matches the commit');
    const second = await cairnJson<Summary>(['run'], { cwd: clone });
    assert.deepEqual(
      second.stages.map((s) => s.status),
      ['skipped', 'skipped'],
    );
  });
});

/** True when the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { statusOf } from '../../src/data/status.ts';
import { LOCK_FILE, readLockFile } from '../../src/pipeline/lock/lock-file.ts';
import { planPipeline } from '../../src/pipeline/run/run-pipeline.ts';
import type { Workspace } from '../../src/workspace/open-workspace.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { mark, marks, pipeline, run, stage, workspace } from './pipeline-run-fixture.ts';

const opened: Workspace[] = [];
after(async () => {
  for (const ws of opened) await ws.close();
});

/** prepare → train → evaluate, each appending its name to a marker file outside the workspace. */
async function threeStages(): Promise<{
  ws: Workspace;
  marker: string;
  build: (o?: Record<string, unknown>) => ReturnType<typeof pipeline>;
}> {
  const ws = await workspace({
    'data/raw.csv': 'x,y\n1,2\n',
    'params.yaml': 'prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n',
  });
  opened.push(ws);
  const marker = join(await tempDir('cairn-marker-'), 'ran');
  const build = (overrides: Record<string, unknown> = {}) =>
    pipeline(
      ws.root,
      [
        stage({
          name: 'prepare',
          cmd: `${mark(marker, 'prepare')} && mkdir -p data/prepared && cp data/raw.csv data/prepared/train.csv`,
          deps: ['data/raw.csv'],
          params: [{ keys: ['prepare.seed'] }],
          outs: ['data/prepared'],
        }),
        stage({
          name: 'train',
          cmd: `${mark(marker, 'train')} && mkdir -p models && cat data/prepared/train.csv > models/model && echo "{\\"acc\\": 0.9}" > metrics.json`,
          deps: ['data/prepared'],
          params: [{ keys: ['train.lr'] }],
          outs: ['models/model'],
          metrics: ['metrics.json'],
        }),
        stage({
          name: 'evaluate',
          cmd: `${mark(marker, 'evaluate')} && mkdir -p reports && wc -c models/model > reports/x.json`,
          deps: ['models/model'],
          outs: ['reports/x.json'],
        }),
      ],
      overrides,
    );
  return { ws, marker, build };
}

describe('cairn run: what runs again', () => {
  it('runs everything once, then skips it all without running a command', async () => {
    const { ws, marker, build } = await threeStages();
    const first = await run(ws, build());
    assert.equal(first.summary.status, 'FINISHED');
    assert.deepEqual(marks(marker), ['prepare', 'train', 'evaluate']);
    const lock = await readLockFile(ws.root);
    assert.deepEqual(Object.keys(lock.stages).sort(), ['evaluate', 'prepare', 'train']);
    assert.deepEqual(lock.stages.train?.params, { 'params.yaml': { 'train.lr': 0.1 } });

    const second = await run(ws, build());
    assert.deepEqual(
      second.summary.stages.map((s) => s.status),
      ['skipped', 'skipped', 'skipped'],
    );
    assert.equal(marks(marker).length, 3, 'no command ran');
  });

  it('reruns a stage for each kind of change, and what depends on it when its output changes', async () => {
    const { ws, marker, build } = await threeStages();
    await run(ws, build());
    const rerun = async (
      change: () => Promise<void> | void,
      expect: Record<string, RegExp | 'skipped'>,
      useRunCache = true,
    ) => {
      await change();
      const before = marks(marker).length;
      const r = await run(ws, build(), { useRunCache });
      for (const [name, want] of Object.entries(expect)) {
        if (want === 'skipped') assert.equal(r.status(name), 'skipped', name);
        else {
          assert.match(r.reasons(name).join('; '), want, name);
          assert.ok(['done', 'restored'].includes(r.status(name) ?? ''), `${name}: ${r.status(name)}`);
        }
      }
      return marks(marker).slice(before);
    };
    // Dep content: prepare reruns, and so does everything downstream (its output changed).
    let ran = await rerun(() => appendFile(join(ws.root, 'data/raw.csv'), '3,4\n'), {
      prepare: /dep data\/raw\.csv changed/,
      train: /dep data\/prepared changed/,
      evaluate: /dep models\/model changed/,
    });
    assert.deepEqual(ran, ['prepare', 'train', 'evaluate']);
    // A param: only the stage that declares it; its output is the same, so evaluate is skipped.
    await writeFile(join(ws.root, 'params.yaml'), 'prepare:\n  seed: 1\ntrain:\n  lr: 0.5\n');
    ran = await rerun(() => undefined, {
      prepare: 'skipped',
      train: /param train\.lr 0\.1 → 0\.5/,
      evaluate: 'skipped',
    });
    assert.deepEqual(ran, ['train']);
    // An out missing (restored from the run cache: this exact run happened), then modified.
    const report = readFileSync(join(ws.root, 'reports/x.json'), 'utf8');
    ran = await rerun(() => rm(join(ws.root, 'reports/x.json')), {
      evaluate: /out reports\/x\.json missing/,
    });
    assert.deepEqual(ran, []);
    assert.equal(readFileSync(join(ws.root, 'reports/x.json'), 'utf8'), report);
    ran = await rerun(
      () => writeFile(join(ws.root, 'reports/x.json'), 'tampered'),
      { evaluate: /out reports\/x\.json modified/ },
      false,
    );
    assert.deepEqual(ran, ['evaluate']);
    assert.equal(readFileSync(join(ws.root, 'reports/x.json'), 'utf8'), report);
    // The command.
    const changed = build();
    (changed.stages[2] as { cmd: string[] }).cmd = [
      `${mark(marker, 'evaluate')} && mkdir -p reports && echo v2 > reports/x.json`,
    ];
    const before = marks(marker).length;
    const r = await run(ws, changed);
    assert.deepEqual(r.reasons('evaluate'), ['cmd changed']);
    assert.deepEqual(marks(marker).slice(before), ['evaluate']);
  });

  it('--dry-run says what would run and why, and changes nothing', async () => {
    const { ws, marker, build } = await threeStages();
    const never = await planPipeline({ ctx: ws.data, pipeline: build() });
    assert.deepEqual(
      never.map((p) => p.reasons),
      [
        ['no entry in cairn.lock (never run)'],
        ['no entry in cairn.lock (never run)', 'upstream prepare will run'],
        ['no entry in cairn.lock (never run)', 'upstream train will run'],
      ],
    );
    await run(ws, build());
    const lockBefore = readFileSync(join(ws.root, LOCK_FILE), 'utf8');
    await writeFile(join(ws.root, 'params.yaml'), 'prepare:\n  seed: 2\ntrain:\n  lr: 0.1\n');
    await rm(join(ws.root, 'reports/x.json'));
    const plan = await planPipeline({ ctx: ws.data, pipeline: build() });
    assert.deepEqual(plan, [
      { name: 'prepare', will_run: true, reasons: ['param prepare.seed 1 → 2'] },
      { name: 'train', will_run: true, reasons: ['upstream prepare will run'] },
      {
        name: 'evaluate',
        will_run: true,
        reasons: ['out reports/x.json missing', 'upstream train will run'],
      },
    ]);
    assert.equal(readFileSync(join(ws.root, LOCK_FILE), 'utf8'), lockBefore);
    assert.equal(existsSync(join(ws.root, 'reports/x.json')), false);
    assert.equal(marks(marker).length, 3);
  });

  it('--force runs every selected stage; targets bring their upstream, --downstream their dependents', async () => {
    const { ws, marker, build } = await threeStages();
    await run(ws, build());
    let before = marks(marker).length;
    const forced = await run(ws, build(), { force: true });
    assert.deepEqual(
      forced.summary.stages.map((s) => [s.status, s.reasons]),
      Array(3).fill(['done', ['forced (--force)']]),
    );
    assert.deepEqual(marks(marker).slice(before), ['prepare', 'train', 'evaluate']);

    before = marks(marker).length;
    const one = await run(ws, build(), { targets: ['train'], force: true });
    assert.deepEqual(
      one.summary.stages.map((s) => s.name),
      ['prepare', 'train'],
    );
    assert.deepEqual(marks(marker).slice(before), ['prepare', 'train']);

    await appendFile(join(ws.root, 'data/raw.csv'), '5,6\n');
    before = marks(marker).length;
    const up = await run(ws, build(), { targets: ['train'] });
    assert.deepEqual(
      up.summary.stages.map((s) => s.status),
      ['done', 'done'],
    );
    const down = await run(ws, build(), { targets: ['train'], downstream: true });
    assert.deepEqual(
      down.summary.stages.map((s) => [s.name, s.status]),
      [
        ['prepare', 'skipped'],
        ['train', 'skipped'],
        ['evaluate', 'done'],
      ],
    );
    assert.deepEqual(marks(marker).slice(before), ['prepare', 'train', 'evaluate']);
  });

  it('--set values are used, recorded in the lock, and restored from the run cache when set back', async () => {
    const { ws, marker, build } = await threeStages();
    await run(ws, build());
    const withSet = await run(ws, build({ 'train.lr': 0.01 }), { overrides: { 'train.lr': 0.01 } });
    assert.deepEqual(withSet.reasons('train'), ['param train.lr 0.1 → 0.01']);
    assert.deepEqual((await readLockFile(ws.root)).stages.train?.params, {
      'params.yaml': { 'train.lr': 0.01 },
    });
    assert.equal(
      readFileSync(join(ws.root, 'params.yaml'), 'utf8'),
      'prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n',
    );

    const before = marks(marker).length;
    const back = await run(ws, build());
    assert.equal(back.status('train'), 'restored');
    assert.deepEqual(back.reasons('train'), ['param train.lr 0.01 → 0.1', 'restored from run cache']);
    assert.deepEqual(marks(marker).slice(before), [], 'restored, not run');
    assert.deepEqual((await readLockFile(ws.root)).stages.train?.params, {
      'params.yaml': { 'train.lr': 0.1 },
    });
    assert.equal(readFileSync(join(ws.root, 'metrics.json'), 'utf8'), '{"acc": 0.9}\n');
  });
});

describe('cairn run: outputs', () => {
  it('stores cached outs in the cache, git-ignores them, and status tracks them through cairn.lock', async () => {
    const { ws, build } = await threeStages();
    await run(ws, build());
    const lock = await readLockFile(ws.root);
    const model = lock.stages.train?.outs.find((o) => o.path === 'models/model');
    assert.ok(model && (await ws.data.cache.has(model.hash)), 'model in the cache');
    const prepared = lock.stages.prepare?.outs[0];
    assert.equal(prepared?.files, 1);
    assert.ok(prepared && (await ws.data.cache.has(prepared.hash)), 'manifest in the cache');
    assert.match(readFileSync(join(ws.root, 'models/.gitignore'), 'utf8'), /^\/model$/m);
    assert.match(readFileSync(join(ws.root, 'data/.gitignore'), 'utf8'), /^\/prepared$/m);
    assert.equal(existsSync(join(ws.root, '.gitignore')), false, 'metrics (cache: false) stay in git');

    const status = await statusOf(ws.data, ws.root, [], { remote: false });
    assert.ok(JSON.stringify(status).includes('models/model'), JSON.stringify(status));
  });

  it('deletes outs before a stage runs unless persist, and fails a stage that does not produce one', async () => {
    const ws = await workspace({ 'in.txt': 'a' });
    opened.push(ws);
    const p = pipeline(ws.root, [
      stage({
        name: 'grow',
        cmd: 'cat in.txt >> log.txt; test -e fresh.txt && echo stale > seen.txt; touch fresh.txt',
        deps: ['in.txt'],
        outs: [{ path: 'log.txt', persist: true }, 'fresh.txt'],
      }),
    ]);
    await run(ws, p);
    await writeFile(join(ws.root, 'in.txt'), 'b');
    await run(ws, p);
    assert.equal(readFileSync(join(ws.root, 'log.txt'), 'utf8'), 'ab', 'persist kept');
    assert.equal(existsSync(join(ws.root, 'seen.txt')), false, 'fresh.txt was deleted before the run');

    const lazy = pipeline(ws.root, [
      stage({ name: 'train', cmd: 'true', deps: ['in.txt'], outs: ['models/model'] }),
    ]);
    const r = await run(ws, lazy);
    assert.equal(r.summary.status, 'FAILED');
    assert.equal(r.summary.stages[0]?.error, 'train did not produce models/model');
  });

  it('passes the run id, stage, tracking URI, workspace and stage env to every command', async () => {
    const ws = await workspace({ 'in.txt': 'a' });
    opened.push(ws);
    const p = pipeline(ws.root, [
      stage({
        name: 'env',
        cmd: 'printf "%s|%s|%s|%s|%s|%s" "$CAIRN_RUN_ID" "$CAIRN_STAGE" "$CAIRN_TRACKING_URI" "$CAIRN_WORKSPACE" "$SEED" "$(pwd)" > ../env.txt',
        wdir: 'sub',
        deps: ['in.txt'],
        outs: ['env.txt'],
        env: { SEED: '42' },
      }),
    ]);
    await mkdir(join(ws.root, 'sub'));
    const r = await run(ws, p);
    assert.equal(r.summary.status, 'FINISHED', JSON.stringify(r.summary));
    const [runId, name, uri, root, seed, cwd] = readFileSync(join(ws.root, 'env.txt'), 'utf8').split('|');
    assert.equal(runId, r.summary.run_id);
    assert.equal(name, 'env');
    assert.equal(uri, ws.config.metadata.uri);
    assert.match(uri ?? '', /^sqlite:\/\/\/.*\.cairn\/cairn\.db$/);
    assert.equal(root, ws.root);
    assert.equal(seed, '42');
    assert.equal(cwd, join(ws.root, 'sub'));
    const log = join(ws.root, '.cairn/tmp/logs', r.summary.run_id, 'env.log');
    assert.match(readFileSync(log, 'utf8'), /^\$ printf/);
  });
});

describe('cairn run: parallelism and failure', () => {
  const stamp = (name: string) =>
    `node -e "require('fs').writeFileSync('${name}.start', String(Date.now()))" && sleep 1 && node -e "require('fs').writeFileSync('${name}.end', String(Date.now()))"`;
  const interval = (root: string, name: string) => [
    Number(readFileSync(join(root, `${name}.start`), 'utf8')),
    Number(readFileSync(join(root, `${name}.end`), 'utf8')),
  ];

  it('runs independent stages at the same time, and one at a time with jobs 1', async () => {
    const ws = await workspace({ 'in.txt': 'a' });
    opened.push(ws);
    const p = pipeline(ws.root, [
      stage({ name: 'left', cmd: stamp('left'), deps: ['in.txt'], outs: ['left.end'] }),
      stage({ name: 'right', cmd: stamp('right'), deps: ['in.txt'], outs: ['right.end'] }),
    ]);
    await run(ws, p, { jobs: 2 });
    const [l0, l1] = interval(ws.root, 'left') as [number, number];
    const [r0, r1] = interval(ws.root, 'right') as [number, number];
    assert.ok(l0 < r1 && r0 < l1, `intervals overlap: left ${l0}-${l1}, right ${r0}-${r1}`);

    await run(ws, p, { jobs: 1, force: true });
    const [a0, a1] = interval(ws.root, 'left') as [number, number];
    const [b0, b1] = interval(ws.root, 'right') as [number, number];
    assert.ok(a1 <= b0 || b1 <= a0, `intervals are disjoint: left ${a0}-${a1}, right ${b0}-${b1}`);
  });

  it('stops the dependents of a failed stage, lets its sibling finish, and keeps the last good lock entries', async () => {
    const ws = await workspace({ 'in.txt': 'a', 'flag.txt': 'ok' });
    opened.push(ws);
    const p = pipeline(ws.root, [
      stage({
        name: 'broken',
        cmd: 'cat flag.txt > b.txt; if grep -q fail flag.txt; then echo "line one" >&2; echo "Traceback: bad things" >&2; exit 3; fi',
        deps: ['flag.txt'],
        outs: ['b.txt'],
      }),
      stage({ name: 'after', cmd: 'cat b.txt > c.txt', deps: ['b.txt'], outs: ['c.txt'] }),
      stage({ name: 'sibling', cmd: 'sleep 0.5; cat in.txt > s.txt', deps: ['in.txt'], outs: ['s.txt'] }),
    ]);
    assert.equal((await run(ws, p)).summary.status, 'FINISHED');
    const good = await readLockFile(ws.root);
    await writeFile(join(ws.root, 'flag.txt'), 'fail');
    await writeFile(join(ws.root, 'in.txt'), 'changed');
    const r = await run(ws, p);
    assert.equal(r.summary.status, 'FAILED');
    assert.equal(r.status('broken'), 'failed');
    assert.equal(r.status('after'), 'not-run');
    assert.deepEqual(r.reasons('after'), ['upstream broken failed']);
    assert.equal(r.status('sibling'), 'done');
    const failed = r.events.find((e) => e.type === 'stage' && e.state === 'failed');
    assert.ok(failed?.type === 'stage');
    assert.equal(failed.error, 'command exited with code 3');
    assert.deepEqual(failed.tail, ['line one', 'Traceback: bad things']);
    const lock = await readLockFile(ws.root);
    assert.deepEqual(lock.stages.broken, good.stages.broken, 'failed stage keeps its last good entry');
    assert.deepEqual(lock.stages.after, good.stages.after);
    assert.notDeepEqual(lock.stages.sibling, good.stages.sibling, 'sibling entry updated');
  });

  it('stops every running stage and its children when aborted, writing nothing for them', async () => {
    const ws = await workspace({ 'in.txt': 'a' });
    opened.push(ws);
    const p = pipeline(ws.root, [
      stage({
        name: 'slow',
        cmd: 'sleep 30 & echo $! > child.pid; wait',
        deps: ['in.txt'],
        outs: ['never.txt'],
      }),
    ]);
    const controller = new AbortController();
    const pending = run(ws, p, { signal: controller.signal, killGraceMs: 1000 });
    const pidFile = join(ws.root, 'child.pid');
    while (!existsSync(pidFile) || statSync(pidFile).size === 0) await new Promise((r) => setTimeout(r, 20));
    const child = Number(readFileSync(pidFile, 'utf8'));
    controller.abort();
    const r = await pending;
    assert.equal(r.summary.status, 'KILLED');
    assert.equal(r.status('slow'), 'killed');
    assert.equal(alive(child), false, 'grandchild stopped');
    assert.equal(existsSync(join(ws.root, LOCK_FILE)), false);
  });
});

/** True when the process exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
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

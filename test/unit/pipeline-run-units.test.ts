import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  cachedOutputs,
  formatLockFile,
  LOCK_FILE,
  parseLockFile,
  readLockFile,
  updateLockFile,
} from '../../src/pipeline/lock/lock-file.ts';
import type { LockEntry, LockFile } from '../../src/pipeline/pipeline-types.ts';
import { changeReasons } from '../../src/pipeline/run/change-detection.ts';
import { flattenParams } from '../../src/pipeline/run/param-values.ts';
import { isRunCacheable, runCacheBlobKey, runCacheKey } from '../../src/pipeline/run/run-cache.ts';
import { schedule, type TaskOutcome } from '../../src/pipeline/run/scheduler.ts';
import { selectStages } from '../../src/pipeline/run/select-stages.ts';
import type { StageState } from '../../src/pipeline/run/stage-state.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { pipeline, stage } from './pipeline-run-fixture.ts';

const H1 = `sha256:${'1'.repeat(64)}` as const;
const H2 = `sha256:${'2'.repeat(64)}` as const;
const H3 = `sha256:${'3'.repeat(64)}` as const;

const train = stage({
  name: 'train',
  cmd: 'python train.py',
  deps: ['data/prepared', 'train.py'],
  params: [{ keys: ['train.lr'] }],
  outs: ['models/model'],
  metrics: ['metrics.json'],
});

const entry: LockEntry = {
  cmd: ['python train.py'],
  deps: [
    { path: 'train.py', hash: H2, size: 10 },
    { path: 'data/prepared', hash: H1, size: 100, files: 3 },
  ],
  params: { 'params.yaml': { 'train.lr': 0.1 } },
  outs: [
    { path: 'models/model', hash: H3, size: 5, cache: true },
    { path: 'metrics.json', hash: H1, size: 2, cache: false },
  ],
};

function stateLike(e: LockEntry, changes: Partial<StageState> = {}): StageState {
  return {
    deps: new Map(e.deps.map((d) => [d.path, d])),
    outs: new Map(e.outs.map(({ cache: _cache, ...o }) => [o.path, o])),
    params: structuredClone(e.params),
    missingParams: [],
    ...changes,
  };
}

describe('cairn.lock', () => {
  it('formats with a fixed order and parses back to the same entries', () => {
    const lock: LockFile = { schema: 1, stages: { train: entry, prepare: { ...entry, outs: [] } } };
    const text = formatLockFile(lock);
    assert.ok(text.indexOf('prepare:') < text.indexOf('train:'), 'stages sorted by name');
    assert.ok(text.indexOf('path: data/prepared') < text.indexOf('path: train.py'), 'deps sorted by path');
    assert.ok(text.indexOf('path: metrics.json') < text.indexOf('path: models/model'), 'outs sorted by path');
    assert.match(text, /files: 3/);
    const back = parseLockFile(text);
    assert.deepEqual(back.stages.train?.params, entry.params);
    assert.equal(back.stages.train?.outs.find((o) => o.path === 'metrics.json')?.cache, false);
    assert.equal(formatLockFile(back), text, 'formatting is stable');
  });

  it('names the stage and field of a malformed entry', () => {
    assert.throws(
      () =>
        parseLockFile(
          'schema: 1\nstages:\n  train:\n    cmd: [x]\n    deps:\n      - path: a\n        hash: md5:1\n        size: 1\n',
        ),
      /cairn\.lock: stage "train": deps\[0\]: hash "md5:1" is not a sha256 digest/,
    );
    assert.throws(() => parseLockFile('schema: 2\n'), /unsupported schema 2/);
  });

  it('merges updates, drops stages no longer in the pipeline, and replaces the file by rename', async () => {
    const root = await tempDir('cairn-lock-');
    await updateLockFile(root, { train: entry, old: entry });
    const before = statSync(join(root, LOCK_FILE)).ino;
    const evaluate = { ...entry, cmd: ['python evaluate.py'] };
    await updateLockFile(root, { evaluate }, (name) => name !== 'old');
    const lock = await readLockFile(root);
    assert.deepEqual(Object.keys(lock.stages).sort(), ['evaluate', 'train']);
    assert.notEqual(statSync(join(root, LOCK_FILE)).ino, before, 'a new file was renamed into place');
    assert.deepEqual(readdirSync(root), [LOCK_FILE], 'no temp file left behind');
    const text = readFileSync(join(root, LOCK_FILE), 'utf8');
    const ino = statSync(join(root, LOCK_FILE)).ino;
    await updateLockFile(root, { evaluate }, (name) => name !== 'old');
    assert.equal(statSync(join(root, LOCK_FILE)).ino, ino, 'unchanged content is not rewritten');
    assert.equal(readFileSync(join(root, LOCK_FILE), 'utf8'), text);
  });

  it('lists cached outputs as pointers, leaving cache: false outputs out', () => {
    const outs = cachedOutputs({ schema: 1, stages: { train: entry } });
    assert.deepEqual([...outs.keys()], ['models/model']);
    assert.deepEqual(outs.get('models/model'), { type: 'file', hash: H3, size: 5 });
    const dir = cachedOutputs({
      schema: 1,
      stages: { p: { ...entry, outs: [{ path: 'd', hash: H1, size: 9, files: 0, cache: true }] } },
    });
    assert.deepEqual(dir.get('d'), { type: 'directory', hash: H1, size: 9, files: 0 });
  });

  it('reads a missing lock as empty', async () => {
    assert.deepEqual(await readLockFile(await tempDir()), { schema: 1, stages: {} });
  });
});

describe('change detection', () => {
  it('finds nothing when everything matches the lock entry', () => {
    assert.deepEqual(changeReasons(train, entry, stateLike(entry)), []);
  });

  it('names each kind of change', () => {
    const cases: [string, StageState | ((s: typeof train) => typeof train), string][] = [
      ['cmd', (s) => ({ ...s, cmd: ['python train.py --fast'] }), 'cmd changed'],
      [
        'dep',
        stateLike(entry, {
          deps: new Map([
            ...stateLike(entry).deps,
            ['data/prepared', { path: 'data/prepared', hash: H3, size: 1, files: 1 }],
          ]),
        }),
        'dep data/prepared changed',
      ],
      [
        'dep missing',
        stateLike(entry, { deps: new Map([...stateLike(entry).deps, ['train.py', undefined]]) }),
        'dep train.py missing',
      ],
      [
        'param',
        stateLike(entry, { params: { 'params.yaml': { 'train.lr': 0.01 } } }),
        'param train.lr 0.1 → 0.01',
      ],
      [
        'out missing',
        stateLike(entry, { outs: new Map([...stateLike(entry).outs, ['models/model', undefined]]) }),
        'out models/model missing',
      ],
      [
        'out modified',
        stateLike(entry, {
          outs: new Map([
            ...stateLike(entry).outs,
            ['metrics.json', { path: 'metrics.json', hash: H2, size: 2 }],
          ]),
        }),
        'out metrics.json modified',
      ],
      ['dep added', (s) => ({ ...s, deps: [...s.deps, 'extra.csv'] }), 'dep extra.csv missing'],
    ];
    for (const [what, change, reason] of cases) {
      const s = typeof change === 'function' ? change(train) : train;
      const state = typeof change === 'function' ? stateLike(entry) : change;
      assert.deepEqual(changeReasons(s, entry, state), [reason], what);
    }
    assert.deepEqual(changeReasons(train, undefined, stateLike(entry)), [
      'no entry in cairn.lock (never run)',
    ]);
    const fewer = { ...train, deps: ['data/prepared'], metrics: [] };
    assert.deepEqual(changeReasons(fewer, entry, stateLike(entry)), [
      'dep train.py removed',
      'out metrics.json removed',
    ]);
  });
});

describe('run cache keys', () => {
  it('depend on cmd, deps, params, env, wdir and output paths, and on nothing else', () => {
    const state = stateLike(entry);
    const key = runCacheKey(train, state);
    assert.ok(key);
    assert.equal(runCacheKey({ ...train, source: { file: 'other.yaml', line: 9 } }, state), key);
    const variants = [
      runCacheKey({ ...train, cmd: ['python train.py -v'] }, state),
      runCacheKey({ ...train, env: { SEED: '1' } }, state),
      runCacheKey({ ...train, wdir: 'src' }, state),
      runCacheKey(train, stateLike(entry, { params: { 'params.yaml': { 'train.lr': 1 } } })),
      runCacheKey(
        train,
        stateLike({ ...entry, deps: [{ path: 'train.py', hash: H3, size: 1 }, entry.deps[1] as never] }),
      ),
      runCacheKey({ ...train, outs: [{ path: 'models/other', cache: true, persist: false }] }, state),
    ];
    assert.equal(new Set([key, ...variants]).size, variants.length + 1);
    assert.match(runCacheBlobKey(key), /^runs\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    assert.equal(
      runCacheKey(train, stateLike(entry, { deps: new Map([['train.py', undefined]]) })),
      undefined,
    );
  });

  it('apply only to stages whose outputs are a function of their declared inputs', () => {
    assert.equal(isRunCacheable(train), true);
    assert.equal(isRunCacheable({ ...train, deps: [] }), false, 'no deps');
    assert.equal(
      isRunCacheable({ ...train, outs: [{ path: 'm', cache: true, persist: true }] }),
      false,
      'persist',
    );
    assert.equal(
      isRunCacheable({ ...train, outs: [{ path: 'm', cache: false, persist: false }] }),
      false,
      'uncached out',
    );
  });
});

describe('params', () => {
  it('flattens params files with dots, prefixing files other than params.yaml', () => {
    const flat = flattenParams(
      new Map<string, unknown>([
        ['params.yaml', { train: { lr: 0.1, layers: [1, 2] }, seed: 3 }],
        ['conf/model.yaml', { depth: 4 }],
      ]),
    );
    assert.deepEqual(Object.fromEntries(flat), {
      'train.lr': 0.1,
      'train.layers': [1, 2],
      seed: 3,
      'conf/model.yaml:depth': 4,
    });
  });
});

describe('scheduler', () => {
  const dag = new Map<string, string[]>([
    ['a', []],
    ['b', ['a']],
    ['c', ['b']],
    ['d', []],
    ['e', ['d']],
  ]);
  const order = ['a', 'd', 'b', 'e', 'c'];

  it('keeps at most `jobs` tasks in flight and starts a task only after its upstream', async () => {
    let inFlight = 0;
    let most = 0;
    const finished: string[] = [];
    const result = await schedule({
      order,
      upstream: dag,
      jobs: 2,
      run: async (name) => {
        for (const u of dag.get(name) ?? []) assert.ok(finished.includes(u), `${name} before ${u}`);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        finished.push(name);
        return 'done';
      },
    });
    assert.equal(most, 2);
    assert.deepEqual([...result.values()], ['done', 'done', 'done', 'done', 'done']);
  });

  it('stops only the dependents of a failure and names the failed stage', async () => {
    const notRun: [string, string | undefined][] = [];
    const result = await schedule({
      order,
      upstream: dag,
      jobs: 4,
      run: async (name): Promise<TaskOutcome> => {
        if (name === 'a') throw new Error('boom');
        await new Promise((r) => setTimeout(r, 5));
        return 'done';
      },
      onNotRun: (name, failed) => notRun.push([name, failed]),
    });
    assert.equal(result.get('a'), 'failed');
    assert.equal(result.get('b'), 'not-run');
    assert.equal(result.get('c'), 'not-run');
    assert.equal(result.get('e'), 'done');
    assert.deepEqual(notRun, [
      ['b', 'a'],
      ['c', 'a'],
    ]);
  });

  it('starts nothing more once aborted', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const result = await schedule({
      order,
      upstream: dag,
      jobs: 1,
      signal: controller.signal,
      run: async (name) => {
        started.push(name);
        controller.abort();
        return 'killed';
      },
    });
    assert.deepEqual(started, ['a']);
    assert.deepEqual([...result.values()].filter((v) => v === 'not-run').length, 4);
  });
});

describe('stage selection', () => {
  it('adds upstream stages, and downstream ones with their own upstream on request', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'params.yaml'), 'x: 1\n');
    const p = pipeline(root, [
      stage({ name: 'prepare', cmd: 'x', outs: ['prepared'] }),
      stage({ name: 'features', cmd: 'x', outs: ['features'] }),
      stage({ name: 'train', cmd: 'x', deps: ['prepared'], outs: ['model'] }),
      stage({ name: 'evaluate', cmd: 'x', deps: ['model', 'features'], outs: ['report'] }),
      stage({ name: 'lint', cmd: 'x' }),
    ]);
    assert.deepEqual(selectStages(p, ['train'], false), ['prepare', 'train']);
    assert.deepEqual(selectStages(p, ['train'], true), ['prepare', 'features', 'train', 'evaluate']);
    assert.deepEqual(selectStages(p, [], false).length, 5);
    assert.throws(() => selectStages(p, ['trian'], false), /no stage named "trian".*did you mean "train"/);
  });
});

/**
 * `cairn gc` in a workspace with a pipeline: the outputs in cairn.lock, the objects run-cache
 * entries restore from, and with --all-commits the outputs of cairn.lock in every commit are
 * references; run-cache entries go only when asked (too old, or naming objects that are gone).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLockFile } from '../../src/pipeline/lock/lock-file.ts';
import { cairn, cairnJson, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

interface GcReport {
  kept: number;
  removed: number;
  runCache: { entries: number; removed: number; expired: number; incomplete: number };
  dryRun: boolean;
}

interface Summary {
  stages: { name: string; status: string }[];
}

/**
 * A one-stage pipeline writing a directory (two files) and a metrics file from param `p`. With
 * `deps`, the stage reads in.txt and so uses the run cache; without, it never does.
 */
async function pipelineWorkspace(deps: boolean): Promise<{ ws: string; marker: string }> {
  const ws = await newWorkspace();
  const marker = join(await tempDir('cairn-gc-marker-'), 'ran.txt');
  await writeFiles(ws, {
    'in.txt': 'input\n',
    'params.yaml': 'p: 1\n',
    'cairn.yaml': `stages:
  make:
    cmd: 'echo make >> ${marker}; mkdir -p out; echo "a \${p}" > out/a.txt; echo "b \${p}" > out/b.txt; echo "v: \${p}" > m.yaml'
${deps ? '    deps: [in.txt]\n' : ''}    outs: [out]
    metrics: [m.yaml]
`,
  });
  return { ws, marker };
}

const runs = (marker: string) =>
  existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').length - 1 : 0;

async function run(ws: string, p: number): Promise<string> {
  writeFileSync(join(ws, 'params.yaml'), `p: ${p}\n`);
  const summary = await cairnJson<Summary>(['run'], { cwd: ws });
  return summary.stages[0]?.status as string;
}

function objectPath(ws: string, hash: string): string {
  const hex = hash.replace('sha256:', '');
  return join(ws, '.cairn/cache/sha256', hex.slice(0, 2), hex.slice(2));
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The objects run `p` stored: the manifest of out/, its two files, and the metrics file. */
async function outputsOf(ws: string): Promise<string[]> {
  const lock = await readLockFile(ws);
  const p = lock.stages.make?.params['params.yaml']?.p;
  const manifest = lock.stages.make?.outs.find((o) => o.path === 'out')?.hash as string;
  return [manifest, sha256(`a ${p}\n`), sha256(`b ${p}\n`), sha256(`v: ${p}\n`)];
}

function runCacheFiles(ws: string): string[] {
  const base = join(ws, '.cairn/cache/runs');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((shard) =>
    readdirSync(join(base, shard)).map((f) => join(base, shard, f)),
  );
}

describe('cairn gc with a pipeline', () => {
  it('keeps the outputs cairn.lock records and removes those of earlier runs nothing references', async () => {
    const { ws } = await pipelineWorkspace(false);
    assert.equal(await run(ws, 1), 'done');
    const [manifest1, a1, b1] = await outputsOf(ws);
    assert.equal(await run(ws, 2), 'done');
    const current = await outputsOf(ws);
    assert.equal(runCacheFiles(ws).length, 0, 'a stage without deps does not use the run cache');

    const gc = await cairnJson<GcReport>(['gc', '-f'], { cwd: ws });
    assert.equal(gc.removed, 3, 'the manifest and files of the first run');
    for (const h of [manifest1, a1, b1]) assert.ok(!existsSync(objectPath(ws, h as string)), h);
    for (const h of current.slice(0, 3)) assert.ok(existsSync(objectPath(ws, h)), h);
    rmSync(join(ws, 'out'), { recursive: true });
    assert.equal((await cairn(['checkout', 'out'], { cwd: ws })).code, 0);
    assert.equal(readFileSync(join(ws, 'out/a.txt'), 'utf8'), 'a 2\n');
  });

  it('keeps what run-cache entries restore, so a later run restores instead of running; old entries go with --run-cache-max-age', async () => {
    const { ws, marker } = await pipelineWorkspace(true);
    assert.equal(await run(ws, 1), 'done');
    const first = await outputsOf(ws);
    assert.equal(await run(ws, 2), 'done');
    const second = await outputsOf(ws);

    const gc = await cairnJson<GcReport>(['gc', '-f'], { cwd: ws });
    assert.deepEqual(gc.runCache, { entries: 2, removed: 0, expired: 0, incomplete: 0 });
    assert.equal(gc.removed, 0, 'the first run is only in the run cache, and stays');
    for (const h of first) assert.ok(existsSync(objectPath(ws, h)), `${h}, the metrics file included`);
    assert.equal(await run(ws, 1), 'restored');
    assert.equal(runs(marker), 2);
    assert.equal(readFileSync(join(ws, 'm.yaml'), 'utf8'), 'v: 1\n');

    // The entry of p = 2 was made 40 days ago.
    const entryOf2 = runCacheFiles(ws).find((f) => readFileSync(f, 'utf8').includes(second[0] as string));
    assert.ok(entryOf2);
    const entry = JSON.parse(readFileSync(entryOf2, 'utf8')) as { created: string };
    entry.created = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(entryOf2, JSON.stringify(entry));

    const bad = await cairn(['gc', '--run-cache-max-age', 'soon'], { cwd: ws });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--run-cache-max-age soon: expected a number and a unit/);
    const young = await cairnJson<GcReport>(['gc', '-f', '--run-cache-max-age', '41d'], { cwd: ws });
    assert.equal(young.runCache.removed, 0);
    const dry = await cairnJson<GcReport>(['gc', '--run-cache-max-age', '30d', '--dry-run'], { cwd: ws });
    assert.deepEqual([dry.runCache.expired, dry.runCache.removed, dry.removed], [1, 1, 4]);
    assert.ok(existsSync(entryOf2), 'a dry run removes nothing');
    const pruned = await cairnJson<GcReport>(['gc', '-f', '--run-cache-max-age', '30d'], { cwd: ws });
    assert.deepEqual([pruned.runCache.removed, pruned.removed], [1, 4]);
    assert.ok(!existsSync(entryOf2));
    for (const h of second) assert.ok(!existsSync(objectPath(ws, h)), h);
    for (const h of first) assert.ok(existsSync(objectPath(ws, h)), h);
    assert.equal(await run(ws, 2), 'done', 'the pruned entry no longer restores');
    assert.equal(runs(marker), 3);
  });

  it('reports run-cache entries whose objects are gone, and removes them with --prune-run-cache', async () => {
    const { ws, marker } = await pipelineWorkspace(true);
    assert.equal(await run(ws, 1), 'done');
    const first = await outputsOf(ws);
    assert.equal(await run(ws, 2), 'done');
    rmSync(objectPath(ws, first[1] as string));

    const kept = await cairn(['gc', '-f'], { cwd: ws });
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^removed 0 objects/);
    assert.match(
      kept.stderr,
      /1 run-cache entry names objects this cache lacks .*--prune-run-cache removes them/,
    );
    const pruned = await cairnJson<GcReport>(['gc', '-f', '--prune-run-cache'], { cwd: ws });
    assert.deepEqual(pruned.runCache, { entries: 2, removed: 1, expired: 0, incomplete: 1 });
    assert.equal(pruned.removed, 3, 'the rest of what the entry named: manifest, b.txt, m.yaml');
    assert.equal(runCacheFiles(ws).length, 1);
    assert.equal(await run(ws, 1), 'done');
    assert.equal(runs(marker), 3);
  });

  it('with --all-commits keeps the outputs cairn.lock records in any commit', async () => {
    const { ws } = await pipelineWorkspace(false);
    assert.equal(await run(ws, 1), 'done');
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'p = 1']);
    assert.equal(await run(ws, 2), 'done');

    const dry = await cairnJson<GcReport>(['gc', '--dry-run'], { cwd: ws });
    assert.equal(dry.removed, 3, 'without --all-commits the committed outputs would go');
    const gc = await cairnJson<GcReport>(['gc', '-f', '--all-commits'], { cwd: ws });
    assert.equal(gc.removed, 0);
    git(ws, ['checkout', '-q', 'HEAD', '--', 'cairn.lock']);
    const checkout = await cairn(['checkout', 'out'], { cwd: ws });
    assert.equal(checkout.code, 0, checkout.stderr);
    assert.equal(readFileSync(join(ws, 'out/a.txt'), 'utf8'), 'a 1\n');
  });
});

/**
 * `cairn gc --remote`: removes from a remote the objects and run-cache entries nothing references,
 * with local gc's safety: it knows every reference (history with --all-commits, directories through
 * their manifests, the remote's run-cache entries) or removes nothing; it asks first or needs
 * --force; --dry-run only reports. On a directory remote and on MinIO.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { cairn, cairnJson, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { s3Gate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

interface RemoteGcReport {
  remote: string;
  kept: number;
  removed: number;
  removedBytes: number;
  runCache: { entries: number; removed: number; expired: number; incomplete: number };
  dryRun: boolean;
}

const hashIn = (text: string) => /hash: (sha256:[0-9a-f]{64})/.exec(text)?.[1] as string;
const keyOf = (hash: string) => {
  const hex = hash.replace('sha256:', '');
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2)}`;
};

/**
 * model.bin in three versions, all pushed: v1 committed then replaced, v2 committed (current), v3
 * added and pushed but never committed (its pointer reverted). Also a pipeline stage with deps,
 * run with p = 1 and p = 2, whose run-cache entries and outputs were pushed too.
 */
async function history(remoteUrl: string, extraSetup?: (ws: string) => Promise<void>) {
  const ws = await newWorkspace();
  await writeFiles(ws, {
    'model.bin': 'one '.repeat(1000),
    'in.txt': 'input\n',
    'params.yaml': 'p: 1\n',
    'cairn.yaml': `stages:
  make:
    cmd: echo "out \${p}" > out.txt
    deps: [in.txt]
    outs: [out.txt]
`,
  });
  assert.equal((await cairn(['remote', 'add', 'origin', remoteUrl, '--default'], { cwd: ws })).code, 0);
  await extraSetup?.(ws);
  const pointer = () => hashIn(readFileSync(join(ws, 'model.bin.cairn'), 'utf8'));
  assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
  const v1 = pointer();
  assert.equal((await cairn(['run'], { cwd: ws })).code, 0);
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-qm', 'v1']);
  assert.equal((await cairn(['push'], { cwd: ws })).code, 0);
  writeFileSync(join(ws, 'model.bin'), 'two '.repeat(1000));
  writeFileSync(join(ws, 'params.yaml'), 'p: 2\n');
  assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
  const v2 = pointer();
  assert.equal((await cairn(['run'], { cwd: ws })).code, 0);
  git(ws, ['commit', '-qam', 'v2']);
  assert.equal((await cairn(['push'], { cwd: ws })).code, 0);
  writeFileSync(join(ws, 'model.bin'), 'three '.repeat(1000));
  assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
  const v3 = pointer();
  const pushed = await cairn(['push'], { cwd: ws });
  assert.equal(pushed.code, 0, pushed.stderr);
  git(ws, ['checkout', '-q', '--', 'model.bin.cairn']);
  assert.equal((await cairn(['checkout', '--force', 'model.bin'], { cwd: ws })).code, 0);
  return { ws, v1, v2, v3 };
}

describe('cairn gc --remote on a directory remote', () => {
  let ws: string;
  let remote: string;
  let v: { v1: string; v2: string; v3: string };
  const on = (hash: string) => existsSync(join(remote, keyOf(hash)));
  before(async () => {
    remote = join(await tempDir('cairn-remote-'), 'store');
    const h = await history(remote);
    ws = h.ws;
    v = h;
  });

  it('reports without removing on --dry-run, and refuses without a terminal or --force', async () => {
    const dry = await cairnJson<RemoteGcReport>(['gc', '--remote', '--dry-run'], { cwd: ws });
    assert.equal(dry.remote, 'origin');
    assert.equal(dry.removed, 2, 'v3 (never committed) and v1 (only history references it)');
    assert.deepEqual(dry.runCache, { entries: 2, removed: 0, expired: 0, incomplete: 0 });
    const refused = await cairn(['gc', '--remote'], { cwd: ws });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /cairn gc would remove 2 objects \(9\.8 KiB\) from remote "origin", and no terminal is attached/,
    );
    assert.ok(on(v.v1) && on(v.v3));
  });

  it('stops, removing nothing, when a directory it must keep has its manifest nowhere', async () => {
    await writeFiles(ws, { 'dir/a.txt': 'a' });
    assert.equal((await cairn(['add', 'dir'], { cwd: ws })).code, 0);
    const manifest = hashIn(readFileSync(join(ws, 'dir.cairn'), 'utf8'));
    rmSync(join(ws, '.cairn/cache', keyOf(manifest)), { force: true });
    const r = await cairn(['gc', '--remote', '--force'], { cwd: ws });
    rmSync(join(ws, 'dir.cairn'));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /cannot tell what remote "origin" must keep: the manifest of dir is neither in the cache nor on the remote — nothing was removed/,
    );
    assert.ok(on(v.v1) && on(v.v3));
  });

  it('keeps what any commit and the run cache reference with --all-commits, and removes the rest', async () => {
    const r = await cairnJson<RemoteGcReport>(['gc', '--remote', 'origin', '--all-commits', '--force'], {
      cwd: ws,
    });
    assert.equal(r.removed, 1);
    assert.ok(!on(v.v3), 'v3 is gone');
    assert.ok(on(v.v1) && on(v.v2));
    // The run-cache entry of p = 1 still restores in a fresh clone that only has the remote.
    const clone = join(await tempDir('cairn-clone-'), 'c');
    git(ws, ['clone', '-q', ws, clone]);
    writeFileSync(join(clone, 'params.yaml'), 'p: 1\n');
    const run = await cairnJson<{ stages: { status: string }[] }>(['run'], { cwd: clone });
    assert.equal(run.stages[0]?.status, 'restored');
    assert.equal(readFileSync(join(clone, 'out.txt'), 'utf8'), 'out 1\n');
  });

  it('removes an expired run-cache entry, then the objects only it needed', async () => {
    const out1 = `sha256:${createHash('sha256').update('out 1\n').digest('hex')}`;
    const runs = join(remote, 'runs');
    const entries = readdirSync(runs).flatMap((s) => readdirSync(join(runs, s)).map((f) => join(runs, s, f)));
    const old = entries.find((f) => readFileSync(f, 'utf8').includes(out1)) as string;
    const entry = JSON.parse(readFileSync(old, 'utf8')) as { created: string };
    entry.created = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(old, JSON.stringify(entry));
    const r = await cairnJson<RemoteGcReport>(['gc', '-r', '--force', '--run-cache-max-age', '30d'], {
      cwd: ws,
    });
    assert.deepEqual([r.runCache.entries, r.runCache.expired, r.runCache.removed], [2, 1, 1]);
    assert.equal(r.removed, 2, 'v1 (no longer kept without --all-commits) and out.txt of p = 1');
    assert.ok(!existsSync(old));
    assert.ok(!on(out1) && !on(v.v1));
    assert.ok(on(v.v2));
  });
});

const gate = s3Gate();

describe('cairn gc --remote on MinIO', { skip: gate.skip }, () => {
  const endpoint = gate.value ?? '';
  const accessKey = process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '';
  const secretKey = process.env.CAIRN_TEST_S3_SECRET_KEY ?? '';
  const bucket = `cairn-gc-${randomBytes(5).toString('hex')}`;
  let client: S3Client;
  before(async () => {
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => client?.destroy());

  it('removes from the bucket only what nothing references', async () => {
    const keys = async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'p/' }))).Contents ?? []).map(
        (o) => (o.Key as string).slice(2),
      );
    const { ws, v1, v2, v3 } = await history(`s3://${bucket}/p`, async (dir) => {
      await cairn(['remote', 'modify', 'origin', 'endpoint', endpoint], { cwd: dir });
      await cairn(['remote', 'modify', 'origin', 'access_key_id', accessKey, '--local'], { cwd: dir });
      await cairn(['remote', 'modify', 'origin', 'secret_access_key', secretKey, '--local'], { cwd: dir });
    });
    assert.equal((await keys()).filter((k) => k.startsWith('runs/')).length, 2);
    const r = await cairnJson<RemoteGcReport>(['gc', '--remote', '--all-commits', '--force'], { cwd: ws });
    assert.equal(r.removed, 1);
    const left = await keys();
    assert.ok(!left.includes(keyOf(v3)));
    assert.ok(left.includes(keyOf(v1)) && left.includes(keyOf(v2)));
    assert.equal(left.filter((k) => k.startsWith('runs/')).length, 2, 'run-cache entries kept');
  });
});

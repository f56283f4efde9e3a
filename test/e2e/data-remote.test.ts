import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cairn, cairnJson, git, newWorkspace, startCairn, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

type Report = {
  remote: string;
  objects: number;
  transferred: number;
  bytes: number;
  failures: { path: string; code: string; message: string }[];
};

function objectsIn(root: string): string[] {
  const base = join(root, 'sha256');
  if (!existsSync(base)) return [];
  // Dot-files are writers' temp files, which readers never see as objects.
  return readdirSync(base).flatMap((shard) =>
    readdirSync(join(base, shard))
      .filter((name) => !name.startsWith('.'))
      .map((name) => `${shard}${name}`),
  );
}

async function workspaceWithRemote(): Promise<{ ws: string; remote: string }> {
  const ws = await newWorkspace();
  const remote = join(await tempDir('cairn-remote-'), 'store');
  const files: Record<string, string> = { 'model/weights.bin': 'w'.repeat(5000) };
  for (let i = 0; i < 40; i++) files[`data/part-${i}.csv`] = `id,v\n${i},${i * i}\n`;
  await writeFiles(ws, files);
  assert.equal((await cairn(['add', 'data', 'model/weights.bin'], { cwd: ws })).code, 0);
  assert.equal(
    (await cairn(['remote', 'add', 'origin', `file://${remote}`, '--default'], { cwd: ws })).code,
    0,
  );
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-qm', 'track data']);
  return { ws, remote };
}

describe('cairn remote', () => {
  it('adds, lists, sets the default and removes remotes in .cairn/config.yaml', async () => {
    const ws = await newWorkspace();
    assert.equal((await cairn(['remote', 'add', 'a', '/tmp/remote-a'], { cwd: ws })).code, 0);
    assert.equal(
      (
        await cairn(
          [
            'remote',
            'add',
            'b',
            's3://bucket/team/x',
            '--endpoint',
            'http://127.0.0.1:9100',
            '--path-style',
            '--default',
          ],
          { cwd: ws },
        )
      ).code,
      0,
    );
    const list = await cairnJson<{ name: string; url: string; kind: string; default: boolean }[]>(
      ['remote', 'list'],
      { cwd: ws },
    );
    assert.deepEqual(
      list.map((r) => [r.name, r.kind, r.default]),
      [
        ['a', 'fs', false],
        ['b', 's3', true],
      ],
    );
    const config = readFileSync(join(ws, '.cairn/config.yaml'), 'utf8');
    assert.match(config, /^# Cairn workspace settings/, 'comments kept');
    assert.match(config, /remote: b/);
    const dup = await cairn(['remote', 'add', 'a', '/tmp/other'], { cwd: ws });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /remote "a" exists already.*--force/);
    assert.equal((await cairn(['remote', 'default', 'a'], { cwd: ws })).code, 0);
    assert.equal((await cairn(['remote', 'remove', 'b'], { cwd: ws })).code, 0);
    const after = await cairnJson<{ name: string; default: boolean }[]>(['remote', 'list'], { cwd: ws });
    assert.deepEqual(after, [{ name: 'a', url: '/tmp/remote-a', kind: 'fs', default: true }]);
  });

  it('rejects misconfigured remotes with a clear error', async () => {
    const ws = await newWorkspace();
    for (const [url, message] of [
      ['relative/dir', /must be an absolute path/],
      ['ftp://host/x', /unsupported remote URL scheme/],
      ['s3://UPPER_case/x', /not a valid bucket name/],
    ] as const) {
      const r = await cairn(['remote', 'add', 'x', url], { cwd: ws });
      assert.equal(r.code, 2, url);
      assert.match(r.stderr, message);
    }
    await writeFile(
      join(ws, '.cairn/config.yaml'),
      'remotes:\n  origin:\n    url: /tmp/x\n    colour: blue\n',
    );
    const r = await cairn(['status'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml:4: unknown remote setting "colour"/);
    await writeFile(join(ws, '.cairn/config.yaml'), 'core:\n  remote: nowhere\n');
    const push = await cairn(['push'], { cwd: ws });
    assert.equal(push.code, 2);
    assert.match(push.stderr, /default remote "nowhere" is not configured/);
  });
});

describe('cairn push / fetch / pull', () => {
  it('moves only missing objects and round-trips through a second clone', async () => {
    const { ws, remote } = await workspaceWithRemote();
    const first = await cairnJson<Report>(['push'], { cwd: ws });
    assert.equal(first.transferred, 42, '40 files, their manifest and the weights');
    assert.equal(first.failures.length, 0);
    assert.equal(objectsIn(remote).length, 42);
    const again = await cairnJson<Report>(['push'], { cwd: ws });
    assert.equal(again.transferred, 0);

    const clone = join(await tempDir('cairn-clone-'), 'c');
    git(ws, ['clone', '-q', ws, clone]);
    const st = await cairn(['status', '--json'], { cwd: clone });
    assert.equal(st.code, 0, st.stderr);
    const pulled = await cairnJson<{ fetch: Report; checkout: { outcome: string }[] }>(['pull'], {
      cwd: clone,
    });
    assert.equal(pulled.fetch.transferred, 42);
    assert.deepEqual(
      pulled.checkout.map((c) => c.outcome),
      ['checked-out', 'checked-out'],
    );
    assert.equal(readFileSync(join(clone, 'data/part-7.csv'), 'utf8'), 'id,v\n7,49\n');
    assert.equal(readFileSync(join(clone, 'model/weights.bin'), 'utf8'), 'w'.repeat(5000));

    // Change in the clone, push, pull back in the original.
    await writeFile(join(clone, 'data/part-7.csv'), 'id,v\n7,50\n');
    assert.equal((await cairn(['add', 'data'], { cwd: clone })).code, 0);
    const second = await cairnJson<Report>(['push', 'data'], { cwd: clone });
    assert.equal(second.transferred, 2, 'one changed file and the new manifest');
    git(clone, ['commit', '-qam', 'edit']);
    git(ws, ['pull', '-q', clone, 'main']);
    const back = await cairn(['pull'], { cwd: ws });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(readFileSync(join(ws, 'data/part-7.csv'), 'utf8'), 'id,v\n7,50\n');
  });

  it('fetch fills the cache without touching the workspace', async () => {
    const { ws } = await workspaceWithRemote();
    await cairn(['push'], { cwd: ws });
    await rm(join(ws, '.cairn', 'cache'), { recursive: true });
    await rm(join(ws, 'model/weights.bin'));
    const r = await cairnJson<Report>(['fetch', 'model/weights.bin'], { cwd: ws });
    assert.equal(r.transferred, 1);
    assert.ok(!existsSync(join(ws, 'model/weights.bin')));
    assert.equal((await cairn(['checkout', 'model/weights.bin'], { cwd: ws })).code, 0);
    assert.ok(existsSync(join(ws, 'model/weights.bin')));
  });

  it('refuses a corrupt remote object: reported, never stored or checked out', async () => {
    const { ws, remote } = await workspaceWithRemote();
    await cairn(['push'], { cwd: ws });
    const digest =
      /hash: (sha256:[0-9a-f]+)/.exec(readFileSync(join(ws, 'model/weights.bin.cairn'), 'utf8'))?.[1] ?? '';
    const remoteObject = join(remote, 'sha256', digest.slice(7, 9), digest.slice(9));
    chmodSync(remoteObject, 0o644);
    await writeFile(remoteObject, 'evil bytes');
    await rm(join(ws, '.cairn', 'cache'), { recursive: true });
    await rm(join(ws, 'model/weights.bin'));
    const r = await cairn(['pull'], { cwd: ws });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `object ${digest} from remote "origin" is corrupt: its content hashes to sha256:${createHash('sha256').update('evil bytes').digest('hex')}`,
      ),
    );
    assert.ok(!existsSync(join(ws, '.cairn/cache/sha256', digest.slice(7, 9), digest.slice(9))));
    assert.ok(!existsSync(join(ws, 'model/weights.bin')));
    assert.equal(
      readFileSync(join(ws, 'data/part-1.csv'), 'utf8'),
      'id,v\n1,1\n',
      'other paths still pulled',
    );
  });

  it('reports objects missing from the remote and an unreachable remote clearly', async () => {
    const { ws } = await workspaceWithRemote();
    await rm(join(ws, '.cairn', 'cache'), { recursive: true });
    const r = await cairn(['pull'], { cwd: ws });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /object sha256:[0-9a-f]+ is not on remote "origin"/);

    await cairn(
      ['remote', 'add', 'down', 's3://bucket/p', '--endpoint', 'http://127.0.0.1:1', '--path-style'],
      { cwd: ws },
    );
    const started = Date.now();
    const down = await cairn(['push', '-r', 'down'], {
      cwd: ws,
      env: { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
    });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach S3 endpoint http:\/\/127\.0\.0\.1:1/);
    assert.ok(Date.now() - started < 30_000, 'fails fast');
    const unknown = await cairn(['push', '-r', 'nope'], { cwd: ws });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /remote "nope" is not configured/);
  });

  it('a push killed half-way leaves only whole objects, and running it again completes', async () => {
    const ws = await newWorkspace();
    const remote = join(await tempDir('cairn-remote-'), 'store');
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`many/f${i}.txt`] = `file number ${i}\n`.repeat(20);
    await writeFiles(ws, files);
    assert.equal((await cairn(['add', 'many'], { cwd: ws })).code, 0);
    await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws });
    const child = startCairn(['push'], { cwd: ws });
    // Kill once objects start to land on the remote.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (objectsIn(remote).length > 50 || child.exitCode !== null) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const partial = objectsIn(remote);
    assert.ok(partial.length < 3001, `push was killed before it finished (${partial.length} objects)`);
    for (const name of partial) {
      const content = readFileSync(join(remote, 'sha256', name.slice(0, 2), name.slice(2)));
      assert.equal(createHash('sha256').update(content).digest('hex'), name, 'every visible object is whole');
    }
    const manifest = /hash: sha256:([0-9a-f]+)/.exec(readFileSync(join(ws, 'many.cairn'), 'utf8'))?.[1] ?? '';
    assert.ok(!partial.includes(manifest), 'the manifest is not visible before its files');
    // The killed process left its lock; the next command takes it over.
    const again = await cairnJson<Report>(['push'], { cwd: ws });
    assert.equal(again.failures.length, 0);
    assert.equal(objectsIn(remote).length, 3001);
    const st = await cairnJson<{ paths: { remote: string }[] }>(['status'], { cwd: ws });
    assert.equal(st.paths[0]?.remote, 'pushed');
  });

  it('a pull killed half-way leaves no partial object, and running it again completes', async () => {
    const ws = await newWorkspace();
    const remote = join(await tempDir('cairn-remote-'), 'store');
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`many/f${i}.txt`] = `row ${i}\n`.repeat(30);
    await writeFiles(ws, files);
    await cairn(['add', 'many'], { cwd: ws });
    await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws });
    assert.equal((await cairn(['push'], { cwd: ws })).code, 0);
    await rm(join(ws, '.cairn', 'cache'), { recursive: true });
    await rm(join(ws, 'many'), { recursive: true });
    const cache = join(ws, '.cairn', 'cache');
    const child = startCairn(['pull'], { cwd: ws });
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (objectsIn(cache).length > 50 || child.exitCode !== null) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    for (const name of objectsIn(cache)) {
      const content = readFileSync(join(cache, 'sha256', name.slice(0, 2), name.slice(2)));
      assert.equal(createHash('sha256').update(content).digest('hex'), name);
    }
    const r = await cairn(['pull'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(ws, 'many/f1999.txt'), 'utf8'), 'row 1999\n'.repeat(30));
  });
});

describe('cairn gc', () => {
  it('removes unreferenced objects, keeping those of any commit with --all-commits', async () => {
    const { ws } = await workspaceWithRemote();
    await writeFile(join(ws, 'model/weights.bin'), 'v2 weights');
    await cairn(['add', 'model/weights.bin'], { cwd: ws });
    const dry = await cairnJson<{ removed: number; dryRun: boolean }>(['gc', '--dry-run', '--all-commits'], {
      cwd: ws,
    });
    assert.equal(dry.removed, 0, 'v1 is referenced by the last commit');
    const dryWs = await cairnJson<{ removed: number; removedBytes: number }>(['gc', '-n'], { cwd: ws });
    assert.equal(dryWs.removed, 1);
    assert.equal(dryWs.removedBytes, 5000);
    const v1 = /hash: sha256:([0-9a-f]+)/.exec(git(ws, ['show', 'HEAD:model/weights.bin.cairn']))?.[1] ?? '';
    assert.ok(
      existsSync(join(ws, '.cairn/cache/sha256', v1.slice(0, 2), v1.slice(2))),
      'dry run removed nothing',
    );
    const real = await cairnJson<{ removed: number; kept: number }>(['gc', '-f'], { cwd: ws });
    assert.equal(real.removed, 1);
    assert.equal(real.kept, 42);
    assert.ok(!existsSync(join(ws, '.cairn/cache/sha256', v1.slice(0, 2), v1.slice(2))));
    const st = await cairnJson<{ paths: { states: string[] }[] }>(['status', '--no-remote'], { cwd: ws });
    assert.ok(
      st.paths.every((p) => p.states.join() === 'unchanged'),
      'current data untouched',
    );
  });
});

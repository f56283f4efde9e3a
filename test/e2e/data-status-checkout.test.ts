import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

type Status = {
  paths: {
    path: string;
    states: string[];
    workspace: string;
    cache: string;
    remote?: string;
    changes?: Record<string, string[]>;
  }[];
  remote?: { name: string; error?: string };
};

async function trackedWorkspace(): Promise<string> {
  const ws = await newWorkspace();
  await writeFiles(ws, {
    'data/a.csv': 'x,y\n1,2\n',
    'imgs/1.bin': 'one',
    'imgs/sub/2.bin': 'two',
    'imgs/3.bin': 'three',
  });
  const r = await cairn(['add', 'data/a.csv', 'imgs'], { cwd: ws });
  assert.equal(r.code, 0, r.stderr);
  return ws;
}

function objectOf(ws: string, pointerRel: string): string {
  const hash = /^hash: sha256:([0-9a-f]{64})$/m.exec(readFileSync(join(ws, pointerRel), 'utf8'))?.[1] ?? '';
  return join(ws, '.cairn', 'cache', 'sha256', hash.slice(0, 2), hash.slice(2));
}

describe('cairn status', () => {
  it('reports unchanged, modified, missing, not-in-cache and not-pushed', async () => {
    const ws = await trackedWorkspace();
    const clean = await cairnJson<Status>(['status'], { cwd: ws });
    assert.deepEqual(
      clean.paths.map((p) => [p.path, p.states]),
      [
        ['data/a.csv', ['unchanged']],
        ['imgs', ['unchanged']],
      ],
    );
    assert.equal(clean.remote, undefined, 'no remote configured');

    await writeFile(join(ws, 'data/a.csv'), 'x,y\n1,3\n');
    await writeFile(join(ws, 'imgs/new.bin'), 'new');
    await rm(join(ws, 'imgs/3.bin'));
    await writeFile(join(ws, 'imgs/sub/2.bin'), 'TWO');
    const changed = await cairnJson<Status>(['status'], { cwd: ws });
    assert.deepEqual(
      changed.paths.map((p) => p.states),
      [['modified'], ['modified']],
    );
    assert.deepEqual(changed.paths[1]?.changes, {
      added: ['new.bin'],
      removed: ['3.bin'],
      modified: ['sub/2.bin'],
    });

    await rm(join(ws, 'data/a.csv'));
    await rm(objectOf(ws, 'imgs.cairn'));
    const remote = await tempDir();
    assert.equal((await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws })).code, 0);
    const third = await cairnJson<Status>(['status'], { cwd: ws });
    assert.deepEqual(
      third.paths.map((p) => p.states),
      [
        ['missing', 'not-pushed'],
        ['modified', 'not-in-cache', 'not-pushed'],
      ],
    );
    const human = await cairn(['status'], { cwd: ws });
    assert.match(human.stdout, /data\/a\.csv\s+missing, not-pushed/);
    assert.match(human.stdout, /imgs\s+modified, not-in-cache, not-pushed/);
  });

  it('answers an unchanged directory from its listing record and still sees a same-size edit', async () => {
    const ws = await trackedWorkspace();
    await new Promise((r) => setTimeout(r, 100));
    // The first status records the directory's listing; the second is answered from that record.
    for (let i = 0; i < 2; i++) {
      const st = await cairnJson<Status>(['status', 'imgs'], { cwd: ws });
      assert.deepEqual(st.paths[0]?.states, ['unchanged']);
      assert.equal(st.paths[0]?.cache, 'present');
    }
    await writeFile(join(ws, 'imgs/1.bin'), 'ONE');
    const changed = await cairnJson<Status>(['status', 'imgs'], { cwd: ws });
    assert.deepEqual(changed.paths[0]?.states, ['modified']);
    assert.deepEqual(changed.paths[0]?.changes, { added: [], removed: [], modified: ['1.bin'] });
    const restored = await cairn(['checkout', '--force', 'imgs'], { cwd: ws });
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(readFileSync(join(ws, 'imgs/1.bin'), 'utf8'), 'one');
  });

  it('says pushed once the remote has the objects, and warns when it cannot be reached', async () => {
    const ws = await trackedWorkspace();
    const remote = await tempDir();
    await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws });
    assert.equal((await cairn(['push'], { cwd: ws })).code, 0);
    const st = await cairnJson<Status>(['status'], { cwd: ws });
    assert.deepEqual(
      st.paths.map((p) => [p.states, p.remote]),
      [
        [['unchanged'], 'pushed'],
        [['unchanged'], 'pushed'],
      ],
    );
    await cairn(
      ['remote', 'add', 'broken', 's3://some-bucket/x', '--endpoint', 'http://127.0.0.1:1', '--path-style'],
      { cwd: ws },
    );
    const r = await cairn(['status', '-r', 'broken'], {
      cwd: ws,
      env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /remote "broken" could not be checked: .*127\.0\.0\.1:1/);
    const offline = await cairnJson<Status>(['status', '--no-remote'], { cwd: ws });
    assert.equal(offline.remote, undefined);
  });

  it('reports a malformed pointer and an invalid hash with the file name', async () => {
    const ws = await trackedWorkspace();
    await writeFile(join(ws, 'data/a.csv.cairn'), 'version: 1\ntype: file\nhash: md5:1234\nsize: 3\n');
    const bad = await cairn(['status'], { cwd: ws });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /data\/a\.csv\.cairn: hash "md5:1234" is not valid/);
    await writeFile(join(ws, 'data/a.csv.cairn'), 'version: 1\n  type: [file\n');
    // checkout reports each path on its own and carries on with the others.
    const broken = await cairn(['checkout'], { cwd: ws });
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /unchanged\s+imgs/);
    assert.match(broken.stderr, /data\/a\.csv\.cairn: not valid YAML/);
  });
});

describe('cairn checkout', () => {
  it('restores missing paths from the cache', async () => {
    const ws = await trackedWorkspace();
    await rm(join(ws, 'imgs'), { recursive: true });
    await rm(join(ws, 'data/a.csv'));
    const r = await cairn(['checkout'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(ws, 'data/a.csv'), 'utf8'), 'x,y\n1,2\n');
    assert.equal(readFileSync(join(ws, 'imgs/sub/2.bin'), 'utf8'), 'two');
    assert.equal(
      statSync(join(ws, 'imgs/1.bin')).mode & 0o777,
      0o644,
      'writable copy, not the read-only cache mode',
    );
    const st = await cairnJson<Status>(['status'], { cwd: ws });
    assert.ok(st.paths.every((p) => p.workspace === 'unchanged'));
  });

  it('never overwrites modified data without --force', async () => {
    const ws = await trackedWorkspace();
    await writeFile(join(ws, 'data/a.csv'), 'my edit');
    await writeFile(join(ws, 'imgs/extra.bin'), 'mine');
    const r = await cairn(['checkout'], { cwd: ws });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data\/a\.csv has local changes.*--force/);
    assert.match(r.stderr, /imgs has local changes \(0 modified and 1 untracked/);
    assert.equal(readFileSync(join(ws, 'data/a.csv'), 'utf8'), 'my edit');
    assert.ok(existsSync(join(ws, 'imgs/extra.bin')));
    const forced = await cairn(['checkout', '--force'], { cwd: ws });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(join(ws, 'data/a.csv'), 'utf8'), 'x,y\n1,2\n');
    assert.ok(!existsSync(join(ws, 'imgs/extra.bin')));
  });

  it('links with each mode: copy, hardlink, symlink, and reflink falling back to copy', async () => {
    for (const mode of ['copy', 'hardlink', 'symlink', 'reflink,copy']) {
      const ws = await trackedWorkspace();
      await rm(join(ws, 'imgs'), { recursive: true });
      const r = await cairn(['checkout', 'imgs', '--link', mode], { cwd: ws });
      assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
      const file = join(ws, 'imgs/1.bin');
      assert.equal(readFileSync(file, 'utf8'), 'one');
      const cacheRoot = join(ws, '.cairn', 'cache', 'sha256');
      if (mode === 'symlink') {
        assert.ok(lstatSync(file).isSymbolicLink());
        assert.ok(readlinkSync(file).startsWith(cacheRoot));
      } else if (mode === 'hardlink') {
        assert.ok(statSync(file).nlink >= 2);
      } else {
        assert.equal(statSync(file).nlink, 1);
      }
      const st = await cairnJson<Status>(['status', 'imgs'], { cwd: ws });
      assert.deepEqual(st.paths[0]?.states, ['unchanged'], mode);
    }
  });

  it('reports an unknown link mode as a usage error', async () => {
    const ws = await trackedWorkspace();
    const r = await cairn(['checkout', '--link', 'teleport'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown link mode teleport/);
  });

  it('detects a corrupt cache object and never checks it out', async () => {
    const ws = await trackedWorkspace();
    const object = objectOf(ws, 'data/a.csv.cairn');
    chmodSync(object, 0o644);
    await writeFile(object, 'tampered!');
    await rm(join(ws, 'data/a.csv'));
    const r = await cairn(['checkout', 'data/a.csv'], { cwd: ws });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cache object sha256:[0-9a-f]{64} is corrupt: its content hashes to sha256:/);
    assert.ok(!existsSync(join(ws, 'data/a.csv')), 'nothing checked out');
  });

  it('says what to do when the cache lacks the content', async () => {
    const ws = await trackedWorkspace();
    await rm(join(ws, '.cairn', 'cache'), { recursive: true });
    await rm(join(ws, 'imgs'), { recursive: true });
    const r = await cairn(['checkout', 'imgs'], { cwd: ws });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /imgs: manifest sha256:[0-9a-f]+ is not in the cache/);
    const notTracked = await cairn(['checkout', 'nothing-here'], { cwd: ws });
    assert.equal(notTracked.code, 1);
    assert.match(notTracked.stderr, /nothing-here is not tracked by Cairn/);
  });
});

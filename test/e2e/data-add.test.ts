import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockWorkspace } from '../../src/workspace/workspace-lock.ts';
import { cairn, cairnJson, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

const sha = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const objectPath = (root: string, digest: string) =>
  join(root, '.cairn', 'cache', 'sha256', digest.slice(7, 9), digest.slice(9));

type AddResult = { path: string; type: string; hash: string; size: number; files: number; hashed: number };

describe('cairn init', () => {
  it('creates .cairn with config, cache, database and ignore rules, inside git or not', async () => {
    for (const useGit of [true, false]) {
      const ws = await newWorkspace({ git: useGit });
      assert.ok(existsSync(join(ws, '.cairn', 'config.yaml')));
      assert.ok(statSync(join(ws, '.cairn', 'cache')).isDirectory());
      assert.ok(existsSync(join(ws, '.cairn', 'cairn.db')));
      const ignore = readFileSync(join(ws, '.cairn', '.gitignore'), 'utf8');
      for (const entry of ['/cache/', '/cairn.db', '/config.local.yaml'])
        assert.ok(ignore.includes(entry), entry);
    }
  });

  it('refuses to re-initialise without --force and keeps the cache with it', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'a.txt': 'hello' });
    assert.equal((await cairn(['add', 'a.txt'], { cwd: ws })).code, 0);
    const again = await cairn(['init'], { cwd: ws });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already a Cairn workspace.*--force/);
    const forced = await cairn(['init', '--force'], { cwd: ws });
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(existsSync(objectPath(ws, sha('hello'))));
  });

  it('explains how to start when run outside a workspace', async () => {
    const dir = await tempDir();
    const r = await cairn(['status'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not inside a Cairn workspace.*cairn init/);
  });
});

describe('cairn add', () => {
  it('tracks a file: cache object, pointer, .gitignore', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'data/raw.csv': 'a,b\n1,2\n' });
    const [r] = await cairnJson<AddResult[]>(['add', 'data/raw.csv'], { cwd: ws });
    assert.equal(r?.hash, sha('a,b\n1,2\n'));
    assert.equal(r?.size, 8);
    assert.equal(readFileSync(objectPath(ws, r?.hash ?? ''), 'utf8'), 'a,b\n1,2\n');
    const pointer = readFileSync(join(ws, 'data/raw.csv.cairn'), 'utf8');
    assert.match(pointer, new RegExp(`^hash: ${r?.hash}$`, 'm'));
    assert.match(pointer, /^type: file$/m);
    assert.match(pointer, /^size: 8$/m);
    assert.deepEqual(readFileSync(join(ws, 'data/.gitignore'), 'utf8').split('\n').filter(Boolean), [
      '/raw.csv',
    ]);
    assert.equal(git(ws, ['status', '--porcelain', '--', 'data/raw.csv']), '');
  });

  it('tracks a directory as a manifest of sorted entries whose files are each stored', async () => {
    const ws = await newWorkspace();
    const files: Record<string, string> = {};
    // Enough files and bytes to go through the worker threads rather than inline hashing.
    for (let i = 0; i < 300; i++) files[`images/part-${i % 7}/img-${i}.bin`] = `image ${i} `.repeat(200);
    await writeFiles(ws, files);
    const [r] = await cairnJson<AddResult[]>(['add', 'images/', '--json'].slice(0, 2), { cwd: ws });
    assert.equal(r?.type, 'directory');
    assert.equal(r?.files, 300);
    const manifest = readFileSync(objectPath(ws, r?.hash ?? ''), 'utf8')
      .trim()
      .split('\n');
    assert.equal(sha(`${manifest.join('\n')}\n`), r?.hash, 'the pointer hash is the manifest object hash');
    const entries = manifest
      .slice(1)
      .map((l) => JSON.parse(l) as { path: string; hash: string; size: number; mode: number });
    assert.equal(entries.length, 300);
    assert.deepEqual(
      entries.map((e) => e.path),
      Object.keys(files)
        .map((p) => p.slice('images/'.length))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    for (const e of entries) {
      const content = files[`images/${e.path}`] as string;
      assert.equal(e.hash, sha(content), e.path);
      assert.equal(e.size, Buffer.byteLength(content));
      assert.equal(e.mode, 0o644);
      assert.equal(readFileSync(objectPath(ws, e.hash), 'utf8'), content);
    }
    assert.match(readFileSync(join(ws, 'images.cairn'), 'utf8'), /^files: 300$/m);
  });

  it('hashes nothing the second time and only the changed file after an edit', async () => {
    const ws = await newWorkspace();
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`d/f${i}.txt`] = `content ${i}`;
    await writeFiles(ws, files);
    // Let the files age past the stat cache's racy window.
    await new Promise((r) => setTimeout(r, 100));
    const first = await cairnJson<AddResult[]>(['add', 'd'], { cwd: ws });
    assert.equal(first[0]?.hashed, 100);
    const second = await cairnJson<AddResult[]>(['add', 'd'], { cwd: ws });
    assert.equal(second[0]?.hashed, 0);
    assert.equal(second[0]?.hash, first[0]?.hash);
    await writeFile(join(ws, 'd/f5.txt'), 'changed content');
    await new Promise((r) => setTimeout(r, 100));
    const third = await cairnJson<AddResult[]>(['add', 'd'], { cwd: ws });
    assert.equal(third[0]?.hashed, 1);
    assert.notEqual(third[0]?.hash, first[0]?.hash);
  });

  it('keeps the executable bit in the manifest', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'tools/run.sh': '#!/bin/sh\necho hi\n', 'tools/readme': 'x' });
    const { chmod } = await import('node:fs/promises');
    await chmod(join(ws, 'tools/run.sh'), 0o755);
    const [r] = await cairnJson<AddResult[]>(['add', 'tools'], { cwd: ws });
    const lines = readFileSync(objectPath(ws, r?.hash ?? ''), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const modes = Object.fromEntries(
      lines.map((l) => JSON.parse(l)).map((e: { path: string; mode: number }) => [e.path, e.mode]),
    );
    assert.deepEqual(modes, { readme: 0o644, 'run.sh': 0o755 });
  });

  it('refuses bad paths with a clear message and writes nothing', async () => {
    const ws = await newWorkspace();
    const outside = await tempDir();
    await writeFile(join(outside, 'secret.txt'), 'x');
    await writeFiles(ws, { 'data/a.txt': 'a', 'tracked/x.txt': 'x', 'gitfile.txt': 'g' });
    git(ws, ['add', 'gitfile.txt']);
    assert.equal((await cairn(['add', 'tracked'], { cwd: ws })).code, 0);
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: [join(outside, 'secret.txt')], code: 2, message: /outside the workspace/ },
      { args: ['../../etc/passwd'], code: 2, message: /outside the workspace/ },
      { args: ['missing.csv'], code: 1, message: /missing\.csv does not exist/ },
      { args: ['.cairn/config.yaml'], code: 2, message: /inside \.cairn\// },
      { args: ['tracked/x.txt'], code: 2, message: /inside tracked, which is tracked as a whole/ },
      { args: ['tracked.cairn'], code: 2, message: /is a Cairn pointer file/ },
      { args: ['gitfile.txt'], code: 1, message: /tracked by git.*git rm -r --cached/ },
      { args: ['.'], code: 2, message: /outside the workspace/ },
    ];
    for (const c of cases) {
      const r = await cairn(['add', ...c.args], { cwd: ws });
      assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    }
    assert.ok(!existsSync(join(ws, 'gitfile.txt.cairn')));
    assert.ok(!existsSync(join(ws, 'missing.csv.cairn')));
  });

  it('refuses a symlink whose parent escapes the workspace', async () => {
    const ws = await newWorkspace();
    const outside = await tempDir();
    await writeFile(join(outside, 'data.bin'), 'outside');
    const { symlink } = await import('node:fs/promises');
    await symlink(outside, join(ws, 'linkdir'));
    const r = await cairn(['add', 'linkdir/data.bin'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /outside the workspace/);
  });

  it('works from a subdirectory and with -C', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'sub/dir/f.txt': 'f', 'g.txt': 'g' });
    assert.equal((await cairn(['add', 'f.txt'], { cwd: join(ws, 'sub/dir') })).code, 0);
    assert.ok(existsSync(join(ws, 'sub/dir/f.txt.cairn')));
    const other = await tempDir();
    await mkdir(join(other, 'x'));
    assert.equal((await cairn(['-C', ws, 'add', 'g.txt'], { cwd: other })).code, 0);
    assert.ok(existsSync(join(ws, 'g.txt.cairn')));
  });

  it('waits for or refuses a second command while the workspace is locked', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'a.txt': 'a' });
    const held = await lockWorkspace(ws, { purpose: 'cairn test' });
    const busy = await cairn(['add', 'a.txt'], { cwd: ws });
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /workspace is busy: cairn test.*--wait/);
    const waiting = cairn(['add', '--wait', 'a.txt'], { cwd: ws });
    await new Promise((r) => setTimeout(r, 200));
    held.release();
    assert.equal((await waiting).code, 0);
    // What a killed holder leaves behind does not hold the workspace.
    await writeFile(
      join(ws, '.cairn', 'lock'),
      JSON.stringify({
        pid: 2 ** 22 + 7,
        host: (await import('node:os')).hostname(),
        purpose: 'dead',
        since: 'then',
      }),
    );
    const r = await cairn(['add', 'a.txt'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(ws, '.cairn', 'lock')));
  });

  it('profiles a CSV on add and shows it with cairn data show', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'data/t.csv': 'id,name,score\n1,a,0.5\n2,b,\n3,a,1.5\n' });
    assert.equal((await cairn(['add', 'data/t.csv'], { cwd: ws })).code, 0);
    const shown = await cairnJson<{
      computed: boolean;
      profile: { rows: number; columns: { name: string; nulls: number; distinct: number; mean?: number }[] };
    }>(['data', 'show', 'data/t.csv'], { cwd: ws });
    assert.equal(shown.computed, false, 'profiled during add');
    assert.equal(shown.profile.rows, 3);
    const score = shown.profile.columns.find((c) => c.name === 'score');
    assert.equal(score?.nulls, 1);
    assert.equal(score?.mean, 1);
    const name = shown.profile.columns.find((c) => c.name === 'name');
    assert.equal(name?.distinct, 2);
    const human = await cairn(['data', 'show', 'data/t.csv'], { cwd: ws });
    assert.match(human.stdout, /csv, 3 rows, 3 columns/);
    const notTable = await cairn(['data', 'show', 'data/t.csv.cairn'], { cwd: ws });
    assert.equal(notTable.code, 2);
  });

  it('keeps pointers readable by git diff and stable across re-adds', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'm.bin': Buffer.from([0, 1, 2, 3]) });
    await cairn(['add', 'm.bin'], { cwd: ws });
    const before = await readFile(join(ws, 'm.bin.cairn'), 'utf8');
    await cairn(['add', 'm.bin'], { cwd: ws });
    assert.equal(await readFile(join(ws, 'm.bin.cairn'), 'utf8'), before);
  });
});

/**
 * `cairn gc` removes only what it knows nothing references, and only when asked for sure: with
 * --all-commits any failure to read history (a broken ref, a corrupt git object, no git on PATH, a
 * malformed pointer in an old commit) stops it before anything is removed, and removing asks on a
 * terminal or needs --force.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CAIRN_BIN,
  type CliRun,
  cairn,
  cairnJson,
  cleanEnv,
  git,
  newWorkspace,
  writeFiles,
} from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

const V1 = 'v1 weights '.repeat(500);

function objectPath(ws: string, hash: string): string {
  const hex = hash.replace('sha256:', '');
  return join(ws, '.cairn/cache/sha256', hex.slice(0, 2), hex.slice(2));
}

const hashIn = (pointerText: string) => /hash: (sha256:[0-9a-f]{64})/.exec(pointerText)?.[1] as string;

/** Runs `cairn …` on a pseudo-terminal (util-linux `script`), typing `answer` at it. */
function cairnOnTerminal(args: readonly string[], cwd: string, answer: string): Promise<CliRun> {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CAIRN_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, env: cleanEnv() });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin.end(`${answer}\n`);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }));
  });
}

describe('cairn gc --all-commits when git cannot answer', () => {
  let ws: string;
  let v1: string;
  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, { 'model.bin': V1 });
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'v1']);
    v1 = hashIn(readFileSync(join(ws, 'model.bin.cairn'), 'utf8'));
    await writeFile(join(ws, 'model.bin'), 'v2');
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    git(ws, ['commit', '-qam', 'v2']);
  });

  /** gc --all-commits --force fails naming `cause`, and v1 (only history references it) stays. */
  async function refuses(cause: RegExp, env?: NodeJS.ProcessEnv): Promise<void> {
    const r = await cairn(['gc', '--all-commits', '--force'], { cwd: ws, ...(env ? { env } : {}) });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: cannot read the pointers of every commit: /);
    assert.match(r.stderr, cause);
    assert.match(r.stderr, /nothing was removed/);
    assert.ok(existsSync(objectPath(ws, v1)), 'the object only history references is still there');
  }

  it('stops on a broken ref', async () => {
    const ref = join(ws, '.git/refs/heads/broken');
    writeFileSync(ref, `${'0123456789'.repeat(4)}\n`);
    await refuses(
      /git rev-list --all --format=%T exited with status 128: fatal: bad object refs\/heads\/broken/,
    );
    git(ws, ['update-ref', '-d', 'refs/heads/broken']);
  });

  it('stops when git cannot read a pointer of an old commit (a corrupt object)', async () => {
    const blob = git(ws, ['rev-parse', 'HEAD~1:model.bin.cairn']).trim();
    const file = join(ws, '.git/objects', blob.slice(0, 2), blob.slice(2));
    const good = readFileSync(file);
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.from('not a zlib stream'));
    await refuses(new RegExp(`git cannot read object ${blob}: it is missing or corrupt`));
    writeFileSync(file, good);
  });

  it('stops when git is not on PATH', async () => {
    await refuses(/git is not installed or not on PATH/, { PATH: await tempDir('cairn-no-git-') });
  });

  it('stops on a malformed pointer in an old commit, naming the commit and file', async () => {
    git(ws, ['checkout', '-qb', 'bad']);
    writeFileSync(join(ws, 'other.bin.cairn'), 'version: 1\ntype: file\nhash: sha256:nothex\nsize: 3\n');
    git(ws, ['add', 'other.bin.cairn']);
    git(ws, ['commit', '-qm', 'bad pointer']);
    const commit = git(ws, ['rev-parse', '--short=8', 'HEAD']).trim();
    git(ws, ['rm', '-q', 'other.bin.cairn']);
    git(ws, ['commit', '-qm', 'drop it']);
    await refuses(new RegExp(`${commit}:other\\.bin\\.cairn: hash "sha256:nothex" is not valid`));
    git(ws, ['checkout', '-q', 'main']);
    git(ws, ['branch', '-qD', 'bad']);
  });

  it('stops outside a git repository', async () => {
    const plain = await newWorkspace({ git: false });
    const r = await cairn(['gc', '--all-commits', '--force'], { cwd: plain });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /cannot read the pointers of every commit: git rev-parse --git-dir exited with status 128: fatal: not a git repository/,
    );
  });

  it('keeps what history references once git answers, and removes it without --all-commits', async () => {
    const kept = await cairnJson<{ removed: number }>(['gc', '--all-commits', '--force'], { cwd: ws });
    assert.equal(kept.removed, 0);
    const gone = await cairnJson<{ removed: number }>(['gc', '--force'], { cwd: ws });
    assert.equal(gone.removed, 1);
    assert.ok(!existsSync(objectPath(ws, v1)));
  });
});

describe('cairn gc asks before it removes', () => {
  let ws: string;
  let v1: string;
  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, { 'model.bin': V1 });
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    v1 = hashIn(readFileSync(join(ws, 'model.bin.cairn'), 'utf8'));
    await writeFile(join(ws, 'model.bin'), 'v2');
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
  });

  it('refuses without a terminal unless --force, saying how much it would remove', async () => {
    const r = await cairn(['gc'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: cairn gc would remove 1 object \(5\.4 KiB\) from the cache, and no terminal is attached to confirm it — pass --force/,
    );
    assert.ok(existsSync(objectPath(ws, v1)));
  });

  it('on a terminal removes nothing unless the answer is yes', async () => {
    const no = await cairnOnTerminal(['gc'], ws, 'n');
    assert.equal(no.code, 1, no.stdout);
    assert.match(
      no.stdout,
      /cairn gc will remove 1 object \(5\.4 KiB\) from the cache\. Continue\? \[y\/N\]/,
    );
    assert.match(no.stdout, /cairn gc cancelled: nothing was removed/);
    assert.ok(existsSync(objectPath(ws, v1)));
    const yes = await cairnOnTerminal(['gc'], ws, 'y');
    assert.equal(yes.code, 0, yes.stdout);
    assert.match(yes.stdout, /removed 1 object \(5\.4 KiB\); kept 1 object/);
    assert.ok(!existsSync(objectPath(ws, v1)));
  });

  it('asks nothing when there is nothing to remove', async () => {
    const r = await cairn(['gc'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed 0 objects \(0 B\); kept 1 object/);
  });
});

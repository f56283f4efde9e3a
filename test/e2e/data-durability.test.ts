/**
 * Nothing the user has is lost to a torn or corrupt cache object: objects are on disk (file and
 * directory entry) before any pointer names them, and checkout replaces workspace content that
 * differs from its pointer only after hashing the cache's copy of that content.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { CAIRN_BIN, cairn, cleanEnv, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { straceGate } from '../support/services.ts';

function objectPath(ws: string, hash: string): string {
  const hex = hash.replace('sha256:', '');
  return join(ws, '.cairn/cache/sha256', hex.slice(0, 2), hex.slice(2));
}

const hashIn = (pointerText: string) => /hash: (sha256:[0-9a-f]{64})/.exec(pointerText)?.[1] as string;

/** Flips one byte of a file in place, as a failing disk or a torn write would. */
function corruptByte(path: string, at: number): void {
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(path, bytes);
}

describe('checkout over content that differs from its pointer', () => {
  it('hashes the cache copy first, and keeps the workspace file when that copy is corrupt', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'model.bin': 'version one\n'.repeat(100) });
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-qm', 'v1']);
    const two = 'version two\n'.repeat(100);
    await writeFile(join(ws, 'model.bin'), two);
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    const v2 = hashIn(readFileSync(join(ws, 'model.bin.cairn'), 'utf8'));
    // The pointer goes back to v1; the workspace still holds v2, whose only other copy is the cache's.
    git(ws, ['checkout', '-q', '--', 'model.bin.cairn']);
    corruptByte(objectPath(ws, v2), 7);

    const refused = await cairn(['checkout', 'model.bin'], { cwd: ws });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /model\.bin has local changes \(modified; the cache's copy of that content is corrupt and was moved aside\); not overwritten/,
    );
    assert.equal(readFileSync(join(ws, 'model.bin'), 'utf8'), two, 'v2 is still in the workspace');
    const moved = readdirSync(join(ws, '.cairn/cache/quarantine'));
    assert.deepEqual(moved, [v2.slice('sha256:'.length)], 'the corrupt copy is kept aside, out of the cache');

    // `cairn add` stores a good copy again; then checkout can replace the file, as it may.
    assert.equal((await cairn(['add', 'model.bin'], { cwd: ws })).code, 0);
    assert.equal(spawnSync('cmp', [join(ws, 'model.bin'), objectPath(ws, v2)]).status, 0);
    git(ws, ['checkout', '-q', '--', 'model.bin.cairn']);
    const done = await cairn(['checkout', 'model.bin'], { cwd: ws });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(readFileSync(join(ws, 'model.bin'), 'utf8'), 'version one\n'.repeat(100));
  });
});

const strace = straceGate();

describe('durability of cache objects', { skip: strace.skip }, () => {
  it('syncs each object before naming it, and its directory before any pointer names it', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'big.bin': Buffer.alloc(9 * 1024 * 1024, 7),
      'small.txt': 'small\n',
      'dir/a.txt': 'a\n',
      'dir/b.txt': 'b\n',
      // Enough files for one sync of the whole file system rather than an fsync each.
      ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`dir/f${i}.txt`, `f${i}\n`])),
    });
    const trace = join(dirname(ws), 'trace.txt');
    const add = spawnSync(
      strace.value as string,
      [
        '-f',
        '-y',
        '-o',
        trace,
        '-e',
        'trace=fsync,fdatasync,syncfs,rename,renameat,renameat2',
        process.execPath,
        CAIRN_BIN,
        'add',
        'big.bin',
        'small.txt',
        'dir',
      ],
      { cwd: ws, env: cleanEnv(), encoding: 'utf8' },
    );
    assert.equal(add.status, 0, add.stderr);
    const events = parseTrace(readFileSync(trace, 'utf8'));
    const pointerRename = events.findIndex((e) => e.call === 'rename' && e.to?.endsWith('.cairn'));
    assert.ok(pointerRename > 0, 'the pointers were written by rename');
    const objects = ['big.bin', 'small.txt', 'dir/a.txt', 'dir/b.txt', 'dir'].map((p) =>
      p.startsWith('dir/')
        ? objectPath(ws, `sha256:${sha256(readFileSync(join(ws, p)))}`)
        : objectPath(ws, hashIn(readFileSync(join(ws, `${p}.cairn`), 'utf8'))),
    );
    for (const object of objects) {
      const named = events.findIndex((e) => e.call === 'rename' && e.to === object);
      assert.ok(named >= 0, `${object} was renamed into place`);
      const from = events[named]?.from as string;
      // Its own fsync, or a sync of the whole file system (many objects at once) after it was written.
      const flushed = events.findIndex(
        (e, i) => i < named && ((e.call === 'fsync' && e.path === from) || e.call === 'syncfs'),
      );
      assert.ok(flushed >= 0, `${object}: its content was synced before the rename`);
      const dirSynced = events.findIndex(
        (e, i) => i > named && i < pointerRename && e.call === 'fsync' && e.path === dirname(object),
      );
      assert.ok(dirSynced >= 0, `${object}: its directory was fsynced before the first pointer`);
    }
  });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface TraceEvent {
  call: string;
  path?: string;
  from?: string;
  to?: string;
}

/**
 * Completed fsync and rename calls from `strace -f -y` output, in the order they finished
 * (a call another thread interrupted is taken from its "resumed" line).
 */
function parseTrace(text: string): TraceEvent[] {
  const pending = new Map<string, string>();
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, tid, rest] = m as unknown as [string, string, string];
    let call = rest;
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(tid, rest.slice(0, -'<unfinished ...>'.length).trimEnd());
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (resumed) {
      call = `${pending.get(tid) ?? ''}${resumed[1]}`;
      pending.delete(tid);
    }
    if (!/= 0$/.test(call)) continue;
    const sync = /^f(?:data)?sync\(\d+<(.*)>\)/.exec(call);
    if (sync) out.push({ call: 'fsync', path: sync[1] as string });
    if (call.startsWith('syncfs(')) out.push({ call: 'syncfs' });
    const ren = /^rename(?:at2?)?\((?:AT_FDCWD, )?"(.*?)", (?:AT_FDCWD, )?"(.*?)"/.exec(call);
    if (ren) out.push({ call: 'rename', from: ren[1] as string, to: ren[2] as string });
  }
  return out;
}

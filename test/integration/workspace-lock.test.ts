/**
 * The workspace lock admits one process at a time, including when holders die with it held (the
 * path where a lock must be taken over): many real processes race for it, each checking in a
 * critical section that no other holder is inside and that no increment of a shared counter is lost.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockWorkspace } from '../../src/workspace/workspace-lock.ts';
import { tempDir } from '../support/tmp-dir.ts';

const CONTENDER = fileURLToPath(new URL('../support/lock-contender.ts', import.meta.url));

function contender(root: string, rounds: number, die: boolean) {
  const child = spawn(process.execPath, [CONTENDER, root, String(rounds), die ? '1' : '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
}

async function workspace(): Promise<string> {
  const root = await tempDir('cairn-lock-');
  mkdirSync(join(root, '.cairn'));
  writeFileSync(join(root, 'counter'), '0');
  return root;
}

describe('workspace lock', () => {
  it('lets one of many racing processes hold it at a time, while holders die holding it', async () => {
    const root = await workspace();
    // A lock file naming a process that is gone: the state a killed holder leaves.
    writeFileSync(
      join(root, '.cairn', 'lock'),
      JSON.stringify({
        pid: 2 ** 22 + 11,
        host: (await import('node:os')).hostname(),
        purpose: 'dead',
        since: 'then',
      }),
    );
    const dying = 12;
    const living = 2;
    const rounds = 2;
    const results = await Promise.all([
      ...Array.from({ length: dying }, () => contender(root, rounds, true)),
      ...Array.from({ length: living }, () => contender(root, rounds, false)),
    ]);
    for (const r of results) assert.equal(r.stderr, '', 'no contender found another holder inside');
    assert.equal(results.filter((r) => r.signal === 'SIGKILL').length, dying);
    assert.equal(results.filter((r) => r.code === 0).length, living);
    assert.equal(
      Number(readFileSync(join(root, 'counter'), 'utf8')),
      (dying + living) * rounds,
      'no lost update',
    );
    // Free again after every holder died or released it.
    const lock = await lockWorkspace(root, { purpose: 'after' });
    lock.release();
    assert.equal(existsSync(join(root, '.cairn', 'lock')), false);
  });

  it('names the holder to a second process, and waits for it with wait', async () => {
    const root = await workspace();
    const first = await lockWorkspace(root, { purpose: 'cairn push' });
    await assert.rejects(lockWorkspace(root, { purpose: 'cairn add' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFLICT');
      assert.match(err.message, new RegExp(`the workspace is busy: cairn push \\(pid ${process.pid} on `));
      return true;
    });
    const waiting = lockWorkspace(root, { purpose: 'cairn add', wait: true });
    await new Promise((r) => setTimeout(r, 30));
    first.release();
    (await waiting).release();
  });
});

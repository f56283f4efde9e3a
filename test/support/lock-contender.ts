/**
 * One contender in the workspace-lock race (test/integration/workspace-lock.test.ts):
 * `node lock-contender.ts <workspace> <rounds> <die: 0|1>`. Each round it takes the lock, retrying
 * at once while it is busy, enters the critical section (a marker file created with O_EXCL, which
 * fails if another holder is inside; a counter read, then written back one higher) and leaves it.
 * With die=1 its last round ends in SIGKILL while it still holds the lock.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCairnError } from '../../src/kernel/errors.ts';
import { lockWorkspace, type WorkspaceLock } from '../../src/workspace/workspace-lock.ts';

const [root, roundsText, dieText] = process.argv.slice(2) as [string, string, string];
const marker = join(root, 'inside');
const counter = join(root, 'counter');

async function take(): Promise<WorkspaceLock> {
  for (;;) {
    try {
      return await lockWorkspace(root, { purpose: `contender ${process.pid}` });
    } catch (err) {
      if (!isCairnError(err) || err.code !== 'CONFLICT') throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
}

const rounds = Number(roundsText);
for (let round = 1; round <= rounds; round++) {
  const lock = await take();
  try {
    writeFileSync(marker, String(process.pid), { flag: 'wx' });
  } catch {
    process.stderr.write(`two holders: ${process.pid} found ${readFileSync(marker, 'utf8')} inside\n`);
    process.exit(3);
  }
  const n = Number(readFileSync(counter, 'utf8'));
  await new Promise((r) => setTimeout(r, 1));
  writeFileSync(counter, String(n + 1));
  rmSync(marker);
  if (round === rounds && dieText === '1') process.kill(process.pid, 'SIGKILL');
  lock.release();
}

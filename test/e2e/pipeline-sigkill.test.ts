import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cairn, newWorkspace, startCairn, writeFiles } from '../support/cli.ts';

/** True when the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('cairn run killed with SIGKILL', () => {
  it('takes its stage processes and their children with it', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'in.txt': 'x',
      'cairn.yaml': `stages:
  slow:
    cmd: echo $$ > stage.pid; sleep 300 & echo $! > grandchild.pid; wait
    deps: [in.txt]
    outs: [never.txt]
  quick:
    cmd: cp in.txt quick.txt
    deps: [in.txt]
    outs: [quick.txt]
`,
    });
    const child = startCairn(['run', 'slow'], { cwd: ws });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    const pidFiles = ['stage.pid', 'grandchild.pid'].map((f) => join(ws, f));
    await until('the stage started', () => pidFiles.every((p) => existsSync(p) && statSync(p).size > 0));
    const [stage, grandchild] = pidFiles.map((p) => Number(readFileSync(p, 'utf8'))) as [number, number];
    try {
      assert.ok(alive(stage) && alive(grandchild), 'both run while cairn run does');
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      await until('the stage process and its child end after cairn run was killed', () => {
        return !alive(stage) && !alive(grandchild);
      });
    } finally {
      for (const pid of [stage, grandchild])
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone, as it should be.
        }
    }
    // The killed run left its workspace lock behind; the next run sees its holder is dead.
    const again = await cairn(['run', 'quick'], { cwd: ws });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(ws, 'quick.txt'), 'utf8'), 'x');
  });
});

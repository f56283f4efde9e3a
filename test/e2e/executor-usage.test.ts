import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cairn, newWorkspace, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

describe('cairn run --executor and cairn worker: usage errors', () => {
  it('refuses an unknown executor, and a distributed one without a remote, before anything runs', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'cairn.yaml': 'stages:\n  a:\n    cmd: echo hi > a.txt\n    outs: [a.txt]\n' });
    const bogus = await cairn(['run', '--executor', 'kubernetes://x'], { cwd: ws });
    assert.equal(bogus.code, 2);
    assert.equal(
      bogus.stderr,
      'error: --executor kubernetes://x: unknown executor — use local (the default) or temporal://host:7233[/namespace]\n',
    );
    const noRemote = await cairn(['run'], { cwd: ws, env: { CAIRN_EXECUTOR: 'temporal://127.0.0.1:7233' } });
    assert.equal(noRemote.code, 1);
    assert.equal(
      noRemote.stderr,
      "error: stages on temporal://127.0.0.1:7233 move their data through the workspace's remote, and none is set — add one that workers can reach too: cairn remote add origin s3://bucket/prefix --default\n",
    );
    const badQueue = await cairn(['run', '--executor', 'temporal://h', '--queue', 'a b'], { cwd: ws });
    assert.equal(badQueue.code, 2);
    assert.match(badQueue.stderr, /^error: task queue "a b" is not a valid name — /);
    assert.deepEqual(
      readdirSync(ws).sort(),
      ['.cairn', '.git', 'cairn.yaml'],
      'nothing ran, nothing was written',
    );
  });

  it('asks a worker for its Temporal service and a sensible concurrency', async () => {
    const cwd = await tempDir();
    const dir = join(cwd, 'w');
    const none = await cairn(['worker', '--dir', dir], { cwd });
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      'error: no Temporal service named — pass --executor temporal://host:7233[/namespace] (or set CAIRN_EXECUTOR)\n',
    );
    const local = await cairn(['worker', '--executor', 'local', '--dir', dir], { cwd });
    assert.equal(local.code, 2);
    assert.match(
      local.stderr,
      /^error: --executor local: a worker takes its stages from a Temporal service — /,
    );
    const zero = await cairn(['worker', '--executor', 'temporal://h', '--concurrency', '0', '--dir', dir], {
      cwd,
    });
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /^error: --concurrency 0: expected a positive integer — /);
  });
});

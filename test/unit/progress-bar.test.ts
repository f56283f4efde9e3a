import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliIO } from '../../src/cli/io.ts';
import { progressBar } from '../../src/cli/progress-bar.ts';

function io(tty: boolean): { io: CliIO; text: () => string } {
  const err = Object.assign(new PassThrough(), { isTTY: tty, columns: 100 });
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  return { io: { stdout: new PassThrough(), stderr: err, env: {}, cwd: '/' }, text: () => text };
}

describe('progress bar', () => {
  it('draws on a terminal and clears its line at the end', async () => {
    const t = io(true);
    const bar = progressBar(t.io, true);
    assert.ok(bar);
    bar.report({ phase: 'hashing', done: 0, total: 2048, unit: 'bytes' });
    bar.report({ phase: 'hashing', done: 2048, total: 2048, unit: 'bytes' });
    bar.finish();
    await new Promise((r) => setImmediate(r));
    assert.match(t.text(), /hashing \[#+\] 100% 2\.0 KiB \/ 2\.0 KiB/);
    assert.ok(t.text().endsWith('\r\x1b[2K'));
  });

  it('stays silent when stderr is not a terminal or output is JSON', () => {
    assert.equal(progressBar(io(false).io, true), undefined);
    assert.equal(progressBar(io(true).io, false), undefined);
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliIO } from '../../src/cli/io.ts';
import { createRunView } from '../../src/cli/run-view.ts';

function capture(isTTY: boolean): {
  stream: Writable & { isTTY: boolean; columns: number };
  text: () => string;
} {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY, columns: 60 },
  );
  return { stream, text: () => text };
}

function io(isTTY: boolean) {
  const out = capture(isTTY);
  const err = capture(isTTY);
  const cli: CliIO = { stdout: out.stream, stderr: err.stream, env: {}, cwd: '/' };
  return { cli, out, err };
}

describe('cairn run output', () => {
  it('prints plain lines when stdout is not a terminal, on stderr with --json', () => {
    for (const json of [false, true]) {
      const { cli, out, err } = io(false);
      const view = createRunView(cli, { json });
      view.onEvent({ type: 'started', runId: 'r1', stages: ['prepare', 'train'] });
      view.onEvent({ type: 'stage', stage: 'prepare', state: 'waiting', reasons: [] });
      view.onEvent({ type: 'stage', stage: 'prepare', state: 'skipped', reasons: [], durationMs: 3 });
      view.onEvent({
        type: 'stage',
        stage: 'train',
        state: 'running',
        reasons: ['param train.lr 0.1 → 0.01'],
      });
      view.onEvent({ type: 'output', stage: 'train', stream: 'stdout', line: 'epoch 1' });
      view.onEvent({
        type: 'stage',
        stage: 'train',
        state: 'failed',
        reasons: [],
        durationMs: 1500,
        error: 'command exited with code 1',
      });
      view.onEvent({
        type: 'stage',
        stage: 'evaluate',
        state: 'not-run',
        reasons: ['upstream train failed'],
      });
      view.finish();
      const lines = [
        'run r1: 2 stage(s)',
        '[prepare] skipped (up to date)',
        '[train] running: param train.lr 0.1 → 0.01',
        '[train] epoch 1',
        '[train] failed in 1.5 s: command exited with code 1',
        '[evaluate] not run: upstream train failed',
        '',
      ].join('\n');
      assert.equal(json ? err.text() : out.text(), lines);
      assert.equal(json ? out.text() : err.text(), '', 'the other stream stays clean');
    }
  });

  it('on a terminal, redraws one table of stages with the last output lines, coalescing bursts', async () => {
    const { cli, out } = io(true);
    const view = createRunView(cli, { json: false });
    view.onEvent({ type: 'started', runId: 'r1', stages: ['prepare', 'train'] });
    view.onEvent({
      type: 'stage',
      stage: 'prepare',
      state: 'done',
      reasons: ['dep data/raw.csv changed'],
      durationMs: 1200,
    });
    view.onEvent({ type: 'stage', stage: 'train', state: 'running', reasons: ['cmd changed'] });
    const before = out.text().length;
    for (let i = 1; i <= 1000; i++)
      view.onEvent({ type: 'output', stage: 'train', stream: 'stdout', line: `step ${i}` });
    assert.equal(out.text().length, before, 'a burst of output draws nothing until the next frame');
    await new Promise((r) => setTimeout(r, 150));
    const drawn = out.text().slice(before).split('\x1b[0J');
    assert.ok(drawn.length <= 3, `one or two frames for a burst, not ${drawn.length - 1}`);
    assert.match(drawn.at(-1) ?? '', /│ step 999\n\s+│ step 1000\n/);
    view.finish();
    const last = out.text().split('\x1b[0J').at(-1) ?? '';
    assert.doesNotMatch(last, /│/, 'the final table leaves output lines out');
    assert.match(last, /✓ prepare\s+done\s+1\.2 s\s+dep data\/raw\.csv changed/);
    assert.match(last, /▶ train\s+running/);
    assert.ok(
      last.split('\n').every((l) => l.length <= 59),
      'lines fit the terminal',
    );
  });
});

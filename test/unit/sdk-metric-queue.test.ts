import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CairnError } from '../../src/kernel/errors.ts';
import { MetricQueue } from '../../src/sdk/metric-queue.ts';
import type { Metric } from '../../src/tracking/tracking-types.ts';

const point = (step: number, key = 'loss'): Metric => ({
  key,
  value: step / 10,
  step,
  timestamp: 1000 + step,
});

/** A writer that records every batch it is given, optionally failing on chosen calls. */
function recorder(fail: (call: number) => Error | undefined = () => undefined) {
  const batches: { runId: string; metrics: Metric[] }[] = [];
  let calls = 0;
  return {
    batches,
    write: async (runId: string, metrics: Metric[]) => {
      const error = fail(calls++);
      await new Promise((r) => setImmediate(r));
      if (error) throw error;
      batches.push({ runId, metrics });
    },
  };
}

/** Lets every pending callback and write run (the writer above finishes on the next turn). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('MetricQueue', () => {
  it('sends queued points in order, at most 1,000 per batch, one run per batch', async () => {
    const w = recorder();
    const q = new MetricQueue({ write: w.write, intervalMs: 60_000 });
    for (let i = 0; i < 2500; i++) q.push('run-a', point(i));
    for (let i = 0; i < 10; i++) q.push('run-b', point(i));
    q.push('run-a', point(2500));
    await q.flush();
    assert.equal(q.size, 0);
    assert.ok(
      w.batches.every((b) => b.metrics.length <= 1000),
      'no batch over MLflow limit',
    );
    const sent = w.batches.flatMap((b) => b.metrics.map((m) => `${b.runId}:${m.step}`));
    const expected = [
      ...Array.from({ length: 2500 }, (_, i) => `run-a:${i}`),
      ...Array.from({ length: 10 }, (_, i) => `run-b:${i}`),
      'run-a:2500',
    ];
    assert.deepEqual(sent, expected);
  });

  it('starts a flush by itself when a full batch is waiting, and after the interval otherwise', async (t) => {
    // The queue's clock is the test's: time passes only when the test says so.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const w = recorder();
    const q = new MetricQueue({ write: w.write, intervalMs: 1000 });
    for (let i = 0; i < 999; i++) q.push('r', point(i));
    await settle();
    assert.equal(w.batches.length, 0, 'nothing sent below a full batch before the interval');
    q.push('r', point(999));
    await settle();
    assert.equal(w.batches.length, 1, 'a full batch goes at once, with no time passing');
    q.push('r', point(1000));
    t.mock.timers.tick(999);
    await settle();
    assert.equal(w.batches.length, 1, 'a lone point waits for the interval');
    t.mock.timers.tick(1);
    await settle();
    assert.equal(w.batches.length, 2, 'and goes when it has passed');
    assert.equal(q.size, 0);
  });

  it('drops a batch the store refuses for good, and reports it once', async () => {
    const refused = new CairnError('FAILED_PRECONDITION', "The run r must be in the 'active' state.");
    const w = recorder((call) => (call === 0 ? refused : undefined));
    const q = new MetricQueue({ write: w.write, intervalMs: 60_000 });
    for (let i = 0; i < 1500; i++) q.push('r', point(i));
    await assert.rejects(q.flush(), (err: CairnError) => {
      assert.equal(err.code, 'FAILED_PRECONDITION');
      assert.match(
        err.message,
        /1000 metric point\(s\) could not be written to run r: .*active.*; they were dropped/,
      );
      assert.equal(err.cause, refused);
      return true;
    });
    assert.equal(q.size, 0, 'the rest was still sent');
    assert.equal(w.batches.flatMap((b) => b.metrics).length, 500);
    await q.flush();
    assert.equal(q.takeError(), undefined, 'reported once');
  });

  it('keeps a batch that failed for a passing reason and sends it with the next flush', async () => {
    const down = new CairnError('UNAVAILABLE', 'connection refused');
    const w = recorder((call) => (call === 0 ? down : undefined));
    const q = new MetricQueue({ write: w.write, intervalMs: 60_000 });
    for (let i = 0; i < 1200; i++) q.push('r', point(i));
    await assert.rejects(
      q.flush(),
      /1200 metric point\(s\) could not be written to run r: connection refused; they are kept/,
    );
    assert.equal(q.size, 1200);
    await q.flush();
    assert.equal(q.size, 0);
    assert.deepEqual(
      w.batches.flatMap((b) => b.metrics.map((m) => m.step)),
      Array.from({ length: 1200 }, (_, i) => i),
    );
  });

  it('remembers a background failure for the next caller (takeError) instead of losing it', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const q = new MetricQueue({
      write: async () => {
        calls++;
        throw new Error('socket hang up');
      },
      intervalMs: 10,
    });
    q.push('r', point(1));
    t.mock.timers.tick(10);
    await settle();
    assert.equal(calls, 1, 'the timer started a flush');
    q.stop();
    const err = q.takeError();
    assert.ok(err, 'the timer flush failure is kept');
    assert.equal((err as CairnError).code, 'UNAVAILABLE');
    assert.match(err.message, /socket hang up/);
    assert.equal(q.size, 1, 'the point is still queued');
  });
});

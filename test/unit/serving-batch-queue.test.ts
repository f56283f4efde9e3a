/**
 * The micro-batching queue: a lone request runs at once, concurrent ones share one runner call,
 * the queue is bounded (503 at once beyond it), and deadlines are kept even when the runner
 * never answers. The runner here is a plain BatchRunner that doubles its input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberColumn, type Table } from '../../src/ml/table/table.ts';
import { BatchQueue, type BatchRunner } from '../../src/serving/runtime/batch-queue.ts';
import { DEFAULT_BATCHING as DEFAULTS } from '../../src/serving/serving-config.ts';

/** Calls as the requests made them: alignment is tested on its own. */
const DEFAULT_BATCHING = { ...DEFAULTS, row_alignment: 1 };

/** Doubles column x; each call waits until released when `hold` is on. */
class Doubler implements BatchRunner {
  calls: number[][] = [];
  hold = false;
  #waiting: (() => void)[] = [];
  fail: Error | undefined;

  run(table: Table): Promise<Table> {
    const x = table.columns[0]?.values as Float64Array;
    this.calls.push([...x]);
    const out: Table = {
      rows: table.rows,
      columns: [
        numberColumn(
          'y',
          x.map((v) => v * 2),
        ),
      ],
    };
    const fail = this.fail;
    if (!this.hold) return fail ? Promise.reject(fail) : Promise.resolve(out);
    return new Promise((resolve, reject) => this.#waiting.push(() => (fail ? reject(fail) : resolve(out))));
  }

  release(): void {
    for (const go of this.#waiting.splice(0)) go();
  }
}

const rowsOf = (...x: number[]): Table => ({
  rows: x.length,
  columns: [numberColumn('x', Float64Array.from(x))],
});
const far = () => performance.now() + 60_000;
const ys = async (p: Promise<Table>) => [...((await p).columns[0] as { values: Float64Array }).values];

async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected a rejection');
}

describe('micro-batching queue', () => {
  it('runs a request that finds the model idle at once, alone', async () => {
    const runner = new Doubler();
    const queue = new BatchQueue(runner, DEFAULT_BATCHING, 'm');
    const answer = queue.submit(rowsOf(1, 2), far());
    assert.deepEqual(runner.calls, [[1, 2]], 'the runner was called before submit returned');
    assert.deepEqual(await ys(answer), [2, 4]);
  });

  it('merges requests that arrive while a batch runs into one call, and splits the answers', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const batches: [number, number][] = [];
    const queue = new BatchQueue(runner, DEFAULT_BATCHING, 'm', {
      onBatch: (rows, n) => batches.push([rows, n]),
    });
    const first = queue.submit(rowsOf(1), far());
    const later = [
      queue.submit(rowsOf(2, 3), far()),
      queue.submit(rowsOf(4), far()),
      queue.submit(rowsOf(5), far()),
    ];
    assert.equal(queue.depth, 3);
    runner.release();
    assert.deepEqual(await ys(first), [2]);
    await new Promise((r) => setImmediate(r));
    runner.release();
    assert.deepEqual(await Promise.all(later.map(ys)), [[4, 6], [8], [10]]);
    assert.deepEqual(runner.calls, [[1], [2, 3, 4, 5]]);
    assert.deepEqual(batches, [
      [1, 1],
      [4, 3],
    ]);
  });

  it('never puts more than max_batch_size rows in one call (a larger request runs alone)', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const queue = new BatchQueue(runner, { ...DEFAULT_BATCHING, max_batch_size: 2 }, 'm');
    const all = [
      queue.submit(rowsOf(0), far()),
      queue.submit(rowsOf(1), far()),
      queue.submit(rowsOf(2), far()),
      queue.submit(rowsOf(3, 4, 5), far()),
      queue.submit(rowsOf(6), far()),
    ];
    while (runner.calls.length < 4) {
      runner.release();
      await new Promise((r) => setImmediate(r));
    }
    runner.release();
    await Promise.all(all);
    assert.deepEqual(runner.calls, [[0], [1, 2], [3, 4, 5], [6]]);
  });

  it('refuses at once with 503 and a retry hint when max_queue requests are waiting', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const queue = new BatchQueue(runner, { ...DEFAULT_BATCHING, max_queue: 2 }, 'model m version 1');
    const accepted = [
      queue.submit(rowsOf(1), far()),
      queue.submit(rowsOf(2), far()),
      queue.submit(rowsOf(3), far()),
    ];
    const refused = await failure(queue.submit(rowsOf(4), far()));
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.match(refused.message, /model m version 1 is at capacity: 2 requests are waiting/);
    assert.equal(refused.details?.retry_after_s, 1);
    while (queue.depth > 0 || queue.running) {
      runner.release();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await Promise.all(accepted)).length, 3);
  });

  it('answers a request whose deadline passed while it waited with DEADLINE_EXCEEDED and never runs it', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const queue = new BatchQueue(runner, DEFAULT_BATCHING, 'm');
    const running = queue.submit(rowsOf(1), far());
    const late = queue.submit(rowsOf(99), performance.now() + 20);
    const err = await failure(late);
    assert.equal(err.code, 'DEADLINE_EXCEEDED');
    assert.match(err.message, /waited \d+ ms in the queue and passed its deadline/);
    runner.release();
    await running;
    assert.deepEqual(runner.calls, [[1]], 'the expired request never reached the runner');
  });

  it('answers callers by their deadline even when the runner never returns', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const queue = new BatchQueue(runner, DEFAULT_BATCHING, 'model m version 1');
    const stuck = await failure(queue.submit(rowsOf(1), performance.now() + 30));
    assert.equal(stuck.code, 'DEADLINE_EXCEEDED');
    assert.match(stuck.message, /model m version 1 did not answer within the request's deadline/);
  });

  it('gives every call a multiple of row_alignment rows, repeating the last, and returns only the real ones', async () => {
    const runner = new Doubler();
    const queue = new BatchQueue(runner, DEFAULTS, 'm');
    assert.deepEqual(await ys(queue.submit(rowsOf(3), far())), [6]);
    assert.deepEqual(
      await ys(queue.submit(rowsOf(...Array.from({ length: 9 }, (_, i) => i)), far())),
      [0, 2, 4, 6, 8, 10, 12, 14, 16],
    );
    assert.deepEqual(runner.calls, [
      [3, 3, 3, 3, 3, 3, 3, 3],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8],
    ]);
    const unbatched = new Doubler();
    await new BatchQueue(unbatched, { ...DEFAULTS, max_batch_size: 1 }, 'm').submit(rowsOf(3), far());
    assert.deepEqual(unbatched.calls, [[3]], 'without batching a request runs exactly as sent');
  });

  it('rejects every request of a failed batch and keeps serving', async () => {
    const runner = new Doubler();
    runner.hold = true;
    const queue = new BatchQueue(runner, DEFAULT_BATCHING, 'm');
    const first = queue.submit(rowsOf(1), far());
    runner.fail = new Error('boom');
    const doomed = [queue.submit(rowsOf(2), far()), queue.submit(rowsOf(3), far())];
    runner.release();
    await first;
    await new Promise((r) => setImmediate(r));
    runner.release();
    for (const d of doomed) assert.equal((await failure(d)).message, 'boom');
    runner.fail = undefined;
    runner.hold = false;
    assert.deepEqual(await ys(queue.submit(rowsOf(4), far())), [8]);
    await queue.idle();
  });
});

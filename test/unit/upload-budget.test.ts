import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UploadBudget } from '../../src/blobs/s3/upload-budget.ts';

describe('UploadBudget', () => {
  it('grants reservations in order, never holding more than its capacity', async () => {
    const budget = new UploadBudget(100);
    const order: string[] = [];
    const first = await budget.reserve(60);
    const second = budget.reserve(60).then((release) => {
      order.push('second');
      return release;
    });
    // Fits beside the first, but asked after the second: waits its turn.
    const third = budget.reserve(30).then((release) => {
      order.push('third');
      return release;
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    assert.equal(budget.used, 60);
    first();
    first();
    (await second)();
    (await third)();
    assert.deepEqual(order, ['second', 'third']);
    assert.equal(budget.used, 0);
    assert.equal(budget.peak, 90);
  });

  it('cuts a reservation larger than the capacity down to it, so it runs alone', async () => {
    const budget = new UploadBudget(50);
    const huge = await budget.reserve(500);
    assert.equal(budget.used, 50);
    let small = false;
    const waiting = budget.reserve(1).then((release) => {
      small = true;
      return release;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(small, false);
    huge();
    (await waiting)();
    assert.equal(budget.peak, 50);
  });
});

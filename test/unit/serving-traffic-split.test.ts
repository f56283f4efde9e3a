/**
 * Traffic splitting: random and sticky picks follow the weights (checked statistically: each
 * arm's count within 5 standard deviations of its expected share), a sticky key always reaches
 * the same arm, and raising the last arm's weight only moves keys onto it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stickyHash, TrafficSplit } from '../../src/serving/router/traffic-split.ts';

function assertShares(counts: number[], weights: number[], n: number): void {
  const total = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => {
    const p = w / total;
    const sigma = Math.sqrt(n * p * (1 - p));
    const got = counts[i] ?? 0;
    assert.ok(
      Math.abs(got - n * p) <= 5 * Math.max(sigma, 1),
      `arm ${i}: ${got} of ${n}, expected ${n * p} ± ${(5 * sigma).toFixed(0)}`,
    );
  });
}

describe('traffic split', () => {
  const n = 20_000;

  it('splits random traffic by weight', () => {
    for (const weights of [
      [90, 10],
      [50, 30, 20],
      [1, 1],
    ]) {
      const split = new TrafficSplit(weights);
      const counts = new Array(weights.length).fill(0);
      for (let i = 0; i < n; i++) counts[split.random()]++;
      assertShares(counts, weights, n);
    }
  });

  it('splits sticky keys by weight, and a key always gets the same arm', () => {
    const weights = [80, 15, 5];
    const split = new TrafficSplit(weights);
    const again = new TrafficSplit(weights);
    const counts: number[] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const key = `user-${i}`;
      const arm = split.forKey(key);
      counts[arm] = (counts[arm] ?? 0) + 1;
      assert.equal(split.forKey(key), arm);
      assert.equal(again.forKey(key), arm);
    }
    assertShares(counts, weights, n);
  });

  it('moves users only onto a canary whose share grows', () => {
    const before = new TrafficSplit([90, 10]);
    const after = new TrafficSplit([80, 20]);
    let stayed = 0;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const key = `user-${i}`;
      if (before.forKey(key) === 1) assert.equal(after.forKey(key), 1, `${key} left the canary`);
      else if (after.forKey(key) === 1) moved++;
      else stayed++;
    }
    // Of the users on the primary, a ninth (10 of its 90 points) move.
    assertShares([stayed, moved], [8, 1], stayed + moved);
  });

  it('never picks an arm of weight 0', () => {
    const split = new TrafficSplit([1, 0, 1, 0]);
    for (let i = 0; i < 5000; i++) {
      assert.notEqual(split.random() % 2, 1);
      assert.notEqual(split.forKey(`k${i}`) % 2, 1);
    }
    assert.equal(split.pick(0.999999999), 2);
  });

  it('hashes keys the same way everywhere (FNV-1a with a MurmurHash3 finalizer)', () => {
    assert.equal(stickyHash('user-42'), stickyHash('user-42'));
    assert.notEqual(stickyHash('user-42'), stickyHash('user-43'));
    assert.ok(Number.isInteger(stickyHash('')) && stickyHash('') >= 0 && stickyHash('x') < 2 ** 32);
  });
});

/**
 * Canary decisions on simulated traffic: a known effect is promoted, no effect is promoted (or
 * rolled back) at most at rate alpha even when the decision is taken after every batch, and the
 * guardrails roll back. Rates are checked with a binomial tolerance, not as exact counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BinaryOutcomes, ContinuousOutcomes } from '../../src/monitoring/canary/ab-tests.ts';
import {
  type CanaryDecision,
  type CanaryPolicy,
  canaryPolicyFromConfig,
  decideCanary,
  type VariantOutcomes,
} from '../../src/monitoring/canary/decide-canary.ts';
import type { SequentialState } from '../../src/monitoring/canary/mixture-sprt.ts';
import { type Random, seeded } from '../support/random.ts';

const ALPHA = 0.05;

/** Upper end of a 3-sigma band around `p` for a rate measured over `n` trials. */
function upperBand(p: number, n: number): number {
  return p + 3 * Math.sqrt((p * (1 - p)) / n);
}

interface Arm {
  draw(r: Random): number;
  binary: boolean;
}

/**
 * Feeds `batch` observations per variant per look, deciding after every look, until a decision
 * other than continue or `looks` looks. Returns the decision and, alongside, whether a naive
 * fixed-horizon test would have fired at any look.
 */
function simulate(
  seed: number,
  control: Arm,
  canary: Arm,
  policy: CanaryPolicy,
  batch: number,
  looks: number,
): { decision: CanaryDecision; naiveFired: boolean; look: number } {
  const r = seeded(seed);
  const acc = [
    { n: 0, sum: 0, sumSq: 0 },
    { n: 0, sum: 0, sumSq: 0 },
  ];
  let state: SequentialState | undefined;
  let naiveFired = false;
  let decision: CanaryDecision | undefined;
  for (let look = 1; look <= looks; look++) {
    [control, canary].forEach((arm, i) => {
      const a = acc[i] as { n: number; sum: number; sumSq: number };
      for (let k = 0; k < batch; k++) {
        const x = arm.draw(r);
        a.n++;
        a.sum += x;
        a.sumSq += x * x;
      }
    });
    const metric = (i: number, binary: boolean): BinaryOutcomes | ContinuousOutcomes => {
      const a = acc[i] as { n: number; sum: number; sumSq: number };
      if (binary) return { kind: 'binary', successes: a.sum, trials: a.n };
      const mean = a.sum / a.n;
      return { kind: 'continuous', count: a.n, mean, variance: (a.sumSq - a.n * mean * mean) / (a.n - 1) };
    };
    const variant = (i: number, binary: boolean): VariantOutcomes => ({
      requests: (acc[i] as { n: number }).n,
      errors: 0,
      metric: metric(i, binary),
    });
    decision = decideCanary(
      { control: variant(0, control.binary), canary: variant(1, canary.binary) },
      policy,
      state,
    );
    state = decision.sequential;
    if (decision.metric.fixedHorizon.pValue < ALPHA) naiveFired = true;
    if (decision.decision !== 'continue') return { decision, naiveFired, look };
  }
  return { decision: decision as CanaryDecision, naiveFired, look: looks };
}

const bernoulli = (p: number): Arm => ({ binary: true, draw: (r) => (r.next() < p ? 1 : 0) });
const gaussian = (mean: number, sd: number): Arm => ({ binary: false, draw: (r) => mean + sd * r.normal() });

const POLICY: CanaryPolicy = {
  autoPromote: { minSamples: 500, alpha: ALPHA, minEffect: 0 },
  autoRollback: { maxMetricDrop: 0 },
};

describe('canary decisions on simulated traffic', () => {
  it('with no effect, decides (promote or roll back) at most at rate alpha under 40 looks; a naive test fires far more often', () => {
    const seeds = 400;
    let acted = 0;
    let naive = 0;
    for (let s = 0; s < seeds; s++) {
      const run = simulate(1000 + s, bernoulli(0.1), bernoulli(0.1), POLICY, 250, 40);
      if (run.decision.decision !== 'continue') acted++;
      if (run.naiveFired) naive++;
    }
    const rate = acted / seeds;
    assert.ok(rate <= upperBand(ALPHA, seeds), `sequential false-decision rate ${rate}`);
    // The simulation is sensitive enough to see the inflation that repeated looks cause.
    assert.ok(naive / seeds > 2 * ALPHA, `naive repeated-look false-positive rate ${naive / seeds}`);
  });

  it('with no effect on a continuous metric, stays at alpha under 40 looks', () => {
    const seeds = 400;
    let acted = 0;
    for (let s = 0; s < seeds; s++)
      if (
        simulate(5000 + s, gaussian(1, 1), gaussian(1, 1), POLICY, 100, 40).decision.decision !== 'continue'
      )
        acted++;
    assert.ok(acted / seeds <= upperBand(ALPHA, seeds), `false-decision rate ${acted / seeds}`);
  });

  it('promotes a canary with a known improvement (0.10 → 0.13) and never rolls it back', () => {
    const seeds = 60;
    const outcomes = { promote: 0, rollback: 0, continue: 0 };
    for (let s = 0; s < seeds; s++) {
      const run = simulate(
        9000 + s,
        bernoulli(0.1),
        bernoulli(0.13),
        { ...POLICY, autoPromote: { minSamples: 500, alpha: ALPHA, minEffect: 0.01 } },
        250,
        40,
      );
      outcomes[run.decision.decision]++;
      if (run.decision.decision === 'promote') {
        assert.ok(run.decision.metric.ci[0] > 0 && run.decision.metric.ci[1] > run.decision.metric.effect);
        assert.ok(run.decision.metric.pValue < ALPHA);
      }
    }
    assert.equal(outcomes.rollback, 0);
    assert.ok(outcomes.promote / seeds >= 0.9, `promoted ${outcomes.promote} of ${seeds}`);
  });

  it('rolls back a canary that is worse, and promotes a lower error when lower is better', () => {
    const worse = simulate(77, gaussian(0.8, 0.2), gaussian(0.74, 0.2), POLICY, 200, 40);
    assert.equal(worse.decision.decision, 'rollback');
    assert.match(worse.decision.reasons.join(' '), /significantly worse/);
    const lowerIsBetter: CanaryPolicy = { ...POLICY, higherIsBetter: false };
    const better = simulate(78, gaussian(0.8, 0.2), gaussian(0.74, 0.2), lowerIsBetter, 200, 40);
    assert.equal(better.decision.decision, 'promote');
    assert.ok(better.decision.metric.effect < 0);
  });
});

describe('canary guardrails and inputs', () => {
  const metric = (successes: number, trials: number): BinaryOutcomes => ({
    kind: 'binary',
    successes,
    trials,
  });
  const control: VariantOutcomes = {
    requests: 2000,
    errors: 2,
    latencyP99Ms: 40,
    metric: metric(1600, 2000),
  };

  it('rolls back on a significantly high error rate, not on one unlucky error', () => {
    const policy: CanaryPolicy = { autoRollback: { maxErrorRate: 0.02 } };
    const bad = decideCanary(
      { control, canary: { requests: 300, errors: 30, metric: metric(240, 300) } },
      policy,
    );
    assert.equal(bad.decision, 'rollback');
    assert.match(
      bad.reasons[0] as string,
      /error rate 0\.1 \(30\/300\) is significantly above max_error_rate 0\.02/,
    );
    const unlucky = decideCanary(
      { control, canary: { requests: 300, errors: 7, metric: metric(240, 300) } },
      policy,
    );
    assert.equal(unlucky.decision, 'continue');
    assert.ok(unlucky.errorRate.canary > 0.02 && unlucky.errorRate.canaryLowerBound <= 0.02);
  });

  it('rolls back on p99 latency above the limit', () => {
    const d = decideCanary(
      { control, canary: { requests: 500, errors: 0, latencyP99Ms: 180, metric: metric(400, 500) } },
      { autoRollback: { maxLatencyP99Ms: 100 } },
    );
    assert.equal(d.decision, 'rollback');
    assert.deepEqual(d.latencyP99Ms, { control: 40, canary: 180 });
  });

  it('continues while there is too little data, without failing', () => {
    const empty = decideCanary({ control, canary: { requests: 0, errors: 0, metric: metric(0, 0) } }, POLICY);
    assert.equal(empty.decision, 'continue');
    const few = decideCanary(
      { control, canary: { requests: 40, errors: 0, metric: metric(39, 40) } },
      POLICY,
    );
    assert.equal(few.decision, 'continue');
    assert.match(few.reasons.join(' '), /waiting for 500 samples per variant \(control 2000, canary 40\)/);
  });

  it('reads the cairn.yaml spelling and rejects a bad policy naming the key', () => {
    const policy = canaryPolicyFromConfig({
      auto_promote: { min_samples: 1000, alpha: 0.01, min_effect: 0.02 },
      auto_rollback: { max_error_rate: 0.05, max_latency_p99_ms: 250, max_metric_drop: 0.03 },
    });
    assert.deepEqual(policy, {
      autoPromote: { minSamples: 1000, alpha: 0.01, minEffect: 0.02 },
      autoRollback: { maxErrorRate: 0.05, maxLatencyP99Ms: 250, maxMetricDrop: 0.03 },
    });
    assert.throws(
      () => canaryPolicyFromConfig({ auto_promote: { min_samples: 1, alpha: 0.05, min_effect: 0 } }),
      {
        code: 'INVALID_ARGUMENT',
        message: /auto_promote\.min_samples/,
      },
    );
    assert.throws(() => canaryPolicyFromConfig({ auto_rollback: { max_error_rate: 5 } }), {
      code: 'INVALID_ARGUMENT',
      message: /auto_rollback\.max_error_rate/,
    });
  });
});

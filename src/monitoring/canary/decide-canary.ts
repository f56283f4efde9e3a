/**
 * The canary decision: given what each variant has seen so far and a policy, `promote`,
 * `continue` or `rollback`. Guardrails (error rate, p99 latency, a metric drop) roll back; a
 * significant improvement of at least `minEffect` on enough samples promotes; anything else
 * continues. Significance comes from the mSPRT, so calling this after every batch of traffic keeps
 * the false-promotion rate at alpha.
 */
import { errors } from '../../kernel/errors.ts';
import { normalQuantile } from '../stats/distributions.ts';
import { type AbTestResult, abTest, type Outcomes } from './ab-tests.ts';
import { mixtureSprt, type SequentialState } from './mixture-sprt.ts';

export const CANARY_DECISIONS = ['promote', 'continue', 'rollback'] as const;
export type CanaryDecisionName = (typeof CANARY_DECISIONS)[number];

/** What one variant has seen. */
export interface VariantOutcomes {
  /** Requests served. */
  requests: number;
  /** Requests that failed. */
  errors: number;
  /** Observed 99th-percentile latency, when measured. */
  latencyP99Ms?: number;
  /** The outcome metric from feedback (accuracy as binary outcomes, or a continuous score). */
  metric: Outcomes;
}

/** `auto_promote` and `auto_rollback` of cairn.yaml, in TypeScript's spelling. */
export interface CanaryPolicy {
  autoPromote?: {
    /** Metric observations each variant needs before promotion is considered. */
    minSamples: number;
    /** Significance level of the sequential test (also used for the error-rate guardrail). */
    alpha: number;
    /** The improvement (canary − control, in the metric's better direction) required to promote. */
    minEffect: number;
  };
  autoRollback?: {
    /** Roll back when the canary's error rate is significantly above this share. */
    maxErrorRate?: number;
    /** Roll back when the canary's observed p99 latency is above this. */
    maxLatencyP99Ms?: number;
    /** Roll back when the canary is significantly worse by at least this much. */
    maxMetricDrop?: number;
  };
  /** True (default) when a higher metric is better (accuracy); false for errors such as RMSE. */
  higherIsBetter?: boolean;
  /**
   * τ of the mSPRT mixture. Default: minEffect when positive, else 0.02 for binary metrics and
   * 0.2 pooled standard deviations for continuous ones.
   */
  mixtureSd?: number;
}

export interface CanaryDecision {
  decision: CanaryDecisionName;
  /** One sentence per rule that fired or held the decision back. */
  reasons: string[];
  metric: {
    test: AbTestResult['test'];
    /** canary − control. */
    effect: number;
    relativeEffect: number;
    standardizedEffect: number;
    /** The always-valid (mSPRT) p-value, the one decisions use. */
    pValue: number;
    /** The always-valid (1 − alpha) confidence interval of `effect`. */
    ci: [number, number];
    /** The classical test at this look: exact for one look only. */
    fixedHorizon: { statistic: number; pValue: number; ci: [number, number]; df?: number };
    samples: { control: number; canary: number };
  };
  errorRate: { control: number; canary: number; canaryLowerBound: number };
  latencyP99Ms: { control?: number; canary?: number };
  /** Pass back as `previous` at the next look. */
  sequential: SequentialState;
}

function samplesOf(o: Outcomes): number {
  return o.kind === 'binary' ? o.trials : o.count;
}

/** Wilson score lower bound of a proportion at one-sided confidence 1 − alpha. */
export function wilsonLowerBound(successes: number, trials: number, alpha: number): number {
  if (trials === 0) return 0;
  const z = normalQuantile(1 - alpha);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = p + z2n / 2;
  const spread = z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return Math.max(0, (centre - spread) / (1 + z2n));
}

/** Variances of the effect estimate for the sequential test: under the null, and for the interval. */
function effectVariances(
  control: Outcomes,
  canary: Outcomes,
): { nullVariance: number; variance: number; scale: number } {
  if (control.kind === 'binary' && canary.kind === 'binary') {
    const p1 = control.successes / control.trials;
    const p2 = canary.successes / canary.trials;
    const pooled = (control.successes + canary.successes) / (control.trials + canary.trials);
    return {
      nullVariance: pooled * (1 - pooled) * (1 / control.trials + 1 / canary.trials),
      variance: (p1 * (1 - p1)) / control.trials + (p2 * (1 - p2)) / canary.trials,
      scale: 0.02,
    };
  }
  if (control.kind === 'continuous' && canary.kind === 'continuous') {
    const v = control.variance / control.count + canary.variance / canary.count;
    return { nullVariance: v, variance: v, scale: 0.2 * Math.sqrt((control.variance + canary.variance) / 2) };
  }
  throw errors.invalid('control and canary metrics must be of the same kind (binary or continuous)');
}

function validatePolicy(policy: CanaryPolicy): void {
  const p = policy.autoPromote;
  if (p) {
    if (!(Number.isInteger(p.minSamples) && p.minSamples >= 2))
      throw errors.invalid(
        `auto_promote.min_samples must be a whole number of at least 2, got ${p.minSamples}`,
      );
    if (!(p.alpha > 0 && p.alpha < 1))
      throw errors.invalid(`auto_promote.alpha must be between 0 and 1, got ${p.alpha}`);
    if (!(p.minEffect >= 0 && Number.isFinite(p.minEffect)))
      throw errors.invalid(`auto_promote.min_effect must be a non-negative number, got ${p.minEffect}`);
  }
  const r = policy.autoRollback;
  if (r?.maxErrorRate !== undefined && !(r.maxErrorRate >= 0 && r.maxErrorRate <= 1))
    throw errors.invalid(
      `auto_rollback.max_error_rate must be a share between 0 and 1, got ${r.maxErrorRate}`,
    );
  if (r?.maxLatencyP99Ms !== undefined && !(r.maxLatencyP99Ms > 0))
    throw errors.invalid(
      `auto_rollback.max_latency_p99_ms must be a positive number, got ${r.maxLatencyP99Ms}`,
    );
  if (r?.maxMetricDrop !== undefined && !(r.maxMetricDrop >= 0 && Number.isFinite(r.maxMetricDrop)))
    throw errors.invalid(
      `auto_rollback.max_metric_drop must be a non-negative number, got ${r.maxMetricDrop}`,
    );
  if (policy.mixtureSd !== undefined && !(policy.mixtureSd > 0))
    throw errors.invalid(`mixtureSd must be a positive number, got ${policy.mixtureSd}`);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}

/**
 * Decides a canary against its control.
 *
 * @example
 * let state: SequentialState | undefined;
 * for (;;) {
 *   const d = decideCanary({ control, canary }, policy, state);
 *   state = d.sequential;
 *   if (d.decision !== 'continue') return d;
 *   await moreTraffic();
 * }
 */
export function decideCanary(
  outcomes: { control: VariantOutcomes; canary: VariantOutcomes },
  policy: CanaryPolicy,
  previous?: SequentialState,
): CanaryDecision {
  validatePolicy(policy);
  const { control, canary } = outcomes;
  const alpha = policy.autoPromote?.alpha ?? 0.05;
  const better = policy.higherIsBetter === false ? -1 : 1;
  const samples = { control: samplesOf(control.metric), canary: samplesOf(canary.metric) };
  // Until each variant has two observations there is no test to run: guardrails still apply.
  const ready = samples.control >= 2 && samples.canary >= 2;
  const fixed: AbTestResult = ready
    ? abTest(control.metric, canary.metric, { alpha })
    : {
        test: control.metric.kind === 'binary' ? 'two-proportion-z' : 'welch-t',
        statistic: Number.NaN,
        pValue: Number.NaN,
        effect: Number.NaN,
        relativeEffect: Number.NaN,
        standardizedEffect: Number.NaN,
        ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
        alpha,
      };
  const initial: SequentialState = previous ?? {
    pValue: 1,
    ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  };
  let sequential = { ...initial, likelihoodRatio: 1, reject: initial.pValue < alpha };
  if (ready) {
    const variances = effectVariances(control.metric, canary.metric);
    const promoteEffect = policy.autoPromote?.minEffect ?? 0;
    const mixtureSd = policy.mixtureSd ?? (promoteEffect > 0 ? promoteEffect : variances.scale);
    sequential = mixtureSprt(
      { effect: fixed.effect, nullVariance: variances.nullVariance, variance: variances.variance },
      { alpha, mixtureSd: mixtureSd > 0 ? mixtureSd : 1, previous: initial },
    );
  }
  const errorRate = {
    control: control.requests === 0 ? 0 : control.errors / control.requests,
    canary: canary.requests === 0 ? 0 : canary.errors / canary.requests,
    canaryLowerBound: wilsonLowerBound(canary.errors, canary.requests, alpha),
  };
  const improvement = better * fixed.effect;
  const reasons: string[] = [];
  const rollback: string[] = [];
  const r = policy.autoRollback;
  if (r?.maxErrorRate !== undefined && errorRate.canaryLowerBound > r.maxErrorRate)
    rollback.push(
      `canary error rate ${fmt(errorRate.canary)} (${canary.errors}/${canary.requests}) is significantly above max_error_rate ${r.maxErrorRate}`,
    );
  if (
    r?.maxLatencyP99Ms !== undefined &&
    canary.latencyP99Ms !== undefined &&
    canary.latencyP99Ms > r.maxLatencyP99Ms
  )
    rollback.push(
      `canary p99 latency ${fmt(canary.latencyP99Ms)} ms is above max_latency_p99_ms ${r.maxLatencyP99Ms}`,
    );
  if (
    r?.maxMetricDrop !== undefined &&
    sequential.reject &&
    -improvement >= r.maxMetricDrop &&
    improvement < 0
  )
    rollback.push(
      `canary metric is significantly worse by ${fmt(-improvement)} (p = ${fmt(sequential.pValue)}), at least max_metric_drop ${r.maxMetricDrop}`,
    );
  let decision: CanaryDecisionName = 'continue';
  if (rollback.length > 0) {
    decision = 'rollback';
    reasons.push(...rollback);
  } else if (policy.autoPromote) {
    const p = policy.autoPromote;
    const enough = samples.control >= p.minSamples && samples.canary >= p.minSamples;
    if (!enough)
      reasons.push(
        `waiting for ${p.minSamples} samples per variant (control ${samples.control}, canary ${samples.canary})`,
      );
    else if (!sequential.reject)
      reasons.push(`no significant difference yet (p = ${fmt(sequential.pValue)}, alpha ${p.alpha})`);
    else if (improvement < p.minEffect)
      reasons.push(
        improvement > 0
          ? `improvement ${fmt(improvement)} is significant but below min_effect ${p.minEffect}`
          : `canary is significantly worse (effect ${fmt(fixed.effect)}, p = ${fmt(sequential.pValue)})`,
      );
    else {
      decision = 'promote';
      reasons.push(
        `canary improves the metric by ${fmt(improvement)} (p = ${fmt(sequential.pValue)} < ${p.alpha}) on ${samples.canary} samples`,
      );
    }
  } else reasons.push('no auto_promote policy: promotion is left to a person');
  return {
    decision,
    reasons,
    metric: {
      test: fixed.test,
      effect: fixed.effect,
      relativeEffect: fixed.relativeEffect,
      standardizedEffect: fixed.standardizedEffect,
      pValue: sequential.pValue,
      ci: sequential.ci,
      fixedHorizon: {
        statistic: fixed.statistic,
        pValue: fixed.pValue,
        ci: fixed.ci,
        ...(fixed.df !== undefined ? { df: fixed.df } : {}),
      },
      samples,
    },
    errorRate,
    latencyP99Ms: {
      ...(control.latencyP99Ms !== undefined ? { control: control.latencyP99Ms } : {}),
      ...(canary.latencyP99Ms !== undefined ? { canary: canary.latencyP99Ms } : {}),
    },
    sequential: { pValue: sequential.pValue, ci: sequential.ci },
  };
}

/**
 * The policy as written in cairn.yaml (`auto_promote: { min_samples, alpha, min_effect }`,
 * `auto_rollback: { max_error_rate, max_latency_p99_ms, max_metric_drop }`), checked and converted.
 */
export function canaryPolicyFromConfig(raw: {
  auto_promote?: { min_samples: number; alpha: number; min_effect: number };
  auto_rollback?: { max_error_rate?: number; max_latency_p99_ms?: number; max_metric_drop?: number };
  higher_is_better?: boolean;
}): CanaryPolicy {
  const policy: CanaryPolicy = {};
  if (raw.auto_promote)
    policy.autoPromote = {
      minSamples: raw.auto_promote.min_samples,
      alpha: raw.auto_promote.alpha,
      minEffect: raw.auto_promote.min_effect,
    };
  if (raw.auto_rollback) {
    const r = raw.auto_rollback;
    policy.autoRollback = {
      ...(r.max_error_rate !== undefined ? { maxErrorRate: r.max_error_rate } : {}),
      ...(r.max_latency_p99_ms !== undefined ? { maxLatencyP99Ms: r.max_latency_p99_ms } : {}),
      ...(r.max_metric_drop !== undefined ? { maxMetricDrop: r.max_metric_drop } : {}),
    };
  }
  if (raw.higher_is_better !== undefined) policy.higherIsBetter = raw.higher_is_better;
  validatePolicy(policy);
  return policy;
}

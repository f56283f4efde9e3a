/**
 * The mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh,
 * "Always valid inference: continuous monitoring of A/B tests" (Operations Research, 2022).
 *
 * For an effect estimate θ̂ with (approximately normal) variance V, mixing the alternative over
 * θ ~ N(0, τ²) gives the likelihood ratio
 *   Λ = √(V / (V + τ²)) · exp(τ²·θ̂² / (2V(V + τ²))),
 * a martingale under θ = 0, so by Ville's inequality P(Λ ever reaches 1/α) ≤ α: the p-value
 * min over looks of 1/Λ stays valid however often the data are checked. Inverting the test gives
 * an always-valid confidence sequence for θ.
 */
import { errors } from '../../kernel/errors.ts';

/** What one look carries over to the next: the running minimum p-value and the running interval. */
export interface SequentialState {
  pValue: number;
  ci: [number, number];
}

export interface MixtureSprtInput {
  /** The effect estimate θ̂ (treatment − control). */
  effect: number;
  /** Variance of θ̂ under the null hypothesis (e.g. pooled for proportions). */
  nullVariance: number;
  /** Variance of θ̂ for the confidence sequence (default: nullVariance). */
  variance?: number;
}

export interface MixtureSprtOptions {
  alpha: number;
  /** τ, the standard deviation of the effects the mixture weighs; pick the effect size you hope to detect. */
  mixtureSd: number;
  /** The state after the previous look, if any. */
  previous?: SequentialState;
}

export interface MixtureSprtResult extends SequentialState {
  /** Λ at this look. */
  likelihoodRatio: number;
  /** The always-valid p-value is below alpha. */
  reject: boolean;
}

function logRatio(effect: number, v: number, tau2: number): number {
  if (!(v > 0)) return 0;
  return 0.5 * Math.log(v / (v + tau2)) + (tau2 * effect * effect) / (2 * v * (v + tau2));
}

/** One look of the mSPRT. */
export function mixtureSprt(input: MixtureSprtInput, options: MixtureSprtOptions): MixtureSprtResult {
  const { alpha, mixtureSd } = options;
  if (!(alpha > 0 && alpha < 1)) throw errors.invalid(`alpha must be between 0 and 1, got ${alpha}`);
  if (!(mixtureSd > 0 && Number.isFinite(mixtureSd)))
    throw errors.invalid(`mixtureSd must be a positive number, got ${mixtureSd}`);
  const tau2 = mixtureSd * mixtureSd;
  const log = logRatio(input.effect, input.nullVariance, tau2);
  const previous = options.previous ?? {
    pValue: 1,
    ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  };
  const pValue = Math.min(previous.pValue, Math.exp(-log), 1);
  // {θ : Λ(θ̂ − θ) < 1/α}: |θ̂ − θ| < √(2V(V+τ²)/τ² · (ln(1/α) + ½·ln((V+τ²)/V))).
  const v = input.variance ?? input.nullVariance;
  // A zero variance estimate (all outcomes equal so far) carries no information about the interval.
  let half = Number.POSITIVE_INFINITY;
  if (v > 0)
    half = Math.sqrt(((2 * v * (v + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((v + tau2) / v)));
  const ci: [number, number] = [
    Math.max(previous.ci[0], input.effect - half),
    Math.min(previous.ci[1], input.effect + half),
  ];
  return { pValue, ci, likelihoodRatio: Math.exp(log), reject: pValue < alpha };
}

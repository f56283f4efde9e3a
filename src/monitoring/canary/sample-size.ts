/**
 * Minimum sample sizes per variant for a two-sided fixed-horizon test to detect a given effect
 * with a given power (normal approximation).
 */
import { errors } from '../../kernel/errors.ts';
import { normalQuantile } from '../stats/distributions.ts';

export interface SampleSizeOptions {
  /** Two-sided significance level (default 0.05). */
  alpha?: number;
  /** Probability of detecting the effect when it is there (default 0.8). */
  power?: number;
}

function levels(options: SampleSizeOptions): { za: number; zb: number } {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1)) throw errors.invalid(`alpha must be between 0 and 1, got ${alpha}`);
  if (!(power > 0 && power < 1)) throw errors.invalid(`power must be between 0 and 1, got ${power}`);
  return { za: normalQuantile(1 - alpha / 2), zb: normalQuantile(power) };
}

/**
 * Per-variant sample size to detect proportions moving from `baseline` to `baseline + minEffect`:
 * ⌈(z₁₋α/₂·√(2·p̄·q̄) + z_power·√(p₁q₁ + p₂q₂))² / minEffect²⌉ with p̄ the mean of the two.
 */
export function sampleSizeForProportions(
  baseline: number,
  minEffect: number,
  options: SampleSizeOptions = {},
): number {
  const p1 = baseline;
  const p2 = baseline + minEffect;
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1 && minEffect !== 0))
    throw errors.invalid(
      `baseline ${baseline} and baseline + minEffect ${p2} must both be proportions strictly between 0 and 1, and differ`,
    );
  const { za, zb } = levels(options);
  const bar = (p1 + p2) / 2;
  const n =
    (za * Math.sqrt(2 * bar * (1 - bar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 /
    minEffect ** 2;
  return Math.ceil(n);
}

/** Per-variant sample size to detect a shift of `minEffect` in a mean with standard deviation `sd`: ⌈2(z₁₋α/₂ + z_power)²·sd²/minEffect²⌉. */
export function sampleSizeForMeans(sd: number, minEffect: number, options: SampleSizeOptions = {}): number {
  if (!(sd > 0 && Number.isFinite(sd))) throw errors.invalid(`sd must be a positive number, got ${sd}`);
  if (!(minEffect !== 0 && Number.isFinite(minEffect)))
    throw errors.invalid(`minEffect must be a non-zero number, got ${minEffect}`);
  const { za, zb } = levels(options);
  return Math.ceil((2 * (za + zb) ** 2 * sd * sd) / (minEffect * minEffect));
}

/**
 * Fixed-horizon tests of a difference between two variants (control, treatment): the pooled
 * two-proportion z-test for binary outcomes and Welch's t-test for continuous ones, each with a
 * confidence interval for the difference and a standardized effect size. Valid for one look at
 * the data; `mixtureSprt` is the test to use when looking repeatedly.
 */
import { errors } from '../../kernel/errors.ts';
import { normalQuantile, normalSf, studentTQuantile, studentTTwoSided } from '../stats/distributions.ts';

/** Successes out of trials: conversions, correct predictions. */
export interface BinaryOutcomes {
  kind: 'binary';
  successes: number;
  trials: number;
}

/** A continuous outcome summarized: count, mean and sample variance (ddof = 1). */
export interface ContinuousOutcomes {
  kind: 'continuous';
  count: number;
  mean: number;
  variance: number;
}

export type Outcomes = BinaryOutcomes | ContinuousOutcomes;

export interface AbTestResult {
  test: 'two-proportion-z' | 'welch-t';
  /** z or t. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Welch–Satterthwaite degrees of freedom (Welch only). */
  df?: number;
  /** treatment − control: difference of proportions or of means. */
  effect: number;
  /** effect / control value (NaN when the control value is 0). */
  relativeEffect: number;
  /** Cohen's h for proportions, Cohen's d (average-variance form) for means. */
  standardizedEffect: number;
  /** The (1 − alpha) confidence interval of `effect`. */
  ci: [number, number];
  alpha: number;
}

export interface AbTestOptions {
  /** Significance level; the interval is at 1 − alpha (default 0.05). */
  alpha?: number;
}

/** Summarizes raw observations as ContinuousOutcomes (two-pass, for accuracy). */
export function summarizeOutcomes(values: ArrayLike<number>): ContinuousOutcomes {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let ss = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    ss += d * d;
    comp += d;
  }
  // The compensation term removes the rounding left in `mean` (corrected two-pass algorithm).
  return {
    kind: 'continuous',
    count: n,
    mean,
    variance: n > 1 ? (ss - (comp * comp) / n) / (n - 1) : Number.NaN,
  };
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw errors.invalid(`alpha must be between 0 and 1, got ${alpha}`);
}

function checkBinary(o: BinaryOutcomes, which: string): void {
  if (
    !(
      Number.isInteger(o.trials) &&
      o.trials > 0 &&
      Number.isInteger(o.successes) &&
      o.successes >= 0 &&
      o.successes <= o.trials
    )
  )
    throw errors.invalid(
      `${which}: successes (${o.successes}) and trials (${o.trials}) must be whole numbers with 0 ≤ successes ≤ trials and trials > 0`,
    );
}

function checkContinuous(o: ContinuousOutcomes, which: string): void {
  if (!(Number.isInteger(o.count) && o.count >= 2 && Number.isFinite(o.mean) && o.variance >= 0))
    throw errors.invalid(
      `${which}: needs at least 2 observations with a finite mean and variance (got count ${o.count})`,
    );
}

/**
 * The pooled two-proportion z-test (equal to Pearson's chi-square test on the 2×2 table without
 * continuity correction), with the unpooled Wald interval for the difference.
 */
export function twoProportionTest(
  control: BinaryOutcomes,
  treatment: BinaryOutcomes,
  options: AbTestOptions = {},
): AbTestResult {
  const alpha = options.alpha ?? 0.05;
  checkAlpha(alpha);
  checkBinary(control, 'control');
  checkBinary(treatment, 'treatment');
  const n1 = control.trials;
  const n2 = treatment.trials;
  const p1 = control.successes / n1;
  const p2 = treatment.successes / n2;
  const pooled = (control.successes + treatment.successes) / (n1 + n2);
  const effect = p2 - p1;
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const statistic =
    se0 === 0 ? (effect === 0 ? 0 : Math.sign(effect) * Number.POSITIVE_INFINITY) : effect / se0;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const z = normalQuantile(1 - alpha / 2);
  return {
    test: 'two-proportion-z',
    statistic,
    pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))),
    effect,
    relativeEffect: p1 === 0 ? Number.NaN : effect / p1,
    standardizedEffect: 2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1)),
    ci: [effect - z * se, effect + z * se],
    alpha,
  };
}

/**
 * Welch's unequal-variance t-test (SciPy's `ttest_ind(treatment, control, equal_var=False)`),
 * with the t interval for the difference of means on the Welch–Satterthwaite degrees of freedom.
 */
export function welchTTest(
  control: ContinuousOutcomes,
  treatment: ContinuousOutcomes,
  options: AbTestOptions = {},
): AbTestResult {
  const alpha = options.alpha ?? 0.05;
  checkAlpha(alpha);
  checkContinuous(control, 'control');
  checkContinuous(treatment, 'treatment');
  const vn1 = control.variance / control.count;
  const vn2 = treatment.variance / treatment.count;
  let df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (control.count - 1) + vn2 ** 2 / (treatment.count - 1));
  if (Number.isNaN(df)) df = 1; // both variances zero: SciPy's convention
  const se = Math.sqrt(vn1 + vn2);
  const effect = treatment.mean - control.mean;
  const statistic = effect / se;
  const t = studentTQuantile(1 - alpha / 2, df);
  return {
    test: 'welch-t',
    statistic,
    pValue: studentTTwoSided(statistic, df),
    df,
    effect,
    relativeEffect: control.mean === 0 ? Number.NaN : effect / control.mean,
    standardizedEffect: effect / Math.sqrt((control.variance + treatment.variance) / 2),
    ci: [effect - t * se, effect + t * se],
    alpha,
  };
}

/** Runs the test that fits the outcome kind. */
export function abTest(control: Outcomes, treatment: Outcomes, options: AbTestOptions = {}): AbTestResult {
  if (control.kind === 'binary' && treatment.kind === 'binary')
    return twoProportionTest(control, treatment, options);
  if (control.kind === 'continuous' && treatment.kind === 'continuous')
    return welchTTest(control, treatment, options);
  throw errors.invalid('control and treatment outcomes must be of the same kind (binary or continuous)');
}

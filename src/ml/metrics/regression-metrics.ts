import { type MetricSet, MetricSetBuilder, undefinedMetric } from './metric-set.ts';
import { sumOf } from './summation.ts';

const EPS = 2 ** -52;

/**
 * Regression metrics as scikit-learn computes them: RMSE (`root_mean_squared_error`), MAE, R²
 * (undefined for a constant target, where scikit-learn would answer 1 or 0 by convention, and for
 * fewer than two rows), and MAPE as a fraction (|y − ŷ| / max(|y|, eps), so a zero target gives a
 * very large term, as in scikit-learn).
 */
export function regressionMetrics(actual: Float64Array, predicted: Float64Array): MetricSet {
  const n = actual.length;
  const out = new MetricSetBuilder();
  const sse = sumOf(n, (i) => ((actual[i] as number) - (predicted[i] as number)) ** 2);
  out.put('rmse', Math.sqrt(sse / n));
  out.put('mae', sumOf(n, (i) => Math.abs((actual[i] as number) - (predicted[i] as number))) / n);
  const mean = sumOf(n, (i) => actual[i] as number) / n;
  const sst = sumOf(n, (i) => ((actual[i] as number) - mean) ** 2);
  out.put(
    'r2',
    n < 2
      ? undefinedMetric('fewer than two rows')
      : isConstant(actual)
        ? undefinedMetric('the target is constant (zero variance)')
        : 1 - sse / sst,
  );
  out.put(
    'mape',
    sumOf(
      n,
      (i) =>
        Math.abs((predicted[i] as number) - (actual[i] as number)) /
        Math.max(Math.abs(actual[i] as number), EPS),
    ) / n,
  );
  return out.build();
}

function isConstant(xs: Float64Array): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

import { rocAuc } from './binary-metrics.ts';
import { type MetricSet, MetricSetBuilder, undefinedMetric } from './metric-set.ts';
import { sumOf } from './summation.ts';

const EPS = 2 ** -52;

/** Class probabilities of n rows over k classes, row-major (row i is [i*k, (i+1)*k)). */
export interface ClassProbabilities {
  k: number;
  values: Float64Array;
}

/** The predicted class of each row: the most probable, the first on a tie (NumPy's argmax). */
export function argmaxClasses(p: ClassProbabilities): Int32Array {
  const n = p.values.length / p.k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < p.k; j++)
      if ((p.values[i * p.k + j] as number) > (p.values[i * p.k + best] as number)) best = j;
    out[i] = best;
  }
  return out;
}

/** `matrix[actual][predicted]` counts, as scikit-learn's `confusion_matrix` with every class. */
export function confusionMatrix(actual: Int32Array, predicted: Int32Array, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const row = m[actual[i] as number] as number[];
    const j = predicted[i] as number;
    row[j] = (row[j] as number) + 1;
  }
  return m;
}

/**
 * Multiclass metrics: accuracy; precision, recall and F1 as macro averages (`precision`, …) and
 * support-weighted averages (`precision_weighted`, …), where a class's precision with no
 * prediction (or recall with no row) counts as 0, as scikit-learn's default `zero_division`;
 * ROC AUC one-vs-rest, macro-averaged (undefined unless every class has rows); log loss with
 * scikit-learn's clipping; the multiclass Brier score (sum over classes, not halved).
 */
export function multiclassMetrics(actual: Int32Array, p: ClassProbabilities): MetricSet {
  const { k } = p;
  const n = actual.length;
  const predicted = argmaxClasses(p);
  const m = confusionMatrix(actual, predicted, k);
  const out = new MetricSetBuilder();
  out.put('accuracy', sumOf(k, (j) => m[j]?.[j] ?? 0) / n);
  const support = m.map((row) => row.reduce((a, b) => a + b, 0));
  const predictedCount = Array.from({ length: k }, (_, j) => sumOf(k, (i) => m[i]?.[j] ?? 0));
  const precision = m.map((row, j) =>
    (predictedCount[j] as number) === 0 ? 0 : (row[j] as number) / (predictedCount[j] as number),
  );
  const recall = m.map((row, j) =>
    (support[j] as number) === 0 ? 0 : (row[j] as number) / (support[j] as number),
  );
  const f1 = m.map((row, j) => {
    const d =
      2 * (row[j] as number) +
      ((predictedCount[j] as number) - (row[j] as number)) +
      ((support[j] as number) - (row[j] as number));
    return d === 0 ? 0 : (2 * (row[j] as number)) / d;
  });
  const macro = (xs: number[]) => sumOf(k, (j) => xs[j] as number) / k;
  const weighted = (xs: number[]) => sumOf(k, (j) => (xs[j] as number) * (support[j] as number)) / n;
  out.put('precision', macro(precision)).put('recall', macro(recall)).put('f1', macro(f1));
  out
    .put('precision_weighted', weighted(precision))
    .put('recall_weighted', weighted(recall))
    .put('f1_weighted', weighted(f1));
  out.put('roc_auc', ovrRocAuc(actual, p, support));
  out.put(
    'log_loss',
    -sumOf(n, (i) =>
      Math.log(Math.min(Math.max(p.values[i * k + (actual[i] as number)] as number, EPS), 1 - EPS)),
    ) / n,
  );
  out.put(
    'brier',
    sumOf(n, (i) =>
      sumOf(k, (j) => (((actual[i] as number) === j ? 1 : 0) - (p.values[i * k + j] as number)) ** 2),
    ) / n,
  );
  return out.build();
}

function ovrRocAuc(
  actual: Int32Array,
  p: ClassProbabilities,
  support: number[],
): number | { undefined: string } {
  const missing = support.indexOf(0);
  if (missing >= 0) return undefinedMetric(`class #${missing} has no row in the labels`);
  const n = actual.length;
  let total = 0;
  for (let j = 0; j < p.k; j++) {
    const positive = new Uint8Array(n);
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      positive[i] = actual[i] === j ? 1 : 0;
      scores[i] = p.values[i * p.k + j] as number;
    }
    const auc = rocAuc(positive, scores);
    if (typeof auc !== 'number') return auc;
    total += auc;
  }
  return total / p.k;
}

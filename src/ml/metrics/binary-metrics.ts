import { binaryCurve } from './binary-curve.ts';
import { type MetricSet, MetricSetBuilder, undefinedMetric } from './metric-set.ts';
import { sumOf } from './summation.ts';

/** Float64 machine epsilon: scikit-learn clips probabilities to [eps, 1 - eps] for log loss. */
const EPS = 2 ** -52;

/** Counts of a binary confusion matrix (positive = the positive class). */
export interface BinaryCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function binaryCounts(positive: Uint8Array, scores: Float64Array, threshold: number): BinaryCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (positive[i]) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

/**
 * Precision, recall and F1 from counts, each undefined where scikit-learn's is ill-defined
 * (it would warn and answer 0): precision with no predicted positive, recall with no actual
 * positive, F1 with neither (tp + fp + fn = 0).
 */
export function thresholdMetrics(c: BinaryCounts, out: MetricSetBuilder): void {
  const n = c.tp + c.fp + c.tn + c.fn;
  out.put('accuracy', (c.tp + c.tn) / n);
  out.put(
    'precision',
    c.tp + c.fp === 0 ? undefinedMetric('no row is predicted positive') : c.tp / (c.tp + c.fp),
  );
  out.put(
    'recall',
    c.tp + c.fn === 0 ? undefinedMetric('no positive row in the labels') : c.tp / (c.tp + c.fn),
  );
  const denominator = 2 * c.tp + c.fp + c.fn;
  out.put(
    'f1',
    denominator === 0 ? undefinedMetric('no positive row, predicted or actual') : (2 * c.tp) / denominator,
  );
}

/** scikit-learn's `roc_auc_score`: the trapezoidal area under the ROC curve of distinct scores. */
export function rocAuc(positive: Uint8Array, scores: Float64Array): number | { undefined: string } {
  const c = binaryCurve(positive, scores);
  if (c.positives === 0 || c.negatives === 0) return undefinedMetric(oneClass(c.positives));
  let area = 0;
  let prevFpr = 0;
  let prevTpr = 0;
  for (let i = 0; i < c.thresholds.length; i++) {
    const fpr = (c.fps[i] as number) / c.negatives;
    const tpr = (c.tps[i] as number) / c.positives;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    prevFpr = fpr;
    prevTpr = tpr;
  }
  return area;
}

/**
 * scikit-learn's `average_precision_score`: Σ (Rₙ − Rₙ₋₁) Pₙ over distinct scores, without
 * interpolation. Undefined without a positive row (scikit-learn warns and sets recall to 1).
 */
export function averagePrecision(positive: Uint8Array, scores: Float64Array): number | { undefined: string } {
  const c = binaryCurve(positive, scores);
  if (c.positives === 0) return undefinedMetric('no positive row in the labels');
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < c.thresholds.length; i++) {
    const tp = c.tps[i] as number;
    const recall = tp / c.positives;
    ap += (recall - prevRecall) * (tp / (tp + (c.fps[i] as number)));
    prevRecall = recall;
  }
  return ap;
}

/** scikit-learn's `log_loss` for the positive-class probability, clipped to [eps, 1 − eps]. */
export function binaryLogLoss(positive: Uint8Array, probabilities: Float64Array): number {
  const n = probabilities.length;
  return (
    -sumOf(n, (i) => {
      const p = probabilities[i] as number;
      const q = positive[i] ? p : 1 - p;
      return Math.log(Math.min(Math.max(q, EPS), 1 - EPS));
    }) / n
  );
}

/** scikit-learn's `brier_score_loss`: mean squared difference of probability and outcome. */
export function brierScore(positive: Uint8Array, probabilities: Float64Array): number {
  const n = probabilities.length;
  return sumOf(n, (i) => ((positive[i] as number) - (probabilities[i] as number)) ** 2) / n;
}

/**
 * Every binary metric: accuracy, precision, recall and F1 at `threshold` (a row is predicted
 * positive when its score is >= threshold), ROC AUC, PR AUC (average precision), log loss and
 * Brier score of the positive class's probability.
 */
export function binaryMetrics(
  positive: Uint8Array,
  probabilities: Float64Array,
  threshold: number,
): MetricSet {
  const out = new MetricSetBuilder();
  thresholdMetrics(binaryCounts(positive, probabilities, threshold), out);
  out.put('roc_auc', rocAuc(positive, probabilities));
  out.put('pr_auc', averagePrecision(positive, probabilities));
  out.put('log_loss', binaryLogLoss(positive, probabilities));
  out.put('brier', brierScore(positive, probabilities));
  return out.build();
}

function oneClass(positives: number): string {
  return positives === 0
    ? 'only negative rows in the labels (one class)'
    : 'only positive rows in the labels (one class)';
}

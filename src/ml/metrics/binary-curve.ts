/**
 * True and false positives at each distinct score, highest score first: the counts behind ROC
 * and precision-recall curves (scikit-learn's `_binary_clf_curve`). Rows with equal scores are
 * one point, which is how ties are handled: a tie between a positive and a negative counts half
 * in the ROC area (a diagonal step) and never favours either.
 */
export interface BinaryCurve {
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** Positives with a score >= thresholds[i]. */
  tps: Float64Array;
  /** Negatives with a score >= thresholds[i]. */
  fps: Float64Array;
  positives: number;
  negatives: number;
}

/** `positive[i]` is 1 for the positive class; `scores[i]` the positive class's score. */
export function binaryCurve(positive: Uint8Array, scores: Float64Array): BinaryCurve {
  const n = scores.length;
  const order = sortedDescending(scores);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    if (positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      thresholds.push(scores[i] as number);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
    positives: tp,
    negatives: fp,
  };
}

/** Row indices ordered by score, highest first (stable). */
export function sortedDescending(scores: Float64Array): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

import type { Prediction } from '../runtime/prediction.ts';

/**
 * The metrics a package records at training, from ONNX Runtime's predictions on the validation
 * rows: classification accuracy (of the model's label output), log loss and (binary) ROC AUC;
 * regression RMSE, MAE and R². Definitions follow scikit-learn's.
 */
export function trainingMetrics(
  prediction: Prediction,
  truth: { classes?: Int32Array; values?: Float64Array },
): Record<string, number> {
  if (truth.values) {
    const pred = prediction.values as Float64Array;
    const y = truth.values;
    const n = y.length;
    let se = 0;
    let ae = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i] as number;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = (y[i] as number) - (pred[i] as number);
      se += d * d;
      ae += Math.abs(d);
      ss += ((y[i] as number) - mean) ** 2;
    }
    return { rmse: Math.sqrt(se / n), mae: ae / n, r2: ss > 0 ? 1 - se / ss : 0 };
  }
  const y = truth.classes as Int32Array;
  const probs = prediction.probabilities as Float64Array[];
  const classes = (prediction.classes ?? []).map(String);
  const labels = prediction.labels?.values;
  const n = y.length;
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    // Accuracy of the label the model outputs (its own tie rule), not of a recomputed argmax.
    if (labels && String(labels[i]) === classes[y[i] as number]) correct++;
    const p = Math.min(Math.max(probs[y[i] as number]?.[i] as number, Number.EPSILON), 1 - Number.EPSILON);
    loss -= Math.log(p);
  }
  const metrics: Record<string, number> = { accuracy: correct / n, log_loss: loss / n };
  if (probs.length === 2) {
    const auc = rocAuc(probs[1] as Float64Array, y);
    if (auc !== undefined) metrics.roc_auc = auc;
  }
  return metrics;
}

/** Area under the ROC curve (Mann–Whitney, ties get the mean rank); undefined with one class. */
export function rocAuc(score: Float64Array, positive: Int32Array): number | undefined {
  const n = score.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (score[a] as number) - (score[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1] as number] === score[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (positive[order[k] as number] === 1) {
        positives++;
        rankSum += rank;
      }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return undefined;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

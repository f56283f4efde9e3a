import type { EncodedFeatures } from '../features/encode-features.ts';
import { type LinearModel, linearScores, paramsOf } from './linear-model.ts';

/**
 * The TypeScript model's own predictions, used while training (validation, early stopping) and
 * to check the exported graph; the product predicts through ONNX Runtime. Classification gives
 * class probabilities per row (row-major, one per class); regression the values.
 */
export function predictLinear(model: LinearModel, x: EncodedFeatures, classCount?: number): Float64Array {
  const scores = linearScores(x, paramsOf(model), model.outputs);
  if (classCount === undefined) return scores;
  const n = x.rows;
  if (model.outputs === 1) {
    const out = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(scores[i] as number)));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  const k = model.outputs;
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, scores[i * k + c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp((scores[i * k + c] as number) - max);
      scores[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) scores[i * k + c] = (scores[i * k + c] as number) / sum;
  }
  return scores;
}

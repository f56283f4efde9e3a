import type { EncodedFeatures } from '../features/encode-features.ts';
import { type FeatureSpec, linearWidth } from '../features/feature-spec.ts';

/**
 * A fitted linear model over the linear feature layout (one weight per number column, one per
 * category): `outputs` rows of weights, each with an intercept. Binary logistic regression and
 * ridge have one output; multinomial logistic regression one per class.
 */
export interface LinearModel {
  specs: readonly FeatureSpec[];
  outputs: number;
  /** outputs × width, row-major. */
  weights: Float64Array;
  intercepts: Float64Array;
}

/** The first weight index of each spec in the layout. */
export function weightOffsets(specs: readonly FeatureSpec[]): Int32Array {
  const offsets = new Int32Array(specs.length);
  let at = 0;
  specs.forEach((s, j) => {
    offsets[j] = at;
    at += s.kind === 'number' ? 1 : s.categories.length;
  });
  return offsets;
}

/**
 * Linear scores (outputs per row, row-major) of weights `w` (outputs × width, then the
 * intercepts) on encoded rows. Column by column: each pass reads one feature array in order.
 */
export function linearScores(
  x: EncodedFeatures,
  w: Float64Array,
  outputs: number,
  into?: Float64Array,
): Float64Array {
  const width = linearWidth(x.specs);
  const n = x.rows;
  const scores = into ?? new Float64Array(n * outputs);
  const offsets = weightOffsets(x.specs);
  const columns = x.columns;
  const specs = x.specs;
  for (let k = 0; k < outputs; k++) {
    const base = k * width;
    const b = w[outputs * width + k] as number;
    for (let i = 0, at = k; i < n; i++, at += outputs) scores[at] = b;
    for (let j = 0; j < specs.length; j++) {
      const off = base + (offsets[j] as number);
      if ((specs[j] as FeatureSpec).kind === 'number') {
        const col = columns[j] as Float64Array;
        const wj = w[off] as number;
        for (let i = 0, at = k; i < n; i++, at += outputs)
          scores[at] = (scores[at] as number) + wj * (col[i] as number);
      } else {
        const col = columns[j] as Int32Array;
        for (let i = 0, at = k; i < n; i++, at += outputs) {
          const c = col[i] as number;
          if (c >= 0) scores[at] = (scores[at] as number) + (w[off + c] as number);
        }
      }
    }
  }
  return scores;
}

/** Adds each row's residual times its features into the gradient `grad` (weights, then intercepts). */
export function accumulateGradient(
  x: EncodedFeatures,
  residual: Float64Array,
  outputs: number,
  grad: Float64Array,
): void {
  const width = linearWidth(x.specs);
  const n = x.rows;
  const offsets = weightOffsets(x.specs);
  const columns = x.columns;
  const specs = x.specs;
  for (let k = 0; k < outputs; k++) {
    const base = k * width;
    let bias = 0;
    for (let i = 0, at = k; i < n; i++, at += outputs) bias += residual[at] as number;
    grad[outputs * width + k] = (grad[outputs * width + k] as number) + bias;
    for (let j = 0; j < specs.length; j++) {
      const off = base + (offsets[j] as number);
      if ((specs[j] as FeatureSpec).kind === 'number') {
        const col = columns[j] as Float64Array;
        let sum = 0;
        for (let i = 0, at = k; i < n; i++, at += outputs)
          sum += (residual[at] as number) * (col[i] as number);
        grad[off] = (grad[off] as number) + sum;
      } else {
        const col = columns[j] as Int32Array;
        for (let i = 0, at = k; i < n; i++, at += outputs) {
          const c = col[i] as number;
          if (c >= 0) grad[off + c] = (grad[off + c] as number) + (residual[at] as number);
        }
      }
    }
  }
}

/** The model from a flat parameter vector (weights, then intercepts). */
export function linearModelOf(
  specs: readonly FeatureSpec[],
  outputs: number,
  params: Float64Array,
): LinearModel {
  const width = linearWidth(specs);
  return {
    specs,
    outputs,
    weights: params.slice(0, outputs * width),
    intercepts: params.slice(outputs * width, outputs * width + outputs),
  };
}

/** The flat parameter vector of a model: weights, then intercepts. */
export function paramsOf(model: LinearModel): Float64Array {
  const out = new Float64Array(model.weights.length + model.outputs);
  out.set(model.weights);
  out.set(model.intercepts, model.weights.length);
  return out;
}
